"""Messages to coordinators about experts: each coordinator in scope, in their own language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q

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
