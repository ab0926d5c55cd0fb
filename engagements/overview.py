"""What needs a coordinator's action now, across the request flow and the registry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from engagements.models import Assignment, Debrief, Request
from registry.models import AccessibilityFeedback

LIST_LIMIT = 20


@dataclass
class Section:
    key: str
    count: int
    items: list[Any]


def coordinator_overview(regions: Any, now: dt.datetime | None = None, *, items: bool = True) -> dict[str, Section]:
    """Each section's count, and (for the overview page) its first rows."""

    def _section(key: str, queryset: QuerySet[Any]) -> Section:
        return Section(key, queryset.count(), list(queryset[:LIST_LIMIT]) if items else [])

    now = now or timezone.now()
    requests = Request.objects.in_regions(regions).select_related("unit")
    interval = dt.timedelta(days=settings.FOLLOW_UP_INTERVAL_DAYS)
    impact_overdue_before = now - dt.timedelta(weeks=settings.IMPACT_NOTE_WEEKS)
    return {
        "unmatched": _section(
            "unmatched",
            requests.filter(status__in=[Request.Status.SUBMITTED, Request.Status.MATCHING]).order_by(
                F("starts_at").asc(nulls_last=True), "deadline", "pk"
            ),
        ),
        "expiring_offers": _section(
            "expiring_offers",
            Assignment.objects.open_offers(now)
            .filter(offer_expires_at__lte=now + dt.timedelta(hours=24), request__in=requests.values("pk"))
            .select_related("request", "expert")
            .order_by("offer_expires_at"),
        ),
        "short_of_experts": _section(
            "short_of_experts",
            requests.filter(
                status__in=[Request.Status.MATCHING, Request.Status.OFFERED],
                starts_at__gte=now,
                starts_at__lt=now + dt.timedelta(days=7),
            )
            .annotate(confirmed=Count("assignments", filter=Q(assignments__status=Assignment.Status.CONFIRMED)))
            .filter(confirmed__lt=F("experts_needed"))
            .order_by("starts_at"),
        ),
        "attendance": _section(
            "attendance",
            requests.filter(status=Request.Status.CONFIRMED, ends_at__lte=now).order_by("ends_at"),
        ),
        "feedback_overdue": _section(
            "feedback_overdue",
            requests.filter(
                status=Request.Status.COMPLETED, completed_at__lte=now - interval, unit_feedback__isnull=True
            ).order_by("completed_at"),
        ),
        "impact_overdue": _section(
            "impact_overdue",
            requests.filter(
                status=Request.Status.COMPLETED, ends_at__lte=impact_overdue_before, impact_note__isnull=True
            ).order_by("ends_at"),
        ),
        "debriefs": _section(
            "debriefs",
            Debrief.objects.in_regions(regions).open().select_related("assignment__expert", "assignment__request"),
        ),
        # Feedback on the service's accessibility concerns every coordinator, whatever their
        # regions; the law gives 14 days to answer (oldest first).
        "accessibility_feedback": _section("accessibility_feedback", AccessibilityFeedback.objects.open()),
    }
