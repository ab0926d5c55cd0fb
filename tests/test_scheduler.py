"""The scheduler enqueues each periodic job once per scheduled time, even with two schedulers
running, and catches up once after being down; the worker runs the job and records the outcome."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registry.models import ScheduledJobRun
from registry.scheduler import enqueue_due_jobs, jobs, seconds_until_next

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}}
ALL_JOBS = {
    "expire_offers",
    "send_reminders",
    "retry_mail",
    "follow_up",
    "consent_reminders",
    "apply_retention",
    "prune_task_results",
    "count_monthly_figures",
}


@pytest.fixture(autouse=True)
def _database_tasks(settings: Any) -> None:
    settings.TASKS = DB_TASKS


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HELSINKI)


def enqueued() -> list[str]:
    return sorted(
        result.args_kwargs["kwargs"]["name"]
        for result in DBTaskResult.objects.filter(task_path="registry.tasks.run_command")
    )


def run_worker() -> None:
    call_command("db_worker", batch=True, queue_name="*", startup_delay=False, verbosity=0)


def test_every_periodic_job_is_scheduled() -> None:
    assert set(jobs()) == ALL_JOBS
    assert jobs()["prune_task_results"].command == "prune_db_task_results"


def test_first_start_enqueues_each_job_once_for_its_latest_time() -> None:
    assert set(enqueue_due_jobs(at(2026, 3, 2, 10, 7))) == ALL_JOBS
    assert enqueued() == sorted(ALL_JOBS)
    run = ScheduledJobRun.objects.get(name="expire_offers")
    assert run.last_slot == at(2026, 3, 2, 10, 5)
    assert ScheduledJobRun.objects.get(name="apply_retention").last_slot == at(2026, 3, 2, 3, 0)


def test_a_second_scheduler_at_the_same_time_enqueues_nothing() -> None:
    now = at(2026, 3, 2, 10, 7)
    enqueue_due_jobs(now)
    assert enqueue_due_jobs(now) == []
    assert enqueue_due_jobs(now + dt.timedelta(minutes=2)) == []
    assert len(enqueued()) == len(ALL_JOBS)


def test_each_new_scheduled_time_is_enqueued_once() -> None:
    enqueue_due_jobs(at(2026, 3, 2, 10, 7))
    assert sorted(enqueue_due_jobs(at(2026, 3, 2, 10, 10))) == [
        "count_monthly_figures",
        "expire_offers",
        "retry_mail",
        "send_reminders",
    ]
    assert sorted(enqueue_due_jobs(at(2026, 3, 2, 10, 15, 30))) == [
        "expire_offers",
        "follow_up",
        "retry_mail",
        "send_reminders",
    ]
    assert enqueue_due_jobs(at(2026, 3, 2, 10, 16)) == []


def test_after_downtime_missed_runs_are_caught_up_once() -> None:
    enqueue_due_jobs(at(2026, 3, 2, 10, 7))
    # Down from 10:07 until 13:31 the next day: dozens of five-minute runs and one nightly run missed.
    caught_up = enqueue_due_jobs(at(2026, 3, 3, 13, 31))
    assert sorted(caught_up) == sorted(ALL_JOBS)
    assert enqueued().count("expire_offers") == 2
    assert enqueued().count("apply_retention") == 2
    assert ScheduledJobRun.objects.get(name="expire_offers").last_slot == at(2026, 3, 3, 13, 30)
    assert ScheduledJobRun.objects.get(name="apply_retention").last_slot == at(2026, 3, 3, 3, 0)


def test_nightly_job_runs_at_its_time_in_helsinki() -> None:
    enqueue_due_jobs(at(2026, 7, 1, 2, 59))
    assert "apply_retention" not in enqueue_due_jobs(at(2026, 7, 1, 2, 59, 59))
    assert "apply_retention" in enqueue_due_jobs(at(2026, 7, 1, 3, 0))


def test_a_job_turned_off_is_not_enqueued(settings: Any) -> None:
    off = {"command": "apply_retention", "cron": "off"}
    settings.SCHEDULED_JOBS = {**settings.SCHEDULED_JOBS, "apply_retention": off}
    assert "apply_retention" not in enqueue_due_jobs(at(2026, 3, 2, 10, 7))


def test_scheduler_sleeps_until_the_next_time_at_most_a_minute() -> None:
    assert seconds_until_next(at(2026, 3, 2, 10, 4, 30)) == 30
    assert seconds_until_next(at(2026, 3, 2, 10, 0, 0, 1)) == 60


# The command closes stale connections as a long-running process must: real commits needed.
@pytest.mark.django_db(transaction=True)
def test_scheduler_command_once_enqueues_what_is_due() -> None:
    call_command("scheduler", once=True, verbosity=0)
    assert enqueued() == sorted(ALL_JOBS)


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_job_and_records_success_or_failure(settings: Any, data_migration_rows: None) -> None:
    settings.SCHEDULED_JOBS = {
        "expire_offers": {"command": "expire_offers", "args": [], "cron": "*/5 * * * *"},
        "broken": {"command": "no_such_command", "args": [], "cron": "*/5 * * * *"},
    }
    enqueue_due_jobs(at(2026, 3, 2, 10, 7))
    run_worker()
    done = ScheduledJobRun.objects.get(name="expire_offers")
    assert done.last_status == ScheduledJobRun.Status.SUCCEEDED
    assert done.last_finished_slot == at(2026, 3, 2, 10, 5)
    assert done.last_started_at <= done.last_finished_at
    assert ScheduledJobRun.objects.get(name="broken").last_status == ScheduledJobRun.Status.FAILED
    assert DBTaskResult.objects.get(args_kwargs__kwargs__name="broken").status == "FAILED"


@pytest.mark.django_db(transaction=True)
def test_pruning_deletes_only_finished_task_results_past_retention(settings: Any, data_migration_rows: None) -> None:
    settings.TASK_RESULT_RETENTION_DAYS = 7
    old = timezone.now() - dt.timedelta(days=8)
    fresh = timezone.now() - dt.timedelta(days=1)

    def result(status: str, finished_at: dt.datetime | None) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=status,
            finished_at=finished_at,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="registry.mail.deliver_email",
            queue_name="email",
            backend_name="default",
        )

    old_sent, old_failed = result("SUCCESSFUL", old), result("FAILED", old)
    kept = [result("SUCCESSFUL", fresh), result("FAILED", fresh)]
    # The schedule names the command and its arguments; run it as the worker would.
    settings.SCHEDULED_JOBS = {
        "prune_task_results": {
            "command": "prune_db_task_results",
            "args": ["--queue-name=*", "--min-age-days=7"],
            "cron": "45 3 * * *",
        }
    }
    enqueue_due_jobs()
    run_worker()
    remaining = set(DBTaskResult.objects.filter(task_path="registry.mail.deliver_email").values_list("pk", flat=True))
    assert remaining == {item.pk for item in kept}
    assert old_sent.pk not in remaining and old_failed.pk not in remaining


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_schedulers_at_once_enqueue_each_scheduled_time_once() -> None:
    now = at(2026, 3, 2, 10, 7)
    ScheduledJobRun.objects.bulk_create([ScheduledJobRun(name=name) for name in ALL_JOBS])
    barrier = threading.Barrier(4)
    results: list[list[str]] = []

    def scheduler() -> None:
        try:
            barrier.wait()
            results.append(enqueue_due_jobs(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(name for names in results for name in names) == sorted(ALL_JOBS)
    assert enqueued() == sorted(ALL_JOBS)
