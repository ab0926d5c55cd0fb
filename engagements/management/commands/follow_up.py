"""Daily (or more often): after-engagement reminders, and closing requests whose time has run out.

Each kind of message goes at most FOLLOW_UP_MESSAGES times in all (the first request counts), a
FOLLOW_UP_INTERVAL_DAYS apart; e-mail respects the quiet hours. Safe to run as often as you like.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from engagements import notifications
from engagements.models import Assignment, ImpactNote, Request, UnitFeedback


def due(start: dt.datetime, sent: int, now: dt.datetime) -> bool:
    """The next message (number sent + 1) is due `sent` intervals after the start."""
    interval = dt.timedelta(days=settings.FOLLOW_UP_INTERVAL_DAYS)
    return sent < settings.FOLLOW_UP_MESSAGES and now >= start + sent * interval


class Command(BaseCommand):
    help = "Reminds units and experts of feedback and impact notes, and closes requests whose time has run out."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        counts = {"unit": 0, "expert": 0, "impact": 0, "closed": 0}
        interval = dt.timedelta(days=settings.FOLLOW_UP_INTERVAL_DAYS)
        completed = Request.objects.filter(status=Request.Status.COMPLETED).select_related("created_by", "unit")
        for request in completed:
            with transaction.atomic():
                if request.close_if_done():
                    counts["closed"] += 1
                    continue
                has_feedback = UnitFeedback.objects.filter(request=request).exists()
                # The request at completion was message 1.
                if (
                    not has_feedback
                    and request.completed_at
                    and due(request.completed_at, request.feedback_reminders + 1, now)
                ):
                    request.feedback_reminders += 1
                    request.save(update_fields=["feedback_reminders"])
                    notifications.unit_feedback_reminder(request)
                    counts["unit"] += 1
                impact_due = request.impact_due()
                has_note = ImpactNote.objects.filter(request=request).exists()
                if not has_note and impact_due:
                    start = timezone.make_aware(dt.datetime.combine(impact_due, dt.time(9)))
                    if due(start, request.impact_reminders, now):
                        request.impact_reminders += 1
                        request.save(update_fields=["impact_reminders"])
                        notifications.impact_note_requested(request)
                        counts["impact"] += 1
                if self.time_ran_out(request, now, interval):
                    request.close_because_time_ran_out()
                    counts["closed"] += 1
        attended = Assignment.objects.filter(
            status=Assignment.Status.ATTENDED,
            feedback__isnull=True,
            request__status=Request.Status.COMPLETED,
            attendance_marked_at__isnull=False,
        ).select_related("expert__user", "request__unit")
        for assignment in attended:
            if due(assignment.attendance_marked_at, assignment.feedback_reminders + 1, now):
                with transaction.atomic():
                    assignment.feedback_reminders += 1
                    assignment.save(update_fields=["feedback_reminders", "updated_at"])
                    notifications.expert_feedback_requested(assignment)
                counts["expert"] += 1
        self.stdout.write(
            "{unit} unit feedback reminders, {expert} expert feedback reminders, "
            "{impact} impact note messages, {closed} requests closed".format(**counts)
        )

    def time_ran_out(self, request: Request, now: dt.datetime, interval: dt.timedelta) -> bool:
        """Both the feedback and the impact note have had all their messages and one more interval."""
        last = settings.FOLLOW_UP_MESSAGES
        feedback_over = request.completed_at and now >= request.completed_at + last * interval
        impact_due = request.impact_due()
        impact_over = (
            impact_due and now >= timezone.make_aware(dt.datetime.combine(impact_due, dt.time(9))) + last * interval
        )
        return bool(feedback_over and impact_over)
