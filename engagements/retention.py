"""The request flow's retention rules, run nightly by `apply_retention`. Each acts only on what is
due, so running it twice the same night changes nothing the second time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from engagements.models import CalendarFeed, ExpenseClaim, Request
from engagements.notifications import Notification


def erase_request_texts(now: dt.datetime) -> int:
    """Free texts and files of requests over for REQUEST_TEXT_RETENTION_DAYS (Request.erase_texts)."""
    erased = 0
    for request in Request.objects.texts_due_for_erasure(now):
        request.erase_texts()
        erased += 1
    return erased


def forget_paid_receipts(now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(days=settings.RECEIPT_RETENTION_DAYS)
    claims = ExpenseClaim.objects.filter(status=ExpenseClaim.Status.PAID, paid_at__lt=cutoff).exclude(receipt="")
    count = 0
    for claim in claims:
        claim.forget_receipt()
        count += 1
    return count


def purge_notifications(now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    return Notification.objects.filter(created_at__lt=cutoff).delete()[0]


def remove_unused_feeds(now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(days=settings.CALENDAR_FEED_UNUSED_DAYS)
    return CalendarFeed.objects.unused_since(cutoff).delete()[0]


def busy_unit_members() -> QuerySet[Request, Any]:
    """Users with a request still in progress: their accounts wait until it ends."""
    finished = [Request.Status.CLOSED, Request.Status.CANCELLED, Request.Status.DECLINED]
    return Request.objects.exclude(status__in=finished).values("created_by")
