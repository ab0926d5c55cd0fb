"""Who may reach what: the role decorator, the active role, and a staff member's regions.

Each app has its own access module for its objects (`experts.access`, `engagements.access`); this
one holds what they share. Object access is always checked in the query, never by hiding links.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from registry.http import AuthenticatedHttpRequest
from registry.models import Region, Role, StaffRole, regions_in_scope

ACTIVE_ROLE_SESSION_KEY = "active_role"

# HttpResponseBase: a view may stream a stored file (registry.files), which is no HttpResponse.
View = Callable[..., HttpResponseBase]


def role_required(role: Role) -> Callable[[View], View]:
    """Signed-in users without the role get 403; anonymous visitors go to the login page."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.has_role(role):
                raise PermissionDenied
            if request.session.get(ACTIVE_ROLE_SESSION_KEY) != role.value:
                request.session[ACTIVE_ROLE_SESSION_KEY] = role.value
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def active_role(request: HttpRequest) -> Role | None:
    if not request.user.is_authenticated:
        return None
    roles = request.user.roles()
    chosen = request.session.get(ACTIVE_ROLE_SESSION_KEY)
    if chosen in roles:
        return Role(chosen)
    return roles[0] if roles else None


def coordinator_regions(request: AuthenticatedHttpRequest) -> QuerySet[Region] | None:
    """The regions a coordinator works in; None means the whole cooperation area."""
    return regions_in_scope(request.user, StaffRole.Kind.COORDINATOR)


def manager_regions(request: AuthenticatedHttpRequest) -> QuerySet[Region] | None:
    return regions_in_scope(request.user, StaffRole.Kind.MANAGER)


def scope_label(regions: QuerySet[Region] | None) -> list[Region] | None:
    """The regions as a list for the page's "you see: …" line (None: the whole area)."""
    return None if regions is None else list(regions)


def can_manage_staff(user: Any) -> bool:
    """Who gives and takes away coordinator and manager roles in the service: administrators and
    coordinators of the whole area (a regional coordinator cannot widen their own scope)."""
    if not user.is_authenticated:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.COORDINATOR) and regions_in_scope(user, StaffRole.Kind.COORDINATOR) is None


def staff_manager_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_manage_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
