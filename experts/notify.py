"""Messages to coordinators about experts: each coordinator in scope, in their own language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q

from experts.models import ConsentPurpose
from registry.mail import send_templated_mail
from registry.models import Region, StaffRole, User


def coordinators_for(region: Region | None) -> list[User]:
    """Area-wide coordinators, plus the region's own."""
    scope = Q(staff_roles__region__isnull=True)
    if region is not None:
        scope |= Q(staff_roles__region=region)
    return list(User.objects.filter(scope, staff_roles__role=StaffRole.Kind.COORDINATOR, is_active=True).distinct())


def notify_coordinators(region: Region | None, template_prefix: str, context: dict[str, Any]) -> None:
    # Only ids and display names go into these messages: never health or family details.
    for user in coordinators_for(region):
        send_templated_mail(
            template_prefix,
            [user.email],
            {**context, "site_url": settings.SITE_URL, "recipient": user},
            language=user.preferred_language,
        )


def send_guardian_notice(expert: Any, email: str, records: list[Any]) -> None:
    """Tells a guardian what they consented to and what rights they have, with the privacy notice.
    Only the display name: the subject line and text say nothing of child protection."""
    send_templated_mail(
        "experts/email/guardian_notice",
        [email],
        {
            "display_name": expert.display_name,
            # The guardian's plain answers the record says were shown, for the guardian to keep.
            "layers": [(ConsentPurpose(record.purpose).label, record.plain_text) for record in records],
            "until": max((record.expires_at for record in records if record.expires_at), default=None),
            "privacy_url": f"{settings.SITE_URL}/privacy/",
            "contact_email": settings.PRIVACY_CONTACT_EMAIL,
            "site_url": settings.SITE_URL,
        },
        language=expert.user.preferred_language,
    )
