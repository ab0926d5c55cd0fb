"""Who may open which request, assignment and claim. Ownership is part of every query: an object
outside the person's reach is simply not found (404); a signed-in person without the role gets 403."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.crypto import constant_time_compare

from engagements import answerlinks
from engagements.models import Assignment, ExpenseClaim, Request, RequestType, ReviewComment
from registry.access import coordinator_regions
from registry.http import AuthenticatedHttpRequest
from registry.models import Role, Unit, User

# Unit members ------------------------------------------------------------------------------------


def unit_member_required(view: Any) -> Any:
    """Unit members, including those whose membership waits for the coordinator's approval."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.unit_memberships.exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def member_units(user: User) -> QuerySet[Unit]:
    return Unit.objects.filter(memberships__user=user, memberships__approved_at__isnull=False)


def units_for_new_request(user: User) -> QuerySet[Unit]:
    # A worker whose membership still waits for approval may already ask; triage approves both
    # (and a new unit they described). Units switched off otherwise are not offered.
    return (
        Unit.objects.filter(Q(is_active=True) | Q(memberships__approved_at__isnull=True), memberships__user=user)
        .select_related("organisation")
        .distinct()
    )


def get_request_for_member(request: AuthenticatedHttpRequest, pk: int) -> Request:
    # Another unit's request simply does not exist for this user (404).
    return get_object_or_404(
        Request.objects.visible_to_unit_member(request.user).select_related("unit__organisation", "created_by"),
        pk=pk,
    )


# Experts -----------------------------------------------------------------------------------------


def get_assignment_for_expert(request: AuthenticatedHttpRequest, pk: int) -> Assignment:
    # Ownership is part of the query: someone else's offer is simply not found (404).
    return get_object_or_404(
        Assignment.objects.select_related("request__unit__organisation", "role", "expert"),
        pk=pk,
        expert__user=request.user,
    )


def get_assignment_for_answer_link(token: str) -> tuple[Assignment, str]:
    """The assignment an offer e-mail's signed link names, and the link's nonce. A forged or altered
    token, or one naming no assignment, is simply not found (404). Whether the link still works
    (its nonce unused, the offer open) is for the caller to show."""
    unsigned = answerlinks.unsign(token)
    if unsigned is None:
        raise Http404
    pk, nonce = unsigned
    assignment = get_object_or_404(
        Assignment.objects.select_related("request__unit__organisation", "role", "expert__user"), pk=pk
    )
    return assignment, nonce


def get_assignment_for_short_link(pk: int, nonce: str) -> Assignment:
    """The assignment a text message's short link names, only while the nonce is its current one
    (unused, not replaced); anything else is simply not found (404)."""
    assignment = get_object_or_404(Assignment.objects.only("pk", "answer_nonce"), pk=pk)
    if not assignment.answer_nonce or not constant_time_compare(assignment.answer_nonce, nonce):
        raise Http404
    return assignment


# Coordinators ------------------------------------------------------------------------------------


def get_request_for_coordinator(request: AuthenticatedHttpRequest, pk: int) -> Request:
    # Outside the coordinator's regions a request does not exist (404).
    return get_object_or_404(
        Request.objects.in_regions(coordinator_regions(request)).select_related(
            "unit__organisation", "unit__region", "unit__municipality", "created_by"
        ),
        pk=pk,
    )


def get_assignment_for_coordinator(request: AuthenticatedHttpRequest, pk: int) -> Assignment:
    return get_object_or_404(
        Assignment.objects.filter(request__in=Request.objects.in_regions(coordinator_regions(request))).select_related(
            "request", "expert__user"
        ),
        pk=pk,
    )


def claims_for_coordinator(request: AuthenticatedHttpRequest) -> QuerySet[ExpenseClaim]:
    return ExpenseClaim.objects.in_regions(coordinator_regions(request)).select_related(
        "assignment__expert__user", "assignment__request__unit"
    )


# Material reviews --------------------------------------------------------------------------------


def get_review_for_expert(request: AuthenticatedHttpRequest, pk: int) -> Assignment:
    """The reviewer's own confirmed (or, once closed, attended) review; anything else is 404."""
    return get_object_or_404(
        Assignment.objects.select_related("request__unit", "expert__user"),
        pk=pk,
        expert__user=request.user,
        request__type=RequestType.MATERIAL_REVIEW,
        status__in=[Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED],
    )


def get_comment_for_expert(request: AuthenticatedHttpRequest, assignment: Assignment, pk: int) -> ReviewComment:
    return get_object_or_404(ReviewComment, pk=pk, assignment=assignment)


def review_reader_required(view: Any) -> Any:
    """The unit's members and coordinators read a review's comments; other signed-in people get 403."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.unit_memberships.exists() and not request.user.has_role(Role.COORDINATOR):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def get_review_request_for_reader(request: AuthenticatedHttpRequest, pk: int) -> Request:
    """A review request of the reader's unit, or in a coordinator's regions (otherwise 404)."""
    return get_object_or_404(
        Request.objects.visible_to(request.user).filter(type=RequestType.MATERIAL_REVIEW).select_related("unit"),
        pk=pk,
    )


def get_review_comment_for_member(request: AuthenticatedHttpRequest, pk: int) -> ReviewComment:
    """A submitted comment on a review of the member's unit: the unit asks about it and marks it."""
    return get_object_or_404(
        ReviewComment.objects.submitted().select_related("assignment__request"),
        pk=pk,
        assignment__request__in=Request.objects.visible_to_unit_member(request.user),
    )


def get_review_document_for_reader(request: AuthenticatedHttpRequest, assignment_pk: int) -> Assignment:
    """The reviewer's own document for the reviewer; a submitted one for the unit and coordinators."""
    mine = Q(expert__user=request.user)
    readable = Q(request__in=Request.objects.visible_to(request.user), review__submitted_at__isnull=False)
    return get_object_or_404(
        Assignment.objects.filter(mine | readable, request__type=RequestType.MATERIAL_REVIEW).select_related("review"),
        pk=assignment_pk,
        review__document__gt="",
    )
