"""The request flow: a unit asks, the coordinator matches and offers, experts answer, the coordinator confirms."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from engagements import answerlinks, notifications
from experts.models import EngagementRole, ExpertProfile, InvalidTransition, Language, Theme
from registry.models import (
    AuditEvent,
    Region,
    Role,
    StaffRole,
    Unit,
    UnitMembership,
    regions_in_scope,
    written_in_field,
)


class RequestType(models.TextChoices):
    VISIT = "visit", _("Visit to a unit or institution")
    SPEAKER = "speaker", _("Speaker")
    PANEL = "panel", _("Panel discussion")
    WORKSHOP = "workshop", _("Workshop or development group")
    CO_TRAINING = "co_training", _("Co-training")
    MATERIAL_REVIEW = "material_review", _("Material review")
    WORKING_GROUP = "working_group", _("Working or steering group")
    INTERVIEW = "interview", _("Interview or evaluation")
    OTHER = "other", _("Other")


# The role an expert takes in each type of request (matching checks that they offer it).
ROLE_FOR_TYPE = {
    RequestType.VISIT: EngagementRole.Code.VISITOR,
    RequestType.SPEAKER: EngagementRole.Code.SPEAKER,
    RequestType.PANEL: EngagementRole.Code.PANELLIST,
    RequestType.WORKSHOP: EngagementRole.Code.WORKING_GROUP,
    RequestType.CO_TRAINING: EngagementRole.Code.CO_TRAINER,
    RequestType.MATERIAL_REVIEW: EngagementRole.Code.MATERIAL_REVIEWER,
    RequestType.WORKING_GROUP: EngagementRole.Code.WORKING_GROUP,
    RequestType.INTERVIEW: EngagementRole.Code.INTERVIEWEE,
}

MAX_EXPERTS_PER_REQUEST = 5

# Every workflow step below reads and changes its rows under SELECT … FOR UPDATE in one transaction,
# and re-reads the status from the locked row: two clicks, two tabs or two people at once, the second
# waits for the first, then sees what the first did and is refused with a clear message
# (InvalidTransition). Locks are always taken in the same order — the request, then the expert
# (confirming only), then the assignments — so that two steps never wait for each other in a circle.
# FOR NO KEY UPDATE: rows that refer to a locked row (notifications, new offers) can still be
# written while it is held. docs/security.md lists the locks of each step.


def lock_request(pk: int) -> Request:
    return Request.objects.select_for_update(no_key=True).get(pk=pk)


def lock_assignment(pk: int) -> tuple[Request, Assignment]:
    """An assignment's request, then the assignment: the order every assignment step keeps."""
    request_id = Assignment.objects.values_list("request_id", flat=True).get(pk=pk)
    request = lock_request(request_id)
    row = Assignment.objects.select_for_update(no_key=True).get(pk=pk)
    row.request = request
    return request, row


def record(by: Any, obj: models.Model, step: str) -> None:
    """Who took a workflow step (None for the system: scheduled jobs)."""
    AuditEvent.record(by, AuditEvent.Action.CHANGE, obj, step)


class ProgrammeTheme(models.TextChoices):
    """The development programme's own themes, by which it reports participants (docs/design.md,
    "Statistics"); a coordinator classifies each request."""

    PARTICIPATION = "participation", _("Participation")
    MULTI_AGENCY = "multi_agency", _("Multi-agency work")
    SYSTEMIC = "systemic", _("Systemic practice")


class RequestQuerySet(models.QuerySet["Request"]):
    def visible_to_unit_member(self, user: Any) -> RequestQuerySet:
        """A member's approved units' requests, and the requests they made themselves while their
        membership waits for approval (never other requests of a unit they only claim to belong to)."""
        approved_units = UnitMembership.objects.approved().filter(user=user).values("unit_id")
        member_units = UnitMembership.objects.filter(user=user).values("unit_id")
        return self.filter(Q(unit_id__in=approved_units) | Q(created_by=user, unit_id__in=member_units))

    def listed_for_unit_member(self, user: Any) -> RequestQuerySet:
        """The same requests as `visible_to_unit_member`, for a list: the member's units are read
        first (one small query), so that the list is an index range per unit, newest first, instead
        of two subqueries ORed over the whole table."""
        approved: list[int] = []
        pending: list[int] = []
        for unit_id, approved_at in UnitMembership.objects.filter(user=user).values_list("unit_id", "approved_at"):
            (pending if approved_at is None else approved).append(unit_id)
        visible = Q(unit_id__in=approved)
        if pending:
            visible |= Q(unit_id__in=pending, created_by=user)
        return self.filter(visible)

    def in_regions(self, regions: models.QuerySet[Region] | None) -> RequestQuerySet:
        return self if regions is None else self.filter(unit__region__in=regions)

    def visible_to(self, user: Any) -> RequestQuerySet:
        """What a unit member or a coordinator may open (experts reach theirs through assignments)."""
        visible = Q(pk__in=Request.objects.visible_to_unit_member(user).values("pk"))
        if user.has_role(Role.COORDINATOR):
            scoped = Request.objects.in_regions(regions_in_scope(user, StaffRole.Kind.COORDINATOR))
            visible |= Q(pk__in=scoped.values("pk"))
        return self.filter(visible)

    def unmatched(self) -> RequestQuerySet:
        return self.filter(status__in=[Request.Status.SUBMITTED, Request.Status.MATCHING])

    def awaiting_attendance(self, now: dt.datetime) -> RequestQuerySet:
        """Confirmed engagements that are over: the coordinator marks who attended."""
        return self.filter(status=Request.Status.CONFIRMED, ends_at__lte=now)

    def short_of_experts(self, now: dt.datetime, within: dt.timedelta) -> RequestQuerySet:
        """Starting soon and still without every expert confirmed."""
        return (
            self.filter(
                status__in=[Request.Status.MATCHING, Request.Status.OFFERED],
                starts_at__gte=now,
                starts_at__lt=now + within,
            )
            .annotate(confirmed=models.Count("assignments", filter=Q(assignments__status=Assignment.Status.CONFIRMED)))
            .filter(confirmed__lt=models.F("experts_needed"))
        )

    def feedback_overdue(self, now: dt.datetime) -> RequestQuerySet:
        """Completed a reminder interval ago, and the unit has not given feedback."""
        interval = dt.timedelta(days=settings.FOLLOW_UP_INTERVAL_DAYS)
        # NOT EXISTS, not a left join and IS NULL: PostgreSQL estimates the join at one row and then
        # joins each of thousands of overdue requests to its unit in a loop (issue 10).
        no_feedback = ~models.Exists(UnitFeedback.objects.filter(request=models.OuterRef("pk")))
        return self.filter(no_feedback, status=Request.Status.COMPLETED, completed_at__lte=now - interval)

    def impact_overdue(self, now: dt.datetime) -> RequestQuerySet:
        """The impact note was due (IMPACT_NOTE_WEEKS after the engagement) and has not come."""
        due_before = now - dt.timedelta(weeks=settings.IMPACT_NOTE_WEEKS)
        no_note = ~models.Exists(ImpactNote.objects.filter(request=models.OuterRef("pk")))  # see feedback_overdue
        return self.filter(no_note, status=Request.Status.COMPLETED, ends_at__lte=due_before)

    def sharing_experts_details(self, now: dt.datetime | None = None) -> RequestQuerySet:
        """Not yet over, or over for less than UNIT_CONTACT_GRACE_DAYS (see `shares_experts_details`)."""
        cutoff = (now or timezone.now()) - dt.timedelta(days=settings.UNIT_CONTACT_GRACE_DAYS)
        return self.filter(Q(ends_at__isnull=True) | Q(ends_at__gte=cutoff))

    def texts_due_for_erasure(self, now: dt.datetime) -> RequestQuerySet:
        """Over (closed, cancelled or declined) for REQUEST_TEXT_RETENTION_DAYS, texts still kept."""
        cutoff = now - dt.timedelta(days=settings.REQUEST_TEXT_RETENTION_DAYS)
        over = [Request.Status.CLOSED, Request.Status.CANCELLED, Request.Status.DECLINED]
        return self.filter(status__in=over, closed_at__lt=cutoff, texts_erased_at__isnull=True)

    def needs_action(self, now: dt.datetime | None = None) -> RequestQuerySet:
        """What a coordinator should act on: new requests, requests still short of experts, and
        confirmed ones whose time has passed (attendance to mark)."""
        now = now or timezone.now()
        waiting = Q(status__in=[Request.Status.SUBMITTED, Request.Status.MATCHING, Request.Status.OFFERED])
        ended = Q(status=Request.Status.CONFIRMED, ends_at__lte=now)
        return self.filter(waiting | ended)


