"""Measures server time and SQL queries of the main pages of every role on the current database.

`make bench` runs it twice, on a small (demo) and a large (10,000 experts, 100,000 requests)
database of their own, and writes the table to docs/benchmarks.md.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment

from engagements.models import Request
from experts.models import ExpertProfile
from registry.models import User

RUNS = 7
TARGETS_MS = {"Matching page": 500, "Manager dashboard": 500}
DEFAULT_TARGET_MS = 150


def pages() -> list[tuple[str, str, str]]:
    matching = (
        Request.objects.filter(title="Vierailu nuorisokodin henkilökunnan tiimiin").values_list("pk", flat=True).first()
    )
    return [
        ("Coordinator inbox", "coordinator@demo.test", "/coordinator/requests/"),
        ("Registry list", "coordinator@demo.test", "/coordinator/experts/"),
        ("Matching page", "coordinator@demo.test", f"/coordinator/requests/{matching}/matching/"),
        ("Coordinator home", "coordinator@demo.test", "/home/coordinator/"),
        ("Manager dashboard", "manager@demo.test", "/manager/statistics/"),
        ("Expert home", "expert@demo.test", "/home/expert/"),
        ("Expert offers", "expert@demo.test", "/me/offers/"),
        ("Unit request list", "unit@demo.test", "/unit/requests/"),
    ]


class Command(BaseCommand):
    help = "Seeds if needed, then measures the main pages (median server time and query count)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--experts", type=int, default=0)
        parser.add_argument("--requests", type=int, default=0)
        parser.add_argument("--out", required=True, help="JSON file for the results")
        parser.add_argument("--report", nargs=2, metavar=("SMALL", "LARGE"), help="Only write the Markdown table")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["report"]:
            self.stdout.write(report(*options["report"]))
            return
        call_command("migrate", verbosity=0)
        generated = ExpertProfile.objects.filter(user__email__startswith="expert-").count()
        if generated < options["experts"] or Request.objects.count() < options["requests"]:
            self.stdout.write(f"Seeding {options['experts']} experts and {options['requests']} requests …")
            started = time.perf_counter()
            call_command("seed", force=True, experts=options["experts"], requests=options["requests"], verbosity=0)
            self.stdout.write(f"… seeded in {time.perf_counter() - started:.0f} s")
        call_command("seed", force=True, verbosity=0)  # the demo accounts and states are always there
        settings.DEBUG = False
        setup_test_environment()
        results = []
        for name, email, url in pages():
            client = Client()
            client.force_login(User.objects.get(email=email))
            response = client.get(url)  # warm up: caches, the first session write
            assert response.status_code == 200, (name, response.status_code)
            times = []
            for _run in range(RUNS):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
            results.append({"page": name, "median_ms": round(statistics.median(times), 1), "queries": len(queries)})
            self.stdout.write(f"{name:22} {statistics.median(times):8.1f} ms {len(queries):4} queries")
        counts = {"experts": ExpertProfile.objects.count(), "requests": Request.objects.count()}
        Path(options["out"]).write_text(json.dumps({"counts": counts, "results": results}, indent=2))


def report(small_path: str, large_path: str) -> str:
    small = json.loads(Path(small_path).read_text())
    large = json.loads(Path(large_path).read_text())
    lines = [
        "| page | small: ms | small: queries | large: ms | large: queries | target ms | met |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    by_page = {row["page"]: row for row in small["results"]}
    for row in large["results"]:
        before = by_page[row["page"]]
        target = TARGETS_MS.get(row["page"], DEFAULT_TARGET_MS)
        met = row["median_ms"] <= target and row["queries"] == before["queries"]
        lines.append(
            f"| {row['page']} | {before['median_ms']} | {before['queries']} | {row['median_ms']} | "
            f"{row['queries']} | {target} | {'yes' if met else 'NO'} |"
        )
    sizes = (
        f"Small: {small['counts']['experts']} experts, {small['counts']['requests']} requests. "
        f"Large: {large['counts']['experts']} experts, {large['counts']['requests']} requests."
    )
    return "\n".join([sizes, "", *lines, ""])
