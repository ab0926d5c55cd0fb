"""E-mail: rendered in the recipient's language, kept in the database, sent after commit by a
background task, retried until it goes.

Every message is three templates: `<prefix>_subject.txt`, `<prefix>_message.txt` and
`<prefix>_message.html`, which extends `email/base.html` (the subject as its <title>, the language
as its `lang`). Every message has both parts: should a third-party message (allauth) come without
its HTML template, `email/fallback_message.html` wraps its text. Rendering happens in the request,
and the result is an `OutgoingMessage` row written in the same transaction as the state change
that caused it. Only after commit is a task enqueued, carrying nothing but the row's id.

"Never lost" means: a committed state change always has its message rows, and a row leaves the
pending states only by being sent (or by the provider telling us the address is undeliverable).
- The task retries a failed send with back-off (1, 2, 4, … minutes) up to EMAIL_MAX_ATTEMPTS.
- After that the row is "failing": `manage.py retry_mail` (scheduled) tries it again every
  EMAIL_SLOW_RETRY_MINUTES, for as long as it takes, and coordinators see it on their overview.
- `retry_mail` also re-enqueues pending rows whose task never ran (a process that died between
  commit and enqueue, a lost queue row) and rows left "sending" by a worker that died mid-send.
- A send is claimed by one conditional UPDATE (pending/failing → sending): two workers, a duplicate
  task or a re-enqueue can never send the same row twice. Only a worker that dies after the
  provider accepted the message and before it wrote "sent" can cause a second copy.
- Delivery reports come back from the provider through anymail's tracking webhook: a bounce, a
  rejection or a spam complaint marks the address undeliverable on the person; nothing more is
  sent to it until the address changes (what would have been sent is kept, visible, resendable).
"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta
from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop
from django_tasks import task

from registry.models import AuditEvent, OutgoingMessage, User

logger = logging.getLogger(__name__)


def render_message(template_prefix: str, context: dict[str, Any], language: str | None) -> tuple[str, str, str]:
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        text = render_to_string(f"{template_prefix}_message.txt", context).strip() + "\n"
        html_context = {**context, "email_subject": subject, "email_text": text}
        try:
            html = render_to_string(f"{template_prefix}_message.html", html_context)
        except TemplateDoesNotExist:
            html = render_to_string("email/fallback_message.html", html_context)
    return subject, text, html


QUIET_HOURS = (21, 8)  # no e-mail from 21:00 to 08:00 Europe/Helsinki unless urgent


def quiet_hours_end(now: dt.datetime) -> dt.datetime | None:
    """When a non-urgent message may go out, if `now` falls in the quiet hours."""
    local = timezone.localtime(now)
    start, end = QUIET_HOURS
    if local.hour >= start:
        local = local + dt.timedelta(days=1)
    elif local.hour >= end:
        return None
    return local.replace(hour=end, minute=0, second=0, microsecond=0)


Status = OutgoingMessage.Status


def send_templated_mail(
    template_prefix: str,
    recipients: list[str],
    context: dict[str, Any],
    *,
    language: str | None = None,
    urgent: bool = False,
    now: dt.datetime | None = None,
    attachments: list[tuple[str, str, str]] | None = None,
) -> list[OutgoingMessage]:
    """Render now and keep one row per address in the surrounding transaction; deliver once that
    transaction has committed (after the quiet hours unless urgent). A rollback takes the rows
    with it, so nothing is sent about a change that did not happen. `attachments` are (file name,
    text content, MIME type), e.g. an .ics file."""
    subject, text, html = render_message(template_prefix, context, language)
    now = now or timezone.now()
    run_after = None if urgent else quiet_hours_end(now)
    if run_after is not None and not deliver_message.get_backend().supports_defer:
        run_after = None  # a backend that cannot wait (tests, development) sends at once
    messages = []
    for address in recipients:
        user = User.objects.filter(email__iexact=address).first()
        held = user is not None and user.email_undeliverable_at is not None
        message = OutgoingMessage.objects.create(
            user=user,
            to=address,
            template=template_prefix[:100],
            subject=subject[:300],
            text=text,
            html=html,
            attachments=[list(attachment) for attachment in attachments or []],
            # An address the provider refused gets nothing more until it changes; the message is
            # kept where the coordinator sees it and can send it again.
            status=Status.UNDELIVERABLE if held else Status.PENDING,
            last_error=user.email_undeliverable_reason if held and user else "",
            next_attempt_at=run_after or now,
        )
        if not held:
            _enqueue_on_commit(message.pk, run_after)
        messages.append(message)
    return messages


def _enqueue_on_commit(message_id: int, run_after: dt.datetime | None = None) -> None:
    def enqueue() -> None:
        task = deliver_message.using(run_after=run_after) if run_after is not None else deliver_message
        task.enqueue(message_id)

    transaction.on_commit(enqueue)


def retry_delay(attempt: int) -> timedelta:
    # 1, 2, 4, 8 … minutes, at most an hour between tries.
    return timedelta(minutes=min(2 ** (attempt - 1), 60))


def slow_retry_delay() -> timedelta:
    return timedelta(minutes=settings.EMAIL_SLOW_RETRY_MINUTES)


@task(queue_name="email")
def deliver_message(message_id: int) -> str:
    """Send one kept message. Idempotent: the row is claimed by a conditional update, so a second
    task for the same row (a duplicate enqueue, a second worker, a re-enqueue) finds nothing to do."""
    now = timezone.now()
    claimed = OutgoingMessage.objects.filter(pk=message_id, status__in=[Status.PENDING, Status.FAILING]).update(
        status=Status.SENDING, claimed_at=now
    )
    if not claimed:
        return "nothing to do"
    message = OutgoingMessage.objects.select_related("user").get(pk=message_id)
    was_failing = message.attempts >= settings.EMAIL_MAX_ATTEMPTS
    user = message.user
    if user is not None and user.email_undeliverable_at is not None:
        # The provider refused the address after this message was queued.
        message.status = Status.UNDELIVERABLE
        message.last_error = user.email_undeliverable_reason
        message.save(update_fields=["status", "last_error"])
        return "undeliverable"
    email = EmailMultiAlternatives(subject=message.subject, body=message.text, to=[message.to])
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for filename, content, mimetype in message.attachments:
        email.attach(filename, content, mimetype)
    # anymail passes this to the provider and it comes back with the delivery report.
    email.metadata = {"outgoing_message": str(message.pk)}  # type: ignore[attr-defined]  # Anymail's extra attribute
    try:
        email.send()
    except Exception as exc:  # any provider or network failure: try again later, never drop
        return _failed(message, exc, was_failing)
    esp_message_id = getattr(getattr(email, "anymail_status", None), "message_id", None)
    message.status = Status.SENT
    message.sent_at = timezone.now()
    message.esp_message_id = "" if esp_message_id is None else str(esp_message_id)[:100]
    message.attempts += 1
    message.last_error = ""
    message.save(update_fields=["status", "sent_at", "esp_message_id", "attempts", "last_error"])
    return "sent"


def _failed(message: OutgoingMessage, exc: Exception, was_failing: bool) -> str:
    now = timezone.now()
    message.attempts += 1
    # The kind of error only: an SMTP error's text can contain the address.
    message.last_error = type(exc).__name__[:100]
    if was_failing or message.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        # Quick tries are used up: the scheduled `retry_mail` tries again at a slow pace, and the
        # coordinators see the message on their overview until it goes.
        message.status = Status.FAILING
        message.next_attempt_at = now + slow_retry_delay()
        message.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
        logger.error("E-mail %s not sent after %d attempts (%s)", message.pk, message.attempts, message.last_error)
        return "failing"
    message.status = Status.PENDING
    message.next_attempt_at = now + retry_delay(message.attempts)
    message.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    logger.warning("E-mail %s attempt %d failed (%s); retrying", message.pk, message.attempts, message.last_error)
    run_after = message.next_attempt_at if deliver_message.get_backend().supports_defer else None
    _enqueue_on_commit(message.pk, run_after)
    return "retrying"


# Scheduled: manage.py retry_mail ------------------------------------------------------------------

# A pending row whose task should have run this long ago is taken to have lost its task.
LOST_TASK_AFTER = timedelta(minutes=15)


def retry_due(now: dt.datetime | None = None) -> int:
    """Enqueue again what is due: failing rows whose slow retry time has come, pending rows whose
    task was lost, and rows a dead worker left "sending". Safe to run as often as you like."""
    now = now or timezone.now()
    stale = now - LOST_TASK_AFTER
    OutgoingMessage.objects.filter(status=Status.SENDING, claimed_at__lt=stale).update(status=Status.PENDING)
    due = OutgoingMessage.objects.filter(
        Q(status=Status.FAILING, next_attempt_at__lte=now) | Q(status=Status.PENDING, next_attempt_at__lte=stale)
    )
    count = 0
    for pk, status in due.values_list("pk", "status"):
        # Moved on before enqueueing, so that the next run does not enqueue the same row again
        # while this task waits for a worker; the task itself does not look at this time.
        delay = slow_retry_delay() if status == Status.FAILING else LOST_TASK_AFTER
        with transaction.atomic():
            moved = OutgoingMessage.objects.filter(pk=pk, status=status, next_attempt_at__lte=now).update(
                next_attempt_at=now + delay
            )
            if moved:
                _enqueue_on_commit(pk)
                count += 1
    return count


def forget_sent(now: dt.datetime | None = None) -> int:
    """Sent messages are personal data with no further use: kept EMAIL_SENT_RETENTION_DAYS for
    delivery reports and questions, then deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EMAIL_SENT_RETENTION_DAYS)
    deleted, _per_model = OutgoingMessage.objects.filter(status=Status.SENT, sent_at__lt=cutoff).delete()
    return deleted