def follow_up_due(start: dt.datetime, sent: int, now: dt.datetime) -> bool:
    """Reminders after the engagement: the next message (number `sent` + 1) is due `sent` intervals
    after the start, and there are at most FOLLOW_UP_MESSAGES of each kind."""
    interval = dt.timedelta(days=settings.FOLLOW_UP_INTERVAL_DAYS)
    return sent < settings.FOLLOW_UP_MESSAGES and now >= start + sent * interval


class Request(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        MATCHING = "matching", _("Finding experts")
        OFFERED = "offered", _("Offered to experts")
        CONFIRMED = "confirmed", _("Confirmed")
        COMPLETED = "completed", _("Completed")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")
        DECLINED = "declined", _("Declined")

    # The coordinator's inbox order, kept in `urgency`: what needs a coordinator first, then what
    # is under way. Finished work (its own tab) and drafts (never in the inbox) come after.
    URGENCY = (
        (0, (Status.SUBMITTED, Status.MATCHING)),
        (1, (Status.OFFERED,)),
        (2, (Status.CONFIRMED,)),
        (3, (Status.COMPLETED,)),
        (5, (Status.DRAFT,)),
    )
    IN_PROGRESS_URGENCY = 3  # at most this: in progress
    FINISHED_URGENCY = 4  # closed, cancelled or declined

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        REMOTE = "remote", _("Remote")
        HYBRID = "hybrid", _("Hybrid")

    class WishedKind(models.TextChoices):
        EITHER = "either", _("Young person or parent")
        YOUTH = "youth", _("Young person")
        PARENT = "parent", _("Parent")

    class FeeBasis(models.TextChoices):
        SCHEDULE = "schedule", _("The cooperation area's fee schedule")
        UNIT = "unit", _("Our unit pays the fee and expenses")
        EXPENSES = "expenses", _("Expenses only")

    # The texts the unit writes itself; their language is kept in `text_language`.
    WRITTEN_FIELDS = ("title", "purpose", "task", "audience", "place")
    EDITABLE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.MATCHING, Status.OFFERED)
    CANCELLABLE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.MATCHING, Status.OFFERED, Status.CONFIRMED)

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="requests", verbose_name=_("unit"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    type = models.CharField(_("type"), max_length=20, choices=RequestType.choices)
    title = models.CharField(_("title"), max_length=140)
    # The language of the unit's own texts (title, purpose, task, audience, place).
    text_language = written_in_field(_("language of the texts"))
    purpose = models.TextField(
        _("purpose and goals of involving an expert"),
        max_length=3000,
        help_text=_("Why do you want an expert by experience, and what do you hope will change?"),
    )
    task = models.TextField(_("what the expert is asked to do"), max_length=3000)
    audience = models.CharField(_("audience"), max_length=300, help_text=_("Who will be there?"))
    audience_size = models.PositiveIntegerField(_("audience size"), null=True, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="+", verbose_name=_("themes"))
    wished_kind = models.CharField(
        _("wished kind of expert"), max_length=10, choices=WishedKind.choices, default=WishedKind.EITHER
    )
    experts_needed = models.PositiveSmallIntegerField(_("number of experts"), default=1)
    languages = models.ManyToManyField(Language, related_name="+", verbose_name=_("languages"))
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.IN_PERSON)
    place = models.CharField(_("place"), max_length=300, blank=True, help_text=_("Address, or the link for remote."))
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    estimated_hours = models.DecimalField(_("estimated hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    preparation_meeting = models.BooleanField(_("we offer a preparation meeting"), default=False)
    fee_basis = models.CharField(_("fee basis"), max_length=10, choices=FeeBasis.choices, default=FeeBasis.SCHEDULE)
    contact_name = models.CharField(_("contact person"), max_length=120)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.TextField(_("reason"), blank=True)
    programme_theme = models.CharField(
        _("programme theme"), max_length=16, choices=ProgrammeTheme.choices, blank=True, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed or cancelled at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Closed because the time for feedback or the impact note ran out, not because all came in.
    closed_incomplete = models.BooleanField(_("closed with something missing"), default=False)
    feedback_reminders = models.PositiveSmallIntegerField(default=0)
    impact_reminders = models.PositiveSmallIntegerField(default=0)
    # Free texts may name clients and are kept only REQUEST_TEXT_RETENTION_DAYS after the end.
    texts_erased_at = models.DateTimeField(_("texts erased at"), null=True, blank=True)
    # Kept by the database itself, so no save path or bulk load can leave them out of step: the
    # coordinator's inbox orders by them through an index instead of sorting every open request.
    urgency = models.GeneratedField(
        expression=models.Case(
            *(models.When(status__in=statuses, then=models.Value(rank)) for rank, statuses in URGENCY),
            default=models.Value(FINISHED_URGENCY),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    # When it happens: the start, or for a review the end of its deadline day (see `save`).
    due_at = models.GeneratedField(
        expression=Coalesce("starts_at", "ends_at"),
        output_field=models.DateTimeField(),
        db_persist=True,
    )

    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["status", "ends_at"]),
            # Covers the statistics' "received in the period" figures without reading the rows.
            models.Index(fields=["submitted_at", "status", "confirmed_at"]),
            # The coordinator's inbox: most urgent first, then by date, 25 rows read.
            models.Index(fields=["urgency", "due_at", "id"], name="request_inbox_order"),
            # "Unit feedback overdue": completed requests by completion time.
            models.Index(fields=["status", "completed_at"], name="request_completed"),
            # A unit's own list, newest first.
            models.Index(fields=["unit", "created_at"], name="request_unit_newest"),
            # Open material reviews: the live requests of one type, not every review ever asked for.
            models.Index(fields=["type", "status"], name="request_type_status"),
            # New requests on the coordinator's home, oldest first: five rows read, not every new one.
            models.Index(fields=["status", "submitted_at", "id"], name="request_status_submitted"),
        ]
        verbose_name = _("request")
        verbose_name_plural = _("requests")

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A review has no time of its own: it ends at the end of its deadline day. Every request
        # then has an end time, which keeps "held in this period" a single indexed condition.
        if self.deadline and not self.starts_at:
            self.ends_at = timezone.make_aware(dt.datetime.combine(self.deadline, dt.time(23, 59)))
            if "update_fields" in kwargs and kwargs["update_fields"] is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "ends_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("engagements:unit-request", args=[self.pk])

    @property
    def is_review(self) -> bool:
        return self.type == RequestType.MATERIAL_REVIEW

    @property
    def role_code(self) -> str | None:
        return ROLE_FOR_TYPE.get(RequestType(self.type))

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    @property
    def is_cancellable(self) -> bool:
        return self.status in self.CANCELLABLE_STATUSES

    def busy_window(self) -> tuple[dt.datetime, dt.datetime] | None:
        """The time an expert is booked; reviews have no fixed time (only an end)."""
        if self.starts_at and self.ends_at:
            return self.starts_at, self.ends_at
        return None

    def parts_of_day(self) -> list[int]:
        """Which parts of the day (0 morning, 1 afternoon, 2 evening) the engagement touches."""
        window = self.busy_window()
        if window is None:
            return []
        start, end = (timezone.localtime(t) for t in window)
        parts = set()
        for hour in range(start.hour, max(end.hour, start.hour) + 1):
            parts.add(0 if hour < 12 else 1 if hour < 17 else 2)
        return sorted(parts)

    def end_time(self) -> dt.datetime | None:
        """When the engagement is over (for a review, the end of its deadline day; see `save`)."""
        return self.ends_at

    def has_ended(self, now: dt.datetime | None = None) -> bool:
        end = self.end_time()
        return end is not None and end <= (now or timezone.now())

    def shares_experts_details(self, now: dt.datetime | None = None) -> bool:
        """Units see a confirmed expert's introduction, photo and (with consent) contact details
        for the engagement and UNIT_CONTACT_GRACE_DAYS after it; then only the display name."""
        end = self.end_time()
        grace = dt.timedelta(days=settings.UNIT_CONTACT_GRACE_DAYS)
        return end is None or end + grace >= (now or timezone.now())

    def impact_due(self) -> dt.date | None:
        end = self.end_time()
        return timezone.localdate(end) + dt.timedelta(weeks=settings.IMPACT_NOTE_WEEKS) if end else None

    def complete_if_all_marked(self) -> bool:
        """Confirmed → completed once every confirmed expert is marked attended or no-show."""
        if self.status != self.Status.CONFIRMED or self.assignments.filter(status=Assignment.Status.CONFIRMED).exists():
            return False
        self._set_status(self.Status.COMPLETED, completed_at=timezone.now())
        notifications.feedback_requested(self)
        return True

    def missing_after_engagement(self) -> list[str]:
        """What is still to come in before the request can close."""
        missing = []
        if not UnitFeedback.objects.filter(request=self).exists():
            missing.append("unit_feedback")
        if self.assignments.filter(status=Assignment.Status.ATTENDED, feedback__isnull=True).exists():
            missing.append("expert_feedback")
        if not ImpactNote.objects.filter(request=self).exists():
            missing.append("impact_note")
        if self.is_review and ReviewComment.objects.submitted().filter(assignment__request=self, adoption="").exists():
            missing.append("adoption")
        return missing

    def impact_reminders_start(self) -> dt.datetime | None:
        due = self.impact_due()
        return timezone.make_aware(dt.datetime.combine(due, dt.time(9))) if due else None

    def time_ran_out(self, now: dt.datetime) -> bool:
        """Both the feedback and the impact note have had all their messages and one more interval."""
        wait = settings.FOLLOW_UP_MESSAGES * dt.timedelta(days=settings.FOLLOW_UP_INTERVAL_DAYS)
        impact_start = self.impact_reminders_start()
        feedback_over = self.completed_at is not None and now >= self.completed_at + wait
        return feedback_over and impact_start is not None and now >= impact_start + wait

    @transaction.atomic
    def follow_up(self, now: dt.datetime) -> list[str]:
        """One pass of the after-engagement follow-up for a completed request: close it when all is
        in, remind the unit of its feedback and impact note when due, close it when time ran out.
        Returns what was done ("closed", "unit", "impact")."""
        row = lock_request(self.pk)
        if row.status != self.Status.COMPLETED:
            return []
        if row.close_if_done():
            return ["closed"]
        done = []
        # The request at completion was message 1.
        if (
            not UnitFeedback.objects.filter(request=row).exists()
            and row.completed_at
            and follow_up_due(row.completed_at, row.feedback_reminders + 1, now)
        ):
            row.feedback_reminders += 1
            row.save(update_fields=["feedback_reminders"])
            notifications.unit_feedback_reminder(row)
            done.append("unit")
        impact_start = row.impact_reminders_start()
        # What a review's comments led to is part of the impact note, and reminded of with it.
        missing = row.missing_after_engagement()
        if (
            impact_start
            and ("impact_note" in missing or "adoption" in missing)
            and follow_up_due(impact_start, row.impact_reminders, now)
        ):
            row.impact_reminders += 1
            row.save(update_fields=["impact_reminders"])
            if "impact_note" in missing:
                notifications.impact_note_requested(row)
            if "adoption" in missing:
                notifications.adoption_requested(row)
            done.append("impact")
        if row.time_ran_out(now):
            row.close_because_time_ran_out()
            done.append("closed")
        return done

    @transaction.atomic
    def give_unit_feedback(self, feedback: UnitFeedback, *, by: Any) -> None:
        """The unit's feedback on a completed request; once only."""
        row = lock_request(self.pk)
        if row.status != self.Status.COMPLETED or UnitFeedback.objects.filter(request=row).exists():
            raise InvalidTransition(_("Feedback cannot be given for this request now."))
        feedback.request = row
        feedback.given_by = by
        feedback.save()
        row.close_if_done()
        self.refresh_from_db()

    @transaction.atomic
    def write_impact_note(self, note: ImpactNote, *, by: Any) -> None:
        """ "What happened next": once only, and every expert who took part hears of it."""
        row = lock_request(self.pk)
        if row.status != self.Status.COMPLETED or ImpactNote.objects.filter(request=row).exists():
            raise InvalidTransition(_("The impact note cannot be written for this request now."))
        note.request = row
        note.written_by = by
        note.save()
        notifications.impact_note_written(row)
        row.close_if_done()
        self.refresh_from_db()

    @transaction.atomic
    def make_offers(self, experts: list[ExpertProfile], *, by: Any, answer_by: dt.datetime) -> list[Assignment]:
        """Offer the request to the chosen experts, each with the fee the schedule proposes today.
        A second live offer to the same expert is refused by the database (IntegrityError)."""
        row = lock_request(self.pk)
        if row.status not in (self.Status.MATCHING, self.Status.OFFERED, self.Status.CONFIRMED):
            raise InvalidTransition(_("Offers can be made only for a request in matching."))
        if ExpertProfile.objects.erasure_pending().filter(pk__in=[e.pk for e in experts]).exists():
            raise InvalidTransition(_("An expert who asked for their data to be erased cannot be offered engagements."))
        role = EngagementRole.objects.filter(code=row.role_code).first() or EngagementRole.objects.first()
        made = []
        for expert in experts:
            assignment = Assignment(request=row, expert=expert, role=role, offered_by=by, offer_expires_at=answer_by)
            assignment.fee_proposed = fee_for_assignment(assignment, timezone.localdate())
            assignment.save()
            record(by, assignment, "offer made")
            notifications.offer_made(assignment)
            made.append(assignment)
        row.refresh_status_from_assignments()
        self.refresh_from_db()
        return made

    @transaction.atomic
    def erase_texts(self) -> None:
        """Retention: the request's free texts and files, and those written about it (reasons,
        feedback, the impact note, debrief notes, expense descriptions), are erased; the figures the
        statistics need stay. The title becomes the type, in the service's default language."""
        with translation.override(settings.LANGUAGE_CODE):
            title = str(self.get_type_display())
        blank = {"purpose": "", "task": "", "audience": "", "place": "", "status_reason": ""}
        contact = {"contact_name": "", "contact_phone": "", "contact_email": ""}
        Request.objects.filter(pk=self.pk).update(title=title, texts_erased_at=timezone.now(), **blank, **contact)
        for attachment in self.attachments.all():
            attachment.delete()
        UnitFeedback.objects.filter(request=self).update(take_forward="", free_text="")
        ImpactNote.objects.filter(request=self).update(text="")
        self.assignments.update(decline_reason="", cancel_reason="")
        ExpertFeedback.objects.filter(assignment__request=self).update(free_text="")
        Debrief.objects.filter(assignment__request=self).update(note="")
        ReviewComment.objects.filter(assignment__request=self).update(
            anchor="", text="", question="", answer="", adoption_note=""
        )
        for review in Review.objects.filter(assignment__request=self):
            review.forget_document()
        ExpenseClaim.objects.filter(assignment__request=self).update(description="", return_reason="")
        self.refresh_from_db()

    def close_if_done(self) -> bool:
        if self.status != self.Status.COMPLETED or self.missing_after_engagement():
            return False
        self._set_status(self.Status.CLOSED, closed_at=timezone.now())
        return True

    def close_because_time_ran_out(self) -> None:
        if self.status != self.Status.COMPLETED:
            raise InvalidTransition(_("Only a completed request can be closed."))
        self._set_status(self.Status.CLOSED, closed_at=timezone.now(), closed_incomplete=True)

    def _set_status(self, status: str, reason: str = "", **fields: Any) -> None:
        self.status = status
        if reason:
            self.status_reason = reason
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["status", "status_reason", "updated_at", *fields.keys()])

    def save_edits(self, fields: list[str], *, by: Any) -> None:
        """The unit's edits of this instance, saving only the edited fields: a whole-row save would
        write back the status it was loaded with, undoing a step taken meanwhile. Refused once the
        request is no longer editable (e.g. confirmed while the form was open)."""
        with transaction.atomic():
            row = lock_request(self.pk)
            if row.status not in self.EDITABLE_STATUSES:
                raise InvalidTransition(_("A confirmed request can no longer be edited. Contact the coordinator."))
            self.save(update_fields=[*fields, "updated_at"])
            record(by, row, "request edited")

    def submit(self, by: Any) -> None:
        with transaction.atomic():
            row = lock_request(self.pk)
            if row.status != self.Status.DRAFT:
                if row.status == self.Status.CANCELLED:
                    raise InvalidTransition(_("Only a draft can be submitted."))
                raise InvalidTransition(_("This request has already been sent to the coordinator."))
            row._set_status(self.Status.SUBMITTED, submitted_at=timezone.now())
            record(by, row, "request submitted")
            notifications.request_submitted(row)
        self.refresh_from_db()

    def take_into_matching(self, by: Any) -> None:
        with transaction.atomic():
            row = lock_request(self.pk)
            if row.status in (self.Status.MATCHING, self.Status.OFFERED, self.Status.CONFIRMED):
                raise InvalidTransition(_("This request has already been taken into matching."))
            if row.status != self.Status.SUBMITTED:
                raise InvalidTransition(_("Only a submitted request can be taken into matching."))
            # Triage approves a worker's pending membership of the unit in the same step, and the
            # unit they described if it is new (a unit switched off on purpose has no pending members).
            approved = UnitMembership.objects.filter(
                user_id=row.created_by_id, unit_id=row.unit_id, approved_at__isnull=True
            ).update(approved_at=timezone.now())
            if approved:
                Unit.objects.filter(pk=row.unit_id, is_active=False).update(is_active=True)
            row._set_status(self.Status.MATCHING)
            record(by, row, "request taken into matching")
            notifications.request_in_matching(row)
        self.refresh_from_db()

    def decline(self, by: Any, reason: str) -> None:
        with transaction.atomic():
            row = lock_request(self.pk)
            if row.status == self.Status.DECLINED:
                raise InvalidTransition(_("This request has already been declined."))
            if row.status not in (self.Status.SUBMITTED, self.Status.MATCHING):
                raise InvalidTransition(_("This request can no longer be declined."))
            row._set_status(self.Status.DECLINED, reason, closed_at=timezone.now())
            record(by, row, "request declined")
            notifications.request_declined(row)
        self.refresh_from_db()

    def cancel(self, by: Any, reason: str) -> None:
        with transaction.atomic():
            row = lock_request(self.pk)
            if row.status == self.Status.CANCELLED:
                raise InvalidTransition(_("This request has already been cancelled."))
            if row.status not in self.CANCELLABLE_STATUSES:
                raise InvalidTransition(_("This request can no longer be cancelled."))
            affected = list(
                Assignment.objects.select_for_update(no_key=True, of=("self",))
                .filter(request=row, status__in=Assignment.LIVE_STATUSES)
                .select_related("expert__user")
                .order_by("pk")
            )
            for assignment in affected:
                assignment._set(Assignment.Status.CANCELLED, cancel_reason=reason, cancelled_at=timezone.now())
            was_submitted = row.status != self.Status.DRAFT
            row._set_status(self.Status.CANCELLED, reason, closed_at=timezone.now())
            record(by, row, "request cancelled")
            if was_submitted:
                notifications.request_cancelled(row, by, affected)
        self.refresh_from_db()

    def refresh_status_from_assignments(self) -> None:
        """After offers change: confirmed when enough experts are confirmed, otherwise offered or matching."""
        if self.status not in (self.Status.MATCHING, self.Status.OFFERED, self.Status.CONFIRMED):
            return
        counts = dict(self.assignments.values_list("status").annotate(n=models.Count("pk")).values_list("status", "n"))
        confirmed = counts.get(Assignment.Status.CONFIRMED, 0)
        waiting = counts.get(Assignment.Status.OFFERED, 0) + counts.get(Assignment.Status.ACCEPTED, 0)
        if confirmed >= self.experts_needed:
            if self.status != self.Status.CONFIRMED:
                self._set_status(self.Status.CONFIRMED, confirmed_at=timezone.now())
        elif waiting:
            if self.status != self.Status.OFFERED:
                self._set_status(self.Status.OFFERED)
        elif self.status != self.Status.MATCHING:
            self._set_status(self.Status.MATCHING)


def attachment_path(instance: Attachment, filename: str) -> str:
    # Random names: the original name is kept in the database only.
    return f"attachments/{instance.request_id}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        # No file outlives its row (rows removed in bulk are swept by `apply_retention`).
        storage, name = self.file.storage, self.file.name
        result = super().delete(*args, **kwargs)
        if name:
            transaction.on_commit(lambda: storage.delete(name))
        return result


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def in_regions(self, regions: models.QuerySet[Region] | None) -> AssignmentQuerySet:
        # No condition at all for the whole area: "request in (every request)" made SQLite walk
        # all 100,000 requests to find a day's expiring offers (issue 10).
        return self if regions is None else self.filter(request__unit__region__in=regions)

    def open_offers(self, now: dt.datetime | None = None) -> AssignmentQuerySet:
        return self.filter(status=Assignment.Status.OFFERED, offer_expires_at__gt=now or timezone.now())

    def confirmed(self) -> AssignmentQuerySet:
        return self.filter(status=Assignment.Status.CONFIRMED)

    def overlapping(self, start: dt.datetime, end: dt.datetime) -> AssignmentQuerySet:
        return self.filter(request__starts_at__lt=end, request__ends_at__gt=start)


class Assignment(models.Model):
    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        CONFIRMED = "confirmed", _("Confirmed")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("Did not attend")
        CANCELLED = "cancelled", _("Cancelled")

    LIVE_STATUSES = (Status.OFFERED, Status.ACCEPTED, Status.CONFIRMED)

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.PROTECT, related_name="assignments")
    role = models.ForeignKey(EngagementRole, on_delete=models.PROTECT, related_name="+", verbose_name=_("role"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OFFERED)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered by"),
    )
    offered_at = models.DateTimeField(_("offered at"), default=timezone.now)
    offer_expires_at = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=1000, blank=True)
    answer_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    event_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    fee_proposed = models.DecimalField(_("proposed fee"), max_digits=8, decimal_places=2, null=True, blank=True)
    fee = models.DecimalField(_("fee"), max_digits=8, decimal_places=2, null=True, blank=True)
    fee_paid_at = models.DateTimeField(_("fee paid at"), null=True, blank=True, db_index=True)
    attendance_marked_at = models.DateTimeField(_("attendance marked at"), null=True, blank=True)
    feedback_reminders = models.PositiveSmallIntegerField(default=0)
    # The secret half of the offer e-mail's answer link (engagements/answerlinks.py); cleared when
    # the link is used, so it works once.
    answer_nonce = models.CharField(max_length=32, blank=True, default=answerlinks.new_nonce, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["request__starts_at", "pk"]
        constraints = [
            # One live slot per expert and request; a cancelled or declined one may be offered again.
            models.UniqueConstraint(
                fields=["request", "expert"],
                condition=Q(status__in=["offered", "accepted", "confirmed"]),
                name="assignment_one_live_per_expert",
            )
        ]
        indexes = [
            # The coordinator's "offers expiring within 24 hours": a range of open offers only.
            models.Index(fields=["status", "offer_expires_at"], name="assignment_open_offers"),
        ]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.expert} – {self.request}"

    def _set(self, status: str, **fields: Any) -> None:
        self.status = status
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["status", "updated_at", *fields.keys()])

    @property
    def is_open_offer(self) -> bool:
        return self.status == self.Status.OFFERED and self.offer_expires_at > timezone.now()

    def accept(self, by: Any) -> None:
        with transaction.atomic():
            request, row = lock_assignment(self.pk)
            if row.status in (self.Status.ACCEPTED, self.Status.CONFIRMED):
                raise InvalidTransition(_("You have already accepted this offer."))
            if row.status != self.Status.OFFERED:
                raise InvalidTransition(_("This offer is no longer open."))
            expired = row.offer_expires_at <= timezone.now()
            if not expired:
                if not ExpertProfile.objects.consent_current().filter(pk=row.expert_id).exists():
                    raise InvalidTransition(_("Please renew your consents before accepting offers."))
                row._set(self.Status.ACCEPTED, answered_at=timezone.now())
                record(by, row, "offer accepted")
                notifications.offer_answered(row)
        if expired:
            # Expiring is a state change of its own: it must stick although accepting fails.
            self.expire()
            self.refresh_from_db()
            raise InvalidTransition(_("The time to answer this offer has passed."))
        self.refresh_from_db()

    def decline(self, by: Any, *, reason: str = "") -> None:
        with transaction.atomic():
            request, row = lock_assignment(self.pk)
            if row.status == self.Status.DECLINED:
                raise InvalidTransition(_("You have already declined this offer."))
            if row.status != self.Status.OFFERED:
                raise InvalidTransition(_("This offer is no longer open."))
            row._set(self.Status.DECLINED, answered_at=timezone.now(), decline_reason=reason)
            request.refresh_status_from_assignments()
            record(by, row, "offer declined")
            notifications.offer_answered(row)
        self.refresh_from_db()

    def answer_with_link(self, nonce: str, *, accept: bool, reason: str = "") -> None:
        """The offer e-mail's signed link, used once (engagements/answerlinks.py): the expert is the
        one who acts, without a password, so the use is recorded in the audit log. Spending the
        nonce is a conditional update, so two taps at once cannot both pass; a failed answer (e.g.
        consents not current) rolls the spending back and the link still works."""
        if not nonce or not self.is_open_offer:
            raise InvalidTransition(_("This link no longer works: the offer has been answered or closed."))
        with transaction.atomic():
            spent = Assignment.objects.filter(pk=self.pk, status=self.Status.OFFERED, answer_nonce=nonce).update(
                answer_nonce=""
            )
            if not spent:
                raise InvalidTransition(_("This link no longer works: the offer has been answered or closed."))
            self.answer_nonce = ""
            if accept:
                self.accept(self.expert.user)
            else:
                self.decline(self.expert.user, reason=reason)
            detail = "offer accepted with the e-mail link" if accept else "offer declined with the e-mail link"
            AuditEvent.record(self.expert.user, AuditEvent.Action.CHANGE, self, detail)

    def expire(self, by: Any = None) -> bool:
        with transaction.atomic():
            request, row = lock_assignment(self.pk)
            if row.status != self.Status.OFFERED or row.offer_expires_at > timezone.now():
                return False
            row._set(self.Status.EXPIRED)
            request.refresh_status_from_assignments()
            record(by, row, "offer expired")
        return True

    def confirm(self, by: Any) -> None:
        """Accepted → confirmed. Under the request's lock the confirmed experts are counted, so the
        last place is filled once; under the expert's lock the overlap is checked, so the expert is
        never booked twice at the same time."""
        with transaction.atomic():
            request = lock_request(self.request_id)
            expert = ExpertProfile.objects.select_for_update(no_key=True).get(pk=self.expert_id)
            row = Assignment.objects.select_for_update(no_key=True).get(pk=self.pk)
            row.request = request
            if row.status == self.Status.CONFIRMED:
                raise InvalidTransition(_("This expert has already been confirmed."))
            if row.status != self.Status.ACCEPTED:
                raise InvalidTransition(_("Only an accepted offer can be confirmed."))
            confirmed = Assignment.objects.confirmed().filter(request=request).count()
            if confirmed >= request.experts_needed:
                raise InvalidTransition(_("All the places of this request are already filled."))
            if not ExpertProfile.objects.consent_current().filter(pk=expert.pk).exists():
                raise InvalidTransition(_("The expert's consents are not current."))
            window = request.busy_window()
            if window is not None:
                clash = (
                    Assignment.objects.confirmed()
                    .filter(expert=expert)
                    .exclude(pk=row.pk)
                    .overlapping(*window)
                    .exists()
                )
                if clash:
                    raise InvalidTransition(_("The expert is already confirmed to another engagement at that time."))
            # The fee the expert saw on the offer is what they agreed to: it is fixed now. Without a
            # proposal (e.g. the schedule was empty then) the schedule in force today applies.
            fee = row.fee_proposed
            if fee is None:
                fee = fee_for_assignment(row, timezone.localdate())
            row._set(self.Status.CONFIRMED, confirmed_at=timezone.now(), fee=fee)
            request.refresh_status_from_assignments()
            record(by, row, "expert confirmed")
            notifications.assignment_confirmed(row)
        self.refresh_from_db()

    def give_feedback(self, feedback: ExpertFeedback, *, by: Any) -> None:
        """The expert's own feedback (coordinators read it, units never); a low score or a wish for
        a debrief opens a debrief for the coordinator."""
        with transaction.atomic():
            request, row = lock_assignment(self.pk)
            if row.status != self.Status.ATTENDED or ExpertFeedback.objects.filter(assignment=row).exists():
                raise InvalidTransition(_("Feedback cannot be given for this engagement now."))
            feedback.assignment = row
            feedback.save()
            if feedback.needs_follow_up():
                Debrief.objects.create(
                    assignment=row,
                    reason=Debrief.Reason.REQUESTED if feedback.wants_debrief else Debrief.Reason.LOW_SCORE,
                )
                notifications.debrief_requested(row)
            record(by, row, "expert feedback given")
            request.close_if_done()

    @transaction.atomic
    def remind_feedback_if_due(self, now: dt.datetime) -> bool:
        row = Assignment.objects.select_for_update(no_key=True).get(pk=self.pk)
        if (
            row.status != self.Status.ATTENDED
            or row.attendance_marked_at is None
            or ExpertFeedback.objects.filter(assignment=row).exists()
            or not follow_up_due(row.attendance_marked_at, row.feedback_reminders + 1, now)
        ):
            return False
        row.feedback_reminders += 1
        row.save(update_fields=["feedback_reminders", "updated_at"])
        notifications.expert_feedback_requested(row)
        return True

    @transaction.atomic
    def remind_to_answer(self, now: dt.datetime) -> bool:
        """Once per offer, however many schedulers run at the same time."""
        row = Assignment.objects.select_for_update(no_key=True).get(pk=self.pk)
        if row.status != self.Status.OFFERED or row.offer_expires_at <= now or row.answer_reminder_sent_at:
            return False
        row.answer_reminder_sent_at = now
        row.save(update_fields=["answer_reminder_sent_at", "updated_at"])
        notifications.offer_reminder(row)
        return True

    @transaction.atomic
    def remind_of_event(self, now: dt.datetime) -> bool:
        """Once per confirmed engagement, however many schedulers run at the same time."""
        row = Assignment.objects.select_for_update(no_key=True).get(pk=self.pk)
        if row.status != self.Status.CONFIRMED or row.event_reminder_sent_at:
            return False
        row.event_reminder_sent_at = now
        row.save(update_fields=["event_reminder_sent_at", "updated_at"])
        notifications.event_reminder(row)
        return True

    def mark_attendance(self, *, attended: bool, by: Any) -> None:
        with transaction.atomic():
            request, row = lock_assignment(self.pk)
            if row.status in (self.Status.ATTENDED, self.Status.NO_SHOW):
                raise InvalidTransition(_("Attendance has already been recorded for this expert."))
            if row.status != self.Status.CONFIRMED:
                raise InvalidTransition(_("Attendance can be marked only for a confirmed expert."))
            if not request.has_ended():
                raise InvalidTransition(_("The engagement has not ended yet."))
            status = self.Status.ATTENDED if attended else self.Status.NO_SHOW
            fields: dict[str, Any] = {"attendance_marked_at": timezone.now()}
            if not attended:
                fields["fee"] = None  # no fee for an engagement not attended
            row._set(status, **fields)
            record(by, row, "attended" if attended else "did not attend")
            request.complete_if_all_marked()
        self.refresh_from_db()

    def cancel(self, by: Any, reason: str, *, only_unconfirmed: bool = False) -> None:
        """`only_unconfirmed`: for the registry's own clean-up (an expert leaving), which leaves an
        engagement already under way to the coordinator, even if it was confirmed a moment ago."""
        with transaction.atomic():
            request, row = lock_assignment(self.pk)
            if row.status == self.Status.CANCELLED:
                raise InvalidTransition(_("This engagement has already been cancelled."))
            if row.status not in self.LIVE_STATUSES or (only_unconfirmed and row.status == self.Status.CONFIRMED):
                raise InvalidTransition(_("This engagement can no longer be cancelled."))
            window = request.busy_window()
            if window is not None and window[0] <= timezone.now():
                raise InvalidTransition(_("The engagement has already started."))
            was_confirmed = row.status == self.Status.CONFIRMED
            row._set(self.Status.CANCELLED, cancelled_at=timezone.now(), cancel_reason=reason)
            request.refresh_status_from_assignments()
            record(by, row, "engagement cancelled")
            notifications.assignment_cancelled(row, by, was_confirmed)
        self.refresh_from_db()

    # Material review: the reviewer's steps ------------------------------------------------------

    def _lock_for_reviewing(self) -> tuple[Request, Assignment, Review]:
        """Locks the request and the assignment, and checks that the reviewer may still write:
        confirmed to a review (attendance, marked by the coordinator, closes it) and not submitted."""
        request, row = lock_assignment(self.pk)
        if not request.is_review or row.status != self.Status.CONFIRMED:
            raise InvalidTransition(_("This review is closed."))
        review, _created = Review.objects.get_or_create(assignment=row)
        if review.submitted_at:
            raise InvalidTransition(_("You have already submitted this review."))
        return request, row, review

    def add_review_comment(self, comment: ReviewComment, *, by: Any) -> None:
        """A draft comment, numbered next in the reviewer's list."""
        with transaction.atomic():
            request, row, review = self._lock_for_reviewing()
            count = ReviewComment.objects.filter(assignment=row).count()
            if count >= MAX_REVIEW_COMMENTS:
                raise InvalidTransition(
                    _("A review can have at most %(count)d comments.") % {"count": MAX_REVIEW_COMMENTS}
                )
            comment.assignment = row
            comment.number = count + 1
            comment.save()

    def edit_review_comment(self, comment: ReviewComment, *, by: Any) -> None:
        with transaction.atomic():
            self._lock_for_reviewing()
            comment.save(update_fields=["anchor", "text", "language", "updated_at"])

    def remove_review_comment(self, comment: ReviewComment, *, by: Any) -> None:
        """Removes a draft comment; the ones after it move up a number, so the list has no gaps."""
        with transaction.atomic():
            request, row, review = self._lock_for_reviewing()
            ReviewComment.objects.filter(pk=comment.pk, assignment=row).delete()
            for later in ReviewComment.objects.filter(assignment=row, number__gt=comment.number).order_by("number"):
                ReviewComment.objects.filter(pk=later.pk).update(number=later.number - 1)

    def attach_review_document(self, upload_name: str, clean: Any, *, by: Any) -> None:
        """The commented document (already through registry.uploads.clean_upload); replaces an
        earlier one."""
        with transaction.atomic():
            request, row, review = self._lock_for_reviewing()
            old_storage, old_name = review.document.storage, review.document.name
            review.document = clean.file
            review.document_name, review.document_type, review.document_size = (
                upload_name[:200],
                clean.content_type,
                clean.size,
            )
            review.save()
            if old_name:
                transaction.on_commit(lambda: old_storage.delete(old_name))
            record(by, row, "review document uploaded")

    def submit_review(self, by: Any) -> None:
        """Sends the comments and the document to the unit; late is possible until the
        coordinator closes the review. The unit and the coordinators are told."""
        with transaction.atomic():
            request, row, review = self._lock_for_reviewing()
            if not ReviewComment.objects.filter(assignment=row).exists() and not review.document:
                raise InvalidTransition(_("Write at least one comment or upload a commented document first."))
            review.submitted_at = timezone.now()
            review.save(update_fields=["submitted_at"])
            record(by, row, "review submitted")
            notifications.review_submitted(row)
        self.refresh_from_db()

    @transaction.atomic
    def remind_of_review_deadline(self, now: dt.datetime) -> bool:
        """Once per reviewer, before the deadline, unless already submitted (quiet hours apply)."""
        request, row = lock_assignment(self.pk)
        if row.status != self.Status.CONFIRMED or row.event_reminder_sent_at or not request.is_review:
            return False
        if Review.objects.filter(assignment=row, submitted_at__isnull=False).exists():
            return False
        row.event_reminder_sent_at = now
        row.save(update_fields=["event_reminder_sent_at", "updated_at"])
        notifications.review_deadline_reminder(row)
        return True


