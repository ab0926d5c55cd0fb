"""Every few minutes: count the statistics of every closed month again from the requests.

The manager's dashboard reads whole closed months from these counts and counts only the rest live
(engagements.statistics, "Monthly figures"). A closed month still changes as feedback, impact notes
and closing come in, so each run counts them all again; the dashboard says when the last run was.
Safe to run as often as you like, and two runs at once take turns.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from engagements.models import MonthlyFigures
from engagements.statistics import count_monthly_figures


class Command(BaseCommand):
    help = "Counts the statistics of every closed month again from the requests, for the manager's dashboard."

    def handle(self, *args: Any, **options: Any) -> None:
        count = count_monthly_figures()
        rows = MonthlyFigures.objects.count()
        self.stdout.write(f"Counted {rows} rows of monthly figures, months before {count.until:%Y-%m}.")
