"""The coordinator's side of the request flow: inbox, triage, matching, offers, confirmation."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_filters.views import FilterView

from engagements import matching
from engagements.access import claims_for_coordinator, get_assignment_for_coordinator, get_request_for_coordinator
from engagements.forms import AttendanceForm, DebriefForm, InviteForm, OfferForm, ProgrammeThemeForm, ReasonForm
from engagements.invitations import invite_unit_member
from engagements.models import (
    Debrief,
    ExpenseClaim,
    InvalidTransition,
    Request,
    RequestQuerySet,
    RequestType,
)
from engagements.notifications import deliveries
from engagements.overview import coordinator_overview, mail_in_scope, text_message_usage
from engagements.payments import CSV_COLUMNS, mark_paid, payments_rows, unpaid_payments
from experts.alerts import coordinator_alerts
from experts.models import ExpertProfile
from registry.access import coordinator_regions, role_required
from registry.csvexport import csv_response
from registry.files import private_file_response
from registry.http import AuthenticatedHttpRequest
from registry.mail import resend
from registry.models import AuditEvent, Region, Role, Unit
from registry.pagination import CappedPaginator


class RequestFilter(django_filters.FilterSet):
    needs_action = django_filters.BooleanFilter(
        method="filter_needs_action", label=gettext_lazy("Needs action only"), widget=forms.CheckboxInput
    )
    status = django_filters.ChoiceFilter(choices=Request.Status.choices, label=gettext_lazy("Status"))
    type = django_filters.ChoiceFilter(choices=RequestType.choices, label=gettext_lazy("Type"))
    region = django_filters.ModelChoiceFilter(
        field_name="unit__region", queryset=Region.objects.all(), label=gettext_lazy("Wellbeing area")
    )
    unit = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.select_related("organisation"), label=gettext_lazy("Unit")
    )
    sector = django_filters.ChoiceFilter(
        field_name="unit__sector", choices=Unit.Sector.choices, label=gettext_lazy("Sector")
    )
    starts_from = django_filters.DateFilter(
        field_name="starts_at",
        lookup_expr="date__gte",
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    starts_until = django_filters.DateFilter(
        field_name="starts_at",
        lookup_expr="date__lte",
        label=gettext_lazy("Until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Request
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A regional coordinator chooses among their own regions and units only: the list of
        # every unit in the area is not theirs to see, and a unit outside scope is not a choice.
        regions = coordinator_regions(self.request) if self.request is not None else None
        if regions is not None:
            self.filters["region"].queryset = Region.objects.filter(pk__in=regions)
            self.filters["unit"].queryset = Unit.objects.in_regions(regions).select_related("organisation")

    def filter_needs_action(self, queryset: RequestQuerySet, name: str, value: bool) -> RequestQuerySet:
        return queryset.needs_action() if value else queryset


@method_decorator(role_required(Role.COORDINATOR), name="dispatch")
class InboxView(FilterView):
    filterset_class = RequestFilter
    template_name = "engagements/coordinator/inbox.html"
    paginate_by = 25

    paginator_class = CappedPaginator

    def get_queryset(self) -> QuerySet[Request]:
        requests = Request.objects.in_regions(coordinator_regions(self.request)).exclude(status=Request.Status.DRAFT)
        requests = requests.select_related("unit__organisation", "unit__region")
        if self.request.GET.get("status"):
            return requests.order_by("urgency", "due_at", "pk")
        if self.finished_tab:
            # Finished work has its own tab, latest first.
            return requests.filter(urgency=Request.FINISHED_URGENCY).order_by("-due_at", "-pk")
        # Work in progress, most urgent first: what needs action, then by date. The order is kept
        # in stored columns with an index, so the first page reads 25 rows, not every open request.
        return requests.filter(urgency__lte=Request.IN_PROGRESS_URGENCY).order_by("urgency", "due_at", "pk")

    @property
    def finished_tab(self) -> bool:
        return self.request.GET.get("tab") == "finished"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        context["finished_tab"] = self.finished_tab
        return context


inbox = InboxView.as_view()


DECLINE_IDS = "decline-%s"
CANCEL_IDS = "cancel-%s"


def _detail(request: AuthenticatedHttpRequest, obj: Request, status: int = 200, **forms_: Any) -> HttpResponse:
    assignments = list(obj.assignments.select_related("expert", "role").order_by("-offered_at"))
    # How the messages to each expert about their offer went: channel, sent, arrived.
    sent = deliveries(assignments)
    for assignment in assignments:
        assignment.deliveries = sent[assignment.pk]  # type: ignore[attr-defined]  # for the template only, not a field
    pending = obj.created_by.unit_memberships.filter(unit=obj.unit, approved_at__isnull=True).exists()
    expert_feedback = list(obj.assignments.filter(feedback__isnull=False).select_related("expert", "feedback"))
    AuditEvent.record_many(
        request.user,
        AuditEvent.Action.VIEW,
        ExpertProfile,
        [a.expert_id for a in expert_feedback],
        gettext_noop("own feedback on request %(request)s"),
        {"request": obj.pk},
    )
    context = {
        "obj": obj,
        "assignments": assignments,
        "ended": obj.has_ended(),
        "expert_feedback": expert_feedback,
        "pending_membership": pending,
        "themes": list(obj.themes.all()),
        "languages": list(obj.languages.all()),
        "attachments": obj.attachments.all(),
        # Both forms are on one page: their fields need ids of their own.
        "decline_form": forms_.get("decline_form") or ReasonForm(auto_id=DECLINE_IDS),
        "cancel_form": forms_.get("cancel_form") or ReasonForm(auto_id=CANCEL_IDS),
        "assignment_cancel_form": ReasonForm(),
        "theme_form": forms_.get("theme_form") or ProgrammeThemeForm(instance=obj),
    }
    return render(request, "engagements/coordinator/request_detail.html", context, status=status)


@role_required(Role.COORDINATOR)
@require_GET
def coordinator_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_request_for_coordinator(request, pk))


@role_required(Role.COORDINATOR)
@require_POST
def take_into_matching(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_coordinator(request, pk)
    try:
        obj.take_into_matching(request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return redirect("engagements:coordinator-request", pk=obj.pk)
    messages.success(request, _("The request is now in matching."))
    return redirect("engagements:matching", pk=obj.pk)


@role_required(Role.COORDINATOR)
@require_POST
def decline_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_coordinator(request, pk)
    form = ReasonForm(request.POST, auto_id=DECLINE_IDS)
    if not form.is_valid():
        return _detail(request, obj, 400, decline_form=form)
    try:
        obj.decline(request.user, form.cleaned_data["reason"])
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The request was declined and the unit was told why."))
    return redirect("engagements:coordinator-request", pk=obj.pk)


@role_required(Role.COORDINATOR)
@require_POST
def coordinator_cancel_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_coordinator(request, pk)
    form = ReasonForm(request.POST, auto_id=CANCEL_IDS)
    if not form.is_valid():
        return _detail(request, obj, 400, cancel_form=form)
    try:
        obj.cancel(request.user, form.cleaned_data["reason"])
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The request was cancelled and everyone involved was told."))
    return redirect("engagements:coordinator-request", pk=obj.pk)


@role_required(Role.COORDINATOR)
@require_POST
def programme_theme(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The coordinator classifies the request for the programme's report (statistics)."""
    obj = get_request_for_coordinator(request, pk)
    form = ProgrammeThemeForm(request.POST, instance=obj)
    if not form.is_valid():
        return _detail(request, obj, 400, theme_form=form)
    form.save()
    messages.success(request, _("The programme theme was saved."))
    return redirect("engagements:coordinator-request", pk=obj.pk)