def engagement_hours(request: Request) -> Decimal:
    if request.starts_at and request.ends_at:
        return Decimal((request.ends_at - request.starts_at).total_seconds() / 3600).quantize(Decimal("0.1"))
    return request.estimated_hours or Decimal("0")


def fee_for_assignment(assignment: Assignment, on: dt.date) -> Decimal | None:
    """The fee by the schedule in force on the day, for experts who want a fee at all, when the
    request is paid by the schedule (a unit that pays itself, or expenses only, pays no fee here)."""
    if assignment.expert.compensation != ExpertProfile.Compensation.FEE:
        return None
    if assignment.request.fee_basis != Request.FeeBasis.SCHEDULE:
        return None
    return FeeSchedule.fee_for(assignment.request.type, engagement_hours(assignment.request), on)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeedQuerySet(models.QuerySet["CalendarFeed"]):
    def unused_since(self, cutoff: dt.datetime) -> CalendarFeedQuerySet:
        """Not read (or, if never read, not made) since the cutoff."""
        return self.filter(Q(last_used_at__lt=cutoff) | Q(last_used_at__isnull=True, created_at__lt=cutoff))


class CalendarFeed(models.Model):
    """A private, revocable calendar address per user. It carries only times, types and links into
    the service; the place only if the owner chooses, and other requests (a unit's, a coordinator's
    scope) only if the owner turns them on. Unused for CALENDAR_FEED_UNUSED_DAYS, it stops working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(_("made at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last read at"), null=True, blank=True)
    include_place = models.BooleanField(_("show the place in my calendar"), default=False)
    include_requests = models.BooleanField(
        _("also show the confirmed requests I can see as a unit member or coordinator"), default=False
    )

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar address")
        verbose_name_plural = _("calendar addresses")

    def __str__(self) -> str:
        return f"calendar of {self.user_id}"

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        cutoff = (now or timezone.now()) - dt.timedelta(days=settings.CALENDAR_FEED_UNUSED_DAYS)
        return (self.last_used_at or self.created_at) < cutoff

    def rotate(self) -> None:
        self.token = new_calendar_token()
        self.created_at = timezone.now()
        self.last_used_at = None
        self.save(update_fields=["token", "created_at", "last_used_at"])


# Material reviews --------------------------------------------------------------------------------
# A confirmed reviewer writes numbered comments on the material (drafts until submitted), or uploads
# a commented document, and submits by the deadline; late is possible until the coordinator marks
# attendance, which closes the review. The unit reads the submitted comments under the reviewer's
# display name, asks one clarifying question per comment, and marks what it adopted. Each step
# locks the assignment's request, then the assignment (`lock_assignment`), then the comment.

MAX_REVIEW_COMMENTS = 200  # per reviewer: a bound on hostile input, far above any real review


def review_document_path(instance: Review, filename: str) -> str:
    return f"reviews/{instance.assignment_id}/{secrets.token_hex(16)}"


class ReviewProgress(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    DRAFTING = "drafting", _("Drafting")
    SUBMITTED = "submitted", _("Submitted")
    LATE = "late", _("Late")


class Review(models.Model):
    """One reviewer's work on a material review: the commented document, if any, and when it was
    submitted. Made when the reviewer first saves something."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    document = models.FileField(_("commented document"), upload_to=review_document_path, blank=True)
    document_name = models.CharField(_("file name"), max_length=200, blank=True)
    document_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"review {self.assignment_id}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        storage, name = self.document.storage, self.document.name
        result = super().delete(*args, **kwargs)
        if name:
            transaction.on_commit(lambda: storage.delete(name))
        return result

    def forget_document(self) -> None:
        """Retention: the commented document goes with the request's other files."""
        if self.document:
            self.document.delete(save=False)
            Review.objects.filter(pk=self.pk).update(
                document="", document_name="", document_type="", document_size=None
            )


