"""Every few minutes: remind experts to answer offers, of engagements coming up, and of review deadlines.

Each reminder is sent once (the `*_reminder_sent_at` fields); the quiet hours apply to e-mail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from engagements.models import Assignment, RequestType


class Command(BaseCommand):
    help = "Sends answer reminders for open offers and reminders before confirmed engagements."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        answer = 0
        soon = now + dt.timedelta(hours=settings.OFFER_REMINDER_HOURS)
        for assignment in (
            Assignment.objects.open_offers(now)
            .filter(offer_expires_at__lte=soon, answer_reminder_sent_at__isnull=True)
            .select_related("request__unit", "expert__user")
        ):
            answer += assignment.remind_to_answer(now)
        coming = 0
        horizon = now + dt.timedelta(days=settings.EVENT_REMINDER_DAYS)
        for assignment in (
            Assignment.objects.confirmed()
            .filter(request__starts_at__gt=now, request__starts_at__lte=horizon, event_reminder_sent_at__isnull=True)
            .select_related("request__unit", "expert__user")
        ):
            coming += assignment.remind_of_event(now)
        # A material review has no start, only its deadline: the reviewer is reminded before it,
        # unless the review is already submitted.
        reviews = 0
        for assignment in (
            Assignment.objects.confirmed()
            .filter(
                request__type=RequestType.MATERIAL_REVIEW,
                request__ends_at__gt=now,
                request__ends_at__lte=horizon,
                event_reminder_sent_at__isnull=True,
            )
            .exclude(review__submitted_at__isnull=False)
            .select_related("request__unit", "expert__user")
        ):
            reviews += assignment.remind_of_review_deadline(now)
        self.stdout.write(f"{answer} answer reminders, {coming} engagement reminders, {reviews} review reminders")
