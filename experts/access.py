"""Who may open which expert profile and application. Ownership and scope are part of the query:
outside them the object simply does not exist (404)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from experts.models import Application, ExpertProfile
from registry.access import coordinator_regions
from registry.http import AuthenticatedHttpRequest


def get_own_profile(request: AuthenticatedHttpRequest) -> ExpertProfile:
    # The signed-in expert's own profile, and nobody else's.
    return get_object_or_404(ExpertProfile.objects.select_related("home_region", "user"), user=request.user)


def get_application_for_coordinator(request: AuthenticatedHttpRequest, pk: int) -> Application:
    # Outside the coordinator's regions an application simply does not exist (404).
    return get_object_or_404(
        Application.objects.in_regions(coordinator_regions(request)).select_related("region", "decided_by"), pk=pk
    )


def get_expert_for_coordinator(request: AuthenticatedHttpRequest, pk: int) -> ExpertProfile:
    return get_object_or_404(
        ExpertProfile.objects.not_erased()
        .in_regions(coordinator_regions(request))
        .select_related("user", "home_region"),
        pk=pk,
    )