def review_progress(assignment: Assignment, review: Review | None, comments: int, now: dt.datetime) -> str:
    """Not started, drafting, submitted or late (the deadline passed without a submission)."""
    if review is not None and review.submitted_at:
        return ReviewProgress.SUBMITTED
    if assignment.request.has_ended(now):
        return ReviewProgress.LATE
    if comments or (review is not None and review.document):
        return ReviewProgress.DRAFTING
    return ReviewProgress.NOT_STARTED


class Adoption(models.TextChoices):
    ADOPTED = "adopted", _("Adopted")
    PARTLY = "partly", _("Partly adopted")
    NOT_ADOPTED = "not_adopted", _("Not adopted")


class ReviewCommentQuerySet(models.QuerySet["ReviewComment"]):
    def submitted(self) -> ReviewCommentQuerySet:
        return self.filter(assignment__review__submitted_at__isnull=False)


class ReviewComment(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="review_comments")
    number = models.PositiveSmallIntegerField(_("number"))
    anchor = models.CharField(
        _("where in the material"),
        max_length=200,
        blank=True,
        help_text=_("A section, a page or a short quote, so that the unit finds the place."),
    )
    text = models.TextField(_("comment"), max_length=4000)
    language = written_in_field()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    question = models.TextField(_("clarifying question"), max_length=1000, blank=True)
    question_language = written_in_field()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    asked_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    answer_language = written_in_field()
    answered_at = models.DateTimeField(null=True, blank=True)
    adoption = models.CharField(_("what came of it"), max_length=12, choices=Adoption.choices, blank=True)
    adoption_note = models.CharField(_("a word why (optional)"), max_length=500, blank=True)
    adoption_language = written_in_field()
    adoption_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    adoption_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewCommentQuerySet.as_manager()

    class Meta:
        ordering = ["assignment", "number"]
        constraints = [models.UniqueConstraint(fields=["assignment", "number"], name="review_comment_number")]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")

    def __str__(self) -> str:
        return f"{self.assignment_id} #{self.number}"

    def ask(self, question: str, *, by: Any, language: str) -> None:
        """The unit's one clarifying question, on a submitted comment; the reviewer is told."""
        with transaction.atomic():
            request, assignment, row = _lock_comment(self.pk)
            if not _is_submitted(assignment):
                raise InvalidTransition(_("Questions can be asked only on submitted comments."))
            if request.status in (Request.Status.CLOSED, Request.Status.CANCELLED):
                raise InvalidTransition(_("This request is closed."))
            if row.question:
                raise InvalidTransition(_("A question has already been asked about this comment."))
            row.question, row.question_language, row.asked_by, row.asked_at = question, language, by, timezone.now()
            row.save(update_fields=["question", "question_language", "asked_by", "asked_at", "updated_at"])
            record(by, assignment, f"question on review comment {row.number}")
            notifications.review_question_asked(assignment)
        self.refresh_from_db()

    def give_answer(self, answer: str, *, by: Any, language: str) -> None:
        """The reviewer answers in the service: no contact details change hands."""
        with transaction.atomic():
            request, assignment, row = _lock_comment(self.pk)
            if not row.question:
                raise InvalidTransition(_("There is no question to answer."))
            if request.status in (Request.Status.CLOSED, Request.Status.CANCELLED):
                raise InvalidTransition(_("This request is closed."))
            if row.answer:
                raise InvalidTransition(_("You have already answered this question."))
            row.answer, row.answer_language, row.answered_at = answer, language, timezone.now()
            row.save(update_fields=["answer", "answer_language", "answered_at", "updated_at"])
            record(by, assignment, f"answer on review comment {row.number}")
            notifications.review_question_answered(assignment, row.asked_by)
        self.refresh_from_db()

    def mark_adoption(self, adoption: str, note: str, *, by: Any, language: str) -> None:
        """The unit tells what came of the comment (and may change its mind until the request
        closes). When every comment of the reviewer is marked, the reviewer is told."""
        with transaction.atomic():
            request, assignment, row = _lock_comment(self.pk)
            if not _is_submitted(assignment):
                raise InvalidTransition(_("Only submitted comments can be marked."))
            if request.status in (Request.Status.CLOSED, Request.Status.CANCELLED):
                raise InvalidTransition(_("This request is closed."))
            first_time = not row.adoption
            row.adoption, row.adoption_note, row.adoption_language = adoption, note, language
            row.adoption_by, row.adoption_at = by, timezone.now()
            row.save(
                update_fields=[
                    "adoption",
                    "adoption_note",
                    "adoption_language",
                    "adoption_by",
                    "adoption_at",
                    "updated_at",
                ]
            )
            record(by, assignment, f"adoption of review comment {row.number}")
            unmarked = ReviewComment.objects.filter(assignment=assignment, adoption="").exists()
            if first_time and not unmarked:
                notifications.review_outcome(assignment)
            request.close_if_done()
        self.refresh_from_db()


