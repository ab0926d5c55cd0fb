from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from registry.access import ACTIVE_ROLE_SESSION_KEY, active_role
from registry.demo import DEMO_PASSWORD
from registry.forms import RoleSwitchForm
from registry.http import AuthenticatedHttpRequest
from registry.mail import text_delivery_report
from registry.models import Role
from registry.privacy import Category, inventory, retention_settings

logger = logging.getLogger(__name__)

# Each app owns its role's home page; the core knows them by URL name only.
ROLE_HOMES = {
    Role.EXPERT: "engagements:expert-home",
    Role.UNIT: "engagements:unit-home",
    Role.COORDINATOR: "engagements:coordinator-home",
    Role.MANAGER: "engagements:manager-home",
    Role.ADMIN: "admin:index",
}


# Public pages ---------------------------------------------------------------------------------


@require_GET
def front(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/front.html", {"demo_password": DEMO_PASSWORD if settings.DEMO_MODE else ""})


@require_GET
def become_expert(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/become_expert.html")


@require_GET
def request_expert(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/request_expert.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice. Its figures and lists come from the settings and the inventory of
    personal data, so they say what the code does (tests/test_privacy_notice.py ties each claim)."""
    return render(request, "registry/privacy.html", privacy_notice_context())


def privacy_notice_context() -> dict[str, Any]:
    consent_purposes = dict(consent_purpose_choices())
    guardian_exceptions = [
        (consent_purposes.get(purpose, purpose), age)
        for purpose, age in sorted(settings.GUARDIAN_REQUIRED_PURPOSES_UNDER.items())
        if age != settings.GUARDIAN_CONSENT_UNDER_AGE
    ]
    used = {spec.category for entry in inventory() for spec in entry.fields.values()}
    return {
        "categories": [label for value, label in Category.choices if value in used],
        "minimum_age": settings.MINIMUM_AGE,
        "guardian_age": settings.GUARDIAN_CONSENT_UNDER_AGE,
        "guardian_exceptions": guardian_exceptions,
        "contact_email": settings.PRIVACY_CONTACT_EMAIL,
        "contact_address": settings.PRIVACY_CONTACT_ADDRESS,
        "dpo_email": settings.DATA_PROTECTION_OFFICER_EMAIL,
        **{name.lower(): value for name, value in retention_settings()},
        "unit_contact_grace_days": settings.UNIT_CONTACT_GRACE_DAYS,
        "consent_valid_days": settings.CONSENT_VALID_DAYS,
    }


def consent_purpose_choices() -> list[tuple[str, str]]:
    # The purposes are the registry of experts' vocabulary; the core reads it from the app registry.
    try:
        field = apps.get_model("experts", "ConsentRecord")._meta.get_field("purpose")
    except LookupError:
        return []
    return [(str(value), str(label)) for value, label in field.flatchoices]


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and a signed-in user's choice is remembered for e-mails too."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.preferred_language = language
        request.user.save(update_fields=["preferred_language"])
    return response


# Home routing -------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    role = active_role(request)
    if role is None:
        return render(request, "registry/no_role.html")
    return redirect(ROLE_HOMES[role])


@login_required
@require_POST
def switch_role(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RoleSwitchForm(request.POST, roles=request.user.roles())
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    role = Role(form.cleaned_data["role"])
    request.session[ACTIVE_ROLE_SESSION_KEY] = role.value
    return redirect(ROLE_HOMES[role])


# The e-mail provider's delivery reports -------------------------------------------------------------


class DeliveryReportWebhook(PostmarkTrackingWebhookView):
    """Postmark's tracking webhook as anymail parses it; registry.mail.delivery_report acts on it.
    anymail checks the HTTP basic auth against ANYMAIL["WEBHOOK_SECRET"]; without a secret this
    view refuses every post (anymail itself would only warn and accept anyone's reports)."""

    warn_if_no_basic_auth = False

    def validate_request(self, request: HttpRequest) -> None:
        if not self.basic_auth:
            raise AnymailWebhookValidationFailure("The webhook secret is not configured.")


# The text message provider's delivery reports -----------------------------------------------------

MAX_REPORT_BYTES = 64 * 1024


@csrf_exempt
@require_POST
def sms_delivery_report(request: HttpRequest) -> HttpResponse:
    """GatewayAPI's status webhook. The provider signs the body with the shared secret
    (`Signature: v1=<hex HMAC-SHA-256 of the body>`); without a configured secret, or with a wrong
    or missing signature, every report is refused (403) and nothing is read. The body is an
    envelope {event_id, timestamp, event_type, event}; registry.mail.text_delivery_report acts on
    an event of type `message.status.sms`."""
    secret = settings.SMS_WEBHOOK_SECRET
    if not secret:
        return HttpResponse(status=403)
    if int(request.headers.get("Content-Length") or 0) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    body = request.body
    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), request.headers.get("Signature", "").strip().encode()):
        logger.warning("Text message delivery report with a wrong signature refused")
        return HttpResponse(status=403)
    try:
        envelope = json.loads(body)
    except ValueError:
        return HttpResponseBadRequest()
    if not isinstance(envelope, dict) or not isinstance(envelope.get("event"), dict):
        return HttpResponseBadRequest()
    if str(envelope.get("event_type", "")).startswith("message.status.sms"):
        text_delivery_report(envelope["event"])
    # Other event types are acknowledged, so the provider does not keep retrying them.
    return HttpResponse(status=204)
