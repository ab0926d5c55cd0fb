"""Every URL pattern, every persona: who may reach what.

A new URL pattern without a row here fails `test_every_url_pattern_has_a_row`.
Outcomes per persona, in PERSONAS order: a status code, or `login` for a redirect to sign-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PERSONAS = [
    "anonymous",
    "expert",
    "other_expert",
    "unit_member",
    "other_unit_member",
    "coordinator",
    "manager",
    "admin",
]

#  name: (kwargs, "anonymous expert other_expert unit other_unit coordinator manager admin")
ROWS: dict[str, tuple[dict[str, Any], str]] = {
    # Public pages
    "front": ({}, "200 200 200 200 200 200 200 200"),
    "become-expert": ({}, "200 200 200 200 200 200 200 200"),
    "request-expert": ({}, "200 200 200 200 200 200 200 200"),
    "accessibility": ({}, "200 200 200 200 200 200 200 200"),
    "accessibility-feedback": ({}, "200 200 200 200 200 200 200 200"),
    "accessibility-feedback-thanks": ({}, "200 200 200 200 200 200 200 200"),
    "accessibility-feedback-list": ({}, "login 403 403 403 403 200 403 403"),
    "accessibility-feedback-detail": ({"pk": 999999}, "login 403 403 403 403 404 403 403"),
    "continue-session": ({}, "405 405 405 405 405 405 405 405"),  # POST only
    "privacy": ({}, "200 200 200 200 200 200 200 200"),
    # 503: no scheduler has run in this empty database; the healthy case is in test_health.py.
    "healthz": ({}, "503 503 503 503 503 503 503 503"),
    "postmark-tracking": ({}, "405 405 405 405 405 405 405 405"),  # the provider POSTs, with basic auth
    "engagements:offer-short-link": ({"pk": 999999, "nonce": "x"}, "404 404 404 404 404 404 404 404"),
    "sms-delivery-report": ({}, "405 405 405 405 405 405 405 405"),  # the provider POSTs, signed
    "set_language": ({}, "405 405 405 405 405 405 405 405"),  # POST only
    # Home routing and role homes
    "home": ({}, "login 302 302 302 302 302 302 302"),
    "switch-role": ({}, "login 405 405 405 405 405 405 405"),  # POST only
    # Staff roles: administrators and coordinators of the whole area
    "staff-roles": ({}, "login 403 403 403 403 200 403 200"),
    "staff-role-remove": ({"pk": 999999}, "login 403 403 403 403 405 403 405"),
    # API tokens: coordinators and managers keep their own (a new one after a fresh sign-in: 302 to
    # it); administrators see and revoke everyone's but make none (test_api_tokens.py).
    "api-tokens": ({}, "login 403 403 403 403 200 200 200"),
    "api-token-new": ({}, "login 403 403 403 403 302 302 403"),
    "api-token-revoke": ({"pk": 999999}, "login 403 403 403 403 405 405 405"),
    # The API takes tokens only: a session, anyone's, is no way in (test_api.py).
    "api:statistics": ({}, "401 401 401 401 401 401 401 401"),
    "api:payments": ({}, "401 401 401 401 401 401 401 401"),
    "api:payments-paid": ({}, "405 405 405 405 405 405 405 405"),  # POST only
    "api:vocabularies": ({}, "401 401 401 401 401 401 401 401"),
    "api:openapi": ({}, "200 200 200 200 200 200 200 200"),
    "api:docs": ({}, "200 200 200 200 200 200 200 200"),
    "api:not-found": ({"rest": "v1/nothing/"}, "404 404 404 404 404 404 404 404"),
    "engagements:expert-home": ({}, "login 200 200 403 403 403 403 403"),
    "engagements:unit-home": ({}, "login 403 403 200 200 403 403 403"),
    "engagements:coordinator-home": ({}, "login 403 403 403 403 200 403 403"),
    "engagements:manager-home": ({}, "login 403 403 403 403 403 200 403"),
    # Expert registry: public application
    "experts:apply": ({}, "200 200 200 200 200 200 200 200"),
    "experts:apply-thanks": ({}, "200 200 200 200 200 200 200 200"),
    # The expert's own pages (other roles 403; POST-only steps 405 for experts)
    "experts:profile": ({}, "login 200 200 403 403 403 403 403"),
    "experts:photo-upload": ({}, "login 405 405 403 403 403 403 403"),
    "experts:photo-delete": ({}, "login 405 405 403 403 403 403 403"),
    "experts:text-messages": ({}, "login 200 200 403 403 403 403 403"),
    "experts:mobile-number": ({}, "login 405 405 403 403 403 403 403"),
    "experts:mobile-verify": ({}, "login 405 405 403 403 403 403 403"),
    "experts:mobile-remove": ({}, "login 405 405 403 403 403 403 403"),
    "experts:consents": ({}, "login 200 200 403 403 403 403 403"),
    "experts:consent-give": ({"purpose": "photo"}, "login 405 405 403 403 403 403 403"),
    "experts:consent-withdraw": ({"purpose": "registry"}, "login 200 200 403 403 403 403 403"),
    "experts:availability": ({}, "login 200 200 403 403 403 403 403"),
    "experts:away-add": ({}, "login 405 405 403 403 403 403 403"),
    "experts:away-delete": ({"pk": 1}, "login 405 405 403 403 403 403 403"),
    "experts:my-data": ({}, "login 200 200 403 403 403 403 403"),
    "experts:export-json": ({}, "login 200 200 403 403 403 403 403"),
    "experts:export-html": ({}, "login 200 200 403 403 403 403 403"),
    "experts:erase": ({}, "login 200 200 403 403 403 403 403"),
    "experts:cancel-erasure": ({}, "login 405 405 403 403 403 403 403"),
    # Photos: nobody's photo exists at this id (owner and scope rules are in test_photos.py)
    "engagements:expert-photo": ({"pk": 999999}, "404 404 404 404 404 404 404 404"),
    # Coordinator's registry (unknown ids 404 for the coordinator; see test_coordinator_registry.py)
    "experts:applications": ({}, "login 403 403 403 403 200 403 403"),
    "experts:application": ({"pk": 999999}, "login 403 403 403 403 404 403 403"),
    "experts:application-note": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "experts:application-accept": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "experts:application-reject": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "experts:expert-list": ({}, "login 403 403 403 403 200 403 403"),
    "experts:expert": ({"pk": 999999}, "login 403 403 403 403 404 403 403"),
    "experts:guardian-consent": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "experts:guardian-withdrawal": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "experts:access-log": ({"pk": 999999}, "login 403 403 403 403 404 403 403"),
    "experts:expert-status": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "experts:expert-trainings": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "experts:expert-notes": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "experts:expert-exclusions": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    # Request flow: public start for workers
    "engagements:join": ({}, "200 200 200 200 200 200 200 200"),
    "engagements:join-sent": ({}, "200 200 200 200 200 200 200 200"),
    # Unit members (unknown ids 404; other units' requests: see test_requests.py)
    "engagements:unit-requests": ({}, "login 403 403 200 200 403 403 403"),
    "engagements:request-create": ({}, "login 403 403 200 200 403 403 403"),
    "engagements:unit-request": ({"pk": 999999}, "login 403 403 404 404 403 403 403"),
    "engagements:request-edit": ({"pk": 999999}, "login 403 403 404 404 403 403 403"),
    "engagements:request-submit": ({"pk": 999999}, "login 403 403 405 405 403 403 403"),
    "engagements:request-cancel": ({"pk": 999999}, "login 403 403 405 405 403 403 403"),
    "engagements:attachment-upload": ({"pk": 999999}, "login 403 403 405 405 403 403 403"),
    "engagements:invite-colleague": ({}, "login 403 403 200 200 403 403 403"),
    "engagements:attachment": ({"pk": 999999}, "login 404 404 404 404 404 404 404"),
    # Experts' offers
    "engagements:my-offers": ({}, "login 200 200 403 403 403 403 403"),
    "engagements:offer": ({"pk": 999999}, "login 404 404 403 403 403 403 403"),
    "engagements:offer-accept": ({"pk": 999999}, "login 405 405 403 403 403 403 403"),
    "engagements:offer-decline": ({"pk": 999999}, "login 405 405 403 403 403 403 403"),
    "engagements:expert-cancel": ({"pk": 999999}, "login 405 405 403 403 403 403 403"),
    # The offer e-mail's signed link: public, but a forged token names nothing (see test_offer_links.py)
    "engagements:offer-link": ({"token": "forged"}, "404 404 404 404 404 404 404 404"),
    "engagements:offer-link-accept": ({"token": "forged"}, "405 405 405 405 405 405 405 405"),
    "engagements:offer-link-decline": ({"token": "forged"}, "405 405 405 405 405 405 405 405"),
    # After the engagement (unknown ids; the real rules are in test_after_engagement.py)
    "engagements:unit-feedback": ({"pk": 999999}, "login 403 403 404 404 403 403 403"),
    "engagements:impact": ({"pk": 999999}, "login 403 403 404 404 403 403 403"),
    # Material reviews (who reaches a real review: tests/test_material_reviews.py)
    "engagements:review": ({"pk": 999999}, "login 404 404 403 403 403 403 403"),
    "engagements:review-comment": ({"pk": 999999, "comment_pk": 1}, "login 404 404 403 403 403 403 403"),
    "engagements:review-comment-delete": ({"pk": 999999, "comment_pk": 1}, "login 405 405 403 403 403 403 403"),
    "engagements:review-answer": ({"pk": 999999, "comment_pk": 1}, "login 405 405 403 403 403 403 403"),
    "engagements:review-document": ({"pk": 999999}, "login 405 405 403 403 403 403 403"),
    "engagements:review-submit": ({"pk": 999999}, "login 405 405 403 403 403 403 403"),
    "engagements:review-document-download": ({"pk": 999999}, "login 404 404 404 404 404 404 404"),
    "engagements:unit-review": ({"pk": 999999}, "login 403 403 404 404 404 403 403"),
    "engagements:unit-review-csv": ({"pk": 999999}, "login 403 403 404 404 404 403 403"),
    "engagements:unit-review-docx": ({"pk": 999999}, "login 403 403 404 404 404 403 403"),
    "engagements:review-question": ({"pk": 999999}, "login 403 403 405 405 403 403 403"),
    "engagements:review-adoption": ({"pk": 999999}, "login 403 403 405 405 403 403 403"),
    "engagements:history": ({}, "login 200 200 403 403 403 403 403"),
    "engagements:expert-feedback": ({"pk": 999999}, "login 404 404 403 403 403 403 403"),
    "engagements:expense-claim": ({"pk": 999999}, "login 404 404 403 403 403 403 403"),
    "engagements:receipt": ({"pk": 999999}, "login 404 404 403 403 403 403 403"),
    "engagements:attendance": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:debriefs": ({}, "login 403 403 403 403 200 403 403"),
    "engagements:record-debrief": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:expenses": ({}, "login 403 403 403 403 200 403 403"),
    "engagements:approve-expense": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:return-expense": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:expense-receipt": ({"pk": 999999}, "login 403 403 403 403 404 403 403"),
    "engagements:payments": ({}, "login 403 403 403 403 200 403 403"),
    "engagements:payments-export": ({}, "login 403 403 403 403 200 403 403"),
    "engagements:payments-paid": ({}, "login 403 403 403 403 405 403 403"),
    # Statistics (managers) and the coordinator's overview
    "engagements:statistics": ({}, "login 403 403 403 403 403 200 403"),
    "engagements:statistics-csv": ({"table": "figures"}, "login 403 403 403 403 403 200 403"),
    "engagements:overview": ({}, "login 403 403 403 403 200 403 403"),
    "engagements:resend-mail": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    # Calendars and notifications: everyone signed in has their own
    "engagements:assignment-ics": ({"pk": 999999}, "login 404 404 404 404 404 404 404"),
    "engagements:calendar": ({}, "login 200 200 200 200 200 200 200"),
    "engagements:calendar-rotate": ({}, "login 405 405 405 405 405 405 405"),
    "engagements:calendar-turn-on": ({}, "login 405 405 405 405 405 405 405"),
    "engagements:calendar-turn-off": ({}, "login 405 405 405 405 405 405 405"),
    "engagements:calendar-feed": ({"token": "no-such-token"}, "404 404 404 404 404 404 404 404"),
    "engagements:notifications": ({}, "login 200 200 200 200 200 200 200"),
    "engagements:notifications-read": ({}, "login 405 405 405 405 405 405 405"),
    "engagements:notification": ({"pk": 999999}, "login 404 404 404 404 404 404 404"),
    # Coordinator
    "engagements:inbox": ({}, "login 403 403 403 403 200 403 403"),
    "engagements:coordinator-request": ({"pk": 999999}, "login 403 403 403 403 404 403 403"),
    "engagements:matching": ({"pk": 999999}, "login 403 403 403 403 404 403 403"),
    "engagements:excluded": ({"pk": 999999}, "login 403 403 403 403 404 403 403"),
    "engagements:take": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:decline": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:coordinator-cancel": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:make-offers": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:programme-theme": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:confirm": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:cancel-assignment": ({"pk": 999999}, "login 403 403 403 403 405 403 403"),
    "engagements:invite-member": ({}, "login 403 403 403 403 200 403 403"),
    # allauth: entrance pages send signed-in users home; account pages need a login.
    "account_login": ({}, "200 302 302 302 302 302 302 302"),
    "account_logout": ({}, "302 200 200 200 200 200 200 200"),
    "account_inactive": ({}, "200 200 200 200 200 200 200 200"),
    "account_signup": ({}, "200 302 302 302 302 302 302 302"),  # closed: explains invitations
    "account_reauthenticate": ({}, "login 200 200 200 200 200 200 200"),
    "account_email": ({}, "login 200 200 200 200 200 200 200"),
    "account_email_verification_sent": ({}, "200 200 200 200 200 200 200 200"),
    "account_change_password": ({}, "login 200 200 200 200 200 200 200"),
    "account_set_password": ({}, "login 302 302 302 302 302 302 302"),
    "account_reset_password": ({}, "200 200 200 200 200 200 200 200"),
    "account_confirm_login_code": ({}, "302 302 302 302 302 302 302 302"),  # login by code is off
    "account_confirm_email": ({"key": "no-such-key"}, "200 200 200 200 200 200 200 200"),
    "account_reset_password_from_key_done": ({}, "200 200 200 200 200 200 200 200"),
    "account_reset_password_from_key": ({"uidb36": "zz", "key": "bad-key"}, "200 200 200 200 200 200 200 200"),
    "account_reset_password_done": ({}, "200 200 200 200 200 200 200 200"),
    "mfa_index": ({}, "login 200 200 200 200 200 200 200"),
    "mfa_authenticate": ({}, "302 302 302 302 302 302 302 302"),  # only mid-login
    "mfa_reauthenticate": ({}, "login 302 302 302 302 200 200 200"),
    "mfa_activate_totp": ({}, "login 302 302 302 302 302 302 302"),  # asks to reauthenticate, or TOTP is on
    "mfa_deactivate_totp": ({}, "login 404 404 404 404 302 302 302"),
    "mfa_view_recovery_codes": ({}, "login 404 404 404 404 404 404 404"),
    "mfa_generate_recovery_codes": ({}, "login 302 302 302 302 302 302 302"),
    "mfa_download_recovery_codes": ({}, "login 404 404 404 404 404 404 404"),
    "usersessions_list": ({}, "login 200 200 200 200 200 200 200"),
    # Django admin: one row stands for the whole admin namespace (checked by its index). Non-staff go
    # to the admin's login page, which itself sits behind allauth's login (so MFA applies).
    "admin:*": ({}, "302 302 302 302 302 302 302 200"),
}


def _walk(patterns: list[Any], namespace: str | None = None) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from _walk(pattern.url_patterns, full)
        elif isinstance(pattern, URLPattern):
            if namespace == "admin":
                yield "admin:*"
            else:
                assert pattern.name, f"URL pattern {pattern.pattern} has no name"
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_pattern_has_a_row() -> None:
    names = set(_walk(get_resolver().url_patterns))
    missing = sorted(names - ROWS.keys())
    stale = sorted(ROWS.keys() - names)
    assert not missing, f"Add rows for these URL names: {missing}"
    assert not stale, f"These rows name no URL: {stale}"


@pytest.mark.parametrize("name", sorted(ROWS))
def test_personas_reach_what_they_should(name: str, personas: dict[str, Any]) -> None:
    kwargs, outcomes = ROWS[name]
    url = reverse("admin:index" if name == "admin:*" else name, kwargs=kwargs)
    expected = dict(zip(PERSONAS, outcomes.split(), strict=True))
    wrong = {}
    for persona, outcome in expected.items():
        client = Client()
        user = personas[persona]
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        if outcome == "login":
            ok = response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            ok = response.status_code == int(outcome)
        if not ok:
            wrong[persona] = (outcome, response.status_code, response.get("Location", ""))
    assert not wrong, f"{url}: persona -> (expected, got, location): {wrong}"
