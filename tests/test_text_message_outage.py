"""A text message provider outage longer than the quick retries loses nothing and sends nothing
twice, exactly as for e-mail: the same rows, the real django-tasks database backend and its
`db_worker`, `retry_mail` every five minutes, the time moved on a clock (tests/test_mail_outage.py)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, ClassVar

import pytest
from django.core.management import call_command
from django.utils import timezone

from experts.models import MessageChannels
from registry import sms
from registry.mail import undelivered_count
from registry.models import Channel, OutgoingMessage, User
from tests.conftest import ready_expert
from tests.test_mail_outage import DB_TASKS, Clock, clock, run_worker  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("data_migration_rows")]


class TextProviderWithOutage(sms.LocmemBackend):
    down_until: ClassVar[dt.datetime | None] = None

    def send(self, to: str, text: str, reference: str) -> str:
        if self.down_until is not None and timezone.now() < self.down_until:
            raise sms.TextMessageError("HTTP 503")
        return super().send(to, text, reference)


def test_text_outage_loses_nothing_and_sends_each_once(
    clock: Clock,  # noqa: F811
    settings: Any,
    make_expert: Any,
    make_request: Any,
    unit_member: User,
    coordinator: User,
) -> None:
    settings.TASKS = DB_TASKS
    settings.SMS_BACKEND = "tests.test_text_message_outage.TextProviderWithOutage"
    outage = dt.timedelta(minutes=45)
    start = clock.at
    TextProviderWithOutage.down_until = start + outage
    try:
        req = make_request(status="draft")
        req.submit(unit_member)
        req.take_into_matching(coordinator)
        experts = []
        for i in range(6):
            expert = ready_expert(make_expert())
            User.objects.filter(pk=expert.user_id).update(mobile_number=f"+35840123450{i}", mobile_verified_at=start)
            expert.offer_channel = MessageChannels.BOTH
            expert.save()
            expert.user.refresh_from_db()
            experts.append(expert)
        req.make_offers(experts, by=coordinator, answer_by=start + dt.timedelta(days=3))
        texts = OutgoingMessage.objects.filter(channel=Channel.TEXT)
        assert texts.count() == 6

        seen_undelivered = 0
        for minute in range(1, 45 + 90):
            clock.at = start + dt.timedelta(minutes=minute)
            if minute % 5 == 0:
                call_command("retry_mail", verbosity=0)
            run_worker()
            seen_undelivered = max(seen_undelivered, undelivered_count())
            if clock.at < start + outage:
                assert sms.outbox == [], "nothing can be sent while the provider is down"

        rows = list(texts)
        sent = Counter(m["reference"] for m in sms.outbox)
        print(
            f"\ntext outage 45 min: {len(rows)} texts, {len(sms.outbox)} sent, "
            f"{sum(1 for n in sent.values() if n > 1)} sent twice, "
            f"tries per message up to {max(r.attempts for r in rows)}, undelivered shown at most {seen_undelivered}"
        )
        assert [r.status for r in rows] == ["sent"] * 6  # none lost
        assert sorted(sent) == sorted(str(r.pk) for r in rows) and set(sent.values()) == {1}  # once each
        assert seen_undelivered == 6  # the coordinators saw them while they failed
        assert undelivered_count() == 0
        # The e-mail went on meanwhile: an outage of one channel does not hold the other.
        assert OutgoingMessage.objects.filter(channel=Channel.EMAIL).exclude(status="sent").count() == 0
    finally:
        TextProviderWithOutage.down_until = None
