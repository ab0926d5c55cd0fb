"""Daily (or more often): after-engagement reminders, and closing requests whose time has run out.

Each kind of message goes at most FOLLOW_UP_MESSAGES times in all (the first request counts), a
FOLLOW_UP_INTERVAL_DAYS apart; e-mail respects the quiet hours. Safe to run as often as you like:
the rules are on the models (Request.follow_up, Assignment.remind_feedback_if_due).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from engagements.models import Assignment, Request


class Command(BaseCommand):
    help = "Reminds units and experts of feedback and impact notes, and closes requests whose time has run out."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        counts: Counter[str] = Counter()
        for request in Request.objects.filter(status=Request.Status.COMPLETED).select_related("created_by", "unit"):
            counts.update(request.follow_up(now))
        attended = Assignment.objects.filter(
            status=Assignment.Status.ATTENDED,
            feedback__isnull=True,
            request__status=Request.Status.COMPLETED,
            attendance_marked_at__isnull=False,
        ).select_related("expert__user", "request__unit")
        for assignment in attended:
            counts["expert"] += assignment.remind_feedback_if_due(now)
        self.stdout.write(
            f"{counts['unit']} unit feedback reminders, {counts['expert']} expert feedback reminders, "
            f"{counts['impact']} impact note messages, {counts['closed']} requests closed"
        )
