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

Text messages are the same rows with `channel=text` (`send_text_message`): the same task, claim,
retries, slow retries, quiet hours, retention and coordinator's view; only the last step hands the
text to the text message backend (registry/sms.py) instead of anymail, and the delivery reports
come from the provider's own webhook (`text_delivery_report`), marking the number instead.
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

from registry import sms
from registry.models import AuditEvent, Channel, OutgoingMessage, User

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
    reference: str = "",
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
            reference=reference[:40],
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


def send_text_message(
    user: User,
    text: str,
    *,
    template: str,
    subject: str,
    to: str = "",
    urgent: bool = False,
    now: dt.datetime | None = None,
    reference: str = "",
) -> OutgoingMessage | None:
    """Keep one text message to the person's verified number (or to `to`, for the verification
    code) in the surrounding transaction and deliver it after commit, after the quiet hours unless
    urgent. `text` is already in the person's language and carries nothing personal or sensitive;
    `subject` says what it is for the coordinator's lists, without the text's single-use link.
    None when the person has no number to send to."""
    number = to or user.mobile_number
    if not number:
        return None
    now = now or timezone.now()
    run_after = None if urgent else quiet_hours_end(now)
    if run_after is not None and not deliver_message.get_backend().supports_defer:
        run_after = None
    # A refused number gets nothing more until it changes, except a code the person asked for to
    # show that it works again.
    refused = number == user.mobile_number and user.mobile_undeliverable_at is not None
    held = refused and template != VERIFICATION_TEMPLATE
    message = OutgoingMessage.objects.create(
        user=user,
        channel=Channel.TEXT,
        to=number,
        template=template[:100],
        subject=subject[:300],
        text=text,
        segments=sms.segments(text),
        reference=reference[:40],
        status=Status.UNDELIVERABLE if held else Status.PENDING,
        last_error=user.mobile_undeliverable_reason if held else "",
        created_at=now,
        next_attempt_at=run_after or now,
    )
    if not held:
        _enqueue_on_commit(message.pk, run_after)
    return message


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
    if message.channel == Channel.TEXT:
        return _deliver_text(message, was_failing)
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


VERIFICATION_TEMPLATE = "registry/sms/verification"


def _deliver_text(message: OutgoingMessage, was_failing: bool) -> str:
    user = message.user
    if message.template == VERIFICATION_TEMPLATE and timezone.now() >= message.created_at + sms.CODE_LIFETIME:
        # The code has expired: sending it now would only confuse. The person asks for a new one.
        message.delete()
        return "expired code dropped"
    if user is not None and message.template != VERIFICATION_TEMPLATE:
        # The person removed or changed the number, or the provider refused it, after this was kept.
        reason = ""
        if user.mobile_number != message.to:
            reason = "number-changed"
        elif user.mobile_undeliverable_at is not None:
            reason = user.mobile_undeliverable_reason or "undeliverable"
        if reason:
            message.status = Status.UNDELIVERABLE
            message.last_error = reason
            message.save(update_fields=["status", "last_error"])
            return "undeliverable"
    try:
        provider_id = sms.send(message.to, message.text, str(message.pk))
    except Exception as exc:  # any provider or network failure: try again later, never drop
        return _failed(message, exc, was_failing)
    message.status = Status.SENT
    message.sent_at = timezone.now()
    message.esp_message_id = str(provider_id)[:100]
    message.attempts += 1
    message.last_error = ""
    message.save(update_fields=["status", "sent_at", "esp_message_id", "attempts", "last_error"])
    return "sent"


def _failed(message: OutgoingMessage, exc: Exception, was_failing: bool) -> str:
    now = timezone.now()
    message.attempts += 1
    # The kind of error only: an SMTP error's text can contain the address.
    # A text message backend's error says the HTTP status and the provider's code, nothing more.
    error = str(exc) if isinstance(exc, sms.TextMessageError) and str(exc) else type(exc).__name__
    message.last_error = error[:100]
    if was_failing or message.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        # Quick tries are used up: the scheduled `retry_mail` tries again at a slow pace, and the
        # coordinators see the message on their overview until it goes.
        message.status = Status.FAILING
        message.next_attempt_at = now + slow_retry_delay()
        message.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
        logger.error("Message %s not sent after %d attempts (%s)", message.pk, message.attempts, message.last_error)
        return "failing"
    message.status = Status.PENDING
    message.next_attempt_at = now + retry_delay(message.attempts)
    message.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    logger.warning("Message %s attempt %d failed (%s); retrying", message.pk, message.attempts, message.last_error)
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
    if row.channel == Channel.TEXT:
        # Only to the person's current verified number; without one there is nothing to send to.
        if row.user is None or not row.user.mobile_number or not row.user.mobile_verified_at:
            return False
        User.objects.filter(pk=row.user.pk).update(mobile_undeliverable_at=None, mobile_undeliverable_reason="")
        row.to = row.user.mobile_number
    elif row.user is not None:
        User.objects.filter(pk=row.user.pk).update(email_undeliverable_at=None, email_undeliverable_reason="")
        row.to = row.user.email
    row.status = Status.PENDING
    row.attempts = 0
    row.last_error = ""
    row.next_attempt_at = timezone.now()
    row.save(update_fields=["to", "status", "attempts", "last_error", "next_attempt_at"])
    AuditEvent.record(
        by,
        AuditEvent.Action.CHANGE,
        row,
        gettext_noop("text message sent again") if row.channel == Channel.TEXT else gettext_noop("e-mail sent again"),
    )
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


# Text message delivery reports (the provider's webhook, registry.views.sms_delivery_report) -------

# GatewayAPI's final statuses. A refusal marks the number; an expiry (a phone off for days) only
# the message, since the number itself may well work.
TEXT_UNDELIVERABLE_STATUSES = {"UNDELIVERABLE": "undeliverable", "REJECTED": "rejected"}
TEXT_EXPIRED_STATUSES = {"EXPIRED": "expired", "DELETED": "expired"}


def text_delivery_report(event: dict[str, Any], now: dt.datetime | None = None) -> str:
    """One status event (already authenticated by the view). Matched by the provider's id or our
    reference (the row's id), and only ever against text message rows. Returns what was done."""
    now = now or timezone.now()
    provider_id = str(event.get("msg_id") or "")[:100]
    reference = str(event.get("reference") or "")
    match = Q()
    if provider_id:
        match |= Q(esp_message_id=provider_id)
    if reference.isdigit():
        match |= Q(pk=int(reference))
    if not match:
        return "unmatched"
    messages = OutgoingMessage.objects.filter(match, channel=Channel.TEXT)
    status = str(event.get("status") or "").upper()
    if status == "DELIVERED":
        messages.filter(delivered_at__isnull=True).update(delivered_at=now)
        return "delivered"
    reason = TEXT_UNDELIVERABLE_STATUSES.get(status) or TEXT_EXPIRED_STATUSES.get(status)
    if reason is None:
        return "ignored"  # an intermediate status (enroute, buffered …)
    rows = list(messages.filter(delivered_at__isnull=True).values_list("pk", "to", "user_id"))
    messages.filter(delivered_at__isnull=True).update(status=Status.UNDELIVERABLE, last_error=reason)
    if status in TEXT_UNDELIVERABLE_STATUSES:
        for _pk, number, user_id in rows:
            # Only while the number is still the person's: a report about an old number is history.
            User.objects.filter(pk=user_id, mobile_number=number, mobile_undeliverable_at__isnull=True).update(
                mobile_undeliverable_at=now, mobile_undeliverable_reason=reason
            )
    logger.warning("Text message reported %s", reason)
    return reason
