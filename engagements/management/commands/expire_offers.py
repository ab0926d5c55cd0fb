"""Every few minutes: offers whose answer-by time has passed expire. Safe to run as often as you like."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from engagements.models import Assignment


class Command(BaseCommand):
    help = "Expires offers whose answer-by time has passed."

    def handle(self, *args: Any, **options: Any) -> None:
        due = Assignment.objects.filter(status=Assignment.Status.OFFERED, offer_expires_at__lte=timezone.now())
        expired = sum(1 for assignment in due.select_related("request") if assignment.expire())
        self.stdout.write(f"{expired} offers expired")
