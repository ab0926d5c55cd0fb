"""After the engagement, for units and experts: feedback, "what happened next", expenses, history."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from engagements.access import get_assignment_for_expert, get_request_for_member, unit_member_required
from engagements.forms import ExpenseClaimForm, ExpertFeedbackForm, ImpactNoteForm, UnitFeedbackForm
from engagements.models import (
    Assignment,
    ExpenseClaim,
    ImpactNote,
    InvalidTransition,
    KilometreRate,
    Request,
    UnitFeedback,
    adoption_summary,
)
from registry.access import role_required
from registry.files import private_file_response
from registry.http import AuthenticatedHttpRequest
from registry.models import Role, current_language

# Unit: feedback and impact note ------------------------------------------------------------------


@unit_member_required
@require_http_methods(["GET", "POST"])
def unit_feedback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_member(request, pk)
    if obj.status != Request.Status.COMPLETED or UnitFeedback.objects.filter(request=obj).exists():
        messages.info(request, _("Feedback cannot be given for this request now."))
        return redirect("engagements:unit-request", pk=obj.pk)
    form = UnitFeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        written = form.save(commit=False)
        written.language = current_language()
        try:
            obj.give_unit_feedback(written, by=request.user)
        except InvalidTransition as exc:
            messages.info(request, str(exc))
        else:
            messages.success(request, _("Thank you for your feedback."))
        return redirect("engagements:unit-request", pk=obj.pk)
    return render(
        request, "engagements/unit/feedback.html", {"obj": obj, "form": form}, status=400 if form.errors else 200
    )


@unit_member_required
@require_http_methods(["GET", "POST"])
def impact_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_member(request, pk)
    if obj.status != Request.Status.COMPLETED or ImpactNote.objects.filter(request=obj).exists():
        messages.info(request, _("The impact note cannot be written for this request now."))
        return redirect("engagements:unit-request", pk=obj.pk)
    form = ImpactNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        written = form.save(commit=False)
        written.language = current_language()
        try:
            obj.write_impact_note(written, by=request.user)
        except InvalidTransition as exc:
            messages.info(request, str(exc))
        else:
            messages.success(request, _("Thank you! The experts who took part will hear what happened next."))
        return redirect("engagements:unit-request", pk=obj.pk)
    return render(
        request, "engagements/unit/impact.html", {"obj": obj, "form": form}, status=400 if form.errors else 200
    )


# Expert: feedback, expenses, history --------------------------------------------------------------


@role_required(Role.EXPERT)
@require_http_methods(["GET", "POST"])
def expert_feedback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_expert(request, pk)
    if assignment.status != Assignment.Status.ATTENDED or hasattr(assignment, "feedback"):
        messages.info(request, _("Feedback cannot be given for this engagement now."))
        return redirect("engagements:history")
    form = ExpertFeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        written = form.save(commit=False)
        written.language = current_language()
        try:
            assignment.give_feedback(written, by=request.user)
        except InvalidTransition as exc:
            messages.info(request, str(exc))
        else:
            messages.success(request, _("Thank you. Only the coordinators read your feedback."))
        return redirect("engagements:history")
    return render(
        request,
        "engagements/expert/feedback.html",
        {"assignment": assignment, "obj": assignment.request, "form": form},
        status=400 if form.errors else 200,
    )


@role_required(Role.EXPERT)
@require_http_methods(["GET", "POST"])
def expense_claim(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_expert(request, pk)
    if assignment.status not in (Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED):
        messages.info(request, _("Expenses can be claimed only for your confirmed engagements."))
        return redirect("engagements:history")
    day = timezone.localdate(assignment.request.end_time() or timezone.now())
    form = ExpenseClaimForm(request.POST or None, request.FILES or None, km_rate=KilometreRate.in_force(day))
    if request.method == "POST" and form.is_valid():
        claim = form.save(commit=False)
        claim.assignment = assignment
        claim.amount = form.cleaned_data["amount"]
        if claim.kind == ExpenseClaim.Kind.KILOMETRES:
            claim.km_rate = form.km_rate
        elif form.cleaned_data.get("receipt_file"):
            claim.receipt.save(form.cleaned_data["receipt_file"].name, form.cleaned_data["receipt_file"], save=False)
            claim.receipt_type = form.cleaned_data["receipt_type"]
        claim.save()
        messages.success(request, _("Your claim was sent to the coordinator."))
        return redirect("engagements:history")
    context = {"assignment": assignment, "obj": assignment.request, "form": form, "km_rate": form.km_rate}
    return render(request, "engagements/expert/expenses.html", context, status=400 if form.errors else 200)


@role_required(Role.EXPERT)
@require_GET
def history(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every engagement, what came of it, and yearly totals; printable as a reference."""
    assignments = list(
        Assignment.objects.filter(
            expert__user=request.user,
            status__in=[Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED, Assignment.Status.NO_SHOW],
        )
        .select_related("request__unit__organisation", "role", "request__unit_feedback", "request__impact_note")
        .select_related("feedback")
        .prefetch_related(Prefetch("expense_claims", queryset=ExpenseClaim.objects.order_by("created_at")))
        .prefetch_related("review_comments")
        .order_by("-request__starts_at", "-request__deadline", "-pk")
    )
    years: dict[int, dict[str, Any]] = defaultdict(lambda: {"count": 0, "fees": Decimal("0"), "expenses": Decimal("0")})
    for assignment in assignments:
        # A review's impact note includes what came of the comments ("4 of your 6 were adopted").
        assignment.review_summary = adoption_summary(list(assignment.review_comments.all()))  # type: ignore[attr-defined]  # for the template only, not a field
        end = assignment.request.end_time()
        year = timezone.localtime(end).year if end else timezone.localdate().year
        if assignment.status == Assignment.Status.ATTENDED:
            years[year]["count"] += 1
            years[year]["fees"] += assignment.fee or Decimal("0")
        years[year]["expenses"] += sum(
            (c.amount for c in assignment.expense_claims.all() if c.status in ("approved", "paid")), Decimal("0")
        )
    context = {
        "assignments": assignments,
        "years": sorted(years.items(), reverse=True),
        "expert": request.user.expert_profile,
        "printed_at": timezone.now(),
    }
    return render(request, "engagements/expert/history.html", context)


@role_required(Role.EXPERT)
@require_GET
@never_cache
def receipt(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    claim = get_object_or_404(ExpenseClaim, pk=pk, assignment__expert__user=request.user)
    return private_file_response(claim.receipt, content_type=claim.receipt_type, filename=claim.receipt_filename)