def _shown(request: AuthenticatedHttpRequest) -> int:
    """How many candidates to show: the best 25, and 25 more per "show more" (a plain link)."""
    try:
        wanted = int(request.GET.get("show", matching.PAGE_SIZE))
    except ValueError:
        wanted = matching.PAGE_SIZE
    return max(matching.PAGE_SIZE, min(wanted, matching.MAX_SHOWN))


def _matching_page(
    request: AuthenticatedHttpRequest, obj: Request, form: OfferForm | None = None, status: int = 200
) -> HttpResponse:
    facts = matching.RequestFacts.of(obj)
    shown = _shown(request)
    candidates, suitable, excluded = matching.ranked_and_counted(facts, limit=shown)
    form = form or OfferForm(candidates=candidates, request_obj=obj)
    AuditEvent.record_many(
        request.user,
        AuditEvent.Action.VIEW,
        ExpertProfile,
        [c.expert_id for c in candidates],
        gettext_noop("matching for request %(request)s"),
        {"request": obj.pk},
    )
    context = {
        "obj": obj,
        "candidates": candidates,
        "suitable_count": suitable,
        "more": min(suitable, matching.MAX_SHOWN) - len(candidates),
        "show_more": shown + matching.PAGE_SIZE,
        "excluded_count": excluded,
        "form": form,
        "can_offer": obj.status in (Request.Status.MATCHING, Request.Status.OFFERED, Request.Status.CONFIRMED),
    }
    return render(request, "engagements/coordinator/matching.html", context, status=status)


