"""The registry of experts' part of the inventory of personal data (see registry/privacy.py):
profiles, consents (with the guardians' details), times away and applications."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from experts.models import (
    WEEKDAYS,
    Application,
    AvailabilityException,
    ConsentRecord,
    ExpertProfile,
    PartOfDay,
)
from registry.models import User
from registry.privacy import Audience, Basis, Category, Field, ModelData, Retention

P, G, C, U, M, A = (
    Audience.PERSON,
    Audience.GUARDIAN,
    Audience.COORDINATOR,
    Audience.UNIT,
    Audience.MANAGER,
    Audience.ADMIN,
)


def _plain_answers(record: ConsentRecord) -> str:
    # The short answers as they were shown, in the reader's language.
    answers = record.plain_text.answers() if record.plain_text else None
    return " ".join(f"{question} {answer}" for question, answer in answers or [])


IN_THE_REGISTRY = Retention(
    _(
        "While the expert is in the registry. Erased %(ERASURE_GRACE_DAYS)s days after the expert asks for it, "
        "or %(RETENTION_DAYS_AFTER_WITHDRAWAL)s days after the registry consent is withdrawn (by the expert or "
        "their guardian). Kind and home region stay, anonymous, for the statistics."
    ),
    ("ERASURE_GRACE_DAYS", "RETENTION_DAYS_AFTER_WITHDRAWAL"),
)
ERASED_BY = ("experts.retention.erase_due_experts", "registry.privacy.erase_person")


def _weekly(expert: ExpertProfile) -> str:
    return ", ".join(
        f"{day} {str(part_label).lower()}"
        for weekday, day in enumerate(WEEKDAYS)
        for part, part_label in PartOfDay.choices
        if expert.is_available(weekday, part)
    )


def _erase_profiles(user: User, rows: QuerySet[ExpertProfile]) -> None:
    for profile in rows:
        profile.blank_personal_data()


def _applications(user: User) -> QuerySet[Application]:
    return Application.objects.filter(Q(profile__user=user) | Q(email__iexact=user.email))


def _delete(user: User, rows: QuerySet[Any]) -> Any:
    return rows.delete()


PERSONAL_DATA = [
    ModelData(
        model="experts.ExpertProfile",
        key="profile",
        title=_("Your profile"),
        about=_("experts"),
        basis=(Basis.CONSENT,),
        retention=IN_THE_REGISTRY,
        enforced_by=(*ERASED_BY, "experts.models.ExpertProfile.blank_personal_data"),
        order=30,
        fields={
            "user": Field(Category.IDENTITY, (P, C, A)),
            "kind": Field(Category.PROFILE, (P, C, U, M, A)),
            "display_name": Field(Category.IDENTITY, (P, C, U, A)),
            "phone": Field(Category.CONTACT, (P, C, U, A)),
            "birth_year": Field(Category.AGE, (P, C, A)),
            "birth_month": Field(Category.AGE, (P, C, A)),
            "languages": Field(Category.PROFILE, (P, C, A)),
            "home_region": Field(Category.PROFILE, (P, C, M, A)),
            "travel_regions": Field(Category.PROFILE, (P, C, A)),
            "remote_ok": Field(Category.PROFILE, (P, C, A)),
            "themes": Field(Category.LIVED_EXPERIENCE, (P, C, M, A)),
            "avoid_topics": Field(Category.LIVED_EXPERIENCE, (P, C, A)),
            "roles": Field(Category.PROFILE, (P, C, A)),
            "avoid_units": Field(Category.LIVED_EXPERIENCE, (P, C, A)),
            "avoid_municipalities": Field(Category.LIVED_EXPERIENCE, (P, C, A)),
            "bio": Field(Category.FREE_TEXT, (P, C, U, A)),
            "photo": Field(
                Category.FILE, (P, C, U, A), link=lambda row: reverse("engagements:expert-photo", args=[row.pk])
            ),
            "trainings": Field(Category.PROFILE, (P, C, A)),
            "compensation": Field(Category.FINANCIAL, (P, C, A)),
            "offer_channel": Field(Category.PROFILE, (P, C, A)),
            "reminder_channel": Field(Category.PROFILE, (P, C, A)),
            "change_channel": Field(Category.PROFILE, (P, C, A)),
            "status": Field(Category.PROFILE, (P, C, A)),
            "coordinator_notes": Field(Category.FREE_TEXT, (P, C, A)),
            "weekly_availability": Field(Category.PROFILE, (P, C, A), display=_weekly),
            "pause_until": Field(Category.PROFILE, (P, C, A)),
            "monthly_cap": Field(Category.PROFILE, (P, C, A)),
            "created_at": Field(Category.LOG, (P, C, A)),
            "updated_at": Field(Category.LOG, (P, C, A)),
            "erasure_requested_at": Field(Category.CONSENT, (P, C, A)),
            "erase_after": Field(Category.CONSENT, (P, C, A)),
            "erased_at": Field(Category.CONSENT, (C, A)),
            "renewal_requested_at": Field(Category.CONSENT, (P, C, A)),
            "consent_current_until": Field(Category.CONSENT, (P, C, A)),
        },
        not_personal=("bio_language",),  # the language a text was written in
        rows_of=lambda user: ExpertProfile.objects.filter(user=user),
        erase=_erase_profiles,
    ),
    ModelData(
        model="experts.ConsentRecord",
        key="consents",
        title=_("Your consents"),
        about=_("experts, and the guardians of young experts"),
        basis=(Basis.CONSENT, Basis.LEGAL_OBLIGATION),
        retention=Retention(
            _(
                "The decisions are kept as proof of what was agreed (GDPR art. 7(1)), also after erasure; the "
                "guardian's name, relation, contact details and the notes are erased with the expert's data."
            )
        ),
        enforced_by=ERASED_BY,
        order=40,
        fields={
            "expert": Field(Category.IDENTITY, (P, C, A)),
            "purpose": Field(Category.CONSENT, (P, G, C, A)),
            "text": Field(Category.CONSENT, (P, G, C, A), display=lambda r: r.text.text if r.text else ""),
            "plain_text": Field(Category.CONSENT, (P, G, C, A), display=_plain_answers),
            "action": Field(Category.CONSENT, (P, G, C, A)),
            "given_by": Field(Category.CONSENT, (P, G, C, A)),
            "guardian_name": Field(Category.GUARDIAN, (P, G, C, A)),
            "guardian_relation": Field(Category.GUARDIAN, (P, G, C, A)),
            "guardian_method": Field(Category.GUARDIAN, (P, G, C, A)),
            "guardian_email": Field(Category.GUARDIAN, (P, G, C, A)),
            "guardian_phone": Field(Category.GUARDIAN, (P, G, C, A)),
            "guardian_notice": Field(Category.GUARDIAN, (P, G, C, A)),
            "at": Field(Category.CONSENT, (P, G, C, A)),
            "expires_at": Field(Category.CONSENT, (P, G, C, A)),
            "recorded_by": Field(Category.LOG, (P, C, A), label=_("recorded by")),
            "reminder_sent_at": Field(Category.LOG, (P, C, A)),
        },
        rows_of=lambda user: ConsentRecord.objects.filter(expert__user=user).select_related("text", "plain_text"),
        erase=lambda user, rows: rows.update(
            guardian_name="",
            guardian_relation="",
            guardian_method="",
            guardian_email="",
            guardian_phone="",
        ),
    ),
    ModelData(
        model="experts.AvailabilityException",
        key="away_periods",
        title=_("Your times away"),
        about=_("experts"),
        basis=(Basis.CONSENT,),
        retention=Retention(_("Until the time away is over.")),
        enforced_by=("experts.retention.delete_past_away_periods", *ERASED_BY),
        order=50,
        fields={
            "expert": Field(Category.IDENTITY, (P, C, A)),
            "start_date": Field(Category.PROFILE, (P, C, A)),
            "end_date": Field(Category.PROFILE, (P, C, A)),
            "note": Field(Category.FREE_TEXT, (P, C, A)),
        },
        rows_of=lambda user: AvailabilityException.objects.filter(expert__user=user),
        erase=_delete,
    ),
    ModelData(
        model="experts.Application",
        key="application",
        title=_("Your application"),
        about=_("applicants"),
        basis=(Basis.CONSENT,),
        retention=Retention(
            _(
                "Waiting for a decision: at most %(UNDECIDED_APPLICATION_RETENTION_DAYS)s days. Rejected: "
                "%(REJECTED_APPLICATION_RETENTION_DAYS)s days after the decision. Accepted: with the expert's "
                "profile."
            ),
            ("UNDECIDED_APPLICATION_RETENTION_DAYS", "REJECTED_APPLICATION_RETENTION_DAYS"),
        ),
        enforced_by=("experts.retention.delete_old_applications", *ERASED_BY),
        order=60,
        fields={
            "name": Field(Category.IDENTITY, (P, C, A)),
            "email": Field(Category.CONTACT, (P, C, A)),
            "phone": Field(Category.CONTACT, (P, C, A)),
            "kind": Field(Category.PROFILE, (P, C, A)),
            "birth_year": Field(Category.AGE, (P, C, A)),
            "birth_month": Field(Category.AGE, (P, C, A)),
            "region": Field(Category.PROFILE, (P, C, A)),
            "languages": Field(Category.PROFILE, (P, C, A)),
            "roles": Field(Category.PROFILE, (P, C, A)),
            "message": Field(Category.FREE_TEXT, (P, C, A)),
            "language": Field(Category.PROFILE, (P, C, A)),
            "privacy_acknowledged_at": Field(Category.CONSENT, (P, C, A)),
            "status": Field(Category.PROFILE, (P, C, A)),
            "coordinator_note": Field(Category.FREE_TEXT, (P, C, A)),
            "created_at": Field(Category.LOG, (P, C, A)),
            "decided_at": Field(Category.LOG, (P, C, A)),
            "decided_by": Field(Category.LOG, (P, C, A), label=_("decided by")),
            "profile": Field(Category.IDENTITY, (C, A), export=False),
        },
        rows_of=_applications,
        erase=_delete,
    ),
]

NOT_PERSONAL_MODELS = (
    "experts.Theme",
    "experts.EngagementRole",
    "experts.Language",
    "experts.Training",
    "experts.ConsentText",
    "experts.ConsentPlainText",
)
