"""Material reviews inside the service: the reviewer's work space, the unit's reading, questions and
"what was adopted", and the downloads (CSV and DOCX).

Pseudonymity: the unit sees the reviewer's display name only. Questions and answers go through the
service, so this flow never shows the unit an expert's e-mail address or phone number (the request
page keeps showing them only where the expert consented to direct contact).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagements.access import (
    get_comment_for_expert,
    get_review_comment_for_member,
    get_review_document_for_reader,
    get_review_for_expert,
    get_review_request_for_reader,
    review_reader_required,
    unit_member_required,
)
from engagements.forms import AdoptionForm, ReviewAnswerForm, ReviewCommentForm, ReviewDocumentForm, ReviewQuestionForm
from engagements.models import (
    Assignment,
    InvalidTransition,
    Request,
    Review,
    ReviewComment,
    ReviewProgress,
    adoption_summary,
    review_progress,
)
from registry.access import role_required
from registry.csvexport import csv_response
from registry.files import private_file_response
from registry.http import AuthenticatedHttpRequest
from registry.models import Role, current_language

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# The reviewer ------------------------------------------------------------------------------------


def _review_of(assignment: Assignment) -> Review | None:
    return Review.objects.filter(assignment=assignment).first()


@role_required(Role.EXPERT)
@require_http_methods(["GET", "POST"])
def review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The work space: the material, the unit's questions, the reviewer's numbered comments (drafts
    until submitted), the commented document, submitting, and later the unit's questions and what
    came of each comment. A POST adds a comment; on an error the page comes back with every word."""
    assignment = get_review_for_expert(request, pk)
    form = ReviewCommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        comment = form.save(commit=False)
        comment.language = current_language()
        try:
            assignment.add_review_comment(comment, by=request.user)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
            return _workspace(request, assignment, comment_form=form, status=409)
        messages.success(request, _("Comment %(number)d was saved as a draft.") % {"number": comment.number})
        return redirect(reverse("engagements:review", args=[assignment.pk]) + "#new-comment")
    return _workspace(request, assignment, comment_form=form, status=400 if form.errors else 200)