def _lock_comment(pk: int) -> tuple[Request, Assignment, ReviewComment]:
    assignment_id = ReviewComment.objects.values_list("assignment_id", flat=True).get(pk=pk)
    request, assignment = lock_assignment(assignment_id)
    row = ReviewComment.objects.select_for_update(no_key=True).get(pk=pk)
    return request, assignment, row


def _is_submitted(assignment: Assignment) -> bool:
    return Review.objects.filter(assignment=assignment, submitted_at__isnull=False).exists()


def adoption_summary(comments: list[ReviewComment]) -> dict[str, int]:
    """How many comments were given, marked, adopted (fully or partly) — for the expert's impact note."""
    marked = [c for c in comments if c.adoption]
    return {
        "given": len(comments),
        "marked": len(marked),
        "adopted": sum(1 for c in marked if c.adoption == Adoption.ADOPTED),
        "partly": sum(1 for c in marked if c.adoption == Adoption.PARTLY),
    }


# After the engagement ------------------------------------------------------------------------------

SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class UnitFeedback(models.Model):
    """The unit's feedback. Experts see only the usefulness and "take forward", and only if shared."""

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="unit_feedback")
    participants = models.PositiveIntegerField(_("participants reached"))
    usefulness = models.PositiveSmallIntegerField(_("how useful was it (1–5)"), choices=SCORE_CHOICES)
    take_forward = models.TextField(_("what you will take forward"), max_length=2000)
    invite_again = models.BooleanField(_("we would invite an expert again"), default=True)
    free_text = models.TextField(_("anything else"), max_length=2000, blank=True)
    language = written_in_field()
    share_with_experts = models.BooleanField(
        _("the experts may see the usefulness score and what we take forward"), default=True
    )
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    given_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("unit feedback")
        verbose_name_plural = _("unit feedback")

    def __str__(self) -> str:
        return f"{self.request} ({self.usefulness}/5)"


