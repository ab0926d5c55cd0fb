"""What needs a coordinator's action now, across the request flow and the registry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from engagements.models import Assignment, Debrief, Request

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
    return {
        "unmatched": _section(
            "unmatched", requests.unmatched().order_by(F("starts_at").asc(nulls_last=True), "deadline", "pk")
        ),
        "expiring_offers": _section(
            "expiring_offers",
            Assignment.objects.open_offers(now)
            .filter(offer_expires_at__lte=now + dt.timedelta(hours=24), request__in=requests.values("pk"))
            .select_related("request", "expert")
            .order_by("offer_expires_at"),
        ),
        "short_of_experts": _section(
            "short_of_experts", requests.short_of_experts(now, dt.timedelta(days=7)).order_by("starts_at")
        ),
        "attendance": _section("attendance", requests.awaiting_attendance(now).order_by("ends_at")),
        "feedback_overdue": _section("feedback_overdue", requests.feedback_overdue(now).order_by("completed_at")),
        "impact_overdue": _section("impact_overdue", requests.impact_overdue(now).order_by("ends_at")),
        "debriefs": _section(
            "debriefs",
            Debrief.objects.in_regions(regions).open().select_related("assignment__expert", "assignment__request"),
        ),
    }