def _workspace(
    request: AuthenticatedHttpRequest,
    assignment: Assignment,
    *,
    comment_form: ReviewCommentForm | None = None,
    document_form: ReviewDocumentForm | None = None,
    answer_forms: dict[int, ReviewAnswerForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    obj = assignment.request
    now = timezone.now()
    current = _review_of(assignment)
    comments = list(ReviewComment.objects.filter(assignment=assignment).order_by("number"))
    answer_forms = answer_forms or {}
    submitted = current is not None and current.submitted_at is not None
    open_for_writing = assignment.status == Assignment.Status.CONFIRMED and not submitted
    # Each reviewer sees only their own comments until the deadline; then the others' submitted ones.
    others: list[ReviewerColumn] = []
    if obj.has_ended(now):
        others = [c for c in _reviewer_columns(obj) if c.assignment.pk != assignment.pk]
    context = {
        "assignment": assignment,
        "obj": obj,
        "attachments": obj.attachments.all(),
        "review": current,
        "submitted": submitted,
        "open_for_writing": open_for_writing,
        "late": not submitted and obj.has_ended(now),
        "comments": [(c, answer_forms.get(c.pk) or ReviewAnswerForm(prefix=f"a{c.pk}")) for c in comments],
        "comment_form": comment_form or ReviewCommentForm(),
        "document_form": document_form or ReviewDocumentForm(),
        "summary": adoption_summary(comments),
        "others": others,
    }
    return render(request, "engagements/expert/review.html", context, status=status)


@role_required(Role.EXPERT)
@require_http_methods(["GET", "POST"])
def review_comment_edit(request: AuthenticatedHttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    assignment = get_review_for_expert(request, pk)
    comment = get_comment_for_expert(request, assignment, comment_pk)
    form = ReviewCommentForm(request.POST or None, instance=comment)
    if request.method == "POST" and form.is_valid():
        edited = form.save(commit=False)
        edited.language = current_language()
        try:
            assignment.edit_review_comment(edited, by=request.user)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Comment %(number)d was saved.") % {"number": comment.number})
        return redirect(reverse("engagements:review", args=[assignment.pk]) + f"#comment-{comment.number}")
    context = {"assignment": assignment, "obj": assignment.request, "comment": comment, "form": form}
    return render(request, "engagements/expert/review_comment.html", context, status=400 if form.errors else 200)


@role_required(Role.EXPERT)
@require_POST
def review_comment_delete(request: AuthenticatedHttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    assignment = get_review_for_expert(request, pk)
    comment = get_comment_for_expert(request, assignment, comment_pk)
    try:
        assignment.remove_review_comment(comment, by=request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The comment was removed."))
    return redirect("engagements:review", pk=assignment.pk)


@role_required(Role.EXPERT)
@require_POST
def review_document(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_review_for_expert(request, pk)
    form = ReviewDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _workspace(request, assignment, document_form=form, status=400)
    try:
        assignment.attach_review_document(form.cleaned_data["file"].name, form.cleaned_data["clean"], by=request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The commented document was saved."))
    return redirect("engagements:review", pk=assignment.pk)


@role_required(Role.EXPERT)
@require_POST
def review_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_review_for_expert(request, pk)
    try:
        assignment.submit_review(request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you! Your review was sent to the unit."))
    return redirect("engagements:review", pk=assignment.pk)


@role_required(Role.EXPERT)
@require_POST
def review_answer(request: AuthenticatedHttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    assignment = get_review_for_expert(request, pk)
    comment = get_comment_for_expert(request, assignment, comment_pk)
    form = ReviewAnswerForm(request.POST, prefix=f"a{comment.pk}")
    if not form.is_valid():
        return _workspace(request, assignment, answer_forms={comment.pk: form}, status=400)
    try:
        comment.give_answer(form.cleaned_data["answer"], by=request.user, language=current_language())
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your answer was sent to the unit."))
    return redirect(reverse("engagements:review", args=[assignment.pk]) + f"#comment-{comment.number}")


@login_required
@require_GET
@never_cache
def review_document_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The commented document: to its reviewer, and once submitted to the unit and coordinators."""
    assignment = get_review_document_for_reader(request, pk)
    document = assignment.review
    return private_file_response(
        document.document, content_type=document.document_type, filename=document.document_name
    )


# The unit (and the coordinators, reading) ----------------------------------------------------------


@dataclass
class ReviewerColumn:
    """One reviewer's submitted work, under their display name only."""

    assignment: Assignment
    name: str
    review: Review | None
    comments: list[ReviewComment] = field(default_factory=list)
    progress: str = ""

    @property
    def progress_label(self) -> str:
        return str(ReviewProgress(self.progress).label)

    @property
    def submitted(self) -> bool:
        return self.review is not None and self.review.submitted_at is not None


def _reviewer_columns(obj: Request) -> list[ReviewerColumn]:
    """Every confirmed reviewer, side by side; the comments only of submitted reviews (a draft is
    the reviewer's own). Three queries, however many reviewers and comments."""
    assignments = list(
        obj.assignments.filter(status__in=[Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED])
        .select_related("expert", "review")
        .annotate(comment_count=Count("review_comments"))
        .prefetch_related(Prefetch("review_comments", queryset=ReviewComment.objects.order_by("number")))
        .order_by("pk")
    )
    now = timezone.now()
    columns = []
    for assignment in assignments:
        assignment.request = obj
        current = getattr(assignment, "review", None)
        column = ReviewerColumn(assignment, assignment.expert.display_name, current)
        column.progress = review_progress(assignment, current, assignment.comment_count, now)
        if column.submitted:
            column.comments = list(assignment.review_comments.all())
        columns.append(column)
    return columns


def _is_member(request: AuthenticatedHttpRequest, obj: Request) -> bool:
    return Request.objects.visible_to_unit_member(request.user).filter(pk=obj.pk).exists()


@review_reader_required
@require_GET
def unit_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _unit_review_page(request, get_review_request_for_reader(request, pk))


def _unit_review_page(
    request: AuthenticatedHttpRequest,
    obj: Request,
    *,
    bound: dict[tuple[str, int], Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    columns = _reviewer_columns(obj)
    member = _is_member(request, obj)
    rows = []
    for column in columns:
        items = []
        for comment in column.comments:
            question_form = bound.get(("q", comment.pk)) or ReviewQuestionForm(prefix=f"q{comment.pk}")
            adoption_form = bound.get(("d", comment.pk)) or AdoptionForm(instance=comment, prefix=f"d{comment.pk}")
            items.append((comment, question_form, adoption_form))
        rows.append((column, items))
    all_comments = [c for column in columns for c in column.comments]
    context = {
        "obj": obj,
        "columns": rows,
        "member": member,
        "summary": adoption_summary(all_comments),
        "printed_at": timezone.now(),
    }
    return render(request, "engagements/unit/review.html", context, status=status)


@unit_member_required
@require_POST
def review_question(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    comment = get_review_comment_for_member(request, pk)
    form = ReviewQuestionForm(request.POST, prefix=f"q{comment.pk}")
    obj = comment.assignment.request
    if not form.is_valid():
        return _unit_review_page(request, obj, bound={("q", comment.pk): form}, status=400)
    try:
        comment.ask(form.cleaned_data["question"], by=request.user, language=current_language())
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your question was sent to the reviewer."))
    return redirect(reverse("engagements:unit-review", args=[obj.pk]) + f"#comment-{comment.pk}")


@unit_member_required
@require_POST
def review_adoption(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    comment = get_review_comment_for_member(request, pk)
    form = AdoptionForm(request.POST, instance=ReviewComment(pk=comment.pk), prefix=f"d{comment.pk}")
    obj = comment.assignment.request
    if not form.is_valid():
        return _unit_review_page(request, obj, bound={("d", comment.pk): form}, status=400)
    try:
        comment.mark_adoption(
            form.cleaned_data["adoption"],
            form.cleaned_data["adoption_note"],
            by=request.user,
            language=current_language(),
        )
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved. The reviewer will see what came of their comments."))
    return redirect(reverse("engagements:unit-review", args=[obj.pk]) + f"#comment-{comment.pk}")


def _export_rows(obj: Request) -> list[tuple[str, ReviewComment]]:
    return [(column.name, comment) for column in _reviewer_columns(obj) for comment in column.comments]


@review_reader_required
@require_GET
@never_cache
def unit_review_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_review_request_for_reader(request, pk)
    header = [
        _("Reviewer"),
        _("Number"),
        _("Where in the material"),
        _("Comment"),
        _("Question"),
        _("Answer"),
        _("What came of it"),
        _("Why"),
    ]
    rows = [
        (name, c.number, c.anchor, c.text, c.question, c.answer, c.get_adoption_display(), c.adoption_note)
        for name, c in _export_rows(obj)
    ]
    return csv_response(f"review-{obj.pk}.csv", header, rows)


@review_reader_required
@require_GET
@never_cache
def unit_review_docx(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_review_request_for_reader(request, pk)
    response = HttpResponse(comments_docx(obj, _export_rows(obj)), content_type=DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="review-{obj.pk}.docx"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def comments_docx(obj: Request, rows: list[tuple[str, ReviewComment]]) -> bytes:
    """A Word document of the submitted comments, made with python-docx (a kept library): one
    heading per reviewer, each comment with its place in the material, the question and answer, and
    what came of it. Text is added as text runs, never as markup."""
    from docx import Document  # noqa: PLC0415 - only this download needs it

    document = Document()
    document.core_properties.title = obj.title
    document.add_heading(obj.title, level=1)
    reviewer = None
    for name, comment in rows:
        if name != reviewer:
            document.add_heading(name, level=2)
            reviewer = name
        heading = f"{comment.number}." + (f" {comment.anchor}" if comment.anchor else "")
        document.add_heading(heading, level=3)
        document.add_paragraph(comment.text)
        if comment.question:
            document.add_paragraph(f"{_('Question')}: {comment.question}")
        if comment.answer:
            document.add_paragraph(f"{_('Answer')}: {comment.answer}")
        if comment.adoption:
            outcome = str(comment.get_adoption_display())
            if comment.adoption_note:
                outcome += f" – {comment.adoption_note}"
            document.add_paragraph(f"{_('What came of it')}: {outcome}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
