"""Several worker nodes against one PostgreSQL: two real `db_worker` processes share the e-mail queue
and every message is sent exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from registry.mail import deliver_message
from registry.models import OutgoingMessage

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 80


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="several workers on one queue need PostgreSQL")
def test_two_workers_send_each_message_exactly_once(settings: Any, tmp_path: Path) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}}
    outbox = tmp_path / "outbox"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "DEBUG": "1",
        "DATABASE_URL": database_url(),  # the test database pytest-django created
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(outbox),
    }
    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.05"]
            + ["--no-startup-delay", "--no-reload", "--worker-id", f"worker-{n}"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for n, log in zip((1, 2), logs, strict=True)
    ]
    try:
        wait_for(lambda: all("Starting worker" in log.read_text() for log in logs), 60, "both workers to start")
        # All at once, so both workers find work waiting and compete for every message.
        with transaction.atomic():
            for n in range(MESSAGES):
                message = OutgoingMessage.objects.create(
                    to=f"person{n}@example.test", template="test", subject=f"Message {n}", text="Hello\n"
                )
                deliver_message.enqueue(message.pk)
        wait_for(
            lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == MESSAGES, 120, "every message sent"
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)

    subjects = [
        line.removeprefix("Subject: ")
        for path in outbox.iterdir()
        for line in path.read_text().splitlines()
        if line.startswith("Subject: ")
    ]
    assert sorted(subjects) == sorted(f"Message {n}" for n in range(MESSAGES))
    # Both workers took part, each message by one of them.
    claimed_by = [result.worker_ids for result in DBTaskResult.objects.all()]
    assert all(len(ids) == 1 for ids in claimed_by)
    assert {ids[0] for ids in claimed_by} == {"worker-1", "worker-2"}
