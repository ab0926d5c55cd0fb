from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from engagements.overview import coordinator_overview
from experts.alerts import coordinator_alerts
from experts.models import REQUIRED_PURPOSES, ExpertProfile
from registry.forms import RoleSwitchForm
from registry.http import AuthenticatedHttpRequest
from registry.models import Organisation, Region, Role, StaffRole, Unit, regions_in_scope

ACTIVE_ROLE_SESSION_KEY = "active_role"
ROLE_HOMES = {
    Role.EXPERT: "expert-home",
    Role.UNIT: "unit-home",
    Role.COORDINATOR: "coordinator-home",
    Role.MANAGER: "manager-home",
    Role.ADMIN: "admin:index",
}
# Managers see counts only; a count smaller than this is shown as "<3" (DESIGN.md §6).
SMALL_CELL_LIMIT = 3

View = Callable[..., HttpResponse]


def role_required(role: Role) -> Callable[[View], View]:
    """Signed-in users without the role get 403; anonymous visitors go to the login page."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
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


# Public pages ---------------------------------------------------------------------------------


@require_GET
def front(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/front.html", {"demo_password": "demo-Kokemus-2026" if settings.DEMO_MODE else ""})


@require_GET
def become_expert(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/become_expert.html")


@require_GET
def request_expert(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/request_expert.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/privacy.html")


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


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


@role_required(Role.EXPERT)
@require_GET
def expert_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = ExpertProfile.objects.select_related("home_region").get(user=request.user)
    states = profile.consent_states()
    context = {
        "profile": profile,
        "consent_current": all(states[p].is_current for p in REQUIRED_PURPOSES),
        "needs_renewal": any(states[p].status in ("renew", "expired") for p in REQUIRED_PURPOSES),
        "needs_guardian": profile.is_minor() and profile.guardian_consent() is None,
    }
    return render(request, "registry/home_expert.html", context)


@role_required(Role.UNIT)
@require_GET
def unit_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = request.user.unit_memberships.select_related(
        "unit__organisation", "unit__region", "unit__municipality"
    ).order_by("unit__name")
    return render(request, "registry/home_unit.html", {"memberships": memberships})


def _scope_label(regions: Any) -> list[Region] | None:
    return None if regions is None else list(regions)


@role_required(Role.COORDINATOR)
@require_GET
def coordinator_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    regions = regions_in_scope(request.user, StaffRole.Kind.COORDINATOR)
    units = Unit.objects.in_regions(regions)
    experts = ExpertProfile.objects.not_erased().in_regions(regions)
    counts = experts.aggregate(
        applicants=Count("pk", filter=Q(status=ExpertProfile.Status.APPLICANT)),
        active=Count("pk", filter=Q(status=ExpertProfile.Status.ACTIVE)),
        paused=Count("pk", filter=Q(status=ExpertProfile.Status.PAUSED)),
    )
    context = {
        "scope": _scope_label(regions),
        "alerts": coordinator_alerts(regions),
        "sections": coordinator_overview(regions, items=False),
        "counts": counts,
        "unit_count": units.count(),
        "organisation_count": Organisation.objects.filter(units__in=units).distinct().count(),
    }
    return render(request, "registry/home_coordinator.html", context)


def suppress_small(count: int) -> str:
    return f"<{SMALL_CELL_LIMIT}" if 0 < count < SMALL_CELL_LIMIT else str(count)


@role_required(Role.MANAGER)
@require_GET
def manager_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    regions = regions_in_scope(request.user, StaffRole.Kind.MANAGER)
    experts = ExpertProfile.objects.filter(status=ExpertProfile.Status.ACTIVE)
    if regions is not None:
        experts = experts.filter(home_region__in=regions)
    by_kind = dict(experts.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    rows = [(label, suppress_small(by_kind.get(value, 0))) for value, label in ExpertProfile.Kind.choices]
    units_by_sector = dict(
        Unit.objects.in_regions(regions).filter(is_active=True).values_list("sector").annotate(n=Count("pk"))
    )
    sector_rows = [(label, units_by_sector.get(value, 0)) for value, label in Unit.Sector.choices]
    return render(
        request,
        "registry/home_manager.html",
        {"scope": _scope_label(regions), "expert_rows": rows, "sector_rows": sector_rows},
    )
