"""E-mail: rendered in the recipient's language, sent after commit by a background task that retries.

Every message is three templates: `<prefix>_subject.txt`, `<prefix>_message.txt` and, optionally,
`<prefix>_message.html`. Rendering happens in the request (so the task only carries strings), and
delivery happens in the worker, so a provider outage never rolls back or loses a state change.
"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import default_task_backend, task

logger = logging.getLogger(__name__)


def render_message(template_prefix: str, context: dict[str, Any], language: str | None) -> tuple[str, str, str]:
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        text = render_to_string(f"{template_prefix}_message.txt", context).strip() + "\n"
        try:
            html = render_to_string(f"{template_prefix}_message.html", context)
        except TemplateDoesNotExist:
            html = ""
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


def send_templated_mail(
    template_prefix: str,
    recipients: list[str],
    context: dict[str, Any],
    *,
    language: str | None = None,
    urgent: bool = False,
    now: dt.datetime | None = None,
    attachments: list[tuple[str, str, str]] | None = None,
) -> None:
    """Render now, deliver once the surrounding transaction has committed (after the quiet hours
    unless urgent). `attachments` are (file name, text content, MIME type), e.g. an .ics file."""
    subject, text, html = render_message(template_prefix, context, language)
    run_after = None if urgent else quiet_hours_end(now or timezone.now())
    task = deliver_email
    if run_after is not None and default_task_backend.supports_defer:
        task = deliver_email.using(run_after=run_after)
    files = [list(attachment) for attachment in attachments or []]
    transaction.on_commit(
        lambda: task.enqueue(recipients=recipients, subject=subject, text=text, html=html, attempt=1, attachments=files)
    )


def retry_delay(attempt: int) -> timedelta:
    # 1, 2, 4, 8 … minutes, at most an hour between tries.
    return timedelta(minutes=min(2 ** (attempt - 1), 60))


@task(queue_name="email")
def deliver_email(
    recipients: list[str], subject: str, text: str, html: str, attempt: int, attachments: list[list[str]] | None = None
) -> str:
    message = EmailMultiAlternatives(subject=subject, body=text, to=recipients)
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)
    try:
        message.send()
    except Exception as exc:  # any provider or network failure: try again later, never drop
        if attempt >= settings.EMAIL_MAX_ATTEMPTS:
            # Recipients are personal data: log only the count and the error type.
            logger.error("E-mail gave up after %d attempts (%s)", attempt, type(exc).__name__)
            raise
        logger.warning("E-mail attempt %d failed (%s); retrying", attempt, type(exc).__name__)
        retry = deliver_email
        if default_task_backend.supports_defer:
            retry = deliver_email.using(run_after=timezone.now() + retry_delay(attempt))
        retry.enqueue(
            recipients=recipients, subject=subject, text=text, html=html, attempt=attempt + 1, attachments=attachments
        )
        return "retrying"
    return "sent"
