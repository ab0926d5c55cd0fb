"""What needs a coordinator's action now, across the request flow and the registry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from engagements.models import Assignment, Debrief, Request, RequestType, Review, ReviewProgress, review_progress
from experts.models import ExpertProfile
from registry.models import AccessibilityFeedback, Channel, OutgoingMessage, OutgoingMessageQuerySet, UnitMembership

LIST_LIMIT = 20
# Counting stops here: "1000+" says as much as 33,000 and costs a bounded read (issue 10).
COUNT_CAP = 1000
LIVE_REQUESTS = (Request.Status.MATCHING, Request.Status.OFFERED, Request.Status.CONFIRMED)


@dataclass
class Section:
    key: str
    count: int
    items: list[Any]
    capped: bool = False

    @property
    def display(self) -> str:
        return f"{self.count}+" if self.capped else str(self.count)


def coordinator_overview(regions: Any, now: dt.datetime | None = None, *, items: bool = True) -> dict[str, Section]:
    """Each section's count, and (for the overview page) its first rows."""

    def _section(key: str, queryset: QuerySet[Any]) -> Section:
        # Counted unordered: the first rows found, not the first in order (the order made the
        # database read and sort every overdue request before it could stop at the cap).
        count = queryset.order_by()[: COUNT_CAP + 1].count()
        rows = list(queryset[:LIST_LIMIT]) if items else []
        return Section(key, min(count, COUNT_CAP), rows, capped=count > COUNT_CAP)

    now = now or timezone.now()
    requests = Request.objects.in_regions(regions).select_related("unit")
    return {
        "unmatched": _section(
            # By date (a review by its deadline), through the inbox's index on the stored order.
            "unmatched",
            requests.unmatched().order_by("urgency", "due_at", "pk"),
        ),
        "expiring_offers": _section(
            "expiring_offers",
            Assignment.objects.open_offers(now)
            .in_regions(regions)
            .filter(offer_expires_at__lte=now + dt.timedelta(hours=24))
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
        "reviews": _reviews_section(requests, now, items=items),
        "undelivered": _section("undelivered", mail_in_scope(regions).undelivered().order_by("created_at", "pk")),
        # Feedback on the service's accessibility concerns every coordinator, whatever their
        # regions; the law gives 14 days to answer (oldest first).
        "accessibility_feedback": _section("accessibility_feedback", AccessibilityFeedback.objects.open()),
    }


def text_message_usage(regions: Any, now: dt.datetime | None = None) -> dict[str, int]:
    """Text messages cost per part: how many went in the last 30 days, and in how many parts
    (sent rows are forgotten after EMAIL_SENT_RETENTION_DAYS, so the window is at most that)."""
    since = (now or timezone.now()) - dt.timedelta(days=30)
    sent = mail_in_scope(regions).filter(channel=Channel.TEXT, sent_at__gte=since)
    totals = sent.aggregate(messages=Count("pk"), parts=Sum("segments"))
    return {"messages": totals["messages"] or 0, "parts": totals["parts"] or 0}


def mail_in_scope(regions: Any) -> OutgoingMessageQuerySet:
    """E-mail a coordinator may see and resend: to experts of their regions and to members of
    units in them. Mail to staff, or to an address without an account, only the coordinators of
    the whole area see."""
    mail = OutgoingMessage.objects.select_related("user")
    if regions is None:
        return mail
    experts = ExpertProfile.objects.in_regions(regions).values("user_id")
    members = UnitMembership.objects.filter(unit__region__in=regions).values("user_id")
    return mail.filter(Q(user_id__in=experts) | Q(user_id__in=members))


def _reviews_section(requests: QuerySet[Request], now: dt.datetime, *, items: bool) -> Section:
    """Material reviews still open (confirmed reviewers), each with its progress: not started,
    drafting, submitted or late. Submitted ones wait for the coordinator to mark them done."""
    # Only a live request has confirmed experts (it completes when none is left confirmed, and
    # cancelling cancels them): the live requests are read through the status index rather than
    # every material review ever asked for.
    live = requests.filter(type=RequestType.MATERIAL_REVIEW, status__in=LIVE_REQUESTS)
    confirmed = Assignment.objects.confirmed().filter(request__in=live.values("pk"))
    open_reviews = (
        confirmed.select_related("request", "expert", "review")
        .annotate(comment_count=Count("review_comments"))
        .order_by("request__ends_at", "pk")
    )
    rows = []
    if items:
        for assignment in open_reviews[:LIST_LIMIT]:
            review: Review | None = getattr(assignment, "review", None)
            progress = review_progress(assignment, review, assignment.comment_count, now)
            rows.append((assignment, progress, ReviewProgress(progress).label))
    count = confirmed.order_by()[: COUNT_CAP + 1].count()
    return Section("reviews", min(count, COUNT_CAP), rows, capped=count > COUNT_CAP)
