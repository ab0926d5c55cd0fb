"""Every e-mail has a text part and an HTML part; the HTML has a <title> (the subject) and the
recipient's language in `lang`. (Each HTML part also passes axe at 360 px: tests/browser/test_emails.py.)"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from engagements.models import Assignment
from experts.models import EngagementRole
from registry.mail import render_message
from tests.conftest import make_user
from tests.email_samples import ALLAUTH_MESSAGES, TEMPLATES, all_prefixes, project_prefixes, sample_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def context(make_request: Any, expert: Any) -> dict[str, Any]:
    request = make_request()
    assignment = Assignment.objects.create(
        request=request,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="offered",
        offer_expires_at=timezone.now(),
    )
    return sample_context(request, assignment, expert.user)


def test_every_project_email_has_its_own_html_template() -> None:
    prefixes = project_prefixes()
    assert len(prefixes) >= 16
    for prefix in prefixes:
        assert (TEMPLATES / f"{prefix}_message.html").exists(), prefix
    for prefix in ALLAUTH_MESSAGES:
        assert prefix in prefixes, f"{prefix} needs our own text and HTML templates"


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_email_has_both_parts_a_title_and_lang(context: dict[str, Any], language: str) -> None:
    for prefix in all_prefixes():
        subject, text, body = render_message(prefix, context, language)
        assert subject and text.strip(), prefix
        assert re.search(rf'<html lang="{language}">', body), prefix
        title = re.search(r"<title>(.*?)</title>", body, re.S)
        assert title is not None and html.unescape(title.group(1)).strip() == subject, prefix


def test_password_reset_email_has_an_html_part(client: Any, db: None, django_capture_on_commit_callbacks: Any) -> None:
    user = make_user("forgetful@example.test", language="sv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    message = mail.outbox[-1]
    assert message.to == [user.email]
    body, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="sv">' in body and f"<title>{message.subject}</title>" in body
    assert "/accounts/password/reset/key/" in body and "/accounts/password/reset/key/" in message.body


def test_a_message_without_an_html_template_still_gets_an_html_part(db: None) -> None:
    # allauth's own notices (say, MFA notifications if they are ever turned on) have only text.
    subject, text, body = render_message("mfa/email/totp_activated", {"current_site": None}, "fi")
    assert text.strip() and '<html lang="fi">' in body and f"<title>{html.escape(subject)}</title>" in body
