"""Each role's home page: what needs the person's attention first, then the way on.

The homes live here, in the top app, because they bring together the registry of experts and the
request flow; the core only routes to them by URL name (registry.views.ROLE_HOMES).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from engagements.models import Assignment, ExpenseClaim, Request
from engagements.overview import coordinator_overview
from engagements.statistics import suppress_small
from experts.alerts import coordinator_alerts
from experts.models import REQUIRED_PURPOSES, ExpertProfile
from registry.access import coordinator_regions, manager_regions, role_required, scope_label
from registry.http import AuthenticatedHttpRequest
from registry.models import Organisation, Role, Unit


@role_required(Role.EXPERT)
@require_GET
def expert_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What needs the expert's answer comes first (offers, feedback, returned claims), then what is
    coming (accepted and confirmed engagements), then their details."""
    profile = ExpertProfile.objects.select_related("home_region").get(user=request.user)
    states = profile.consent_states()
    now = timezone.now()
    mine = Assignment.objects.filter(expert=profile).select_related("request__unit", "role")
    feedback_due = mine.filter(
        status=Assignment.Status.ATTENDED,
        feedback__isnull=True,
        attendance_marked_at__gte=now
        - dt.timedelta(days=settings.FOLLOW_UP_MESSAGES * settings.FOLLOW_UP_INTERVAL_DAYS),
    )
    context = {
        "profile": profile,
        "consent_current": all(states[p].is_current for p in REQUIRED_PURPOSES),
        "needs_renewal": any(states[p].status in ("renew", "expired") for p in REQUIRED_PURPOSES),
        "needs_guardian": profile.is_minor() and profile.guardian_consent() is None,
        # Without the month the safe assumption treats an adult as a minor for up to a year.
        "needs_birth_month": bool(profile.birth_year) and not profile.birth_month and profile.is_minor(),
        "offers": list(mine.open_offers(now).order_by("offer_expires_at")),
        "feedback_due": list(feedback_due.order_by("-attendance_marked_at")),
        "returned_claims": list(
            ExpenseClaim.objects.filter(assignment__expert=profile, status=ExpenseClaim.Status.RETURNED)
            .select_related("assignment__request")
            .order_by("-decided_at")
        ),
        "coming": list(
            mine.filter(status__in=[Assignment.Status.ACCEPTED, Assignment.Status.CONFIRMED])
            .filter(Q(request__ends_at__gte=now) | Q(request__ends_at__isnull=True))
            .order_by("request__starts_at", "request__deadline")[:5]
        ),
    }
    return render(request, "engagements/expert/home.html", context)


@role_required(Role.UNIT)
@require_GET
def unit_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = request.user.unit_memberships.select_related(
        "unit__organisation", "unit__region", "unit__municipality"
    ).order_by("unit__name")
    return render(request, "engagements/unit/home.html", {"memberships": memberships})


@role_required(Role.COORDINATOR)
@require_GET
def coordinator_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    regions = coordinator_regions(request)
    units = Unit.objects.in_regions(regions)
    experts = ExpertProfile.objects.not_erased().in_regions(regions)
    counts = experts.aggregate(
        applicants=Count("pk", filter=Q(status=ExpertProfile.Status.APPLICANT)),
        active=Count("pk", filter=Q(status=ExpertProfile.Status.ACTIVE)),
        paused=Count("pk", filter=Q(status=ExpertProfile.Status.PAUSED)),
    )
    context = {
        "scope": scope_label(regions),
        "alerts": coordinator_alerts(regions),
        "sections": coordinator_overview(regions, items=False),
        "counts": counts,
        # New requests straight from the home page: opening one is the first step of triage.
        "new_requests": list(
            Request.objects.in_regions(regions)
            .filter(status=Request.Status.SUBMITTED)
            .select_related("unit")
            .order_by("submitted_at", "pk")[:5]
        ),
        "unit_count": units.count(),
        "organisation_count": Organisation.objects.filter(units__in=units).distinct().count(),
    }
    return render(request, "engagements/coordinator/home.html", context)


@role_required(Role.MANAGER)
@require_GET
def manager_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    regions = manager_regions(request)
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
        "engagements/manager/home.html",
        {"scope": scope_label(regions), "expert_rows": rows, "sector_rows": sector_rows},
    )
