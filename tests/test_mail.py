"""E-mail is rendered in the recipient's language and delivered by a background task that retries."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registry.mail import quiet_hours_end, send_templated_mail
from registry.models import OutgoingMessage

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}}


def run_worker() -> None:
    call_command("db_worker", batch=True, queue_name="*", startup_delay=False, verbosity=0)


# The worker closes its database connection after a batch, as a separate process would: this test
# needs real commits rather than the usual rolled-back test transaction.
@pytest.mark.django_db(transaction=True)
def test_failed_send_is_retried_and_delivers_exactly_once(settings: Any) -> None:
    settings.TASKS = DB_TASKS
    # A real SMTP connection to a closed port: the provider is "down".
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    context = {"user": None, "password_reset_url": "https://example.test/reset", "current_site": None}
    send_templated_mail("account/email/password_reset_key", ["a@example.test"], context, language="fi", urgent=True)
    assert DBTaskResult.objects.count() == 1
    message = OutgoingMessage.objects.get()

    run_worker()
    assert mail.outbox == []
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"] == [message.pk]
    assert retry.run_after > timezone.now()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("pending", 1, "ConnectionRefusedError")

    # The provider is back and the retry's time has come.
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now() - timedelta(seconds=1))
    run_worker()
    run_worker()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.test"]
    assert not DBTaskResult.objects.filter(status="READY").exists()
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.esp_message_id  # anymail's test backend gives an id like a real provider


def test_nothing_is_sent_when_the_transaction_rolls_back(settings: Any) -> None:

    settings.TASKS = DB_TASKS
    with pytest.raises(RuntimeError), transaction.atomic():
        send_templated_mail("account/email/password_reset_key", ["a@example.test"], {"password_reset_url": "x"})
        raise RuntimeError
    assert DBTaskResult.objects.count() == 0
    assert OutgoingMessage.objects.count() == 0


@pytest.mark.parametrize(("language", "word"), [("fi", "salasana"), ("sv", "lösenord"), ("en", "password")])
def test_message_is_rendered_in_recipients_language(
    language: str, word: str, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send_templated_mail(
            "account/email/password_reset_key",
            ["a@example.test"],
            {"password_reset_url": "https://example.test/reset", "user": None},
            language=language,
        )
    message = mail.outbox[0]
    assert word in (message.subject + message.body).lower()


HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (dt.datetime(2026, 3, 2, 22, 30), dt.datetime(2026, 3, 3, 8, 0)),
        (dt.datetime(2026, 3, 2, 21, 0), dt.datetime(2026, 3, 3, 8, 0)),
        (dt.datetime(2026, 3, 2, 7, 59), dt.datetime(2026, 3, 2, 8, 0)),
        (dt.datetime(2026, 3, 2, 8, 0), None),
        (dt.datetime(2026, 3, 2, 20, 59), None),
    ],
)
def test_quiet_hours_are_21_to_8_in_helsinki(local: dt.datetime, expected: dt.datetime | None) -> None:
    result = quiet_hours_end(local.replace(tzinfo=HELSINKI))
    assert result == (expected.replace(tzinfo=HELSINKI) if expected else None)


def test_non_urgent_mail_waits_for_morning_but_urgent_goes_at_once(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import get_date_max

    settings.TASKS = DB_TASKS
    night = dt.datetime(2026, 3, 2, 23, 15, tzinfo=HELSINKI)
    context = {"password_reset_url": "x", "user": None}
    with django_capture_on_commit_callbacks(execute=True):
        send_templated_mail("account/email/password_reset_key", ["a@example.test"], context, now=night)
        send_templated_mail("account/email/password_reset_key", ["b@example.test"], context, now=night, urgent=True)
    waiting = OutgoingMessage.objects.get(to="a@example.test")
    urgent = OutgoingMessage.objects.get(to="b@example.test")
    waiting_task = DBTaskResult.objects.get(args_kwargs__args=[waiting.pk])
    urgent_task = DBTaskResult.objects.get(args_kwargs__args=[urgent.pk])
    morning = dt.datetime(2026, 3, 3, 8, 0, tzinfo=HELSINKI)
    assert timezone.localtime(waiting_task.run_after, HELSINKI) == morning
    assert timezone.localtime(waiting.next_attempt_at, HELSINKI) == morning
    assert urgent_task.run_after == get_date_max()