@role_required(Role.COORDINATOR)
@require_GET
def matching_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _matching_page(request, get_request_for_coordinator(request, pk))


@role_required(Role.COORDINATOR)
@require_GET
def matching_excluded(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_coordinator(request, pk)
    facts = matching.RequestFacts.of(obj)
    # Only the page shown is explained: the reasons need facts that cost per expert.
    excluded = matching.excluded(facts).in_regions(coordinator_regions(request))
    page = Paginator(excluded, 50).get_page(request.GET.get("page"))
    exclusions = matching.explain(facts, page.object_list)
    AuditEvent.record_many(
        request.user,
        AuditEvent.Action.VIEW,
        ExpertProfile,
        [e.expert_id for e in exclusions],
        gettext_noop("excluded from matching for request %(request)s"),
        {"request": obj.pk},
    )
    context = {"obj": obj, "page_obj": page, "exclusions": exclusions}
    return render(request, "engagements/coordinator/excluded.html", context)


@role_required(Role.COORDINATOR)
@require_POST
def make_offers(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_coordinator(request, pk)
    # Only the experts picked are checked again: each must still pass every hard rule.
    picked = [int(value) for value in request.POST.getlist("experts") if value.isdigit()]
    candidates = matching.ranked(matching.RequestFacts.of(obj), limit=None, only=picked)
    form = OfferForm(request.POST, candidates=candidates, request_obj=obj)
    if obj.status not in (Request.Status.MATCHING, Request.Status.OFFERED, Request.Status.CONFIRMED):
        messages.error(request, _("Offers can be made only for a request in matching."))
        return redirect("engagements:coordinator-request", pk=obj.pk)
    if not form.is_valid():
        return _matching_page(request, obj, form, status=400)
    by_pk = {str(c.expert.pk): c.expert for c in candidates if c.expert}
    try:
        obj.make_offers(
            [by_pk[pk] for pk in form.cleaned_data["experts"]],
            by=request.user,
            answer_by=form.cleaned_data["answer_by"],
        )
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return redirect("engagements:coordinator-request", pk=obj.pk)
    except IntegrityError:
        messages.error(request, _("One of the experts already has an offer for this request."))
        return redirect("engagements:matching", pk=obj.pk)
    messages.success(request, _("The offers were sent."))
    return redirect("engagements:coordinator-request", pk=obj.pk)


@role_required(Role.COORDINATOR)
@require_POST
def confirm_assignment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_coordinator(request, pk)
    try:
        assignment.confirm(request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The expert is confirmed and was told."))
    return redirect("engagements:coordinator-request", pk=assignment.request_id)


@role_required(Role.COORDINATOR)
@require_POST
def cancel_assignment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_coordinator(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a reason for cancelling."))
        return redirect("engagements:coordinator-request", pk=assignment.request_id)
    try:
        assignment.cancel(request.user, form.cleaned_data["reason"])
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The expert's part was cancelled. You can offer the slot to someone else."))
    return redirect("engagements:coordinator-request", pk=assignment.request_id)


@role_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def invite_member(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(
        request.POST or None, units=Unit.objects.in_regions(coordinator_regions(request)).select_related("organisation")
    )
    if request.method == "POST" and form.is_valid():
        invite_unit_member(form.cleaned_data["email"], form.cleaned_data["unit"], invited_by=request.user)
        messages.success(request, _("The invitation was sent."))
        return redirect("engagements:inbox")
    return render(request, "engagements/invite.html", {"form": form}, status=400 if form.errors else 200)


# After the engagement -------------------------------------------------------------------------


@role_required(Role.COORDINATOR)
@require_POST
def mark_attendance(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_coordinator(request, pk)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether the expert attended."))
        return redirect("engagements:coordinator-request", pk=assignment.request_id)
    try:
        assignment.mark_attendance(attended=form.cleaned_data["attended"], by=request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Attendance was recorded."))
    return redirect("engagements:coordinator-request", pk=assignment.request_id)


def _debriefs_page(
    request: AuthenticatedHttpRequest, failed: Debrief | None = None, form: DebriefForm | None = None
) -> HttpResponse:
    scoped = Debrief.objects.in_regions(coordinator_regions(request)).select_related(
        "assignment__expert", "assignment__request", "assignment__feedback"
    )
    # Each open debrief has its own form; the one that failed keeps what was typed.
    rows = [(d, form if failed and d.pk == failed.pk else DebriefForm(prefix=f"d{d.pk}")) for d in scoped.open()]
    context = {"open": rows, "held": scoped.filter(held_on__isnull=False).order_by("-held_on")[:20]}
    return render(request, "engagements/coordinator/debriefs.html", context, status=400 if failed else 200)


@role_required(Role.COORDINATOR)
@require_GET
def debriefs(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _debriefs_page(request)


@role_required(Role.COORDINATOR)
@require_POST
def record_debrief(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    debrief = get_object_or_404(Debrief.objects.in_regions(coordinator_regions(request)).open(), pk=pk)
    form = DebriefForm(request.POST, instance=debrief, prefix=f"d{debrief.pk}")
    if not form.is_valid():
        return _debriefs_page(request, debrief, form)
    try:
        form.save(commit=False).record(by=request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The debrief was recorded."))
    return redirect("engagements:debriefs")


@role_required(Role.COORDINATOR)
@require_GET
def expenses(request: AuthenticatedHttpRequest) -> HttpResponse:
    claims = claims_for_coordinator(request).filter(status=ExpenseClaim.Status.SUBMITTED).order_by("created_at")
    return render(request, "engagements/coordinator/expenses.html", {"claims": claims, "return_form": ReasonForm()})


@role_required(Role.COORDINATOR)
@require_POST
def approve_expense(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claims_for_coordinator(request), pk=pk)
    try:
        claim.approve(request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The claim was approved."))
    return redirect("engagements:expenses")


@role_required(Role.COORDINATOR)
@require_POST
def return_expense(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claims_for_coordinator(request), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a reason for returning the claim."))
        return redirect("engagements:expenses")
    try:
        claim.send_back(request.user, form.cleaned_data["reason"])
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The claim was returned to the expert."))
    return redirect("engagements:expenses")


@role_required(Role.COORDINATOR)
@require_GET
def expense_receipt(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    claim = get_object_or_404(claims_for_coordinator(request), pk=pk)
    AuditEvent.record(
        request.user,
        AuditEvent.Action.VIEW,
        claim.assignment.expert,
        gettext_noop("expense receipt %(claim)s"),
        {"claim": claim.pk},
    )
    return private_file_response(claim.receipt, content_type=claim.receipt_type, filename=claim.receipt_filename)


@role_required(Role.COORDINATOR)
@require_GET
def payments(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = unpaid_payments(coordinator_regions(request))
    return render(request, "engagements/coordinator/payments.html", {"rows": rows})


@role_required(Role.COORDINATOR)
@require_GET
def payments_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    unpaid = unpaid_payments(coordinator_regions(request))
    # Names and e-mail addresses leave the service: each payee's audit trail shows who took them.
    AuditEvent.record_many(
        request.user, AuditEvent.Action.EXPORT, ExpertProfile, [p.expert_id for p in unpaid], "payroll CSV"
    )
    return csv_response(f"payments-{timezone.localdate().isoformat()}.csv", CSV_COLUMNS, payments_rows(unpaid))


@role_required(Role.COORDINATOR)
@require_POST
def payments_mark_paid(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = mark_paid(request.POST.getlist("payment"), coordinator_regions(request), by=request.user)
    messages.success(request, _("%(count)s payments were marked paid.") % {"count": count})
    return redirect("engagements:payments")


@role_required(Role.COORDINATOR)
@require_POST
def resend_mail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(mail_in_scope(coordinator_regions(request)), pk=pk)
    if not message.has_destination():
        messages.error(
            request,
            _("The person no longer has a verified mobile number. Reach them another way, or ask them to add one."),
        )
    elif resend(message, by=request.user):
        messages.success(request, _("The message will be sent again."))
    else:
        messages.info(request, _("This message is no longer waiting: it has already been sent again."))
    return redirect(reverse("engagements:overview") + "#undelivered")


@role_required(Role.COORDINATOR)
@require_GET
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    regions = coordinator_regions(request)
    context = {
        "sections": coordinator_overview(regions),
        "alerts": coordinator_alerts(regions),
        "text_usage": text_message_usage(regions),
    }
    return render(request, "engagements/coordinator/overview.html", context)
