"""Every e-mail the service sends, with a context that fills every template variable, so that the
tests can render each one in each language (tests/test_email_parts.py and, with axe in a browser,
tests/browser/test_emails.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# allauth's messages that this configuration can send (invitation-only accounts, e-mail
# verification by link, password reset by link): each has our own text and HTML templates.
ALLAUTH_MESSAGES = [
    "account/email/email_confirmation",
    "account/email/email_confirmation_signup",
    "account/email/password_reset_key",
    "account/email/unknown_account",
    "account/email/account_already_exists",
]


def project_prefixes() -> list[str]:
    """Every `<prefix>_message.txt` under an `email` folder of templates/."""
    return sorted(
        str(path.relative_to(TEMPLATES)).removesuffix("_message.txt")
        for path in TEMPLATES.rglob("*_message.txt")
        if "email" in path.parts
    )


def all_prefixes() -> list[str]:
    return sorted(set(project_prefixes()) | set(ALLAUTH_MESSAGES))


def sample_context(request: Any, assignment: Any, user: Any, kind: str = "offer_made") -> dict[str, Any]:
    """One context with every variable any of the templates uses."""
    from engagements.notifications import message_for, message_html

    site = settings.SITE_URL
    return {
        # request flow notices
        "headline": message_for(kind, request.title),
        "headline_html": message_html(kind, request),
        "kind": kind,
        "request": request,
        "assignment": assignment,
        "url": f"{site}/me/offers/{assignment.pk}/",
        "impact_text": "Ohjausryhmä päätti ottaa nuoret mukaan.",
        "impact_language": "fi",
        # invitations and accounts
        "user": user,
        "link": f"{site}/accounts/password/reset/key/1-set-password/",
        "valid_days": 3,
        "needs_password": True,
        "invited_by": "Sari Sosiaalityöntekijä",
        "unit": "Lastensuojelun avohuolto",
        "organisation": "Pohjois-Savon hyvinvointialue",
        # registry messages to coordinators and experts
        "site_url": site,
        "application_id": 1,
        "region": "Pohjois-Savo",
        "name": "Emilia",
        "message": "Kiitos hakemuksestasi.",
        "display_name": "Tuuli",
        "expert_id": 1,
        "expires_at": timezone.now() + dt.timedelta(days=30),
        "item_id": 1,
        "due": timezone.localdate() + dt.timedelta(days=14),
        # the guardian's notice
        # (purpose, its plain layer shown to the guardian; None: only the full text was shown)
        "layers": [("Rekisteri", None), ("Yhteydenotot tarjouksista", None)],
        "until": timezone.localdate() + dt.timedelta(days=365),
        "privacy_url": f"{site}/privacy/",
        "contact_email": settings.PRIVACY_CONTACT_EMAIL,
        # allauth
        "password_reset_url": f"{site}/accounts/password/reset/key/1-abc/",
        "activate_url": f"{site}/accounts/confirm-email/abc/",
        "email": "someone@example.test",
        "signup_url": f"{site}/accounts/signup/",
        "current_site": None,
        "code": None,
    }
