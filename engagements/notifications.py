"""Who is told what at each step of the request flow: an in-app notification and an e-mail (and,
for the experts who chose it, a text message).

Both use the same sentence, rendered in the recipient's language. Called inside the transaction
that changes the state: the notification rows commit with it, and e-mail leaves only after commit.

The workflow in engagements.models imports this module, never the other way round: the in-app
`Notification` model lives here and refers to requests and assignments by name only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from engagements import answerlinks, ics
from registry.mail import send_templated_mail, send_text_message
from registry.models import OutgoingMessage, Role, StaffRole, User
from registry.templatetags.a11y import in_language

if TYPE_CHECKING:
    from engagements.models import Assignment, Request

MESSAGES = {
    "request_submitted": _("New request: %(title)s"),
    "request_in_matching": _("Your request is being handled: %(title)s"),
    "request_declined": _("Your request could not be fulfilled: %(title)s"),
    "request_cancelled": _("Cancelled: %(title)s"),
    "request_confirmed": _("Experts are confirmed for your request: %(title)s"),
    "offer_made": _("You have a new offer: %(title)s"),
    "offer_accepted": _("An expert accepted the offer: %(title)s"),
    "offer_declined": _("An expert declined the offer: %(title)s"),
    "offer_reminder": _("Please answer the offer: %(title)s"),
    "assignment_confirmed": _("You are confirmed: %(title)s"),
    "assignment_cancelled": _("An engagement was cancelled: %(title)s"),
    "expert_cancelled": _("An expert cancelled: %(title)s"),
    "event_reminder": _("Reminder: %(title)s is coming up"),
    "unit_feedback_requested": _("How did it go? Please give feedback: %(title)s"),
    "expert_feedback_requested": _("How did it go for you? Please tell us: %(title)s"),
    "impact_note_requested": _("What happened next? Please tell the experts: %(title)s"),
    "impact_note_written": _("The unit told what happened next: %(title)s"),
    "debrief_requested": _("A debrief is needed: %(title)s"),
    "review_submitted": _("A reviewer submitted their comments: %(title)s"),
    "review_question": _("The unit asked about your comment: %(title)s"),
    "review_answer": _("The reviewer answered your question: %(title)s"),
    "review_outcome": _("The unit told what came of your comments: %(title)s"),
    "review_deadline": _("Reminder: your review is due soon: %(title)s"),
    "adoption_requested": _("Please tell the reviewers what came of their comments: %(title)s"),
}


# E-mail is read in shared and family mailboxes and on lock screens: its subject and text say only
# what happened, never the request's title, the unit, the place, a reason or an impact note. The
# content stays behind sign-in, one click away.
EMAIL_HEADLINES = {
    "request_submitted": _("A new request has arrived"),
    "request_in_matching": _("Your request is being handled"),
    "request_declined": _("Your request could not be fulfilled"),
    "request_cancelled": _("A request was cancelled"),
    "request_confirmed": _("Experts are confirmed for your request"),
    "offer_made": _("You have a new offer"),
    "offer_accepted": _("An expert accepted an offer"),
    "offer_declined": _("An expert declined an offer"),
    "offer_reminder": _("Please answer your offer"),
    "assignment_confirmed": _("You are confirmed for an engagement"),
    "assignment_cancelled": _("An engagement was cancelled"),
    "expert_cancelled": _("An expert cancelled"),
    "event_reminder": _("Reminder: an engagement is coming up"),
    "unit_feedback_requested": _("How did it go? Please give feedback"),
    "expert_feedback_requested": _("How did it go for you? Please tell us"),
    "impact_note_requested": _("What happened next? Please tell the experts"),
    "impact_note_written": _("The unit told what happened next"),
    "debrief_requested": _("A debrief is needed"),
    "review_submitted": _("A reviewer submitted their comments"),
    "review_question": _("The unit asked about your comment"),
    "review_answer": _("The reviewer answered your question"),
    "review_outcome": _("The unit told what came of your comments"),
    "review_deadline": _("Reminder: your review is due soon"),
    "adoption_requested": _("Please tell the reviewers what came of their comments"),
}


# Text messages, for the kinds an expert can choose them for ("offer", "reminder", "change"; see
# ExpertProfile.channels_for). Like e-mail, but shorter: no title, unit, place, person or reason,
# only that something happened, a date and the link, so that one GSM-7 part (160 characters) holds
# it in Finnish and Swedish with the site's address.
TEXT_MESSAGES = {
    "offer_made": (
        "offer",
        _("You have a new offer from the experts-by-experience service, answer by %(deadline)s %(link)s"),
    ),
    "offer_reminder": (
        "offer",
        _("Please answer your offer from the experts-by-experience service by %(deadline)s %(link)s"),
    ),
    "event_reminder": ("reminder", _("Reminder from the experts-by-experience service: %(date)s %(link)s")),
    "assignment_cancelled": (
        "change",
        _("Your engagement on %(date)s was cancelled. Experts-by-experience service: %(link)s"),
    ),
}
TEXT_DATE_FORMAT = "D j.n."  # "to 14.3." – short, and the weekday guards against misreading


class Notification(models.Model):
    """The in-app list. Text is rendered when shown, in the reader's language."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    request = models.ForeignKey(
        "engagements.Request", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    assignment = models.ForeignKey(
        "engagements.Assignment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


def message_for(kind: str, title: str) -> str:
    return str(MESSAGES[kind]) % {"title": title}


def message_html(kind: str, request: Request | None) -> SafeString:
    """The sentence for a page or an HTML e-mail, with the request's title marked with the
    language it was written in when that differs from the reader's (WCAG 3.1.2)."""
    if request is None:
        return SafeString(conditional_escape(message_for(kind, "")))
    title = in_language(request.title, request.text_language)
    return SafeString(conditional_escape(str(MESSAGES[kind])) % {"title": title})


def coordinators_of(request: Request) -> list[User]:
    region = request.unit.region_id
    return list(
        User.objects.filter(
            Q(staff_roles__region__isnull=True) | Q(staff_roles__region_id=region),
            staff_roles__role=StaffRole.Kind.COORDINATOR,
            is_active=True,
        ).distinct()
    )


def is_urgent(request: Request) -> bool:
    """A change on the day of the engagement is sent even in the quiet hours."""
    return bool(request.starts_at) and timezone.localdate(request.starts_at) <= timezone.localdate()


def notify(
    users: Iterable[User],
    kind: str,
    request: Request,
    *,
    url_name: str,
    url_arg: int | None = None,
    assignment: Assignment | None = None,
    email: bool = True,
    extra: dict[str, Any] | None = None,
    email_url: str = "",
    attachments: list[tuple[str, str, str]] | None = None,
) -> None:
    """`email_url` replaces the e-mail's link into the service (the in-app list keeps `url_name`)."""
    path = reverse(url_name, args=[url_arg] if url_arg is not None else [])
    for user in users:
        Notification.objects.create(user=user, kind=kind, request=request, assignment=assignment, url=path)
        if not email:
            continue
        language = user.preferred_language
        with translation.override(language):
            # E-mail says only what happened (no title: the mailbox may not be private).
            headline = str(EMAIL_HEADLINES[kind])
            headline_html = conditional_escape(headline)
        send_templated_mail(
            "engagements/email/notice",
            [user.email],
            {
                "headline": headline,
                "headline_html": headline_html,
                "kind": kind,
                "request": request,
                "assignment": assignment,
                "url": email_url or f"{settings.SITE_URL}{path}",
                "site_url": settings.SITE_URL,
                **(extra or {}),
            },
            language=language,
            urgent=is_urgent(request),
            attachments=attachments,
            reference=reference_for(assignment),
        )


def _tell_coordinators(kind: str, request: Request, assignment: Assignment | None = None) -> None:
    notify(
        coordinators_of(request),
        kind,
        request,
        url_name="engagements:coordinator-request",
        url_arg=request.pk,
        assignment=assignment,
    )


def _tell_unit(kind: str, request: Request) -> None:
    notify([request.created_by], kind, request, url_name="engagements:unit-request", url_arg=request.pk)


def _tell_expert(kind: str, assignment: Assignment, *, email_url: str = "") -> None:
    """In the app always; by e-mail, text message or both as the expert chose for this kind."""
    by_email, by_text = True, False
    if kind in TEXT_MESSAGES:
        by_email, by_text = assignment.expert.channels_for(TEXT_MESSAGES[kind][0])
    notify(
        [assignment.expert.user],
        kind,
        assignment.request,
        url_name="engagements:offer",
        url_arg=assignment.pk,
        assignment=assignment,
        email=by_email,
        email_url=email_url,
    )
    if by_text:
        page = f"{settings.SITE_URL}{reverse('engagements:offer', args=[assignment.pk])}"
        # The offer's answer link, short enough for one part; otherwise the page behind sign-in.
        short = answerlinks.short_url(assignment.pk, assignment.answer_nonce) if email_url else ""
        _text_expert(kind, assignment, short or page)


def reference_for(assignment: Assignment | None) -> str:
    """How the kept messages about an assignment are found again (`deliveries`)."""
    return f"assignment:{assignment.pk}" if assignment is not None else ""


def deliveries(assignments: list[Assignment]) -> dict[int, list[OutgoingMessage]]:
    """For the coordinator's request page: per assignment, the latest message to the expert about
    it on each channel (e-mail, text), with whether it went and arrived. One query."""
    by_reference = {reference_for(a): a for a in assignments}
    latest: dict[int, dict[str, OutgoingMessage]] = {a.pk: {} for a in assignments}
    rows = OutgoingMessage.objects.filter(
        reference__in=list(by_reference), user_id__in=[a.expert.user_id for a in assignments]
    ).order_by("created_at", "pk")
    for message in rows:
        assignment = by_reference[message.reference]
        if message.user_id == assignment.expert.user_id:
            latest[assignment.pk][message.channel] = message
    return {pk: list(channels.values()) for pk, channels in latest.items()}


def _short_date(value: Any) -> str:
    return formats.date_format(timezone.localtime(value), TEXT_DATE_FORMAT) if value else "?"


def text_for(kind: str, assignment: Assignment, link: str, language: str) -> str:
    """The text message for one kind, in the recipient's language."""
    with translation.override(language):
        return str(TEXT_MESSAGES[kind][1]) % {
            "deadline": _short_date(assignment.offer_expires_at),
            "date": _short_date(assignment.request.starts_at),
            "link": link,
        }


def _text_expert(kind: str, assignment: Assignment, link: str) -> None:
    user = assignment.expert.user
    category = TEXT_MESSAGES[kind][0]
    with translation.override(user.preferred_language):
        headline = str(EMAIL_HEADLINES[kind])
    send_text_message(
        user,
        text_for(kind, assignment, link, user.preferred_language),
        template=f"engagements/text/{kind}",
        subject=headline,
        reference=reference_for(assignment),
        # Quiet hours hold back every text message except a change on the day itself.
        urgent=category == "change" and is_urgent(assignment.request),
    )


def _answer_link(assignment: Assignment) -> str:
    """An offer e-mail opens the offer with its signed, single-use link: one tap on a phone, no
    password (engagements/answerlinks.py)."""
    if not assignment.answer_nonce:
        return ""
    return answerlinks.answer_url(assignment.pk, assignment.answer_nonce)


def request_submitted(request: Request) -> None:
    _tell_coordinators("request_submitted", request)


def request_in_matching(request: Request) -> None:
    _tell_unit("request_in_matching", request)


def request_declined(request: Request) -> None:
    _tell_unit("request_declined", request)


def request_cancelled(request: Request, by: User, affected: list[Assignment]) -> None:
    for assignment in affected:
        _tell_expert("assignment_cancelled", assignment)
    if by != request.created_by:
        _tell_unit("request_cancelled", request)
    if not by.has_role(Role.COORDINATOR):
        _tell_coordinators("request_cancelled", request)


def offer_made(assignment: Assignment) -> None:
    _tell_expert("offer_made", assignment, email_url=_answer_link(assignment))


def offer_answered(assignment: Assignment) -> None:
    kind = "offer_accepted" if assignment.status == assignment.Status.ACCEPTED else "offer_declined"
    _tell_coordinators(kind, assignment.request, assignment)


def _calendar_file(uid: str, request: Request, path: str) -> list[tuple[str, str, str]]:
    """The engagement as an .ics attachment, beside the link into the service."""
    body = ics.event_file(uid, request, f"{settings.SITE_URL}{path}")
    return [("engagement.ics", body, "text/calendar")] if body else []


def assignment_confirmed(assignment: Assignment) -> None:
    request = assignment.request
    notify(
        [assignment.expert.user],
        "assignment_confirmed",
        request,
        url_name="engagements:offer",
        url_arg=assignment.pk,
        assignment=assignment,
        attachments=_calendar_file(
            f"assignment-{assignment.pk}", request, reverse("engagements:offer", args=[assignment.pk])
        ),
    )
    if request.status == request.Status.CONFIRMED:
        notify(
            [request.created_by],
            "request_confirmed",
            request,
            url_name="engagements:unit-request",
            url_arg=request.pk,
            attachments=_calendar_file(
                f"request-{request.pk}", request, reverse("engagements:unit-request", args=[request.pk])
            ),
        )


def assignment_cancelled(assignment: Assignment, by: User, was_confirmed: bool) -> None:
    if by == assignment.expert.user:
        _tell_coordinators("expert_cancelled", assignment.request, assignment)
        if was_confirmed:
            _tell_unit("expert_cancelled", assignment.request)
    else:
        _tell_expert("assignment_cancelled", assignment)


def offer_reminder(assignment: Assignment) -> None:
    _tell_expert("offer_reminder", assignment, email_url=_answer_link(assignment))


def event_reminder(assignment: Assignment) -> None:
    _tell_expert("event_reminder", assignment)


def feedback_requested(request: Request) -> None:
    notify(
        [request.created_by],
        "unit_feedback_requested",
        request,
        url_name="engagements:unit-feedback",
        url_arg=request.pk,
    )
    for assignment in request.assignments.filter(status=request.assignments.model.Status.ATTENDED).select_related(
        "expert__user"
    ):
        expert_feedback_requested(assignment)


def unit_feedback_reminder(request: Request) -> None:
    notify(
        [request.created_by],
        "unit_feedback_requested",
        request,
        url_name="engagements:unit-feedback",
        url_arg=request.pk,
    )


def expert_feedback_requested(assignment: Assignment) -> None:
    notify(
        [assignment.expert.user],
        "expert_feedback_requested",
        assignment.request,
        url_name="engagements:expert-feedback",
        url_arg=assignment.pk,
        assignment=assignment,
    )


def impact_note_requested(request: Request) -> None:
    notify([request.created_by], "impact_note_requested", request, url_name="engagements:impact", url_arg=request.pk)


def impact_note_written(request: Request) -> None:
    """Every expert who took part hears what happened next, in their own language."""
    for assignment in request.assignments.filter(status=request.assignments.model.Status.ATTENDED).select_related(
        "expert__user"
    ):
        notify(
            [assignment.expert.user],
            "impact_note_written",
            request,
            url_name="engagements:history",
            assignment=assignment,
        )


def debrief_requested(assignment: Assignment) -> None:
    notify(
        coordinators_of(assignment.request),
        "debrief_requested",
        assignment.request,
        url_name="engagements:debriefs",
        assignment=assignment,
    )


# Material reviews: the reviewer and the unit talk through the service only, so neither learns the
# other's contact details from this flow.


def review_submitted(assignment: Assignment) -> None:
    request = assignment.request
    notify([request.created_by], "review_submitted", request, url_name="engagements:unit-review", url_arg=request.pk)
    _tell_coordinators("review_submitted", request, assignment)


def review_question_asked(assignment: Assignment) -> None:
    notify(
        [assignment.expert.user],
        "review_question",
        assignment.request,
        url_name="engagements:review",
        url_arg=assignment.pk,
        assignment=assignment,
    )


def review_question_answered(assignment: Assignment, asked_by: User | None) -> None:
    request = assignment.request
    notify(
        [asked_by or request.created_by],
        "review_answer",
        request,
        url_name="engagements:unit-review",
        url_arg=request.pk,
    )


def review_outcome(assignment: Assignment) -> None:
    notify(
        [assignment.expert.user],
        "review_outcome",
        assignment.request,
        url_name="engagements:review",
        url_arg=assignment.pk,
        assignment=assignment,
    )


def review_deadline_reminder(assignment: Assignment) -> None:
    notify(
        [assignment.expert.user],
        "review_deadline",
        assignment.request,
        url_name="engagements:review",
        url_arg=assignment.pk,
        assignment=assignment,
    )


def adoption_requested(request: Request) -> None:
    notify([request.created_by], "adoption_requested", request, url_name="engagements:unit-review", url_arg=request.pk)
