from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from engagements.notifications import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the header of every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}
