"""One process that enqueues the periodic jobs on their cron schedule (settings.SCHEDULED_JOBS).

Run exactly one in production (a second one by mistake does no harm: see registry/scheduler.py).
The worker (`manage.py db_worker`) runs what it enqueues.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from registry.models import ScheduledJobRun
from registry.scheduler import enqueue_due_jobs, jobs, seconds_until_next

logger = logging.getLogger("registry.scheduler")


class Command(BaseCommand):
    help = "Enqueues the periodic jobs on their schedule (runs until stopped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now, then exit.")
        parser.add_argument("--list", action="store_true", help="Show the jobs, their schedule and last run.")

    def handle(self, *args: Any, once: bool, list: bool, **options: Any) -> None:
        if list:
            self.list_jobs()
            return
        if once:
            self.tick()
            return
        stop = threading.Event()

        def shut_down(signum: int, frame: Any) -> None:
            logger.info("Scheduler stopping (%s)", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, shut_down)
        signal.signal(signal.SIGINT, shut_down)
        logger.info("Scheduler started with %d jobs", len(jobs()))
        while not stop.is_set():
            self.tick()
            stop.wait(seconds_until_next(timezone.now()))

    def tick(self) -> None:
        close_old_connections()
        try:
            enqueued = enqueue_due_jobs()
        except DatabaseError as exc:
            # The database restarting or failing over: try again at the next tick.
            logger.warning("Scheduler could not reach the database (%s)", type(exc).__name__)
            close_old_connections()
            return
        for name in enqueued:
            logger.info("Enqueued scheduled job %s", name)

    def list_jobs(self) -> None:
        now = timezone.now()
        runs = {run.name: run for run in ScheduledJobRun.objects.all()}
        for job in jobs().values():
            run = runs.get(job.name)
            next_fire = job.next_fire_time(now)
            last = f"{run.last_status or '-'} {run.last_finished_at or ''}".strip() if run else "never run"
            self.stdout.write(
                f"{job.name:20} {job.cron:15} {job.command} {' '.join(job.args)}\n"
                f"{'':20} next {timezone.localtime(next_fire) if next_fire else '-'}; last: {last}"
            )
