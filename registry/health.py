"""/healthz/: can this installation do its work? For load balancers and monitoring.

JSON with the database, the oldest background task waiting for a worker, the last run of each
scheduled job and undelivered e-mail; 200 when all are within bounds, 503 otherwise. Public (a probe
has no account), so it shows counts, ages and job names only, never anything about a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Case, Count, DateTimeField, Min, When
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult, get_date_max

from registry.mail import undelivered_count
from registry.scheduler import job_health


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def check_tasks(now: dt.datetime) -> dict[str, Any]:
    # A task waits from when it was enqueued, or from its run-after time if it was deferred
    # (quiet hours, retries): a message held until 8 o'clock is not late at 7.
    waiting_since = Case(
        When(run_after=get_date_max(), then="enqueued_at"), default="run_after", output_field=DateTimeField()
    )
    totals = DBTaskResult.objects.ready().aggregate(waiting=Count("pk"), oldest=Min(waiting_since))
    oldest = totals["oldest"]
    age = max(0, int((now - oldest).total_seconds())) if oldest else 0
    limit = settings.HEALTH_MAX_TASK_WAIT_SECONDS
    return {"ok": age <= limit, "waiting": totals["waiting"], "oldest_wait_seconds": age, "limit_seconds": limit}


def check_jobs(now: dt.datetime) -> dict[str, Any]:
    jobs = []
    for health in job_health(now):
        run = health.run
        jobs.append(
            {
                "name": health.name,
                "ok": health.ok,
                "due": _time(health.due_since),
                "last_status": (run.last_status if run else "") or None,
                "last_enqueued_at": _time(run.last_enqueued_at if run else None),
                "last_finished_at": _time(run.last_finished_at if run else None),
            }
        )
    return {"ok": all(job["ok"] for job in jobs), "jobs": jobs}


def check_mail() -> dict[str, Any]:
    undelivered = undelivered_count()
    limit = settings.HEALTH_MAX_UNDELIVERED
    return {"ok": undelivered <= limit, "undelivered": undelivered, "limit": limit}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    report: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = {"ok": True}
        report["tasks"] = check_tasks(now)
        report["scheduled_jobs"] = check_jobs(now)
        report["mail"] = check_mail()
    except DatabaseError as exc:
        # Everything else is read from the database, so nothing more can be said.
        report = {"database": {"ok": False, "error": type(exc).__name__}}
    ok = all(part["ok"] for part in report.values())
    return JsonResponse({"status": "ok" if ok else "failing", "time": _time(now), **report}, status=200 if ok else 503)
