"""`make bench`: every measured page at the demo size and at the large size, in one run, as ratios.

Seeds both data sets once (reused afterwards), serves each with its own gunicorn (one sync worker,
DEBUG off), requests every page from the two servers in turn for several rounds and prints, per
page, the large/small ratio of median server times, the ratio to a bare signed-in page, the query
counts, and whether the page is over its goal (issue 10). SQLite by default; PostgreSQL when
DATABASE_URL names it. See docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from engagements.bench import harness
from engagements.bench.harness import Size


class Command(BaseCommand):
    help = "Times every measured page at two data-set sizes in one run and reports ratios against the goals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rounds", type=int, default=15, help="Requests per page and size (the median is kept).")
        parser.add_argument(
            "--pages",
            default=",".join(harness.PAGE_KEYS),
            help=f"Comma-separated page keys, of: {', '.join(harness.PAGE_KEYS)}.",
        )
        parser.add_argument("--experts", type=int, default=harness.LARGE[0], help="Generated experts, large size.")
        parser.add_argument("--requests", type=int, default=harness.LARGE[1], help="Generated requests, large size.")
        parser.add_argument(
            "--small-experts", type=int, default=harness.SMALL[0], help="Generated experts, small size (0: demo)."
        )
        parser.add_argument(
            "--small-requests", type=int, default=harness.SMALL[1], help="Generated requests, small size (0: demo)."
        )
        parser.add_argument(
            "--database-url",
            default=None,
            help="Where the data sets live: a PostgreSQL URL gives <name>_bench_<size> databases; "
            "otherwise SQLite files in --var. Defaults to DATABASE_URL.",
        )
        parser.add_argument("--var", default=str(settings.BASE_DIR / "var"), help="Folder for files and logs.")
        parser.add_argument("--reseed", action="store_true", help="Drop both data sets and seed them again.")
        parser.add_argument("--json", help="Also write every sample and the summary to this JSON file.")
        parser.add_argument("--strict", action="store_true", help="Exit with an error when a page is over goal.")

    def handle(self, *args: Any, **options: Any) -> None:
        keys = [key.strip() for key in options["pages"].split(",") if key.strip()]
        unknown = sorted(set(keys) - set(harness.PAGE_KEYS))
        if unknown or not keys:
            raise CommandError(f"Unknown page keys {unknown}; choose from {', '.join(harness.PAGE_KEYS)}.")
        if options["rounds"] < 1:
            raise CommandError("--rounds must be at least 1.")
        pages = [page for page in harness.PAGES if page.key in keys]
        small = Size(options["small_experts"], options["small_requests"])
        large = Size(options["experts"], options["requests"])
        if small == large:
            raise CommandError("The two sizes are the same.")
        base_url = harness.base_database_url(options["database_url"])
        var = Path(options["var"])
        var.mkdir(parents=True, exist_ok=True)

        plans: dict[str, dict[str, Any]] = {}
        envs: dict[str, dict[str, str]] = {}
        names: dict[str, str] = {}
        for label, size in (("small", small), ("large", large)):
            try:
                url, plans[label] = harness.prepare(base_url, size, var, reseed=options["reseed"])
            except harness.BenchError as error:
                raise CommandError(str(error)) from error
            envs[label] = harness.process_env(url)
            names[label] = harness.database_name(url)
        harness.collect_static(envs["small"])

        # The machine's load while measuring (seeding, if any, is over by now).
        started, load_start = harness.now_utc(), harness.machine_load()

        self.stdout.write(f"Serving both data sets; {options['rounds']} rounds of {len(pages)} pages and bare pages …")
        with (
            harness.gunicorn(envs["small"], var / f"{names['small']}.server.log") as small_port,
            harness.gunicorn(envs["large"], var / f"{names['large']}.server.log") as large_port,
        ):
            targets: list[harness.Target] = [
                harness.HttpTarget("small", small_port, plans["small"]["sessions"]),
                harness.HttpTarget("large", large_port, plans["large"]["sessions"]),
            ]
            paths = {label: plan["paths"] for label, plan in plans.items()}
            try:
                samples = harness.measure(
                    targets, paths, pages, rounds=options["rounds"], progress=lambda line: self.stdout.write(line)
                )
            except harness.BenchError as error:
                raise CommandError(str(error)) from error

        rows = harness.summarise(samples, pages)
        meta = {
            "started": started,
            "commit": harness.git_commit(),
            "database": plans["large"]["server_version"],
            "python": platform.python_version(),
            "django": django.get_version(),
            "cpus": os.cpu_count(),
            "load_start": load_start,
            "load_end": harness.machine_load(),
            "rounds": options["rounds"],
            "method": (
                f"rounds: {options['rounds']}, median server time (Server-Timing, all middleware included); "
                "small and large alternate request by request; one gunicorn sync worker per data set, DEBUG off"
            ),
            **{
                label: {
                    "describe": size.describe(),
                    "experts": plans[label]["experts"],
                    "requests": plans[label]["requests"],
                    "seeded_at": plans[label]["seeded_at"],
                }
                for label, size in (("small", small), ("large", large))
            },
        }
        self.stdout.write("")
        self.stdout.write(harness.report(rows, meta))
        if options["json"]:
            Path(options["json"]).write_text(harness.results_json(samples, rows, meta))
        if options["strict"] and any(row.over_goal for row in rows):
            sys.exit(1)
