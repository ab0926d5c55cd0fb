"""The accessibility statement (Act 306/2019) and its feedback channel.

What the statement says is known not to be accessible is kept here, in code, beside the date the
statement gives, so the two cannot drift apart: tests/test_accessibility_statement.py fails when the
list changes (its fingerprint) without STATEMENT_UPDATED moving to the day of the change, and when
a planned fix date passes with the problem still listed.

To change the list: edit KNOWN_PROBLEMS (the `noted` date of a new or changed entry is the day of
the change; a fixed problem is removed), set STATEMENT_UPDATED to that day and KNOWN_PROBLEMS_FINGERPRINT
to what the failing test prints, and run `make messages` for the texts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from allauth.core.ratelimit import consume as consume_rate_limit
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods

from registry.access import role_required
from registry.forms import AccessibilityFeedbackForm, FeedbackAnswerForm
from registry.http import AuthenticatedHttpRequest
from registry.mail import send_templated_mail
from registry.models import AccessibilityFeedback, AlreadyAnswered, Role, StaffRole, User, current_language


@dataclass(frozen=True)
class KnownProblem:
    text: str  # in English, marked with gettext_noop; translated when shown
    criteria: tuple[str, ...]  # WCAG 2.1 success criteria not met
    noted: dt.date  # when it was found, or when this entry last changed
    fix_by: dt.date  # when it is planned to be fixed


KNOWN_PROBLEMS: list[KnownProblem] = [
    KnownProblem(
        text=gettext_noop(
            "Names of units, organisations, places and people are shown as they were written, mostly in "
            "Finnish, and their language is not marked on pages in Swedish or English, so a screen reader "
            "may pronounce them wrongly."
        ),
        criteria=("3.1.2",),
        noted=dt.date(2026, 12, 1),
        fix_by=dt.date(2027, 3, 31),
    ),
    KnownProblem(
        text=gettext_noop(
            "Requests, feedback, impact notes and introductions written before 1 December 2026 do not "
            "record the language they were written in, so their language is not marked either."
        ),
        criteria=("3.1.2",),
        noted=dt.date(2026, 12, 1),
        fix_by=dt.date(2027, 3, 31),
    ),
    KnownProblem(
        text=gettext_noop(
            "The administration pages that only the service's administrators use (the Django admin) have "
            "not been checked for accessibility."
        ),
        criteria=("1.3.1", "1.4.10", "2.4.6"),
        noted=dt.date(2026, 12, 1),
        fix_by=dt.date(2027, 6, 30),
    ),
]

STATEMENT_PREPARED = dt.date(2026, 11, 23)
# The day the statement last changed; never older than the last change of KNOWN_PROBLEMS.
STATEMENT_UPDATED = dt.date(2026, 12, 1)
# The fingerprint of KNOWN_PROBLEMS when STATEMENT_UPDATED was set (see the module docstring).
KNOWN_PROBLEMS_FINGERPRINT = "e90eba5113dee682"


def known_problems_fingerprint(problems: list[KnownProblem] | None = None) -> str:
    """A short hash of the list as written in the source (English texts, criteria, dates)."""
    hasher = hashlib.sha256()
    for problem in KNOWN_PROBLEMS if problems is None else problems:
        row = (problem.text, problem.criteria, problem.noted.isoformat(), problem.fix_by.isoformat())
        hasher.update(repr(row).encode())
    return hasher.hexdigest()[:16]


# Views -------------------------------------------------------------------------------------------


@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    context = {
        "problems": KNOWN_PROBLEMS,
        "prepared": STATEMENT_PREPARED,
        "updated": STATEMENT_UPDATED,
        "answer_days": AccessibilityFeedback.ANSWER_DAYS,
    }
    return render(request, "registry/accessibility.html", context)


def _page_asked_about(request: HttpRequest) -> str:
    # The footer link carries the page the visitor came from; only our own paths are taken.
    page = request.GET.get("page", "")
    if page and url_has_allowed_host_and_scheme(page, allowed_hosts=None) and page.startswith("/"):
        return page[:300]
    return ""


@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest) -> HttpResponse:
    form = AccessibilityFeedbackForm(request.POST or None, initial={"page": _page_asked_about(request)})
    context = {"form": form, "answer_days": AccessibilityFeedback.ANSWER_DAYS}
    if request.method == "POST":
        if not consume_rate_limit(request, action="accessibility_feedback"):
            return render(
                request, "registry/accessibility_feedback.html", {**context, "rate_limited": True}, status=429
            )
        if form.is_valid():
            item = form.save(commit=False)
            item.language = current_language()
            with transaction.atomic():
                item.save()
                _tell_coordinators(item)
            return redirect("accessibility-feedback-thanks")
    return render(request, "registry/accessibility_feedback.html", context, status=400 if form.errors else 200)


def _tell_coordinators(item: AccessibilityFeedback) -> None:
    """Every coordinator hears of new feedback by e-mail, in their own language (only the date and
    a link: what was written, and by whom, is read in the service)."""
    coordinators = User.objects.filter(staff_roles__role=StaffRole.Kind.COORDINATOR, is_active=True).distinct()
    for user in coordinators:
        send_templated_mail(
            "registry/email/accessibility_feedback",
            [user.email],
            {"item_id": item.pk, "due": item.answer_due, "site_url": settings.SITE_URL},
            language=user.preferred_language,
        )


@require_GET
def feedback_thanks(request: HttpRequest) -> HttpResponse:
    return render(
        request, "registry/accessibility_feedback_thanks.html", {"answer_days": AccessibilityFeedback.ANSWER_DAYS}
    )


# Coordinators ------------------------------------------------------------------------------------


@role_required(Role.COORDINATOR)
@require_GET
def feedback_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Accessibility concerns the whole service, so every coordinator sees all of it.
    items = AccessibilityFeedback.objects.select_related("answered_by")
    context = {
        "open_items": items.open(),
        "answered_items": items.filter(~Q(answered_at=None)).order_by("-answered_at")[:20],
    }
    return render(request, "registry/coordinator/accessibility_feedback_list.html", context)


@role_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def feedback_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(AccessibilityFeedback.objects.select_related("answered_by"), pk=pk)
    form = FeedbackAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item.mark_answered(request.user, form.cleaned_data["note"])
        except AlreadyAnswered:
            messages.info(request, _("This feedback was already marked answered."))
        else:
            messages.success(request, _("The feedback was marked answered."))
        return redirect("accessibility-feedback-detail", pk=item.pk)
    context = {"item": item, "form": form}
    return render(
        request, "registry/coordinator/accessibility_feedback.html", context, status=400 if form.errors else 200
    )