class ExpertFeedback(models.Model):
    """The expert's own feedback: seen by coordinators only, never by the unit."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="feedback")
    how_it_went = models.PositiveSmallIntegerField(_("how it went (1–5)"), choices=SCORE_CHOICES)
    heard = models.PositiveSmallIntegerField(_("I was heard (1–5)"), choices=SCORE_CHOICES)
    respected = models.PositiveSmallIntegerField(_("I was treated with respect (1–5)"), choices=SCORE_CHOICES)
    preparation = models.PositiveSmallIntegerField(_("the preparation was enough (1–5)"), choices=SCORE_CHOICES)
    free_text = models.TextField(_("anything else"), max_length=2000, blank=True)
    language = written_in_field()
    wants_debrief = models.BooleanField(_("I would like a debrief"), default=False)
    given_at = models.DateTimeField(default=timezone.now)

    LOW_SCORE = 2

    class Meta:
        verbose_name = _("expert feedback")
        verbose_name_plural = _("expert feedback")

    def __str__(self) -> str:
        return f"{self.assignment}"

    def needs_follow_up(self) -> bool:
        scores = (self.how_it_went, self.heard, self.respected, self.preparation)
        return self.wants_debrief or min(scores) <= self.LOW_SCORE


class DebriefQuerySet(models.QuerySet["Debrief"]):
    def open(self) -> DebriefQuerySet:
        return self.filter(held_on__isnull=True)

    def in_regions(self, regions: models.QuerySet[Region] | None) -> DebriefQuerySet:
        return self if regions is None else self.filter(assignment__request__unit__region__in=regions)


class Debrief(models.Model):
    """A follow-up item for the coordinator; it stays until the debrief is recorded."""

    class Reason(models.TextChoices):
        REQUESTED = "requested", _("The expert asked for a debrief")
        LOW_SCORE = "low_score", _("Low feedback score")

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="debrief")
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = DebriefQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("debrief")
        verbose_name_plural = _("debriefs")

    def __str__(self) -> str:
        return f"{self.assignment}"

    def record(self, *, by: Any) -> None:
        """Saves the debrief as held (its date and note come from the coordinator's form), once."""
        if self.held_on is None:
            raise InvalidTransition(_("Give the date the debrief was held."))
        with transaction.atomic():
            if Debrief.objects.select_for_update(no_key=True).get(pk=self.pk).held_on is not None:
                raise InvalidTransition(_("This debrief has already been recorded."))
            self.recorded_by = by
            self.save()


class ImpactNote(models.Model):
    """The unit's "what happened next", shown to the experts who took part."""

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="impact_note")
    text = models.TextField(
        _("what happened next"),
        max_length=4000,
        help_text=_("What changed or was decided because of the expert's contribution?"),
    )
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    language = written_in_field()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("impact note")
        verbose_name_plural = _("impact notes")

    def __str__(self) -> str:
        return f"{self.request}"