def undelivered_count() -> int:
    """Messages not delivered for now (tries used up, or the address refused): for health checks."""
    return OutgoingMessage.objects.undelivered().count()


@transaction.atomic
def resend(message: OutgoingMessage, *, by: Any) -> bool:
    """A coordinator sends an undelivered message again, to the person's current address. Doing so
    says the address has been checked, so its undeliverable mark is cleared. Returns False when
    the message is no longer undelivered (someone already resent it, or it went)."""
    row = OutgoingMessage.objects.select_for_update().filter(pk=message.pk).first()
    if row is None or row.status not in (Status.FAILING, Status.UNDELIVERABLE):
        return False
    if row.user is not None:
        User.objects.filter(pk=row.user.pk).update(email_undeliverable_at=None, email_undeliverable_reason="")
        row.to = row.user.email
    row.status = Status.PENDING
    row.attempts = 0
    row.last_error = ""
    row.next_attempt_at = timezone.now()
    row.save(update_fields=["to", "status", "attempts", "last_error", "next_attempt_at"])
    AuditEvent.record(by, AuditEvent.Action.CHANGE, row, gettext_noop("e-mail sent again"))
    _enqueue_on_commit(row.pk)
    return True


# Delivery reports (anymail's tracking webhook) ---------------------------------------------------

