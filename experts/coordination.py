"""The coordinator's side of the registry: applications, the expert list and detail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_filters.views import FilterView

from experts.access import get_application_for_coordinator, get_expert_for_coordinator
from experts.filters import ExpertFilter
from experts.forms import (
    ApplicationNoteForm,
    CoordinatorNotesForm,
    ExclusionsForm,
    ExpertStatusForm,
    GuardianConsentForm,
    RejectApplicationForm,
    TrainingsForm,
)
from experts.models import Application, ConsentPurpose, ExpertProfile, InvalidTransition
from registry.access import coordinator_regions, role_required
from registry.http import AuthenticatedHttpRequest
from registry.models import AuditEvent, Role

# Applications ----------------------------------------------------------------------------------


@role_required(Role.COORDINATOR)
@require_GET
def applications(request: AuthenticatedHttpRequest) -> HttpResponse:
    scoped = Application.objects.in_regions(coordinator_regions(request)).select_related("region")
    context = {
        "waiting": scoped.waiting().order_by("created_at"),
        "decided": scoped.exclude(status=Application.Status.NEW).order_by("-decided_at")[:20],
    }
    return render(request, "experts/coordinator/applications.html", context)


def _application_page(
    request: AuthenticatedHttpRequest, application: Application, status: int = 200, **forms: Any
) -> HttpResponse:
    context = {
        "application": application,
        "languages": list(application.languages.all()),
        "roles": list(application.roles.all()),
        "note_form": forms.get("note_form") or ApplicationNoteForm(instance=application),
        "reject_form": forms.get("reject_form") or RejectApplicationForm(),
    }
    return render(request, "experts/coordinator/application.html", context, status=status)


@role_required(Role.COORDINATOR)
@require_GET
def application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_application_for_coordinator(request, pk)
    AuditEvent.record(request.user, AuditEvent.Action.VIEW, application)
    return _application_page(request, application)


@role_required(Role.COORDINATOR)
@require_POST
def application_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_application_for_coordinator(request, pk)
    form = ApplicationNoteForm(request.POST, instance=application)
    if not form.is_valid():
        return _application_page(request, application, 400, note_form=form)
    form.save()
    messages.success(request, _("The note was saved."))
    return redirect("experts:application", pk=application.pk)


@role_required(Role.COORDINATOR)
@require_POST
def application_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_application_for_coordinator(request, pk)
    try:
        with transaction.atomic():
            application.accept(by=request.user)
            AuditEvent.record(request.user, AuditEvent.Action.CHANGE, application, "accepted")
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return redirect("experts:application", pk=application.pk)
    messages.success(request, _("The application was accepted and an invitation was sent."))
    return redirect("experts:expert", pk=application.profile_id)


@role_required(Role.COORDINATOR)
@require_POST
def application_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_application_for_coordinator(request, pk)
    form = RejectApplicationForm(request.POST)
    if not form.is_valid():
        return _application_page(request, application, 400, reject_form=form)
    try:
        with transaction.atomic():
            application.reject(by=request.user, message=form.cleaned_data["message"])
            AuditEvent.record(request.user, AuditEvent.Action.CHANGE, application, "rejected")
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return redirect("experts:application", pk=application.pk)
    messages.success(request, _("The application was declined and the applicant was told."))
    return redirect("experts:applications")


# The registry ------------------------------------------------------------------------------------


@method_decorator(role_required(Role.COORDINATOR), name="dispatch")
class ExpertListView(FilterView):
    filterset_class = ExpertFilter
    template_name = "experts/coordinator/expert_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[ExpertProfile]:
        current = ExpertProfile.objects.consent_current().filter(pk=OuterRef("pk"))
        minors = ExpertProfile.objects.minors().filter(pk=OuterRef("pk"))
        return (
            ExpertProfile.objects.not_erased()
            .in_regions(coordinator_regions(self.request))  # type: ignore[arg-type]
            .select_related("home_region")
            .annotate(consent_ok=Exists(current), minor=Exists(minors))
            .order_by("display_name", "pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


expert_list = ExpertListView.as_view()


def _expert_page(
    request: AuthenticatedHttpRequest, expert: ExpertProfile, status: int = 200, **forms: Any
) -> HttpResponse:
    states = expert.consent_states()
    context = {
        "expert": expert,
        "consent_rows": [(ConsentPurpose(p).label, states[p]) for p in ConsentPurpose.values],
        "history": expert.consent_records.select_related("text", "recorded_by").order_by("-at", "-pk"),
        "is_minor": expert.is_minor(),
        "guardian_consent": expert.guardian_consent(),
        "consent_current": expert.is_consent_current(),
        "exceptions": expert.exceptions.all(),
        "lists": {
            "languages": list(expert.languages.all()),
            "travel_regions": list(expert.travel_regions.all()),
            "themes": list(expert.themes.all()),
            "avoid_topics": list(expert.avoid_topics.all()),
            "roles": list(expert.roles.all()),
            "trainings": list(expert.trainings.all()),
        },
        "guardian_form": forms.get("guardian_form") or GuardianConsentForm(),
        "status_form": forms.get("status_form") or ExpertStatusForm(initial={"status": expert.status}),
        "trainings_form": forms.get("trainings_form") or TrainingsForm(instance=expert),
        "notes_form": forms.get("notes_form") or CoordinatorNotesForm(instance=expert),
        "exclusions_form": forms.get("exclusions_form") or ExclusionsForm(instance=expert),
        "avoid_units": list(expert.avoid_units.select_related("organisation")),
        "avoid_municipalities": list(expert.avoid_municipalities.all()),
    }
    return render(request, "experts/coordinator/expert_detail.html", context, status=status)


@role_required(Role.COORDINATOR)
@require_GET
def expert_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    expert = get_expert_for_coordinator(request, pk)
    AuditEvent.record(request.user, AuditEvent.Action.VIEW, expert)
    return _expert_page(request, expert)


@role_required(Role.COORDINATOR)
@require_POST
def guardian_consent(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    expert = get_expert_for_coordinator(request, pk)
    form = GuardianConsentForm(request.POST)
    if not form.is_valid():
        return _expert_page(request, expert, 400, guardian_form=form)
    with transaction.atomic():
        expert.record_guardian_consent(
            guardian_name=form.cleaned_data["guardian_name"],
            relation=form.cleaned_data["relation"],
            method=form.cleaned_data["method"],
            given_on=form.cleaned_data["given_on"],
            recorded_by=request.user,
        )
        AuditEvent.record(request.user, AuditEvent.Action.CONSENT, expert, "guardian consent recorded")
    messages.success(request, _("The guardian's consent was recorded."))
    return redirect("experts:expert", pk=expert.pk)


@role_required(Role.COORDINATOR)
@require_POST
def expert_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    expert = get_expert_for_coordinator(request, pk)
    form = ExpertStatusForm(request.POST)
    if not form.is_valid():
        return _expert_page(request, expert, 400, status_form=form)
    expert.status = form.cleaned_data["status"]
    expert.save(update_fields=["status", "updated_at"])
    AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, f"status {expert.status}")
    messages.success(request, _("The status was changed."))
    return redirect("experts:expert", pk=expert.pk)


@role_required(Role.COORDINATOR)
@require_POST
def expert_trainings(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    expert = get_expert_for_coordinator(request, pk)
    form = TrainingsForm(request.POST, instance=expert)
    if not form.is_valid():
        return _expert_page(request, expert, 400, trainings_form=form)
    form.save()
    AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, "trainings updated")
    messages.success(request, _("The trainings were saved."))
    return redirect("experts:expert", pk=expert.pk)


@role_required(Role.COORDINATOR)
@require_POST
def expert_notes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    expert = get_expert_for_coordinator(request, pk)
    form = CoordinatorNotesForm(request.POST, instance=expert)
    if not form.is_valid():
        return _expert_page(request, expert, 400, notes_form=form)
    form.save()
    AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, "coordinator notes updated")
    messages.success(request, _("The notes were saved."))
    return redirect("experts:expert", pk=expert.pk)


@role_required(Role.COORDINATOR)
@require_POST
def expert_exclusions(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Conflicts of interest, set by the coordinator who knows them (docs/design.md, "Matching")."""
    expert = get_expert_for_coordinator(request, pk)
    form = ExclusionsForm(request.POST, instance=expert)
    if not form.is_valid():
        return _expert_page(request, expert, 400, exclusions_form=form)
    with transaction.atomic():
        form.save()
        AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, "conflicts of interest updated")
    messages.success(request, _("The units and municipalities were saved. Matching leaves them out."))
    return redirect("experts:expert", pk=expert.pk)
