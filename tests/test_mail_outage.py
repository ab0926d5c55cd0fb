"""An e-mail provider outage longer than the quick retries loses nothing, and sends nothing twice.

The real django-tasks database backend and its `db_worker` command run the tasks; `retry_mail` runs
every five minutes as the scheduler would. The provider is an e-mail backend that refuses every
connection until the outage ends. Time is moved on a clock, minute by minute, instead of waiting.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registry.mail import send_templated_mail, undelivered_count
from registry.models import OutgoingMessage, User
from tests.conftest import ready_expert

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("data_migration_rows")]

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}}


class ProviderWithOutage(AnymailTestBackend):
    """anymail's test backend (messages land in mail.outbox), refusing connections until `down_until`."""

    down_until: ClassVar[dt.datetime | None] = None

    def send_messages(self, email_messages: Any) -> int:
        if self.down_until is not None and timezone.now() < self.down_until:
            raise ConnectionRefusedError("the e-mail provider is down")
        return super().send_messages(email_messages)


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.at = start

    def now(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    # The next 10:00 in Helsinki: the messages are not held for the quiet hours, and the clock never
    # goes back before data the test database already has (consent texts valid from their creation).
    now = timezone.localtime()
    start = now.replace(hour=10, minute=0, second=0, microsecond=0)
    clock = Clock(start if start > now else start + dt.timedelta(days=1))
    monkeypatch.setattr(timezone, "now", clock.now)
    yield clock
    ProviderWithOutage.down_until = None


def run_worker() -> None:
    call_command("db_worker", batch=True, queue_name="*", startup_delay=False, verbosity=0)


def make_mail(make_expert: Any, make_request: Any, unit_member: User, coordinator: User) -> None:
    """The request flow's own messages (submitted, in matching, eight offers) and an allauth one."""
    req = make_request(status="draft")
    req.submit(unit_member)
    req.take_into_matching(coordinator)
    experts = [ready_expert(make_expert()) for _ in range(8)]
    req.make_offers(experts, by=coordinator, answer_by=timezone.now() + dt.timedelta(days=3))
    context = {"user": None, "password_reset_url": "https://example.test/reset", "current_site": None}
    send_templated_mail("account/email/password_reset_key", ["new@example.test"], context, urgent=True)


@pytest.mark.parametrize("outage_minutes", [45, pytest.param(8 * 60, marks=pytest.mark.slow)])
def test_outage_longer_than_the_retries_loses_nothing_and_sends_each_once(
    outage_minutes: int,
    clock: Clock,
    settings: Any,
    make_expert: Any,
    make_request: Any,
    unit_member: User,
    coordinator: User,
) -> None:
    settings.TASKS = DB_TASKS
    settings.EMAIL_BACKEND = "tests.test_mail_outage.ProviderWithOutage"
    start = clock.at
    ProviderWithOutage.down_until = start + dt.timedelta(minutes=outage_minutes)

    make_mail(make_expert, make_request, unit_member, coordinator)
    total = OutgoingMessage.objects.count()
    assert total == 11  # 1 coordinator + the unit + 8 experts + 1 password reset

    delivered_at: dict[int, dt.datetime] = {}
    seen_undelivered = 0
    for minute in range(1, outage_minutes + 90):
        clock.at = start + dt.timedelta(minutes=minute)
        if minute % 5 == 0:
            call_command("retry_mail", verbosity=0)
        run_worker()
        seen_undelivered = max(seen_undelivered, undelivered_count())
        for row in OutgoingMessage.objects.filter(status="sent").exclude(pk__in=delivered_at):
            delivered_at[row.pk] = clock.at
        if minute < outage_minutes:
            assert mail.outbox == [], "nothing can be sent while the provider is down"

    rows = list(OutgoingMessage.objects.all())
    sent = Counter((m.to[0], m.subject) for m in mail.outbox)
    print(
        f"\noutage {outage_minutes} min: {total} messages, {len(mail.outbox)} sent, "
        f"{sum(1 for n in sent.values() if n > 1)} sent twice, {total - len(delivered_at)} lost, "
        f"last delivered {max(delivered_at.values()) - ProviderWithOutage.down_until} after recovery, "
        f"tries per message up to {max(r.attempts for r in rows)}, undelivered shown at most {seen_undelivered}"
    )
    assert [r.status for r in rows] == ["sent"] * total  # 0 lost
    assert len(mail.outbox) == total and set(sent.values()) == {1}  # each delivered once, and only once
    assert sorted(sent) == sorted((r.to, r.subject) for r in rows)
    # Coordinators saw the messages while they were failing; after recovery the list is empty again.
    assert seen_undelivered == total
    assert undelivered_count() == 0
    # The slow pace: sent within EMAIL_SLOW_RETRY_MINUTES (+ the scheduler's 5 minutes) of recovery.
    assert max(delivered_at.values()) <= ProviderWithOutage.down_until + dt.timedelta(minutes=35)


def test_during_an_outage_the_state_changes_stand_and_coordinators_see_what_waits(
    clock: Clock, settings: Any, make_expert: Any, make_request: Any, unit_member: User, coordinator: User
) -> None:
    settings.TASKS = DB_TASKS
    settings.EMAIL_BACKEND = "tests.test_mail_outage.ProviderWithOutage"
    start = clock.at
    ProviderWithOutage.down_until = start + dt.timedelta(days=1)
    make_mail(make_expert, make_request, unit_member, coordinator)
    for minute in range(1, 40):
        clock.at = start + dt.timedelta(minutes=minute)
        run_worker()
    failing = OutgoingMessage.objects.get(to=coordinator.email)
    assert (failing.status, failing.attempts, failing.last_error) == ("failing", 6, "ConnectionRefusedError")
    client = Client()
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("engagements:overview")).content.decode()
    assert "Undelivered e-mail" in page
    assert failing.subject in page
    assert "tried 6 times so far" in page
