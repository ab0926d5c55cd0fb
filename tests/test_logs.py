"""Logs are structured, carry a request id and hold no personal data; errors reach the operators
(ADMINS by e-mail, Sentry when SENTRY_DSN is set) without personal data either."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone

from registry.logs import JsonFormatter, PlainFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parent.parent
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}}


def boom(request: HttpRequest) -> HttpResponse:
    raise ValueError("no unit for tuuli.example@example.test")


# This module is also the URLconf of the error tests: one view that fails.
urlpatterns = [path("boom/", boom)]


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged at the production level (INFO), formatted as production's JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def entries(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


@pytest.mark.django_db
def test_every_response_has_a_request_id_and_a_proxys_id_is_kept(client: Client) -> None:
    generated = client.get(reverse("privacy"))["X-Request-ID"]
    assert len(generated) == 32
    assert client.get(reverse("privacy"), HTTP_X_REQUEST_ID="abcdef0123456789")["X-Request-ID"] == "abcdef0123456789"
    # Anything that does not look like an id is replaced, so a client cannot write into the logs.
    forged = client.get(reverse("privacy"), HTTP_X_REQUEST_ID="x\nFAKE LOG LINE")["X-Request-ID"]
    assert forged != "x\nFAKE LOG LINE" and len(forged) == 32


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_id(client: Client, log_lines: io.StringIO) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    [entry] = [e for e in entries(log_lines) if e["logger"] == "django.request"]
    assert entry["request_id"] == response["X-Request-ID"]
    assert entry["status_code"] == 404
    assert entry["level"] == "WARNING"


def test_formatters_mask_email_addresses() -> None:
    try:
        raise ValueError("duplicate key: Key (email)=(aino.demo@demo.test) already exists")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sending to %s", ("sari@example.test",), None)
        record.exc_info = sys.exc_info()
    for formatter in (JsonFormatter(), PlainFormatter()):
        text = formatter.format(record)
        assert "@" not in text.replace("[e-mail]", "")
        assert "sending to [e-mail]" in text
    assert json.loads(JsonFormatter().format(record))["exception"].startswith("Traceback")


@pytest.mark.urls("tests.test_logs")
@pytest.mark.django_db
def test_server_error_is_mailed_to_admins_without_personal_data(settings: Any, unit_member: Any) -> None:
    settings.ADMINS = [("ops@kokemus.example.fi", "ops@kokemus.example.fi")]
    client = Client(raise_request_exception=False)
    client.force_login(unit_member)
    response = client.post("/boom/?q=Sari", {"name": "Sari Sosiaalityöntekijä"}, HTTP_X_REQUEST_ID="req-12345678")
    assert response.status_code == 500
    [message] = [m for m in mail.outbox if m.to == ["ops@kokemus.example.fi"]]
    assert "/boom/" in message.subject
    assert "ValueError" in message.body
    assert "req-12345678" in message.body
    assert "tests/test_logs.py" in message.body
    for private in ("tuuli.example@example.test", unit_member.email, "Sari", "sessionid", "csrftoken"):
        assert private not in message.subject + message.body
    assert message.alternatives == []


class FakeSentry(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            # The SDK prefers brotli when the module is installed (a test tool brings it in).
            import brotli

            body = brotli.decompress(body)
        FakeSentry.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_errors_reach_sentry_without_personal_data() -> None:
    """A real Sentry SDK in a real process, sending to a fake Sentry on loopback."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeSentry.received = []
    code = (
        "import logging, sentry_sdk\n"
        "try:\n"
        "    raise ValueError('no unit for aino.demo@demo.test')\n"
        "except ValueError:\n"
        "    logging.getLogger('registry').exception('Could not notify aino.demo@demo.test')\n"
        "sentry_sdk.flush()\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "DEBUG": "1",
        "DATABASE_URL": "sqlite:///:memory:",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_address[1]}/1",
    }
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v0", "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    sent = b"\n".join(FakeSentry.received).decode()
    assert "ValueError" in sent
    assert "Could not notify [e-mail]" in sent
    assert "aino.demo@demo.test" not in sent


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_log_of_a_full_journey_has_no_names_or_email_addresses(
    settings: Any, log_lines: io.StringIO, data_migration_rows: None
) -> None:
    """Demo data, sign-ins, a request from a unit to a confirmed engagement, e-mails delivered and
    failing, the periodic jobs and some refused pages; then the whole log is searched."""
    from engagements.models import Assignment, Request
    from experts.models import ExpertProfile
    from registry.models import User
    from registry.scheduler import enqueue_due_jobs
    from tests.test_request_lifecycle import request_form_data

    settings.TASKS = DB_TASKS
    call_command("seed", force=True, verbosity=0)
    password = "demo-Kokemus-2026"

    def worker() -> None:
        call_command("db_worker", batch=True, queue_name="*", startup_delay=False, verbosity=1)

    def sign_in(email: str, secret: str = password) -> Client:
        client = Client()
        client.post(reverse("account_login"), {"login": email, "password": secret})
        return client

    sign_in("unit@demo.test", "wrong-password")
    Client().post(reverse("account_reset_password"), {"email": "expert@demo.test"})
    unit = sign_in("unit@demo.test")
    unit_user = User.objects.get(email="unit@demo.test")
    home_unit = unit_user.unit_memberships.get().unit
    unit.post(reverse("engagements:request-create"), request_form_data(home_unit, contact_name="Sari"))
    req = Request.objects.filter(created_by=unit_user).latest("pk")
    unit.post(reverse("engagements:request-submit", args=[req.pk]))

    coordinator = Client()
    coordinator.force_login(User.objects.get(email="coordinator@demo.test"))
    coordinator.post(reverse("engagements:take", args=[req.pk]))
    page = coordinator.get(reverse("engagements:matching", args=[req.pk]))
    chosen = page.context["candidates"][0].expert
    answer_by = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    coordinator.post(
        reverse("engagements:make-offers", args=[req.pk]), {"experts": [str(chosen.pk)], "answer_by": answer_by}
    )
    assignment = Assignment.objects.get(request=req, expert=chosen)
    expert = sign_in(chosen.user.email)
    expert.post(reverse("engagements:offer-accept", args=[assignment.pk]))
    coordinator.post(reverse("engagements:confirm", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CONFIRMED

    # Refused and missing pages are logged with their paths.
    other = sign_in("unit2@demo.test")
    assert other.get(reverse("engagements:unit-request", args=[req.pk])).status_code == 404
    assert expert.get(reverse("engagements:inbox")).status_code == 403
    worker()
    enqueue_due_jobs()
    worker()
    # The provider is down: the attempts are logged too.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    Client().post(reverse("account_reset_password"), {"email": "expert2@demo.test"})
    worker()

    log = log_lines.getvalue()
    lines = entries(log_lines)
    assert any(line["logger"] == "django_tasks" for line in lines)
    assert any(line["logger"] == "django.request" and line["status_code"] == 404 for line in lines)
    assert any(re.search(r"Message \d+ attempt 1 failed", line["message"]) for line in lines)
    private = {req.contact_name}
    for user in User.objects.all():
        private |= {user.email, user.first_name, user.last_name}
    for profile in ExpertProfile.objects.all():
        private.add(profile.display_name)
    # "Demo" and "Admin" are the demo accounts' surnames and a first name, but also plain words.
    private -= {"", "Demo", "Admin"}
    assert len(private) > 20
    leaked = sorted(value for value in private if value in log)
    assert leaked == []
    assert "@" not in log.replace("[e-mail]", "")
