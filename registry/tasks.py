"""Background tasks of the core: running a scheduled job's management command in the worker."""

from __future__ import annotations

import datetime as dt
import io
import logging

from django.conf import settings
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from registry.models import ScheduledJobRun

logger = logging.getLogger(__name__)


@task(queue_name="default")
def run_command(name: str, slot: str) -> str:
    """Run the scheduled job `name` (by its command's name, so the core imports no app) for the
    scheduled time `slot`, recording start, end and outcome for /healthz/."""
    spec = settings.SCHEDULED_JOBS[name]
    runs = ScheduledJobRun.objects.filter(name=name)
    runs.update(last_started_at=timezone.now(), last_status=ScheduledJobRun.Status.RUNNING)
    scheduled = dt.datetime.fromisoformat(slot)
    # A late run of an older time must not hide a newer one's outcome.
    newest = runs.filter(Q(last_finished_slot__isnull=True) | Q(last_finished_slot__lte=scheduled))
    output = io.StringIO()
    try:
        call_command(spec["command"], *spec.get("args", []), stdout=output, stderr=output)
    except Exception:
        newest.update(
            last_finished_at=timezone.now(), last_finished_slot=scheduled, last_status=ScheduledJobRun.Status.FAILED
        )
        # The worker logs the failure with its traceback too; this line says which job it was.
        logger.error("Scheduled job %s failed", name)
        raise
    newest.update(
        last_finished_at=timezone.now(), last_finished_slot=scheduled, last_status=ScheduledJobRun.Status.SUCCEEDED
    )
    # The commands report counts only ("3 offers expired"), never whom they concerned.
    summary = " ".join(output.getvalue().split()) or "done"
    logger.info("Scheduled job %s finished: %s", name, summary)
    return summary