class FeeScheduleQuerySet(models.QuerySet["FeeSchedule"]):
    def in_force(self, on: dt.date) -> FeeScheduleQuerySet:
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on)


class FeeSchedule(models.Model):
    """Fee per engagement type and duration, with validity dates (edited in the admin)."""

    request_type = models.CharField(_("type"), max_length=20, choices=RequestType.choices)
    max_hours = models.DecimalField(
        _("up to hours"), max_digits=5, decimal_places=1, null=True, blank=True, help_text=_("Empty: any length.")
    )
    amount = models.DecimalField(_("fee (€)"), max_digits=8, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = FeeScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["request_type", "valid_from", "max_hours"]
        verbose_name = _("fee schedule row")
        verbose_name_plural = _("fee schedule")

    def __str__(self) -> str:
        return f"{self.get_request_type_display()} ≤{self.max_hours or '∞'} h: {self.amount} €"

    @classmethod
    def fee_for(cls, request_type: str, hours: Decimal, on: dt.date) -> Decimal | None:
        """The smallest bracket that covers the duration, in the schedule in force on the day."""
        rows = cls.objects.in_force(on).filter(request_type=request_type)
        covering = rows.filter(Q(max_hours__isnull=True) | Q(max_hours__gte=hours))
        row = covering.order_by(models.F("max_hours").asc(nulls_last=True)).first()
        return row.amount if row else None


class KilometreRate(models.Model):
    """The tax-free kilometre allowance in force (edited in the admin)."""

    rate = models.DecimalField(_("€ per km"), max_digits=5, decimal_places=2)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("kilometre rate")
        verbose_name_plural = _("kilometre rates")

    def __str__(self) -> str:
        return f"{self.rate} €/km ({self.valid_from})"

    @classmethod
    def in_force(cls, on: dt.date) -> Decimal | None:
        row = cls.objects.filter(valid_from__lte=on).order_by("-valid_from").first()
        return row.rate if row else None


def receipt_path(instance: ExpenseClaim, filename: str) -> str:
    return f"receipts/{instance.assignment_id}/{secrets.token_hex(16)}"


class ExpenseClaimQuerySet(models.QuerySet["ExpenseClaim"]):
    def in_regions(self, regions: models.QuerySet[Region] | None) -> ExpenseClaimQuerySet:
        return self if regions is None else self.filter(assignment__request__unit__region__in=regions)


class ExpenseClaim(models.Model):
    class Kind(models.TextChoices):
        KILOMETRES = "km", _("Kilometres with own car")
        TICKET = "ticket", _("Ticket")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned for correction")
        PAID = "paid", _("Paid")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="expense_claims")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    kilometres = models.DecimalField(_("kilometres"), max_digits=7, decimal_places=1, null=True, blank=True)
    km_rate = models.DecimalField(_("€ per km"), max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("amount (€)"), max_digits=8, decimal_places=2)
    receipt = models.FileField(_("receipt"), upload_to=receipt_path, blank=True)
    receipt_type = models.CharField(max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    return_reason = models.CharField(_("reason for returning"), max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ExpenseClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("expense claim")
        verbose_name_plural = _("expense claims")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} €"

    @property
    def receipt_filename(self) -> str:
        extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(self.receipt_type, "bin")
        return f"receipt-{self.pk}.{extension}"

    def approve(self, by: Any) -> None:
        self._decide(by, self.Status.APPROVED)

    def forget_receipt(self) -> None:
        """Retention and erasure: the receipt file goes; the claim's figures stay for the accounts."""
        if self.receipt:
            self.receipt.delete(save=False)
            ExpenseClaim.objects.filter(pk=self.pk).update(receipt="", receipt_type="")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        storage, name = self.receipt.storage, self.receipt.name
        result = super().delete(*args, **kwargs)
        if name:
            transaction.on_commit(lambda: storage.delete(name))
        return result

    def send_back(self, by: Any, reason: str) -> None:
        self._decide(by, self.Status.RETURNED, reason)

    def _decide(self, by: Any, status: str, reason: str = "") -> None:
        """Approve or return a waiting claim, once: the claim's row is locked while it is checked.
        `decided_by` records who did it."""
        with transaction.atomic():
            row = ExpenseClaim.objects.select_for_update(no_key=True).get(pk=self.pk)
            if row.status != self.Status.SUBMITTED:
                if row.status == status == self.Status.RETURNED:
                    raise InvalidTransition(_("This claim has already been returned."))
                if row.status in (self.Status.APPROVED, self.Status.PAID) and status == self.Status.APPROVED:
                    raise InvalidTransition(_("This claim has already been approved."))
                if status == self.Status.APPROVED:
                    raise InvalidTransition(_("Only a claim waiting for approval can be approved."))
                raise InvalidTransition(_("Only a claim waiting for approval can be returned."))
            row.status = status
            if reason:
                row.return_reason = reason
            row.decided_by, row.decided_at = by, timezone.now()
            row.save(update_fields=["status", "return_reason", "decided_by", "decided_at"])
        self.refresh_from_db()


class MonthlyRow(models.Model):
    """Where and when a monthly row counts: one closed month (its first day), and the region,
    sector and type of the requests counted, the dashboard's scope."""

    month = models.DateField(_("month"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, related_name="+")
    sector = models.CharField(_("sector"), max_length=32, blank=True)
    type = models.CharField(_("type"), max_length=20, blank=True)

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["month"])]


