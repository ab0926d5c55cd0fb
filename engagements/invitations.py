"""Unit members join by invitation: from a coordinator, a colleague, or themselves via a work e-mail."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from experts.models import invitation_url
from registry.mail import send_templated_mail
from registry.models import Role, Unit, UnitMembership, User


@transaction.atomic
def invite_unit_member(
    email: str, unit: Unit, *, invited_by: User | None, name: str = "", title: str = "", next_url: str = ""
) -> UnitMembership:
    """Create the account if needed and the membership, and send a one-time link to set a password.

    A coordinator's or colleague's invitation makes the membership approved at once; someone who
    signs themselves up waits for the coordinator, who approves the membership in triage.

    Setting the password signs the person in (ACCOUNT_LOGIN_ON_PASSWORD_RESET) and lands them on
    `next_url` when given (the request form, for a worker who started a request)."""
    user = User.objects.filter(email__iexact=email).first()
    new_account = user is None
    if user is None:
        first_name, _space, last_name = name.strip().partition(" ")
        user = User.objects.create_user(
            email=email, password=None, first_name=first_name[:150], last_name=last_name[:150]
        )
        # Only the link sent to this address lets anyone set a password, which proves the address.
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    trusted = invited_by is not None and (
        invited_by.has_role(Role.COORDINATOR)
        or UnitMembership.objects.approved().filter(user=invited_by, unit=unit).exists()
    )
    membership, created = UnitMembership.objects.get_or_create(
        user=user, unit=unit, defaults={"title": title, "approved_at": timezone.now() if trusted else None}
    )
    if not created and trusted and membership.approved_at is None:
        membership.approved_at = timezone.now()
        membership.save(update_fields=["approved_at"])
    needs_password = new_account or not user.has_usable_password()
    send_templated_mail(
        "engagements/email/unit_invitation",
        [user.email],
        {
            "unit": unit.name,
            "organisation": unit.organisation.name,
            "invited_by": invited_by.get_full_name() if invited_by else "",
            "link": invitation_url(user, next_url=next_url)
            if needs_password
            else f"{settings.SITE_URL}/accounts/login/{_next_query(next_url)}",
            "needs_password": needs_password,
            "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        },
        language=user.preferred_language,
        urgent=True,
    )
    return membership


def _next_query(next_url: str) -> str:
    return f"?{urlencode({'next': next_url})}" if next_url else ""


def tell_existing_account(user: User) -> None:
    """Someone used the public start form with an address that already has an account."""
    send_templated_mail(
        "engagements/email/join_existing_account",
        [user.email],
        {"link": f"{settings.SITE_URL}/accounts/login/"},
        language=user.preferred_language,
        urgent=True,
    )
