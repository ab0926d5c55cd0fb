"""`make load`: a Locust load test against gunicorn on PostgreSQL with the large data set.

Readies the benchmark's large database (seeded once, shared with `make bench`), serves it with
gunicorn (3 sync workers, DEBUG off, the production settings), runs the journeys of
engagements/bench/locustfile.py headless (20 users for 60 s by default), and prints per page the
requests, errors, median, p95 and p99, with sign-in counted apart from the page views. Exits with
an error when any request failed. See docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from engagements.bench import harness
from engagements.bench.harness import Size

P95_GOAL_MS = 250  # issue 10, for page views
SIGN_IN_ALLOWANCE = 600  # seconds the users may take to sign in before the page views start


class Command(BaseCommand):
    help = "Load test: Locust (mixed journeys of every role) against gunicorn on the large data set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=20, help="Simulated users.")
        parser.add_argument(
            "--run-time", type=int, default=60, help="Seconds of page views, once every user has signed in."
        )
        parser.add_argument(
            "--spawn-rate", type=float, default=2, help="Users started per second (sign-ins spread over the start)."
        )
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers.")
        parser.add_argument("--experts", type=int, default=harness.LARGE[0], help="Generated experts.")
        parser.add_argument("--requests", type=int, default=harness.LARGE[1], help="Generated requests.")
        parser.add_argument(
            "--database-url", default=None, help="PostgreSQL URL the data set's database is named after (DATABASE_URL)."
        )
        parser.add_argument(
            "--allow-sqlite", action="store_true", help="Run on SQLite files (a smoke test, not the recorded run)."
        )
        parser.add_argument("--var", default=str(settings.BASE_DIR / "var"), help="Folder for files and logs.")
        parser.add_argument("--json", help="Also write the summary to this JSON file.")

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = harness.base_database_url(options["database_url"])
        if not harness.is_postgres(base_url) and not options["allow_sqlite"]:
            raise CommandError(
                "The load test runs on PostgreSQL: set DATABASE_URL, e.g. "
                "DATABASE_URL=postgres://postgres@127.0.0.1:5432/<database> make load"
            )
        if options["users"] < 4:
            raise CommandError("--users must be at least 4 (one per role).")
        var = Path(options["var"])
        var.mkdir(parents=True, exist_ok=True)
        size = Size(options["experts"], options["requests"])
        try:
            url, plan = harness.prepare(base_url, size, var, load_users=options["users"])
        except harness.BenchError as error:
            raise CommandError(str(error)) from error
        # The production settings: no benchmark middleware, no bare page.
        env = harness.process_env(url, settings_module="registry.settings")
        harness.collect_static(env)
        name = harness.database_name(url)
        plan_path, summary_path = var / f"{name}.load-plan.json", var / f"{name}.load-summary.json"
        locust_log, server_log = var / f"{name}.locust.log", var / f"{name}.load-server.log"
        plan_path.write_text(json.dumps(plan["load"], indent=1))
        summary_path.unlink(missing_ok=True)

        started, load_start = harness.now_utc(), harness.machine_load()
        self.stdout.write(
            f"Load test: {options['users']} users for {options['run_time']} s against gunicorn "
            f"({options['workers']} workers) on {plan['server_version']} …"
        )
        with harness.gunicorn(env, server_log, workers=options["workers"], timeout=30) as port:
            locust_env = dict(
                os.environ,
                BENCH_LOAD_PLAN=str(plan_path),
                BENCH_LOAD_SUMMARY=str(summary_path),
                BENCH_LOAD_USERS=str(options["users"]),
                BENCH_LOAD_SECONDS=str(options["run_time"]),
            )
            with locust_log.open("w") as log:
                subprocess.run(  # noqa: S603 (our own interpreter and arguments)
                    [
                        sys.executable,
                        "-m",
                        "locust",
                        "--locustfile",
                        str(Path(harness.__file__).with_name("locustfile.py")),
                        "--headless",
                        "--only-summary",
                        f"--users={options['users']}",
                        f"--spawn-rate={options['spawn_rate']}",
                        # The locustfile ends the run after the page views; this only bounds it.
                        f"--run-time={options['run_time'] + SIGN_IN_ALLOWANCE}s",
                        "--stop-timeout=10",
                        f"--host=http://127.0.0.1:{port}",
                        "--loglevel=WARNING",
                    ],
                    env=locust_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                    timeout=options["run_time"] + SIGN_IN_ALLOWANCE + 120,
                )
        if not summary_path.exists():
            raise CommandError(f"Locust wrote no summary; see {locust_log}")
        summary = json.loads(summary_path.read_text())
        meta = {
            "started": started,
            "commit": harness.git_commit(),
            "database": plan["server_version"],
            "python": platform.python_version(),
            "django": django.get_version(),
            "cpus": os.cpu_count(),
            "load_start": load_start,
            "load_end": harness.machine_load(),
            "data": f"{size.describe()} ({plan['experts']:,} experts, {plan['requests']:,} requests)",
            "users": options["users"],
            "run_time": options["run_time"],
            "workers": options["workers"],
        }
        self.stdout.write("")
        self.stdout.write(report(summary, meta))
        self.stdout.write(f"Locust's own output: {locust_log}")
        if options["json"]:
            Path(options["json"]).write_text(json.dumps({"meta": meta, **summary}, indent=1))
        if summary["page_views"]["errors"] or summary["sign_in"]["errors"]:
            sys.exit(1)


def report(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    users = summary["users"]
    lines = [
        f"- When: {meta['started']} (UTC), commit {meta['commit']}",
        f"- Database: {meta['database']}; Python {meta['python']}, Django {meta['django']}",
        f"- Machine: {meta['cpus']} CPUs, shared with Locust itself; load average (1/5/15 min) "
        f"{meta['load_start']} at the start, {meta['load_end']} at the end",
        f"- Data: {meta['data']}",
        f"- Load: {meta['users']} users ({users['coordinator']} coordinators, {users['manager']} managers, "
        f"{users['unit']} unit members, {users['expert']} experts) sign in, each once; then all of them view "
        f"pages with 1–3 s pauses for {meta['run_time']} s; gunicorn with "
        f"{meta['workers']} sync workers, DEBUG off",
        "",
        "| page | requests | errors | median ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]

    def line(row: dict[str, Any], bold: bool = False) -> str:
        name = f"**{row['name']}**" if bold else row["name"]
        return (
            f"| {name} | {row['requests']} | {row['errors']} | {row['median_ms']} | {row['p95_ms']} | {row['p99_ms']} |"
        )

    rows = summary["rows"]
    lines += [line(row) for row in rows if not row["name"].startswith("Sign-in")]
    lines.append(line(summary["page_views"], bold=True))
    lines += [line(row) for row in rows if row["name"].startswith("Sign-in")]
    lines.append(line(summary["sign_in"], bold=True))
    pages = summary["page_views"]
    met = pages["errors"] == 0 and summary["sign_in"]["errors"] == 0 and pages["p95_ms"] <= P95_GOAL_MS
    slow = [row["name"] for row in rows if not row["name"].startswith("Sign-in") and row["p95_ms"] > P95_GOAL_MS]
    errors = pages["errors"] + summary["sign_in"]["errors"]
    verdict = "met" if met else f"**NOT MET** ({errors} errors, p95 {pages['p95_ms']} ms)"
    lines += ["", f"Goal (0 errors, p95 ≤ {P95_GOAL_MS} ms over all page views): {verdict}"]
    if slow:
        lines.append(f"Pages with p95 over {P95_GOAL_MS} ms: {', '.join(slow)}.")
    for error in summary["errors"]:
        lines.append(f"Error: {error['name']}: {error['error']} ({error['occurrences']}×)")
    return "\n".join(lines) + "\n"