class MonthlyFigures(MonthlyRow):
    """The statistics that add up over months (counts and sums), for one closed month, region,
    sector, type and programme theme. Counted again from the requests by the worker every few
    minutes (`count_monthly_figures`); the dashboard reads them for whole counted months and counts
    the rest (the current month, and a custom period's partial months) live (issue 10)."""

    programme_theme = models.CharField(_("programme theme"), max_length=32, blank=True)
    # Requests received (submitted) in the month, by their status now.
    received = models.PositiveIntegerField(default=0)
    fulfilled = models.PositiveIntegerField(default=0)
    declined = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    # Engagements held (completed or closed) that ended in the month.
    held = models.PositiveIntegerField(default=0)
    with_impact = models.PositiveIntegerField(default=0)
    participants_reported = models.PositiveIntegerField(default=0)
    participants_estimated = models.PositiveIntegerField(default=0)
    programme_people = models.PositiveIntegerField(default=0)  # reported, else expected, as the programme counts
    usefulness_sum = models.PositiveIntegerField(default=0)
    usefulness_n = models.PositiveIntegerField(default=0)

    class Meta(MonthlyRow.Meta):
        verbose_name = _("monthly figures")
        verbose_name_plural = _("monthly figures")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.region_id} {self.sector} {self.type} {self.programme_theme}"


class MonthlyThemeFigures(MonthlyRow):
    """Participants reached per request theme in one closed month, region, sector and type (a
    request with several themes counts under each), counted with the monthly figures."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+", verbose_name=_("theme"))
    reported = models.PositiveIntegerField(default=0)
    estimated = models.PositiveIntegerField(default=0)

    class Meta(MonthlyRow.Meta):
        verbose_name = _("monthly participants per theme")
        verbose_name_plural = _("monthly participants per theme")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.theme_id}: {self.reported} + {self.estimated}"


class MonthlyExpertEngagements(MonthlyRow):
    """One expert's attended engagements in one closed month, region, sector and type, with their
    own answers on being heard and respected: the figures that count people (young and parent
    experts engaged, the busiest fifth) need each expert's total over a period. Counted again from
    the engagements with the monthly figures, so it never holds more than they do (issue 10)."""

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="+", verbose_name=_("expert"))
    kind = models.CharField(_("kind"), max_length=16)
    engagements = models.PositiveIntegerField(_("engagements"), default=0)
    heard_sum = models.PositiveIntegerField(default=0)
    heard_n = models.PositiveIntegerField(default=0)
    respected_sum = models.PositiveIntegerField(default=0)
    respected_n = models.PositiveIntegerField(default=0)

    class Meta(MonthlyRow.Meta):
        verbose_name = _("monthly engagements of an expert")
        verbose_name_plural = _("monthly engagements of experts")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.expert_id}: {self.engagements}"


class MonthlyFiguresCount(models.Model):
    """When the monthly figures were last counted (one row): every month before `until` is in them."""

    counted_at = models.DateTimeField(_("counted at"))
    until = models.DateField(_("counted until"))  # the first day of the month the count ran in

    class Meta:
        verbose_name = _("count of the monthly figures")

    def __str__(self) -> str:
        return f"{self.counted_at:%Y-%m-%d %H:%M} (until {self.until:%Y-%m})"
