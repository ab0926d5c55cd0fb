from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from registry.access import active_role, can_manage_staff
from registry.forms import RoleSwitchForm


def site(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"demo_mode": settings.DEMO_MODE}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        roles = user.roles()
        role = active_role(request)
        context["active_role"] = role
        context["user_roles"] = roles
        # The link to the staff roles page; counted only for coordinators and admins.
        context["can_manage_staff"] = lambda: can_manage_staff(user)
        if len(roles) > 1:
            context["role_switch_form"] = RoleSwitchForm(initial={"role": role}, roles=roles)
    return context
