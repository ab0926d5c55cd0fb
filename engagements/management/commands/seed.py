"""Deterministic, realistic demo data. Safe to run again: it updates what is there.

Composed from each app's demo part, in the order of the layers: registry.demo (areas, units,
accounts), experts.demo (experts and applications), engagements.demo (requests and what followed).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from engagements import demo as engagements_demo
from engagements.statistics import count_monthly_figures
from experts import demo as experts_demo
from registry import demo as registry_demo


class Command(BaseCommand):
    help = "Creates deterministic demo data: areas, organisations, units, experts, requests and one account per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument("--experts", type=int, default=0, help="Extra generated experts (for scale tests).")
        parser.add_argument("--requests", type=int, default=0, help="Extra generated requests (for scale tests).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to load demo data with DEBUG off; add --force if you really mean it.")
        with transaction.atomic():
            regions = registry_demo.seed_places()
            units = registry_demo.seed_organisations(regions)
            registry_demo.seed_accounts(units)
            registry_demo.seed_accessibility_feedback()
            experts_demo.seed_expert_accounts(regions)
            experts_demo.seed_demo_experts(regions, units)
            experts_demo.seed_applications(regions)
            engagements_demo.seed_requests(units)
            engagements_demo.seed_after_states()
            engagements_demo.seed_history(units)
            engagements_demo.seed_monthly_cap()
            engagements_demo.seed_review()
            if options["experts"]:
                experts_demo.seed_generated_experts(options["experts"], regions)
            if options["requests"]:
                engagements_demo.seed_generated_requests(options["requests"])
        # What the worker would have counted by now: the dashboard reads closed months from it.
        count_monthly_figures()
        if options["experts"] or options["requests"]:
            # Bulk loads leave the planner with stale row estimates (PostgreSQL plans 100,000 rows
            # as if they were one); fresh statistics make the scale tests measure the real plans.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"Demo data is ready. Demo password: {registry_demo.DEMO_PASSWORD}"))
