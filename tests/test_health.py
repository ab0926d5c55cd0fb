"""/healthz/ reports the database, waiting tasks, scheduled jobs and undelivered e-mail as JSON, with
503 when any is out of bounds; public, and only counts, ages and job names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registry.models import OutgoingMessage, ScheduledJobRun
from registry.scheduler import jobs

pytestmark = pytest.mark.django_db

URL = "/healthz/"


@pytest.fixture
def jobs_done() -> None:
    """Every job has finished the run for its latest scheduled time."""
    now = timezone.now()
    ScheduledJobRun.objects.bulk_create(
        [
            ScheduledJobRun(
                name=name,
                last_slot=now,
                last_enqueued_at=now,
                last_finished_at=now,
                last_finished_slot=now,
                last_status=ScheduledJobRun.Status.SUCCEEDED,
            )
            for name in jobs()
        ]
    )


def task(status: str = "READY", *, age: dt.timedelta = dt.timedelta(0), **extra: Any) -> DBTaskResult:
    result = DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {"recipients": ["person@example.test"], "subject": "Tuuli"}},
        task_path="registry.mail.deliver_email",
        queue_name="email",
        backend_name="default",
        **extra,
    )
    DBTaskResult.objects.filter(pk=result.pk).update(enqueued_at=timezone.now() - age)
    return result


def test_healthy_installation_answers_200_without_signing_in(client: Client, jobs_done: None) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    assert body["tasks"] == {"ok": True, "waiting": 0, "oldest_wait_seconds": 0, "limit_seconds": 600}
    assert body["mail"] == {"ok": True, "undelivered": 0, "limit": 0}
    assert {job["name"] for job in body["scheduled_jobs"]["jobs"]} == set(jobs())
    assert all(job["ok"] and job["last_status"] == "succeeded" for job in body["scheduled_jobs"]["jobs"])


def test_jobs_that_never_ran_fail_health(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["scheduled_jobs"]["ok"] is False
    assert body["database"]["ok"] is True


def test_a_failed_job_fails_health_until_it_succeeds(client: Client, jobs_done: None) -> None:
    ScheduledJobRun.objects.filter(name="apply_retention").update(last_status=ScheduledJobRun.Status.FAILED)
    response = client.get(URL)
    assert response.status_code == 503
    failing = [job["name"] for job in response.json()["scheduled_jobs"]["jobs"] if not job["ok"]]
    assert failing == ["apply_retention"]


def test_a_job_behind_its_schedule_fails_health(client: Client, jobs_done: None, settings: Any) -> None:
    settings.HEALTH_JOB_GRACE_SECONDS = 600
    # The scheduler stopped an hour ago: the five-minute jobs are behind, the nightly ones are not.
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    ScheduledJobRun.objects.update(last_finished_slot=an_hour_ago, last_slot=an_hour_ago)
    ScheduledJobRun.objects.filter(name__in=["consent_reminders", "apply_retention", "prune_task_results"]).update(
        last_finished_slot=timezone.now()
    )
    response = client.get(URL)
    assert response.status_code == 503
    failing = {job["name"] for job in response.json()["scheduled_jobs"]["jobs"] if not job["ok"]}
    assert {"expire_offers", "send_reminders"} <= failing
    assert "apply_retention" not in failing


def test_a_task_waiting_too_long_fails_health(client: Client, jobs_done: None, settings: Any) -> None:
    settings.HEALTH_MAX_TASK_WAIT_SECONDS = 300
    task(age=dt.timedelta(seconds=30))
    assert client.get(URL).status_code == 200
    task(age=dt.timedelta(minutes=20))
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["tasks"]["waiting"] == 2
    assert response.json()["tasks"]["oldest_wait_seconds"] >= 20 * 60


def test_deferred_mail_waits_from_its_run_after_time(client: Client, jobs_done: None) -> None:
    # Held over the quiet hours since last night: not late while its time has not come, nor just after.
    task(age=dt.timedelta(hours=10), run_after=timezone.now() + dt.timedelta(hours=1))
    task(age=dt.timedelta(hours=10), run_after=timezone.now() - dt.timedelta(seconds=5))
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["tasks"]["waiting"] == 1
    assert response.json()["tasks"]["oldest_wait_seconds"] < 60


def test_undelivered_mail_fails_health(client: Client, jobs_done: None, settings: Any) -> None:
    # Its quick tries used up, the message waits for the slow retries (registry.mail.retry_due).
    OutgoingMessage.objects.create(to="person@example.test", template="t", subject="s", text="t", status="failing")
    OutgoingMessage.objects.create(to="other@example.test", template="t", subject="s", text="t", status="sent")
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["mail"] == {"ok": False, "undelivered": 1, "limit": 0}
    settings.HEALTH_MAX_UNDELIVERED = 1
    assert client.get(URL).status_code == 200


def test_health_shows_no_personal_data_and_queries_stay_bounded(
    client: Client, jobs_done: None, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        task(age=dt.timedelta(minutes=1))
        task("FAILED", finished_at=timezone.now())
    with django_assert_max_num_queries(5):
        response = client.get(URL)
    text = response.content.decode()
    assert "person@example.test" not in text
    assert "Tuuli" not in text
    assert "@" not in text


def test_probe_over_plain_http_is_not_redirected(client: Client, jobs_done: None, settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(URL).status_code == 200
    assert client.get("/privacy/").status_code == 301


def test_probe_may_use_head(client: Client, jobs_done: None) -> None:
    assert client.head(URL).status_code == 200
    assert client.post(URL).status_code == 405
