"""The GatewayAPI backend over real HTTP on loopback, against a fake server that answers as the
provider documents: POST /mobile/single with `Authorization: Token …` and a JSON body; 200 with
{msg_id, recipient, reference}; errors as a status with {code, message, incident_uuid}. The real
provider cannot be reached from here; the shapes are from its Mobile Messaging API documentation."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from registry import sms
from registry.mail import send_text_message
from registry.models import OutgoingMessage, User

pytestmark = pytest.mark.django_db

NUMBER = "+358401234567"
TOKEN = "test-token-123"


class FakeGatewayApi(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    answer: ClassVar[tuple[int, dict[str, Any]]] = (200, {})
    delay: ClassVar[float] = 0.0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "json": json.loads(body or b"{}")}
        )
        if self.delay:
            time.sleep(self.delay)
        status, payload = self.answer
        if status == 200 and not payload:
            payload = {"msg_id": "01JNN696A9E0WS89FPYGT15NBX", "recipient": 358401234567, "reference": "x"}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider(settings: Any) -> Iterator[type[FakeGatewayApi]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGatewayApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeGatewayApi.received = []
    FakeGatewayApi.answer = (200, {})
    FakeGatewayApi.delay = 0.0
    settings.SMS_BACKEND = "registry.sms.GatewayApiBackend"
    settings.SMS_API_URL = f"http://127.0.0.1:{server.server_address[1]}/mobile/single"
    settings.SMS_API_TOKEN = TOKEN
    settings.SMS_SENDER = "Kokemus"
    settings.SMS_TIMEOUT = 2
    yield FakeGatewayApi
    server.shutdown()
    server.server_close()


def test_a_message_is_posted_as_the_provider_documents(provider: type[FakeGatewayApi]) -> None:
    provider_id = sms.send(NUMBER, "Hei", "42")
    assert provider_id == "01JNN696A9E0WS89FPYGT15NBX"
    (request,) = provider.received
    assert request["path"] == "/mobile/single"
    assert request["auth"] == f"Token {TOKEN}"
    assert request["json"] == {"sender": "Kokemus", "message": "Hei", "recipient": 358401234567, "reference": "42"}


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (401, {"code": "0x0001", "message": "Unauthorized", "incident_uuid": "u"}, "HTTP 401 0x0001"),
        (422, {"code": "0x0216", "message": "Invalid recipient +358401234567"}, "HTTP 422 0x0216"),
        (500, {}, "HTTP 500"),
        (200, {"unexpected": True}, "no msg_id in the answer"),
    ],
)
def test_provider_errors_raise_without_the_number(
    provider: type[FakeGatewayApi], status: int, payload: dict[str, Any], error: str
) -> None:
    provider.answer = (status, payload)
    with pytest.raises(sms.TextMessageError) as raised:
        sms.send(NUMBER, "Hei", "42")
    assert str(raised.value) == error
    assert "358" not in str(raised.value)


def test_a_slow_provider_times_out(provider: type[FakeGatewayApi], settings: Any) -> None:
    settings.SMS_TIMEOUT = 0.3
    provider.delay = 1.0
    with pytest.raises(sms.TextMessageError, match="TimeoutError|URLError"):
        sms.send(NUMBER, "Hei", "42")


def test_an_unreachable_provider_raises(settings: Any) -> None:
    settings.SMS_BACKEND = "registry.sms.GatewayApiBackend"
    settings.SMS_API_URL = "http://127.0.0.1:9/mobile/single"  # discard port: nothing listens
    settings.SMS_API_TOKEN = TOKEN
    with pytest.raises(sms.TextMessageError):
        sms.send(NUMBER, "Hei", "42")


def test_without_a_token_nothing_is_sent(provider: type[FakeGatewayApi], settings: Any) -> None:
    settings.SMS_API_TOKEN = ""
    with pytest.raises(sms.TextMessageError, match="SMS_API_TOKEN"):
        sms.send(NUMBER, "Hei", "42")
    assert not provider.received


def test_through_the_worker_the_provider_id_is_kept_and_a_refusal_is_retried(
    provider: type[FakeGatewayApi], expert: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    User.objects.filter(pk=expert.user_id).update(mobile_number=NUMBER)
    expert.user.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        message = send_text_message(expert.user, "Hei", template="t", subject="s")
    assert message is not None
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.esp_message_id == "01JNN696A9E0WS89FPYGT15NBX"
    assert provider.received[-1]["json"]["reference"] == str(message.pk)

    provider.answer = (503, {"code": "0x0500", "message": "Service unavailable"})
    settings.EMAIL_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        failing = send_text_message(expert.user, "Hei", template="t", subject="s")
    assert failing is not None
    failing.refresh_from_db()
    assert (failing.status, failing.attempts, failing.last_error) == ("failing", 2, "HTTP 503 0x0500")
    assert OutgoingMessage.objects.undelivered().get() == failing
