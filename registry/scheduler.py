"""Periodic jobs: which are due, and claiming each scheduled time exactly once.

`manage.py scheduler` calls `enqueue_due_jobs()` in a loop; the worker runs what it enqueues
(`registry.tasks.run_command`). The schedule is `settings.SCHEDULED_JOBS`: management commands by
name with a cron line, so this core module never imports the apps that define them. APScheduler's
cron trigger computes the fire times (time zones and daylight saving included); the state lives in
the database (`ScheduledJobRun`), not in the scheduler process, so:

- two schedulers running by mistake do no harm: each scheduled time is claimed under the job's row
  lock and enqueued in the same transaction, so only one of them enqueues it;
- after the scheduler was down, a job whose times passed meanwhile runs once for the latest of them
  (all jobs act on whatever is due at the time they run, so the missed runs need no replay).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from registry.models import ScheduledJobRun

OFF = "off"
# How far back to look for the latest fire time; wider windows only when the narrower found none,
# so a job every five minutes costs a few steps, a nightly one a few more. Weekly is the longest.
LOOKBACK = (dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(days=8))
ONE_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Job:
    name: str
    command: str
    args: tuple[str, ...]
    cron: str
    trigger: CronTrigger

    def previous_fire_time(self, now: dt.datetime) -> dt.datetime | None:
        """The latest scheduled time at or before `now` (within the longest look-back)."""
        for window in LOOKBACK:
            latest = None
            fire = self.trigger.get_next_fire_time(None, now - window)
            while fire is not None and fire <= now:
                latest = fire
                fire = self.trigger.get_next_fire_time(None, fire + ONE_MICROSECOND)
            if latest is not None:
                return latest
        return None

    def next_fire_time(self, now: dt.datetime) -> dt.datetime | None:
        return self.trigger.get_next_fire_time(None, now + ONE_MICROSECOND)


def jobs() -> dict[str, Job]:
    """The scheduled jobs from settings, without those turned off."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return {
        name: Job(
            name=name,
            command=spec["command"],
            args=tuple(spec.get("args", ())),
            cron=spec["cron"],
            trigger=CronTrigger.from_crontab(spec["cron"], timezone=zone),
        )
        for name, spec in settings.SCHEDULED_JOBS.items()
        if spec["cron"].strip().lower() != OFF
    }


def enqueue_due_jobs(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every job whose latest scheduled time has not been enqueued yet; the names enqueued."""
    from registry.tasks import run_command

    now = now or timezone.now()
    due = jobs()
    ScheduledJobRun.objects.bulk_create([ScheduledJobRun(name=name) for name in due], ignore_conflicts=True)
    enqueued = []
    for job in due.values():
        slot = job.previous_fire_time(now)
        if slot is None:
            continue
        # The claim and the task are one transaction: a second scheduler waits for the lock and
        # then sees the time already claimed; a crash in between leaves neither.
        with transaction.atomic():
            run = ScheduledJobRun.objects.select_for_update().get(name=job.name)
            if run.last_slot is not None and run.last_slot >= slot:
                continue
            run.last_slot = slot
            run.last_enqueued_at = now
            run.last_status = ScheduledJobRun.Status.ENQUEUED
            run.save(update_fields=["last_slot", "last_enqueued_at", "last_status"])
            run_command.enqueue(name=job.name, slot=slot.isoformat())
        enqueued.append(job.name)
    return enqueued


def seconds_until_next(now: dt.datetime, *, longest: float = 60.0) -> float:
    """How long the scheduler may sleep: until the next fire time of any job, a minute at most."""
    upcoming = [fire for job in jobs().values() if (fire := job.next_fire_time(now)) is not None]
    if not upcoming:
        return longest
    return max(0.5, min(longest, (min(upcoming) - now).total_seconds()))


@dataclass(frozen=True)
class JobHealth:
    name: str
    ok: bool
    due_since: dt.datetime | None
    run: ScheduledJobRun | None


def job_health(now: dt.datetime | None = None) -> list[JobHealth]:
    """A job is healthy when the run for its latest scheduled time (older than the grace period)
    has finished, and its last run did not fail. One query."""
    now = now or timezone.now()
    grace = dt.timedelta(seconds=settings.HEALTH_JOB_GRACE_SECONDS)
    runs = {run.name: run for run in ScheduledJobRun.objects.all()}
    result = []
    for job in jobs().values():
        run = runs.get(job.name)
        due = job.previous_fire_time(now - grace)
        finished_slot = run.last_finished_slot if run is not None else None
        ok = (due is None or (finished_slot is not None and finished_slot >= due)) and (
            run is None or run.last_status != ScheduledJobRun.Status.FAILED
        )
        result.append(JobHealth(name=job.name, ok=ok, due_since=due, run=run))
    return result
