"""The request flow's part of the inventory of personal data (see registry/privacy.py): requests
and their files, offers and engagements, feedback, debriefs, impact notes, expenses, notifications
and calendar addresses."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from engagements.models import (
    Assignment,
    Attachment,
    CalendarFeed,
    Debrief,
    ExpenseClaim,
    ExpertFeedback,
    ImpactNote,
    MonthlyExpertEngagements,
    Request,
    Review,
    ReviewComment,
    UnitFeedback,
)
from engagements.notifications import Notification, message_for
from registry.models import User
from registry.privacy import Audience, Basis, Category, Field, ModelData, Retention

P, C, U, E, M, A = (
    Audience.PERSON,
    Audience.COORDINATOR,
    Audience.UNIT,
    Audience.EXPERTS,
    Audience.MANAGER,
    Audience.ADMIN,
)

REQUEST_TEXTS = Retention(
    _(
        "%(REQUEST_TEXT_RETENTION_DAYS)s days after the request is closed, cancelled or declined; then "
        "the text is erased and only the figures stay."
    ),
    ("REQUEST_TEXT_RETENTION_DAYS",),
)
HISTORY = Retention(
    _(
        "The engagement history stays for the statistics and the accounts, but no longer names the expert once "
        "they are erased; free texts are erased %(REQUEST_TEXT_RETENTION_DAYS)s days after the request is over."
    ),
    ("REQUEST_TEXT_RETENTION_DAYS",),
)
TEXTS_ERASED_BY = ("engagements.retention.erase_request_texts", "engagements.models.Request.erase_texts")
ERASURE = ("registry.privacy.erase_person",)


def _own(model: type[Any], lookup: str) -> Any:
    return lambda user: model._default_manager.filter(**{lookup: user})


def _attended(model: type[Any], lookup: str) -> Any:
    """Rows about requests the person took part in as an expert."""
    return lambda user: model._default_manager.filter(
        **{f"{lookup}__expert__user": user, f"{lookup}__status": Assignment.Status.ATTENDED}
    ).distinct()


def _delete(user: User, rows: QuerySet[Any]) -> Any:
    return rows.delete()


def _request_label(row: Any) -> str:
    """The request a row is about, as a person recognises it: its title, type and day."""
    if isinstance(row, Request):
        request = row
    elif hasattr(row, "assignment_id") and not hasattr(row, "request_id"):
        request = row.assignment.request
    else:
        request = row.request
    when = request.starts_at or request.ends_at
    day = formats.date_format(timezone.localtime(when), "SHORT_DATE_FORMAT") if when else ""
    return f"{request.title} ({request.get_type_display()}{', ' + day if day else ''})"


def _erase_claims(user: User, rows: QuerySet[ExpenseClaim]) -> None:
    for claim in rows:
        claim.forget_receipt()
    rows.update(description="", return_reason="")


def _notification_text(notification: Notification) -> str:
    return message_for(notification.kind, notification.request.title if notification.request else "")


PERSONAL_DATA = [
    ModelData(
        model="engagements.Request",
        key="requests",
        title=_("Requests you made"),
        about=_("unit members, and anyone a free text mentions"),
        basis=(Basis.PUBLIC_TASK,),
        retention=REQUEST_TEXTS,
        enforced_by=TEXTS_ERASED_BY,
        order=300,
        fields={
            "created_by": Field(Category.IDENTITY, (P, C, A)),
            "title": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "purpose": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "task": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "audience": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "place": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "contact_name": Field(Category.CONTACT, (P, U, C, E, A)),
            "contact_phone": Field(Category.CONTACT, (P, U, C, E, A)),
            "contact_email": Field(Category.CONTACT, (P, U, C, E, A)),
            "status_reason": Field(Category.FREE_TEXT, (P, U, C, A)),
            "type": Field(Category.ENGAGEMENT, (P, U, C, E, M, A)),
            "status": Field(Category.ENGAGEMENT, (P, U, C, M, A)),
            "starts_at": Field(Category.ENGAGEMENT, (P, U, C, E, A)),
            "ends_at": Field(Category.ENGAGEMENT, (P, U, C, E, A)),
            "created_at": Field(Category.LOG, (P, U, C, A)),
        },
        not_personal=(
            "unit",
            "audience_size",
            "themes",
            "wished_kind",
            "experts_needed",
            "languages",
            "format",
            "deadline",
            "estimated_hours",
            "preparation_meeting",
            "fee_basis",
            "updated_at",
            "submitted_at",
            "confirmed_at",
            "closed_at",
            "completed_at",
            "closed_incomplete",
            "feedback_reminders",
            "impact_reminders",
            "texts_erased_at",
            # Computed by the database from status and from starts_at/ends_at (declared above):
            # nothing of its own to declare or erase, and it cannot be written to.
            "urgency",
            "due_at",
            "text_language",
            "programme_theme",
        ),
        rows_of=_own(Request, "created_by"),
        erase=lambda user, rows: rows.update(contact_name="", contact_phone="", contact_email=""),
    ),
    ModelData(
        model="engagements.Attachment",
        key="attachments",
        title=_("Attachments you added"),
        about=_("unit members, and anyone a file mentions"),
        basis=(Basis.PUBLIC_TASK,),
        retention=REQUEST_TEXTS,
        enforced_by=(*TEXTS_ERASED_BY, "registry.retention.sweep_orphan_files"),
        order=310,
        fields={
            "request": Field(Category.ENGAGEMENT, (P, U, C, E, A), display=_request_label),
            "file": Field(
                Category.FILE, (P, U, C, E, A), link=lambda row: reverse("engagements:attachment", args=[row.pk])
            ),
            "original_name": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "uploaded_by": Field(Category.IDENTITY, (P, U, C, A)),
            "uploaded_at": Field(Category.LOG, (P, U, C, A)),
        },
        not_personal=("content_type", "size"),
        rows_of=_own(Attachment, "uploaded_by"),
    ),
    ModelData(
        model="engagements.Assignment",
        key="engagements",
        title=_("Your offers and engagements"),
        about=_("experts"),
        basis=(Basis.CONTRACT, Basis.LEGAL_OBLIGATION),
        retention=HISTORY,
        enforced_by=(*ERASURE, *TEXTS_ERASED_BY),
        order=200,
        fields={
            "request": Field(Category.ENGAGEMENT, (P, U, C, A), display=_request_label),
            "expert": Field(Category.IDENTITY, (P, U, C, A)),
            "role": Field(Category.ENGAGEMENT, (P, U, C, A)),
            "status": Field(Category.ENGAGEMENT, (P, U, C, A)),
            "offered_by": Field(Category.LOG, (P, C, A)),
            "offered_at": Field(Category.ENGAGEMENT, (P, C, A)),
            "offer_expires_at": Field(Category.ENGAGEMENT, (P, C, A)),
            "answered_at": Field(Category.ENGAGEMENT, (P, C, A)),
            "decline_reason": Field(Category.FREE_TEXT, (P, C, A), retention=REQUEST_TEXTS),
            "confirmed_at": Field(Category.ENGAGEMENT, (P, C, A)),
            "cancelled_at": Field(Category.ENGAGEMENT, (P, C, A)),
            "cancel_reason": Field(Category.FREE_TEXT, (P, C, A), retention=REQUEST_TEXTS),
            "fee_proposed": Field(Category.FINANCIAL, (P, C, A)),
            "fee": Field(Category.FINANCIAL, (P, C, A)),
            "fee_paid_at": Field(Category.FINANCIAL, (P, C, A)),
            "attendance_marked_at": Field(Category.ENGAGEMENT, (P, C, A)),
            "answer_reminder_sent_at": Field(Category.LOG, (C, A), label=_("reminded to answer at")),
            "event_reminder_sent_at": Field(Category.LOG, (C, A), label=_("reminded of the engagement at")),
        },
        not_personal=("feedback_reminders", "updated_at", "answer_nonce"),
        rows_of=_own(Assignment, "expert__user"),
        erase=lambda user, rows: rows.update(decline_reason="", cancel_reason=""),
    ),
    ModelData(
        model="engagements.MonthlyExpertEngagements",
        key="monthly_engagements",
        title=_("Your engagements per month, for the statistics"),
        about=_("experts"),
        basis=(Basis.PUBLIC_TASK,),
        retention=Retention(
            _(
                "Counted again from the engagements every ten minutes, so it holds no more than they do; "
                "deleted when the person is erased."
            ),
            (),
        ),
        enforced_by=("engagements.statistics.count_monthly_figures", *ERASURE),
        order=205,
        fields={
            "expert": Field(Category.IDENTITY, (P, A)),
            "month": Field(Category.ENGAGEMENT, (P, A)),
            "engagements": Field(Category.ENGAGEMENT, (P, A)),
            "heard_sum": Field(Category.ENGAGEMENT, (P, A)),
            "heard_n": Field(Category.ENGAGEMENT, (P, A)),
            "respected_sum": Field(Category.ENGAGEMENT, (P, A)),
            "respected_n": Field(Category.ENGAGEMENT, (P, A)),
        },
        not_personal=("region", "sector", "type", "kind"),
        rows_of=_own(MonthlyExpertEngagements, "expert__user"),
        erase=_delete,
    ),
    ModelData(
        model="engagements.Review",
        related=("assignment__request",),
        key="reviews",
        title=_("Your material reviews"),
        about=_("experts"),
        basis=(Basis.CONTRACT, Basis.PUBLIC_TASK),
        retention=REQUEST_TEXTS,
        enforced_by=(*TEXTS_ERASED_BY, *ERASURE),
        order=240,
        fields={
            "assignment": Field(Category.IDENTITY, (P, U, C, A), display=_request_label),
            "started_at": Field(Category.LOG, (P, A)),
            "submitted_at": Field(Category.ENGAGEMENT, (P, U, C, A)),
            "document": Field(
                Category.FILE,
                (P, U, C, A),
                link=lambda row: reverse("engagements:review-document-download", args=[row.assignment_id]),
            ),
            "document_name": Field(Category.FREE_TEXT, (P, U, C, A)),
        },
        not_personal=("document_type", "document_size"),
        rows_of=_own(Review, "assignment__expert__user"),
        erase=lambda user, rows: [review.forget_document() for review in rows],
    ),
    ModelData(
        model="engagements.ReviewComment",
        related=("assignment__request",),
        key="review_comments",
        title=_("Your review comments"),
        about=_("experts, and the unit members who ask about them and mark what came of them"),
        basis=(Basis.CONTRACT, Basis.PUBLIC_TASK),
        retention=REQUEST_TEXTS,
        enforced_by=(*TEXTS_ERASED_BY, *ERASURE),
        order=250,
        fields={
            "assignment": Field(Category.IDENTITY, (P, U, C, A), display=_request_label),
            # Co-reviewers read the submitted comments after the deadline.
            "anchor": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "text": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "created_at": Field(Category.LOG, (P, A), label=_("written at")),
            "question": Field(Category.FREE_TEXT, (P, U, C, A)),
            "asked_by": Field(Category.IDENTITY, (U, C, A), export=False, label=_("asked by")),
            "asked_at": Field(Category.LOG, (P, U, C, A), label=_("asked at")),
            "answer": Field(Category.FREE_TEXT, (P, U, C, A)),
            "answered_at": Field(Category.LOG, (P, U, C, A), label=_("answered at")),
            "adoption": Field(Category.ENGAGEMENT, (P, U, C, A)),
            "adoption_note": Field(Category.FREE_TEXT, (P, U, C, A)),
            "adoption_by": Field(Category.IDENTITY, (U, C, A), export=False, label=_("marked by")),
            "adoption_at": Field(Category.LOG, (P, U, C, A), label=_("marked at")),
        },
        not_personal=(
            "number",
            "language",
            "question_language",
            "answer_language",
            "adoption_language",
            "updated_at",
        ),
        rows_of=_own(ReviewComment, "assignment__expert__user"),
        erase=lambda user, rows: rows.update(anchor="", text="", answer=""),
    ),
    ModelData(
        model="engagements.CalendarFeed",
        key="calendar",
        title=_("Your calendar address"),
        about=_("everyone who turns on a calendar address"),
        basis=(Basis.CONSENT, Basis.PUBLIC_TASK),
        retention=Retention(
            _("Until turned off, or %(CALENDAR_FEED_UNUSED_DAYS)s days after it was last read."),
            ("CALENDAR_FEED_UNUSED_DAYS",),
        ),
        enforced_by=("engagements.retention.remove_unused_feeds", *ERASURE),
        order=700,
        fields={
            "user": Field(Category.IDENTITY, (P, A)),
            "token": Field(Category.LOG, (P,), export=False, label=_("the secret address")),
            "created_at": Field(Category.LOG, (P, A)),
            "last_used_at": Field(Category.LOG, (P, A)),
            "include_place": Field(Category.PROFILE, (P, A)),
            "include_requests": Field(Category.PROFILE, (P, A)),
        },
        rows_of=_own(CalendarFeed, "user"),
        erase=_delete,
    ),
    ModelData(
        model="engagements.UnitFeedback",
        key="unit_feedback",
        title=_("Feedback from units"),
        about=_("unit members"),
        basis=(Basis.PUBLIC_TASK,),
        retention=REQUEST_TEXTS,
        enforced_by=TEXTS_ERASED_BY,
        order=400,
        fields={
            "request": Field(Category.ENGAGEMENT, (P, U, C, A), display=_request_label),
            "take_forward": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "free_text": Field(Category.FREE_TEXT, (P, U, C, A)),
            "given_by": Field(Category.IDENTITY, (P, U, C, A)),
            "given_at": Field(Category.LOG, (P, U, C, A), label=_("given at")),
            "usefulness": Field(Category.ENGAGEMENT, (P, U, C, E, M, A)),
            "participants": Field(Category.ENGAGEMENT, (P, U, C, M, A)),
        },
        not_personal=("invite_again", "share_with_experts", "language"),
        rows_of=_own(UnitFeedback, "given_by"),
        # Shared with the experts who took part, if the unit allowed it.
        shared_with=lambda user: _attended(UnitFeedback, "request__assignments")(user).filter(share_with_experts=True),
        shared_fields=("request", "usefulness", "take_forward"),
    ),
    ModelData(
        model="engagements.ExpertFeedback",
        related=("assignment__request",),
        key="your_feedback",
        title=_("Your feedback"),
        about=_("experts"),
        basis=(Basis.CONSENT,),
        retention=Retention(
            _(
                "The scores stay, anonymous once the expert is erased; the free text is erased "
                "%(REQUEST_TEXT_RETENTION_DAYS)s days after the request is over, or with the expert."
            ),
            ("REQUEST_TEXT_RETENTION_DAYS",),
        ),
        enforced_by=(*ERASURE, *TEXTS_ERASED_BY),
        order=210,
        fields={
            "assignment": Field(Category.IDENTITY, (P, C, A), display=_request_label),
            "how_it_went": Field(Category.ENGAGEMENT, (P, C, M, A)),
            "heard": Field(Category.ENGAGEMENT, (P, C, M, A)),
            "respected": Field(Category.ENGAGEMENT, (P, C, M, A)),
            "preparation": Field(Category.ENGAGEMENT, (P, C, M, A)),
            "free_text": Field(Category.FREE_TEXT, (P, C, A)),
            "wants_debrief": Field(Category.ENGAGEMENT, (P, C, A)),
            "given_at": Field(Category.LOG, (P, C, A), label=_("given at")),
        },
        not_personal=("language",),  # the language a text was written in
        rows_of=_own(ExpertFeedback, "assignment__expert__user"),
        erase=lambda user, rows: rows.update(free_text=""),
    ),
    ModelData(
        model="engagements.Debrief",
        related=("assignment__request",),
        key="debriefs",
        title=_("Debriefs"),
        about=_("experts"),
        basis=(Basis.CONSENT,),
        retention=Retention(
            _("The note is erased with the expert, or %(REQUEST_TEXT_RETENTION_DAYS)s days after the request is over."),
            ("REQUEST_TEXT_RETENTION_DAYS",),
        ),
        enforced_by=(*ERASURE, *TEXTS_ERASED_BY),
        order=220,
        fields={
            "assignment": Field(Category.IDENTITY, (P, C, A), display=_request_label),
            "reason": Field(Category.ENGAGEMENT, (P, C, A)),
            "created_at": Field(Category.LOG, (P, C, A), label=_("opened at")),
            "held_on": Field(Category.ENGAGEMENT, (P, C, A)),
            "note": Field(Category.FREE_TEXT, (P, C, A)),
            "recorded_by": Field(Category.LOG, (P, C, A), label=_("recorded by")),
        },
        rows_of=_own(Debrief, "assignment__expert__user"),
        erase=lambda user, rows: rows.update(note=""),
    ),
    ModelData(
        model="engagements.ImpactNote",
        key="impact_notes",
        title=_("What happened next"),
        about=_("unit members"),
        basis=(Basis.PUBLIC_TASK,),
        retention=REQUEST_TEXTS,
        enforced_by=TEXTS_ERASED_BY,
        order=410,
        fields={
            "request": Field(Category.ENGAGEMENT, (P, U, C, E, A), display=_request_label),
            "text": Field(Category.FREE_TEXT, (P, U, C, E, A)),
            "written_by": Field(Category.IDENTITY, (P, U, C, A), label=_("written by")),
            "at": Field(Category.LOG, (P, U, C, E, A), label=_("written at")),
        },
        not_personal=("language",),  # the language a text was written in
        rows_of=_own(ImpactNote, "written_by"),
        # Every expert who took part reads it.
        shared_with=_attended(ImpactNote, "request__assignments"),
        shared_fields=("request", "text", "at"),
    ),
    ModelData(
        model="engagements.ExpenseClaim",
        related=("assignment__request",),
        key="expense_claims",
        title=_("Your expense claims"),
        about=_("experts"),
        basis=(Basis.CONTRACT, Basis.LEGAL_OBLIGATION),
        retention=Retention(
            _(
                "Amounts stay for the accounts, anonymous once the expert is erased; a receipt file is removed "
                "%(RECEIPT_RETENTION_DAYS)s days after the claim is paid (the payroll system keeps the "
                "accounting copy), or when the expert is erased."
            ),
            ("RECEIPT_RETENTION_DAYS",),
        ),
        enforced_by=("engagements.retention.forget_paid_receipts", *ERASURE),
        order=230,
        fields={
            "assignment": Field(Category.IDENTITY, (P, C, A), display=_request_label),
            "kind": Field(Category.FINANCIAL, (P, C, A)),
            "description": Field(Category.FREE_TEXT, (P, C, A), retention=REQUEST_TEXTS),
            "kilometres": Field(Category.FINANCIAL, (P, C, A)),
            "km_rate": Field(Category.FINANCIAL, (P, C, A)),
            "amount": Field(Category.FINANCIAL, (P, C, A)),
            "receipt": Field(Category.FILE, (P, C, A), link=lambda row: reverse("engagements:receipt", args=[row.pk])),
            "status": Field(Category.FINANCIAL, (P, C, A)),
            "return_reason": Field(Category.FREE_TEXT, (P, C, A), retention=REQUEST_TEXTS),
            "decided_by": Field(Category.LOG, (P, C, A), label=_("decided by")),
            "decided_at": Field(Category.LOG, (P, C, A), label=_("decided at")),
            "paid_at": Field(Category.FINANCIAL, (P, C, A), label=_("paid at")),
            "created_at": Field(Category.LOG, (P, C, A), label=_("sent at")),
        },
        not_personal=("receipt_type",),
        rows_of=_own(ExpenseClaim, "assignment__expert__user"),
        erase=_erase_claims,
    ),
    ModelData(
        model="engagements.Notification",
        key="notifications",
        title=_("Your notifications"),
        about=_("everyone who takes part in a request"),
        basis=(Basis.CONSENT, Basis.PUBLIC_TASK),
        retention=Retention(_("%(NOTIFICATION_RETENTION_DAYS)s days."), ("NOTIFICATION_RETENTION_DAYS",)),
        enforced_by=("engagements.retention.purge_notifications", *ERASURE),
        order=600,
        fields={
            "user": Field(Category.IDENTITY, (P, A)),
            "kind": Field(Category.LOG, (P, A), label=_("notification"), display=_notification_text),
            "request": Field(Category.ENGAGEMENT, (P, A), display=lambda n: _request_label(n) if n.request else ""),
            "assignment": Field(Category.ENGAGEMENT, (P, A), export=False),
            "url": Field(Category.LOG, (P, A), label=_("link")),
            "created_at": Field(Category.LOG, (P, A), label=_("sent at")),
            "read_at": Field(Category.LOG, (P, A), label=_("read at")),
        },
        rows_of=_own(Notification, "user"),
        erase=_delete,
    ),
]

# Rates, and the monthly figures (counts of requests per month, region, sector and type): no person.
NOT_PERSONAL_MODELS = (
    "engagements.FeeSchedule",
    "engagements.KilometreRate",
    "engagements.MonthlyFigures",
    "engagements.MonthlyFiguresCount",
    "engagements.MonthlyThemeFigures",
)