UNDELIVERABLE_EVENTS = {"bounced", "rejected", "complained"}


@receiver(tracking, dispatch_uid="registry.mail.delivery_report")
def delivery_report(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """anymail has checked the webhook's credentials and normalised the provider's payload."""
    now = timezone.now()
    # The provider's id for the message, or ours, which we gave it as metadata when sending.
    ours = str((event.metadata or {}).get("outgoing_message", ""))
    match = Q(pk=int(ours)) if ours.isdigit() else Q()
    if event.message_id:
        match |= Q(esp_message_id=str(event.message_id)[:100])
    messages = OutgoingMessage.objects.filter(match) if match else OutgoingMessage.objects.none()
    if event.event_type == "delivered":
        messages.filter(delivered_at__isnull=True).update(delivered_at=event.timestamp or now)
        return
    if event.event_type not in UNDELIVERABLE_EVENTS:
        return
    reason = event.event_type
    messages.update(status=Status.UNDELIVERABLE, last_error=reason)
    address = event.recipient or next(iter(messages.values_list("to", flat=True)), "")
    if address:
        User.objects.filter(email__iexact=address, email_undeliverable_at__isnull=True).update(
            email_undeliverable_at=now, email_undeliverable_reason=reason
        )
    logger.warning("E-mail reported %s by %s", reason, esp_name)
