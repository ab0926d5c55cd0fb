"""Text messages: mobile numbers, message length and cost, and the backends that send them.

Sending is like Django's e-mail backends: settings.SMS_BACKEND names a class with one method,
`send(to, text, reference) -> the provider's message id`, which raises on any failure. The kept row,
the worker, the retries, quiet hours and the coordinator's view are the e-mail machinery's
(registry.mail): a text message is an `OutgoingMessage` with `channel=text`.

- ConsoleBackend (development) prints; FileBackend (trials) writes one file per message;
  LocmemBackend (tests) keeps them in `outbox`.
- GatewayApiBackend sends through GatewayAPI's Mobile Messaging API over HTTPS (a Nordic provider
  used by Finnish public bodies, with an EU endpoint). No kept Python library covers the Finnish
  providers, and the interface is one POST, so it is written here against the documented request
  and response and tested against a local HTTP server that answers like the provider.

Nothing here imports the message rows: registry.mail imports this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

DEFAULT_REGION = "FI"  # "040 123 4567" is read as a Finnish number
MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(raw: str) -> str:
    """A mobile number as people write it (`040 123 4567`, `+358 40-123 4567`, `00358401234567`),
    in E.164 (`+358401234567`). Raises ValidationError with a message for the person."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if len(text) > 32:
        raise ValidationError(_("Enter a mobile number, for example 040 123 4567."), code="invalid")
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a mobile number, for example 040 123 4567."), code="invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a valid phone number. Check the digits."), code="invalid")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise ValidationError(_("This is not a mobile number: text messages need a mobile number."), code="landline")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_mobile(e164: str) -> str:
    """How the person wrote it, more or less: `040 1234567` for a Finnish number."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# How long a verification code works (registry.textmessages); a code's text message that could not
# go within it is of no use and is not kept trying (registry.mail._deliver_text).
CODE_LIFETIME = dt.timedelta(minutes=10)


def masked_mobile(e164: str) -> str:
    """For the coordinator's lists: enough to recognise the number, not to copy it."""
    return f"{e164[:4]}…{e164[-3:]}" if len(e164) > 7 else e164


# GSM 03.38: these fit a 160-character part; the extension table costs two each. Anything else
# (emoji, many non-Latin letters) turns the whole message into UCS-2, 70 characters a part.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"


def gsm7_length(text: str) -> int | None:
    """Length in GSM-7 septets, or None when the text needs UCS-2."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def segments(text: str) -> int:
    """How many parts the provider sends (and charges): 160/153 GSM-7 characters, or 70/67 UCS-2."""
    septets = gsm7_length(text)
    if septets is not None:
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


# Backends ---------------------------------------------------------------------------------------


class TextMessageError(Exception):
    """The provider did not take the message (refused, unreachable, timed out). The caller keeps
    the message and tries again; only the error's kind is recorded, never the number or text."""


class BaseBackend:
    def send(self, to: str, text: str, reference: str) -> str:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Development: the message on the console, where the e-mail goes too."""

    def send(self, to: str, text: str, reference: str) -> str:
        sys.stdout.write(f"Text message to {to} (ref {reference}, {segments(text)} part(s)):\n{text}\n{'-' * 40}\n")
        sys.stdout.flush()
        return f"console-{reference}"


class FileBackend(BaseBackend):
    """Trials: one file per message in SMS_FILE_PATH."""

    def send(self, to: str, text: str, reference: str) -> str:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{timezone.now():%Y%m%d-%H%M%S}-{reference}.txt"
        (folder / name).write_text(f"To: {to}\n\n{text}\n", encoding="utf-8")
        return f"file-{reference}"


# What LocmemBackend sent, for tests: dicts with to, text and reference.
outbox: list[dict[str, str]] = []


class LocmemBackend(BaseBackend):
    def send(self, to: str, text: str, reference: str) -> str:
        outbox.append({"to": to, "text": text, "reference": reference})
        return f"locmem-{len(outbox)}"


class GatewayApiBackend(BaseBackend):
    """GatewayAPI's Mobile Messaging API: POST {sender, message, recipient, reference} with
    `Authorization: Token …`; 200 answers {msg_id, recipient, reference}. Any other answer, a
    timeout or a network error raises TextMessageError (the message is retried). The provider's
    delivery reports come to `registry.views.sms_delivery_report`."""

    def send(self, to: str, text: str, reference: str) -> str:
        if not settings.SMS_API_TOKEN:
            raise TextMessageError("SMS_API_TOKEN is not set")
        body = json.dumps(
            {
                "sender": settings.SMS_SENDER,
                "message": text,
                # The API takes the number as an integer in international form, without "+".
                "recipient": int(to.lstrip("+")),
                "reference": reference,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting, https)
            settings.SMS_API_URL,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Token {settings.SMS_API_TOKEN}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_TIMEOUT) as response:  # noqa: S310
                answer: Any = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            # The error's code and the provider's error code only: its message may echo the number.
            code = ""
            with contextlib.suppress(ValueError, AttributeError):
                code = str(json.loads(exc.read() or b"{}").get("code", ""))[:20]
            raise TextMessageError(f"HTTP {exc.code} {code}".strip()) from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise TextMessageError(type(exc).__name__) from None
        msg_id = answer.get("msg_id") if isinstance(answer, dict) else None
        if not msg_id:
            raise TextMessageError("no msg_id in the answer")
        return str(msg_id)


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def send(to: str, text: str, reference: str) -> str:
    return get_backend().send(to, text, reference)
