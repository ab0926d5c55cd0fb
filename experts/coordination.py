"""The coordinator's side of the registry: applications, the expert list and detail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST
from django_filters.views import FilterView

from experts.access import get_application_for_coordinator, get_expert_for_coordinator
from experts.filters import ExpertFilter
from experts.forms import (
    AccessLogFilterForm,
    ApplicationNoteForm,
    CoordinatorNotesForm,
    ExclusionsForm,
    ExpertStatusForm,
    GuardianConsentForm,
    GuardianWithdrawalForm,
    RejectApplicationForm,
    TrainingsForm,
)
from experts.models import (
    Application,
    ConsentPlainText,
    ConsentPurpose,
    ConsentRecord,
    ExpertProfile,
    InvalidTransition,
    consent_layers,
)
from experts.notify import send_guardian_notice
from registry.access import coordinator_regions, role_required
from registry.http import AuthenticatedHttpRequest
from registry.models import AuditEvent, OutgoingMessage, Role
from registry.privacy import objects_of
from registry.sms import display_mobile

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
            .in_regions(coordinator_regions(self.request))
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
    guardian_purposes = expert.guardian_purposes()
    guardian_layers = consent_layers(ConsentPlainText.Audience.GUARDIAN) if guardian_purposes else {}
    context = {
        "expert": expert,
        "consent_rows": [(ConsentPurpose(p).label, states[p]) for p in ConsentPurpose.values],
        "history": expert.consent_records.select_related("text", "plain_text", "recorded_by").order_by("-at", "-pk"),
        "is_minor": expert.is_minor(),
        "guardian_rows": [(ConsentPurpose(p).label, expert.guardian_consent(purpose=p)) for p in guardian_purposes],
        # The guardian's version of each text, for the coordinator to show them before recording.
        "guardian_layers": [(ConsentPurpose(p).label, guardian_layers[p]) for p in guardian_purposes],
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
        # A prefix: both guardian forms are on the page and ids must stay unique.
        "guardian_withdrawal_form": forms.get("guardian_withdrawal_form")
        or GuardianWithdrawalForm(prefix="withdrawal"),
        "status_form": forms.get("status_form") or ExpertStatusForm(initial={"status": expert.status}),
        "trainings_form": forms.get("trainings_form") or TrainingsForm(instance=expert),
        "notes_form": forms.get("notes_form") or CoordinatorNotesForm(instance=expert),
        "exclusions_form": forms.get("exclusions_form") or ExclusionsForm(instance=expert),
        "avoid_units": list(expert.avoid_units.select_related("organisation")),
        "avoid_municipalities": list(expert.avoid_municipalities.all()),
        # Which channel each recent message took and whether it arrived (never the text itself:
        # a text message's link answers the offer).
        "recent_messages": list(
            OutgoingMessage.objects.filter(user=expert.user).order_by("-created_at", "-pk")[:RECENT_MESSAGES]
        ),
        "mobile": display_mobile(expert.user.mobile_number),
    }
    return render(request, "experts/coordinator/expert_detail.html", context, status=status)


RECENT_MESSAGES = 10


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
    data = form.cleaned_data
    with transaction.atomic():
        records = expert.record_guardian_consent(
            guardian_name=data["guardian_name"],
            relation=data["relation"],
            method=data["method"],
            given_on=data["given_on"],
            recorded_by=request.user,
            purposes=data["purposes"] or None,
            email=data["email"],
            phone=data["phone"],
            notice=data["notice"],
        )
        AuditEvent.record(
            request.user,
            AuditEvent.Action.CONSENT,
            expert,
            gettext_noop("guardian consent recorded: %(purposes)s"),
            {"purposes": AuditEvent.in_languages(*(ConsentPurpose(record.purpose).label for record in records))},
        )
        if data["notice"] == ConsentRecord.Notice.EMAIL:
            send_guardian_notice(expert, data["email"], records)
    messages.success(request, _("The guardian's consent was recorded."))
    return redirect("experts:expert", pk=expert.pk)


@role_required(Role.COORDINATOR)
@require_POST
def guardian_withdrawal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    expert = get_expert_for_coordinator(request, pk)
    form = GuardianWithdrawalForm(request.POST, prefix="withdrawal")
    if not form.is_valid():
        return _expert_page(request, expert, 400, guardian_withdrawal_form=form)
    data = form.cleaned_data
    with transaction.atomic():
        expert.record_guardian_withdrawal(
            data["purpose"],
            guardian_name=data["guardian_name"],
            method=data["method"],
            withdrawn_on=data["withdrawn_on"],
            recorded_by=request.user,
        )
        AuditEvent.record(
            request.user,
            AuditEvent.Action.CONSENT,
            expert,
            gettext_noop("guardian consent withdrawn: %(purpose)s"),
            {"purpose": AuditEvent.in_languages(ConsentPurpose(data["purpose"]).label)},
        )
    messages.success(request, _("The guardian's withdrawal was recorded."))
    return redirect("experts:expert", pk=expert.pk)


@role_required(Role.COORDINATOR)
@require_GET
def expert_access_log(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Who has handled this expert's data, month by month: views, exports, changes, consents,
    sign-ins, calendar reads, also of their engagements and application."""
    expert = get_expert_for_coordinator(request, pk)
    form = AccessLogFilterForm(request.GET or None)
    events = AuditEvent.objects.about(objects_of(expert.user)) | AuditEvent.objects.filter(actor=expert.user)
    month = form.cleaned_data["month"] if form.is_valid() else None
    if month is not None:
        events = events.filter(at__gte=month.start, at__lt=month.end)
    # Opening the log is itself a view of the expert's data.
    AuditEvent.record(request.user, AuditEvent.Action.VIEW, expert, gettext_noop("access log"))
    page = Paginator(events.order_by("-at", "-pk"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"expert": expert, "form": form, "page_obj": page, "query": query.urlencode(), "month": month}
    return render(request, "experts/coordinator/access_log.html", context)


@role_required(Role.COORDINATOR)
@require_POST
def expert_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    expert = get_expert_for_coordinator(request, pk)
    form = ExpertStatusForm(request.POST)
    if not form.is_valid():
        return _expert_page(request, expert, 400, status_form=form)
    expert.status = form.cleaned_data["status"]
    expert.save(update_fields=["status", "updated_at"])
    AuditEvent.record(
        request.user,
        AuditEvent.Action.CHANGE,
        expert,
        gettext_noop("status changed to %(status)s"),
        {"status": AuditEvent.in_languages(ExpertProfile.Status(expert.status).label)},
    )
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
    AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, gettext_noop("trainings updated"))
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
    AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, gettext_noop("coordinator notes updated"))
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
        AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, gettext_noop("conflicts of interest updated"))
    messages.success(request, _("The units and municipalities were saved. Matching leaves them out."))
    return redirect("experts:expert", pk=expert.pk)
