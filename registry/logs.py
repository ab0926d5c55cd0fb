"""Logs and error reports for operators: structured, correlated by a request id, free of personal data.

- Every log line carries the id of the request (or background task) it came from. The id is taken
  from the proxy's `X-Request-ID` when it looks like one, so nginx's access log and ours agree, and
  it is sent back in the response header.
- `LOG_FORMAT=json` writes one JSON object per line for a log collector; the default is plain text.
- Nothing personal is logged on purpose (the code logs counts, ids and types); as a second line of
  defence every formatter replaces anything shaped like an e-mail address, since exception messages
  (a database's "Key (email)=(…) already exists") can carry one.
- Error e-mails to ADMINS and Sentry events carry the traceback and the request's method and path,
  but not who was signed in, what they typed, cookies or the local variables of each frame.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import traceback
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.utils.log import AdminEmailHandler
from django.utils.safestring import SafeString
from django.views.debug import ExceptionReporter

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# What a proxy's request id may look like (nginx's $request_id is 32 hex digits); anything else is
# replaced, so a client cannot write arbitrary text into our logs.
INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def redact(text: str) -> str:
    return EMAIL.sub("[e-mail]", text)


class RequestIdMiddleware:
    """First in the middleware list, so that every later log line of the request has the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        value = incoming if INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        # Not reset when the middleware returns: Django logs 4xx/5xx responses after the middleware
        # chain, and those lines need the id too. `request_finished` clears it (see apps.py).
        request_id.set(value)
        response = self.get_response(request)
        response["X-Request-ID"] = value
        return response


def clear_request_id(**kwargs: Any) -> None:
    request_id.set("-")


def set_task_id(task_result: Any, **kwargs: Any) -> None:
    # In the worker, lines written while a task runs carry the task's id.
    request_id.set(f"task-{task_result.id}")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        # django.request and django.server attach the status code; the request object itself is
        # never written (it holds cookies and form data).
        status_code = getattr(record, "status_code", None)
        if status_code is not None:
            entry["status_code"] = status_code
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


class PrivateExceptionReporter(ExceptionReporter):
    """A short plain-text report for error e-mails: what failed and where, not whose data."""

    def get_traceback_text(self) -> str:  # type: ignore[override]  # plain text for e-mail, not SafeString
        lines = []
        if self.request is not None:
            lines.append(f"Request: {self.request.method} {self.request.path}")
        lines.append(f"Request id: {request_id.get()}")
        if self.exc_type is not None:
            lines.append("")
            lines.append("Traceback (most recent call last):")
            lines.extend(line.rstrip("\n") for line in traceback.format_tb(self.tb))
            lines.append(f"{self.exc_type.__module__}.{self.exc_type.__qualname__}: {self.exc_value}")
        return redact("\n".join(lines)) + "\n"

    def get_traceback_html(self) -> SafeString:
        return SafeString("")


class PrivateAdminEmailHandler(AdminEmailHandler):
    """Django's error e-mail to ADMINS, with the private report and a redacted subject."""

    def __init__(self, include_html: bool = False, email_backend: str | None = None, reporter_class: Any = None):
        super().__init__(
            include_html=False, email_backend=email_backend, reporter_class="registry.logs.PrivateExceptionReporter"
        )

    def format_subject(self, subject: str) -> str:
        return super().format_subject(redact(subject))


def sentry_before_send(event: Event, hint: Hint) -> Event:
    """Sentry gets the error, where it happened and the request id; never the user, the request
    body, headers or cookies (send_default_pii is off as well), and e-mail addresses are masked."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = {key: request[key] for key in ("method", "url") if key in request}
    event.setdefault("tags", {})["request_id"] = request_id.get()
    return _redact_strings(event)


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    return value
