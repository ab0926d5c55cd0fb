"""The expert as a person: profile, consent, availability, applications, erasure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Self

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext_lazy as _

from experts.signals import registry_consent_withdrawn
from registry.mail import send_templated_mail
from registry.models import AuditEvent, Municipality, Region, Unit, written_in_field
from registry.privacy import erase_person


class InvalidTransition(Exception):
    """A workflow step that is not allowed from the current state; the message is shown to the user."""


# Lookup tables: fixed vocabularies whose labels come from the translation catalogue. They are
# rows (not JSON lists) so that the registry list and matching can filter on them in SQL.


class Theme(models.Model):
    class Code(models.TextChoices):
        FOSTER_CARE = "foster_care", _("Foster care")
        RESIDENTIAL_CARE = "residential_care", _("Residential care")
        AFTERCARE = "aftercare", _("Aftercare")
        OPEN_CARE = "open_care", _("Open-care child protection")
        SUBSTANCE_ABUSE = "substance_abuse", _("Substance abuse in the family")
        MENTAL_HEALTH = "mental_health", _("Mental health")
        SCHOOL_SUPPORT = "school_support", _("School and learning support")
        DOMESTIC_VIOLENCE = "domestic_violence", _("Violence in the family")
        CHILD_PLACED = "child_placed", _("A child placed outside the home")
        DISABILITY = "disability", _("Disability or long-term illness")
        MIGRATION = "migration", _("Migrant background")
        SIBLINGS = "siblings", _("Siblings in care")

    code = models.CharField(_("code"), max_length=40, choices=Code.choices, unique=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return str(self.Code(self.code).label)


class EngagementRole(models.Model):
    class Code(models.TextChoices):
        SPEAKER = "speaker", _("Speaker")
        PANELLIST = "panellist", _("Panellist")
        WORKING_GROUP = "working_group", _("Working-group member")
        REFLECTOR = "reflector", _("Listener and reflector")
        CO_TRAINER = "co_trainer", _("Co-trainer")
        MATERIAL_REVIEWER = "material_reviewer", _("Material reviewer")
        VISITOR = "visitor", _("Institution visitor")
        INTERVIEWEE = "interviewee", _("Interviewee or evaluator")

    code = models.CharField(_("code"), max_length=40, choices=Code.choices, unique=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("engagement role")
        verbose_name_plural = _("engagement roles")

    def __str__(self) -> str:
        return str(self.Code(self.code).label)


class Language(models.Model):
    class Code(models.TextChoices):
        FI = "fi", _("Finnish")
        SV = "sv", _("Swedish")
        EN = "en", _("English")
        SE = "se", _("Northern Sami")
        RU = "ru", _("Russian")
        UK = "uk", _("Ukrainian")
        AR = "ar", _("Arabic")
        SO = "so", _("Somali")
        FSL = "fse", _("Finnish Sign Language")

    code = models.CharField(_("code"), max_length=8, choices=Code.choices, unique=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return str(self.Code(self.code).label)


class Training(models.Model):
    class Code(models.TextChoices):
        BASIC = "basic", _("Experience-expert basic training")
        SPEAKING = "speaking", _("Telling your own story safely")
        CO_TRAINING = "co_training", _("Co-trainer training")
        MATERIAL_REVIEW = "material_review", _("Material review and plain language")

    code = models.CharField(_("code"), max_length=40, choices=Code.choices, unique=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("training")
        verbose_name_plural = _("trainings")

    def __str__(self) -> str:
        return str(self.Code(self.code).label)


PARTS_OF_DAY = 3


class PartOfDay(models.IntegerChoices):
    MORNING = 0, _("Morning")
    AFTERNOON = 1, _("Afternoon")
    EVENING = 2, _("Evening")


WEEKDAYS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def availability_bit(weekday: int, part: int) -> int:
    """The weekly pattern is 21 bits: weekday (Mon=0) × part of day."""
    return 1 << (weekday * PARTS_OF_DAY + part)


def adult_from(birth_year: int, birth_month: int | None, age: int | None = None) -> dt.date:
    """The first day on which we know for sure the person is `age` years old (by default the age
    from which no guardian's consent is needed for the registry).

    We keep only the year and month of birth (data minimisation), so a person counts as younger
    until the first day of the month after their birth month. Every form asks for the month; a
    record without one (older data) counts as born in December: the safe side for each rule that
    protects a child (guardian's consent, the minimum age), never the other way round.
    """
    age = settings.GUARDIAN_CONSENT_UNDER_AGE if age is None else age
    if birth_month is None or birth_month == 12:
        return dt.date(birth_year + age + 1, 1, 1)
    return dt.date(birth_year + age, birth_month + 1, 1)


def guardian_age(purpose: str) -> int:
    """Under this age a guardian's consent is needed for the purpose besides the young person's own
    (GUARDIAN_REQUIRED_PURPOSES_UNDER, by default GUARDIAN_CONSENT_UNDER_AGE)."""
    return settings.GUARDIAN_REQUIRED_PURPOSES_UNDER.get(purpose, settings.GUARDIAN_CONSENT_UNDER_AGE)


def old_enough_to_apply(birth_year: int, birth_month: int | None, on: dt.date | None = None) -> bool:
    """At least MINIMUM_AGE for sure on the day (see `adult_from`)."""
    return (on or timezone.localdate()) >= adult_from(birth_year, birth_month, settings.MINIMUM_AGE)


class ConsentPurpose(models.TextChoices):
    REGISTRY = "registry", _("Being in the registry")
    CONTACT = "contact", _("Being contacted with offers")
    PHOTO = "photo", _("Showing my photo")
    QUOTE = "quote", _("Quoting my words in materials")
    RECORDING = "recording", _("Recording and streaming")
    DIRECT_CONTACT = "direct_contact", _("Units may contact me directly")


REQUIRED_PURPOSES = (ConsentPurpose.REGISTRY, ConsentPurpose.CONTACT)


class ExpertProfileQuerySet(models.QuerySet["ExpertProfile"]):
    def in_regions(self, regions: models.QuerySet[Region] | None) -> ExpertProfileQuerySet:
        return self if regions is None else self.filter(home_region__in=regions)

    def not_erased(self) -> ExpertProfileQuerySet:
        return self.filter(erased_at__isnull=True)

    def available_at(self, slots: int) -> ExpertProfileQuerySet:
        """Available in every one of the weekly-availability bits `slots`."""
        # "& slots >= slots" means "& slots = slots" (the masked value is at most the mask), but
        # PostgreSQL estimates a range at a third of the rows and an expression's equality at 0.5%:
        # that underestimate made it scan the experts' languages once per expert (issue 10).
        return self.alias(_slots=models.F("weekly_availability").bitand(slots)).filter(_slots__gte=slots)

    def erasure_pending(self) -> ExpertProfileQuerySet:
        """Asked for their data to be erased and waiting for the grace period to end."""
        return self.filter(erasure_requested_at__isnull=False, erased_at__isnull=True)

    def minors(self, on: dt.date | None = None, age: int | None = None) -> ExpertProfileQuerySet:
        """Possibly under `age` (by default GUARDIAN_CONSENT_UNDER_AGE) on the given day (see `adult_from`)."""
        on = on or timezone.localdate()
        age = settings.GUARDIAN_CONSENT_UNDER_AGE if age is None else age
        # Born in the year that makes them `age` this year: minor until the month after their birth month.
        this_year = Q(birth_year=on.year - age) & (Q(birth_month__isnull=True) | Q(birth_month__gte=on.month))
        return self.filter(Q(birth_year__gt=on.year - age) | this_year)

    def _latest_decision(self, purpose: str, by: str, on: dt.datetime, alias: str) -> ExpertProfileQuerySet:
        latest = ConsentRecord.objects.filter(expert=OuterRef("pk"), purpose=purpose, given_by=by, at__lte=on)
        return self.alias(**{alias: models.Subquery(latest.order_by("-at", "-pk").values("pk")[:1])})

    def with_current_consent(self, purpose: str, on: dt.datetime | None = None) -> ExpertProfileQuerySet:
        """Experts whose latest own decision for the purpose is a given, unexpired consent to the
        current text, and, if they are young enough to need one for the purpose, whose guardian's
        latest decision for it is a given, unexpired consent (see `guardian_age`)."""
        on = on or timezone.now()
        alias = f"_latest_{purpose}"
        current_version = ConsentText.objects.current_for(purpose, on).values("version")[:1]
        needs_guardian = ExpertProfile.objects.minors(timezone.localdate(on), guardian_age(purpose)).values("pk")
        guardian_gave = ExpertProfile.objects.with_guardian_consent(on, purpose).values("pk")
        return (
            self._latest_decision(purpose, ConsentRecord.By.SELF, on, alias)
            .filter(
                Exists(
                    ConsentRecord.objects.filter(
                        pk=OuterRef(alias),
                        action=ConsentRecord.Action.GIVEN,
                        expires_at__gt=on,
                        text__version__gte=models.Subquery(current_version),
                    )
                )
            )
            .filter(~Q(pk__in=needs_guardian) | Q(pk__in=guardian_gave))
        )

    def with_guardian_consent(self, on: dt.datetime | None = None, purpose: str = "registry") -> ExpertProfileQuerySet:
        """The guardian's latest decision for the purpose is a given, unexpired consent."""
        on = on or timezone.now()
        alias = f"_latest_guardian_{purpose}"
        return self._latest_decision(purpose, ConsentRecord.By.GUARDIAN, on, alias).filter(
            Exists(
                ConsentRecord.objects.filter(pk=OuterRef(alias), action=ConsentRecord.Action.GIVEN, expires_at__gt=on)
            )
        )

    def consent_current(self, on: dt.datetime | None = None) -> ExpertProfileQuerySet:
        """May be offered work: registry and contact consents current, each with a guardian's where
        the expert's age needs one. Now (or later, if nothing is recorded meanwhile): read from the
        state kept on the expert (`consent_current_until`), one indexed column instead of a latest
        decision per expert and purpose; at a moment in the past: derived from the records."""
        now = timezone.now()
        if on is None or on >= now:
            return self.filter(consent_current_until__gt=on or now)
        return self.consent_current_at(on)

    def consent_current_at(self, on: dt.datetime) -> ExpertProfileQuerySet:
        """`consent_current` derived from the records themselves, for any moment."""
        return self.with_current_consent(ConsentPurpose.REGISTRY, on).with_current_consent(ConsentPurpose.CONTACT, on)

    def available_on(self, day: dt.date, part: int | None = None) -> ExpertProfileQuerySet:
        """Active, not on a break or away on that day, and the weekly pattern has that part of the
        day (any part when `part` is None)."""
        parts = [part] if part is not None else list(PartOfDay.values)
        bit = 0
        for each in parts:
            bit |= availability_bit(day.weekday(), each)
        away = AvailabilityException.objects.filter(expert=OuterRef("pk"), start_date__lte=day, end_date__gte=day)
        return (
            self.filter(status=ExpertProfile.Status.ACTIVE)
            .filter(Q(pause_until__isnull=True) | Q(pause_until__lt=day))
            .annotate(_slot=F("weekly_availability").bitand(bit))
            .filter(_slot__gt=0)
            .exclude(Exists(away))
        )


class MessageChannels(models.TextChoices):
    """How an expert wants to hear of one kind of message (text messages need a verified number)."""

    EMAIL = "email", _("E-mail")
    TEXT = "text", _("Text message")
    BOTH = "both", _("E-mail and text message")


class ExpertProfile(models.Model):
    class Kind(models.TextChoices):
        YOUTH = "youth", _("Young person")
        PARENT = "parent", _("Parent")

    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        LEAVING = "leaving", _("Leaving")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile", verbose_name=_("user")
    )
    kind = models.CharField(_("I take part as"), max_length=10, choices=Kind.choices)
    display_name = models.CharField(
        _("display name"), max_length=80, help_text=_("A pseudonym is fine. This is the name units see.")
    )
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(
        _("birth month"),
        null=True,
        blank=True,
        help_text=_("Optional. Helps us know when you no longer need a guardian's consent."),
    )
    languages = models.ManyToManyField(Language, blank=True, related_name="+", verbose_name=_("languages"))
    home_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("home region")
    )
    travel_regions = models.ManyToManyField(
        Region, blank=True, related_name="+", verbose_name=_("regions I can travel to")
    )
    remote_ok = models.BooleanField(_("I can take part remotely"), default=True)
    themes = models.ManyToManyField(
        Theme, blank=True, related_name="experts", verbose_name=_("themes from my own experience")
    )
    avoid_topics = models.ManyToManyField(
        Theme, blank=True, related_name="avoided_by", verbose_name=_("topics I do not want to talk about")
    )
    roles = models.ManyToManyField(
        EngagementRole, blank=True, related_name="+", verbose_name=_("what I would like to do")
    )
    avoid_units = models.ManyToManyField(
        Unit, blank=True, related_name="+", verbose_name=_("units I must never be sent to")
    )
    avoid_municipalities = models.ManyToManyField(
        Municipality, blank=True, related_name="+", verbose_name=_("municipalities I must never be sent to")
    )
    bio = models.TextField(_("short introduction"), max_length=600, blank=True)
    bio_language = written_in_field(_("language of the introduction"))
    photo = models.ImageField(_("photo"), upload_to="photos/", blank=True)
    trainings = models.ManyToManyField(Training, blank=True, related_name="+", verbose_name=_("trainings completed"))

    class Compensation(models.TextChoices):
        FEE = "fee", _("A fee and expenses")
        EXPENSES = "expenses", _("Expenses only")
        VOLUNTEER = "volunteer", _("Unpaid volunteering")

    # Fees can affect benefits, so some experts choose expenses only.
    compensation = models.CharField(
        _("how I want to be compensated"), max_length=10, choices=Compensation.choices, default=Compensation.FEE
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.APPLICANT)
    # Per kind of message, e-mail, text message or both (the number is on the account: registry.textmessages).
    offer_channel = models.CharField(
        _("a new offer"), max_length=8, choices=MessageChannels.choices, default=MessageChannels.EMAIL
    )
    reminder_channel = models.CharField(
        _("a reminder before the engagement"),
        max_length=8,
        choices=MessageChannels.choices,
        default=MessageChannels.EMAIL,
    )
    change_channel = models.CharField(
        _("a change or cancellation"), max_length=8, choices=MessageChannels.choices, default=MessageChannels.EMAIL
    )
    # Not shown to units or other experts, but not secret from the expert: they are in the
    # expert's own data download (GDPR art. 15).
    coordinator_notes = models.TextField(
        _("coordinator's notes (the expert sees them in their own data download)"), blank=True
    )
    weekly_availability = models.PositiveIntegerField(_("weekly availability"), default=0)
    pause_until = models.DateField(_("on a break until"), null=True, blank=True)
    monthly_cap = models.PositiveSmallIntegerField(_("at most this many engagements a month"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    erasure_requested_at = models.DateTimeField(_("erasure requested at"), null=True, blank=True)
    erase_after = models.DateTimeField(_("to be erased after"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    renewal_requested_at = models.DateTimeField(_("asked to renew consents at"), null=True, blank=True)
    # Until when the registry and contact consents are current (with a guardian's where needed),
    # if nothing new is recorded; empty when they are not. Derived from the consent records and
    # written in the same transaction as each of them (`refresh_consent_states`), so lists and
    # matching read one indexed column (issue 10).
    consent_current_until = models.DateTimeField(
        _("consents current until"), null=True, blank=True, editable=False, db_index=True
    )

    objects = ExpertProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "pk"]
        # The registry list and the excluded experts are read in name order, 25 or 50 at a time:
        # with this index the database reads those rows only, and computes each row's consent
        # state for them only (PostgreSQL computes a sorted list's columns before sorting).
        indexes = [models.Index(fields=["display_name", "id"], name="expert_name_order")]
        verbose_name = _("expert profile")
        verbose_name_plural = _("expert profiles")

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        if not adding and not args and kwargs.get("update_fields") is None:
            # The stored consent state is written by refresh_consent_states() alone: a full save
            # of an instance loaded before a consent was given would write the old value back.
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "consent_current_until"
            ]
        super().save(*args, **kwargs)
        # Age decides whether a guardian's consent is needed, so a new birth date changes the state.
        if adding or {"birth_year", "birth_month"} & self.get_deferred_fields():
            return
        birth = (self.birth_year, self.birth_month)
        if getattr(self, "_saved_birth", None) != birth:
            refresh_consent_states([self.pk])
        self._saved_birth = birth

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any) -> Self:
        # **kwargs: Django 6 adds fetch_mode; passed on as given.
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._saved_birth = (instance.__dict__.get("birth_year"), instance.__dict__.get("birth_month"))
        return instance

    # Age and consent ------------------------------------------------------------------------

    # Which of the expert's messages have a channel choice, and the field that holds it.
    CHANNEL_FIELDS = {"offer": "offer_channel", "reminder": "reminder_channel", "change": "change_channel"}

    def channels_for(self, kind: str) -> tuple[bool, bool]:
        """(by e-mail, by text message) for one kind of message ("offer", "reminder", "change").
        Without a verified, working number the message goes by e-mail whatever the choice: a
        message is never dropped because the phone cannot take it."""
        choice = getattr(self, self.CHANNEL_FIELDS[kind])
        if not self.user.text_number():
            return True, False
        return choice != MessageChannels.TEXT, choice != MessageChannels.EMAIL

    def is_minor(self, on: dt.date | None = None) -> bool:
        if self.birth_year is None:
            return False
        return (on or timezone.localdate()) < adult_from(self.birth_year, self.birth_month)

    def needs_guardian(self, purpose: str, on: dt.date | None = None) -> bool:
        """Young enough that the purpose needs a guardian's consent besides their own."""
        if self.birth_year is None:
            return False
        return (on or timezone.localdate()) < adult_from(self.birth_year, self.birth_month, guardian_age(purpose))

    def guardian_purposes(self, on: dt.date | None = None) -> list[str]:
        return [purpose for purpose in ConsentPurpose.values if self.needs_guardian(purpose, on)]

    @property
    def erasure_pending(self) -> bool:
        return self.erasure_requested_at is not None and self.erased_at is None

    def consent_states(self, on: dt.datetime | None = None) -> dict[str, ConsentState]:
        return consent_states_for(self, list(self.consent_records.select_related("text")), on)

    def is_consent_current(self, on: dt.datetime | None = None) -> bool:
        # The states already ask for the guardian's consent where the expert's age needs it.
        states = self.consent_states(on)
        return all(states[p].is_current for p in REQUIRED_PURPOSES)

    def guardian_consent(self, on: dt.datetime | None = None, purpose: str = "registry") -> ConsentRecord | None:
        on = on or timezone.now()
        latest = (
            self.consent_records.filter(purpose=purpose, given_by=ConsentRecord.By.GUARDIAN, at__lte=on)
            .order_by("-at", "-pk")
            .first()
        )
        if latest and latest.action == ConsentRecord.Action.GIVEN and latest.expires_at and latest.expires_at > on:
            return latest
        return None

    @transaction.atomic
    def give_consent(
        self, purpose: str, *, by_user: Any = None, shown: tuple[int | None, int | None] | None = None
    ) -> ConsentRecord:
        """The expert's own consent to the text in force and its young person's plain layer in the
        current language. `shown` is (legal version, plain version) of the page the expert read: if
        either changed since, nothing is recorded (ConsentTextChanged) and they read the new one."""
        layers = consent_layers(ConsentPlainText.Audience.YOUNG)[purpose]
        if layers.text is None:
            raise InvalidTransition(f"No consent text for {purpose}")
        if shown is not None and shown != layers.versions:
            raise ConsentTextChanged(_("The consent text has changed. Please read the new text."))
        record = ConsentRecord.objects.create(
            expert=self,
            purpose=purpose,
            text=layers.text,
            plain_text=layers.plain,
            action=ConsentRecord.Action.GIVEN,
            given_by=ConsentRecord.By.SELF,
            expires_at=timezone.now() + dt.timedelta(days=settings.CONSENT_VALID_DAYS),
            recorded_by=by_user,
        )
        self.refresh_from_db(fields=["consent_current_until"])  # written with the record
        if purpose == ConsentPurpose.REGISTRY and self.erase_after and not self.erasure_requested_at:
            # Back in the registry: the erasure scheduled by the withdrawal is off.
            self.erase_after = None
            self.save(update_fields=["erase_after", "updated_at"])
        return record

    @transaction.atomic
    def withdraw_consent(self, purpose: str, *, by_user: Any = None) -> ConsentRecord:
        latest_text = ConsentText.objects.current_for(purpose).first()
        record = ConsentRecord.objects.create(
            expert=self,
            purpose=purpose,
            text=latest_text,
            action=ConsentRecord.Action.WITHDRAWN,
            given_by=ConsentRecord.By.SELF,
            recorded_by=by_user,
        )
        if purpose == ConsentPurpose.REGISTRY:
            # Out of matching at once (matching checks consent); the request flow cancels the open
            # offers; erased after the retention period unless they come back.
            registry_consent_withdrawn.send(sender=ExpertProfile, expert=self, by=by_user or self.user)
            self.erase_after = timezone.now() + dt.timedelta(days=settings.RETENTION_DAYS_AFTER_WITHDRAWAL)
            self.save(update_fields=["erase_after", "updated_at"])
        return record

    @transaction.atomic
    def record_guardian_consent(
        self,
        *,
        guardian_name: str,
        relation: str,
        method: str,
        given_on: dt.date,
        recorded_by: Any,
        purposes: list[str] | None = None,
        email: str = "",
        phone: str = "",
        notice: str = "",
    ) -> list[ConsentRecord]:
        """The guardian's consent, one record per purpose (by default every purpose the expert's age
        needs it for), with the guardian's contact details and how they were told of their rights."""
        purposes = purposes or self.guardian_purposes() or [ConsentPurpose.REGISTRY]
        # The day the guardian gave it; never later than now, so it counts at once.
        given_at = min(timezone.make_aware(dt.datetime.combine(given_on, dt.time(12))), timezone.now())
        # The guardian's layers, as the coordinator's page showed them.
        layers = consent_layers(ConsentPlainText.Audience.GUARDIAN)
        records = []
        for purpose in purposes:
            # A guardian's consent lasts until the expert no longer needs it, at most the normal period.
            expires_at = given_at + dt.timedelta(days=settings.CONSENT_VALID_DAYS)
            if self.birth_year:
                grown = adult_from(self.birth_year, self.birth_month, guardian_age(purpose))
                expires_at = min(expires_at, timezone.make_aware(dt.datetime.combine(grown, dt.time())))
            records.append(
                ConsentRecord.objects.create(
                    expert=self,
                    purpose=purpose,
                    text=layers[purpose].text,
                    plain_text=layers[purpose].plain,
                    action=ConsentRecord.Action.GIVEN,
                    given_by=ConsentRecord.By.GUARDIAN,
                    guardian_name=guardian_name,
                    guardian_relation=relation,
                    guardian_method=method,
                    guardian_email=email,
                    guardian_phone=phone,
                    guardian_notice=notice,
                    at=given_at,
                    expires_at=expires_at,
                    recorded_by=recorded_by,
                )
            )
        if ConsentPurpose.REGISTRY in purposes and self.erase_after and not self.erasure_requested_at:
            # The guardian gave the registry consent again: the erasure their withdrawal scheduled is off.
            self.erase_after = None
            self.save(update_fields=["erase_after", "updated_at"])
        return records

    @transaction.atomic
    def record_guardian_withdrawal(
        self, purpose: str, *, guardian_name: str, method: str, withdrawn_on: dt.date, recorded_by: Any
    ) -> ConsentRecord:
        """The guardian takes back their consent for a purpose. Without it a young person who needs
        it is out of that purpose at once; for the registry, just as when they withdraw themselves."""
        at = min(timezone.make_aware(dt.datetime.combine(withdrawn_on, dt.time(12))), timezone.now())
        record = ConsentRecord.objects.create(
            expert=self,
            purpose=purpose,
            text=ConsentText.objects.current_for(purpose).first(),
            action=ConsentRecord.Action.WITHDRAWN,
            given_by=ConsentRecord.By.GUARDIAN,
            guardian_name=guardian_name,
            guardian_method=method,
            at=at,
            recorded_by=recorded_by,
        )
        if purpose == ConsentPurpose.REGISTRY and self.needs_guardian(purpose):
            registry_consent_withdrawn.send(sender=ExpertProfile, expert=self, by=recorded_by)
            self.erase_after = timezone.now() + dt.timedelta(days=settings.RETENTION_DAYS_AFTER_WITHDRAWAL)
            self.save(update_fields=["erase_after", "updated_at"])
        return record

    def photo_visible(self) -> bool:
        return bool(self.photo) and self.consent_states()[ConsentPurpose.PHOTO].is_current

    # Availability ------------------------------------------------------------------------------

    def is_available(self, weekday: int, part: int) -> bool:
        return bool(self.weekly_availability & availability_bit(weekday, part))

    # Erasure ------------------------------------------------------------------------------------

    @transaction.atomic
    def request_erasure(self, by: Any = None) -> None:
        """The expert asks to be forgotten: every consent is withdrawn now and the data erased after
        a short grace period. `by` is the acting user (the expert, or None for the system)."""
        now = timezone.now()
        for purpose in ConsentPurpose.values:
            if self.consent_states()[purpose].is_current:
                self.withdraw_consent(purpose, by_user=by or self.user)
        self.erasure_requested_at = now
        self.erase_after = now + dt.timedelta(days=settings.ERASURE_GRACE_DAYS)
        self.save(update_fields=["erasure_requested_at", "erase_after", "updated_at"])
        AuditEvent.record(by, AuditEvent.Action.ERASE, self, gettext_noop("requested by the expert"))

    @transaction.atomic
    def cancel_erasure(self, by: Any) -> None:
        """The expert changed their mind during the grace period. Their consents stay withdrawn:
        they give again the ones they want."""
        if not self.erasure_pending:
            raise InvalidTransition(_("No erasure is waiting."))
        self.erasure_requested_at = None
        # The registry consent was withdrawn with the request: without it the usual retention runs.
        self.erase_after = (
            None
            if self.consent_states()[ConsentPurpose.REGISTRY].is_current
            else timezone.now() + dt.timedelta(days=settings.RETENTION_DAYS_AFTER_WITHDRAWAL)
        )
        self.save(update_fields=["erasure_requested_at", "erase_after", "updated_at"])
        AuditEvent.record(by, AuditEvent.Action.ERASE, self, gettext_noop("erasure request cancelled by the expert"))

    @transaction.atomic
    def erase(self, by: Any = None) -> None:
        """Erase the person everywhere the inventory of personal data says they are (the profile,
        consents' guardian details, applications, engagements' free texts, receipts, notifications,
        calendar, sessions, the account, their own audit trail: see the `personal_data` modules).
        What stays is anonymous: kind, home region, consent decisions and the engagement figures."""
        erase_person(self.user)
        AuditEvent.record(by, AuditEvent.Action.ERASE, self, gettext_noop("personal data erased"))

    def blank_personal_data(self) -> None:
        """The profile's part of erasure (called through the inventory, experts/personal_data.py)."""
        if self.photo:
            self.photo.delete(save=False)
        self.display_name = str(_("Erased expert"))
        self.phone = ""
        self.birth_year = None
        self.birth_month = None
        self.bio = ""
        self.bio_language = ""
        self.photo = ""
        self.coordinator_notes = ""
        self.status = self.Status.LEAVING
        self.weekly_availability = 0
        self.pause_until = None
        self.monthly_cap = None
        self.erased_at = timezone.now()
        self.save()
        for name in [
            "languages",
            "travel_regions",
            "themes",
            "avoid_topics",
            "roles",
            "avoid_units",
            "avoid_municipalities",
            "trainings",
        ]:
            getattr(self, name).clear()


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    record: ConsentRecord | None
    status: str  # "current", "expired", "renew", "withdrawn", "none"

    @property
    def is_current(self) -> bool:
        return self.status == "current"

    @property
    def label(self) -> str:
        return str(CONSENT_STATUS_LABELS[self.status])


CONSENT_STATUS_LABELS = {
    "current": _("Given"),
    "guardian": _("Waiting for the guardian's consent"),
    "expired": _("Expired"),
    "renew": _("Needs renewal"),
    "withdrawn": _("Withdrawn"),
    "none": _("Not given"),
}


def consent_states_for(
    expert: ExpertProfile,
    records: list[ConsentRecord],
    on: dt.datetime | None = None,
    current_versions: dict[str, int] | None = None,
) -> dict[str, ConsentState]:
    """Derive the current state of each purpose from the expert's own (append-only) records."""
    on = on or timezone.now()
    if current_versions is None:
        current_versions = ConsentText.objects.current_versions(on)
    # Consents given as a minor are renewed in the expert's own name once they come of age.
    came_of_age = adult_from(expert.birth_year, expert.birth_month) if expert.birth_year else None
    if came_of_age and came_of_age > timezone.localdate(on):
        came_of_age = None
    states: dict[str, ConsentState] = {}
    today = timezone.localdate(on)
    for purpose in ConsentPurpose.values:
        own = [r for r in records if r.purpose == purpose and r.given_by == ConsentRecord.By.SELF and r.at <= on]
        latest = max(own, key=lambda r: (r.at, r.pk), default=None)
        if latest is None:
            status = "none"
        elif latest.action == ConsentRecord.Action.WITHDRAWN:
            status = "withdrawn"
        elif latest.expires_at is not None and latest.expires_at <= on:
            status = "expired"
        elif latest.text is None or latest.text.version < current_versions.get(purpose, 0):
            status = "renew"
        elif came_of_age and timezone.localdate(latest.at) < came_of_age:
            status = "renew"
        elif expert.needs_guardian(purpose, today) and not _guardian_gave(records, purpose, on):
            status = "guardian"
        else:
            status = "current"
        states[purpose] = ConsentState(purpose, latest, status)
    return states


def _guardian_gave(records: list[ConsentRecord], purpose: str, on: dt.datetime) -> bool:
    mine = [r for r in records if r.purpose == purpose and r.given_by == ConsentRecord.By.GUARDIAN and r.at <= on]
    latest = max(mine, key=lambda r: (r.at, r.pk), default=None)
    return (
        latest is not None
        and latest.action == ConsentRecord.Action.GIVEN
        and latest.expires_at is not None
        and latest.expires_at > on
    )


# "No end in sight": current consents without an expiry, of an adult, under the newest text.
FOREVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def _day_starts(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def consent_current_until(
    expert: ExpertProfile,
    records: list[ConsentRecord],
    on: dt.datetime,
    current_versions: dict[str, int],
    later_texts: list[tuple[str, int, dt.datetime]],
) -> dt.datetime | None:
    """Until when `consent_current` holds if nothing new is recorded; None when it does not hold
    at `on`. The first of: an own consent expiring, a newer text taking effect, coming of age (a
    minor's consents are renewed then), a needed guardian's consent expiring."""
    states = consent_states_for(expert, records, on, current_versions)
    if not all(states[purpose].is_current for purpose in REQUIRED_PURPOSES):
        return None
    today = timezone.localdate(on)
    came_of_age = adult_from(expert.birth_year, expert.birth_month) if expert.birth_year else None
    ends = []
    for purpose in REQUIRED_PURPOSES:
        own = states[purpose].record
        assert own is not None and own.text is not None
        if own.expires_at is not None:
            ends.append(own.expires_at)
        ends += [starts for p, version, starts in later_texts if p == purpose and version > own.text.version]
        if came_of_age and timezone.localdate(own.at) < came_of_age:
            ends.append(_day_starts(came_of_age))
        if expert.needs_guardian(purpose, today):
            assert expert.birth_year is not None
            guardian = max(
                (r for r in records if r.purpose == purpose and r.given_by == ConsentRecord.By.GUARDIAN and r.at <= on),
                key=lambda r: (r.at, r.pk),
            )
            needed_until = _day_starts(adult_from(expert.birth_year, expert.birth_month, guardian_age(purpose)))
            if guardian.expires_at is not None and guardian.expires_at < needed_until:
                ends.append(guardian.expires_at)
    return min(ends, default=FOREVER)


def refresh_consent_states(expert_ids: list[int] | None = None, batch: int = 2000) -> None:
    """Writes `consent_current_until` of the given experts (every expert with None): after each
    consent record, a new consent text, a new birth date, a bulk load. Reads only the columns it
    needs, so the migration that added the column can use it too."""
    on = timezone.now()
    current_versions = ConsentText.objects.current_versions(on)
    later_texts = list(ConsentText.objects.filter(valid_from__gt=on).values_list("purpose", "version", "valid_from"))
    experts = ExpertProfile.objects.only("pk", "birth_year", "birth_month").order_by("pk")
    if expert_ids is not None:
        experts = experts.filter(pk__in=expert_ids)
    pks = list(experts.values_list("pk", flat=True))
    for start in range(0, len(pks), batch):
        chunk = list(experts.filter(pk__in=pks[start : start + batch]))
        records: dict[int, list[ConsentRecord]] = {expert.pk: [] for expert in chunk}
        fields = ("pk", "expert_id", "purpose", "given_by", "action", "at", "expires_at", "text__version")
        for record in ConsentRecord.objects.filter(expert_id__in=records).select_related("text").only(*fields):
            records[record.expert_id].append(record)
        for expert in chunk:
            expert.consent_current_until = consent_current_until(
                expert, records[expert.pk], on, current_versions, later_texts
            )
        ExpertProfile.objects.bulk_update(chunk, ["consent_current_until"])


class ConsentTextQuerySet(models.QuerySet["ConsentText"]):
    def current_for(self, purpose: str, on: dt.datetime | None = None) -> ConsentTextQuerySet:
        return self.filter(purpose=purpose, valid_from__lte=on or timezone.now()).order_by("-version")

    def current_versions(self, on: dt.datetime | None = None) -> dict[str, int]:
        rows = self.filter(valid_from__lte=on or timezone.now()).values("purpose").annotate(v=models.Max("version"))
        return {row["purpose"]: row["v"] for row in rows}


class ConsentText(models.Model):
    """What the expert agrees to, versioned; a new version asks everyone to renew."""

    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    version = models.PositiveSmallIntegerField(_("version"))
    text_fi = models.TextField(_("text in Finnish"))
    text_sv = models.TextField(_("text in Swedish"))
    text_en = models.TextField(_("text in English"))
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)

    objects = ConsentTextQuerySet.as_manager()

    class Meta:
        ordering = ["purpose", "-version"]
        constraints = [models.UniqueConstraint(fields=["purpose", "version"], name="consenttext_unique_version")]
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            super().save(*args, **kwargs)
            # A new version asks everyone to renew (now or from when it takes effect).
            refresh_consent_states()

    @property
    def text(self) -> str:
        language = (get_language() or "fi")[:2]
        return {"sv": self.text_sv, "en": self.text_en}.get(language) or self.text_fi


PLAIN_LANGUAGES = ("fi", "sv", "en")
# The five questions every plain-language layer answers, in this order (GDPR art. 12: information
# addressed to a child in clear and plain language). The field of each answer is `<key>_<language>`.
PLAIN_QUESTIONS = (
    ("what", _("What do you agree to?")),
    ("why", _("Why?")),
    ("who", _("Who sees it?")),
    ("how_long", _("How long does it last?")),
    ("withdraw", _("How do you take it back?")),
)


class ConsentPlainTextQuerySet(models.QuerySet["ConsentPlainText"]):
    def in_force(self, on: dt.datetime | None = None) -> ConsentPlainTextQuerySet:
        return self.filter(valid_from__lte=on or timezone.now())


class ConsentPlainText(models.Model):
    """The plain-language layer of one version of a consent text: five short answers (what, why, who
    sees it, how long, how to take it back) in fi, sv and en, for the young person or for their
    guardian. It explains the legal text it belongs to and must not change its meaning: a clearer
    wording is a new plain version of the same legal version and asks nobody to renew; a change of
    meaning is a new legal version (ConsentText), which does."""

    class Audience(models.TextChoices):
        # Plain language helps everyone: adults see the young person's layer too.
        YOUNG = "young", _("The young person (every expert sees it)")
        GUARDIAN = "guardian", _("The guardian")

    text = models.ForeignKey(
        ConsentText,
        on_delete=models.PROTECT,
        related_name="plain_texts",
        verbose_name=_("legal text version"),
        help_text=_(
            "A clearer wording of the same meaning is a new plain-language version of the same legal text: nobody "
            "is asked to renew. A change of meaning needs a new version of the legal text, which asks everyone to "
            "renew."
        ),
    )
    audience = models.CharField(_("written for"), max_length=10, choices=Audience.choices, default=Audience.YOUNG)
    version = models.PositiveSmallIntegerField(_("plain-language version"))
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    # The answers, one field each so the admin sees which are missing (labels are the questions).
    what_fi = models.TextField(PLAIN_QUESTIONS[0][1], blank=True)
    why_fi = models.TextField(PLAIN_QUESTIONS[1][1], blank=True)
    who_fi = models.TextField(PLAIN_QUESTIONS[2][1], blank=True)
    how_long_fi = models.TextField(PLAIN_QUESTIONS[3][1], blank=True)
    withdraw_fi = models.TextField(PLAIN_QUESTIONS[4][1], blank=True)
    what_sv = models.TextField(PLAIN_QUESTIONS[0][1], blank=True)
    why_sv = models.TextField(PLAIN_QUESTIONS[1][1], blank=True)
    who_sv = models.TextField(PLAIN_QUESTIONS[2][1], blank=True)
    how_long_sv = models.TextField(PLAIN_QUESTIONS[3][1], blank=True)
    withdraw_sv = models.TextField(PLAIN_QUESTIONS[4][1], blank=True)
    what_en = models.TextField(PLAIN_QUESTIONS[0][1], blank=True)
    why_en = models.TextField(PLAIN_QUESTIONS[1][1], blank=True)
    who_en = models.TextField(PLAIN_QUESTIONS[2][1], blank=True)
    how_long_en = models.TextField(PLAIN_QUESTIONS[3][1], blank=True)
    withdraw_en = models.TextField(PLAIN_QUESTIONS[4][1], blank=True)

    objects = ConsentPlainTextQuerySet.as_manager()

    class Meta:
        ordering = ["text", "audience", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["text", "audience", "version"], name="consentplaintext_unique_version")
        ]
        verbose_name = _("plain-language consent text")
        verbose_name_plural = _("plain-language consent texts")

    def __str__(self) -> str:
        return f"{self.text} {self.get_audience_display()} p{self.version}"

    def answers(self, language: str | None = None) -> list[tuple[str, str]] | None:
        """The five questions and answers in the language; None while any answer is missing there,
        so that nobody is shown half a layer (they see the full text instead)."""
        language = language or (get_language() or "fi")[:2]
        if language not in PLAIN_LANGUAGES:
            language = "fi"
        pairs = [(str(question), getattr(self, f"{key}_{language}").strip()) for key, question in PLAIN_QUESTIONS]
        return pairs if all(answer for _question, answer in pairs) else None

    def missing_languages(self) -> list[str]:
        return [language for language in PLAIN_LANGUAGES if self.answers(language) is None]


@dataclass(frozen=True)
class ConsentLayers:
    """What is shown for a purpose: the legal text in force and, on top of it, its plain-language
    layer for the audience when one is complete in the reader's language."""

    text: ConsentText | None
    plain: ConsentPlainText | None

    @property
    def versions(self) -> tuple[int | None, int | None]:
        return (self.text.version if self.text else None, self.plain.version if self.plain else None)


def consent_layers(
    audience: str, on: dt.datetime | None = None, language: str | None = None
) -> dict[str, ConsentLayers]:
    """The layers of every purpose for the audience, in two queries."""
    on = on or timezone.now()
    texts: dict[str, ConsentText] = {}
    # Ascending versions: the newest text in force wins.
    for text in ConsentText.objects.filter(valid_from__lte=on).order_by("purpose", "version"):
        texts[text.purpose] = text
    plains: dict[int, ConsentPlainText] = {}
    rows = ConsentPlainText.objects.in_force(on).filter(text__in=list(texts.values()), audience=audience)
    for plain in rows.order_by("version"):
        if plain.answers(language) is not None:
            plains[plain.text_id] = plain
    return {
        purpose: ConsentLayers(texts.get(purpose), plains.get(texts[purpose].pk) if purpose in texts else None)
        for purpose in ConsentPurpose.values
    }


class ConsentTextChanged(InvalidTransition):
    """The text the person read is no longer the one in force: they must read the new one first."""


class ConsentRecord(models.Model):
    """Append-only: each row is one decision. The current state is derived from the latest."""

    class Action(models.TextChoices):
        GIVEN = "given", _("Given")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class By(models.TextChoices):
        SELF = "self", _("The expert")
        GUARDIAN = "guardian", _("Guardian, recorded by the coordinator")

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="consent_records")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, null=True, related_name="+")
    # The plain-language layer shown with the legal text (the guardian's for a guardian's consent);
    # empty when none was complete in the reader's language and only the legal text was shown.
    plain_text = models.ForeignKey(
        ConsentPlainText,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("plain-language version shown"),
    )
    action = models.CharField(_("decision"), max_length=10, choices=Action.choices)
    given_by = models.CharField(_("given by"), max_length=10, choices=By.choices, default=By.SELF)
    guardian_name = models.CharField(_("guardian's name"), max_length=120, blank=True)
    guardian_relation = models.CharField(_("relation to the expert"), max_length=80, blank=True)
    guardian_method = models.CharField(_("how the consent was given"), max_length=120, blank=True)
    guardian_email = models.EmailField(_("guardian's e-mail address"), blank=True)
    guardian_phone = models.CharField(_("guardian's phone number"), max_length=40, blank=True)

    class Notice(models.TextChoices):
        EMAIL = "email", _("Sent by e-mail from the service")
        PAPER = "paper", _("Given on paper")
        MEETING = "meeting", _("Told in a meeting or on the phone")

    guardian_notice = models.CharField(
        _("how the guardian was told about the privacy notice and their rights"),
        max_length=10,
        choices=Notice.choices,
        blank=True,
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["expert", "purpose", "given_by", "at"]),
            # The few experts with a guardian's decision, without reading every consent record.
            models.Index(fields=["purpose", "expert"], condition=Q(given_by="guardian"), name="consent_guardian"),
        ]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.get_action_display()} {self.at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The expert's stored consent state changes in the same transaction as the record.
        with transaction.atomic():
            super().save(*args, **kwargs)
            refresh_consent_states([self.expert_id])


class AvailabilityException(models.Model):
    """Dates when the expert is away, e.g. "away 3–14 March"."""

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="exceptions")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("away period")
        verbose_name_plural = _("away periods")

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date}"


class ApplicationQuerySet(models.QuerySet["Application"]):
    def waiting(self) -> ApplicationQuerySet:
        return self.filter(status=Application.Status.NEW)

    def in_regions(self, regions: models.QuerySet[Region] | None) -> ApplicationQuerySet:
        return self if regions is None else self.filter(region__in=regions)


class Application(models.Model):
    """The public "become an expert" form, reviewed by a coordinator."""

    class Status(models.TextChoices):
        NEW = "new", _("Waiting for review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    kind = models.CharField(_("I would take part as"), max_length=10, choices=ExpertProfile.Kind.choices)
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    # The month tells exactly when a young person no longer needs a guardian (see `adult_from`).
    birth_month = models.PositiveSmallIntegerField(_("birth month"), null=True, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("wellbeing area"))
    languages = models.ManyToManyField(Language, related_name="+", verbose_name=_("languages"))
    roles = models.ManyToManyField(
        EngagementRole, blank=True, related_name="+", verbose_name=_("what I would like to do")
    )
    message = models.TextField(_("tell us a little about yourself"), max_length=2000, blank=True)
    language = models.CharField(_("language of the form"), max_length=8, default="fi")
    privacy_acknowledged_at = models.DateTimeField(_("privacy notice acknowledged at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    coordinator_note = models.TextField(_("coordinator's note"), blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    profile = models.OneToOneField(
        ExpertProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="application"
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return f"{self.name} ({self.created_at:%Y-%m-%d})"

    def _lock_if_new(self) -> None:
        """Two coordinators deciding at once: the second waits, then finds it handled."""
        status = Application.objects.select_for_update(no_key=True).values_list("status", flat=True).get(pk=self.pk)
        if status != self.Status.NEW:
            raise InvalidTransition(_("This application has already been handled."))

    @transaction.atomic
    def accept(self, *, by: Any) -> ExpertProfile:
        """Create the account and profile (status applicant) and invite them to set a password."""
        from allauth.account.models import EmailAddress
        from django.contrib.auth import get_user_model

        self._lock_if_new()
        user_model = get_user_model()
        user = user_model.objects.filter(email__iexact=self.email).first()
        invite = user is None
        if user is None:
            first_name, _space, last_name = self.name.strip().partition(" ")
            user = user_model.objects.create_user(
                email=self.email,
                password=None,
                first_name=first_name[:150],
                last_name=last_name[:150],
                preferred_language=self.language,
            )
            # The invitation goes to this address, and setting a password proves it is theirs.
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        elif hasattr(user, "expert_profile"):
            raise InvalidTransition(_("This person is already in the registry."))
        profile = ExpertProfile.objects.create(
            user=user,
            kind=self.kind,
            display_name=self.name.strip().split(" ")[0][:80],
            phone=self.phone,
            birth_year=self.birth_year,
            birth_month=self.birth_month,
            home_region=self.region,
            status=ExpertProfile.Status.APPLICANT,
        )
        profile.languages.set(self.languages.all())
        profile.roles.set(self.roles.all())
        self.status = self.Status.ACCEPTED
        self.decided_at = timezone.now()
        self.decided_by = by
        self.profile = profile
        self.save(update_fields=["status", "decided_at", "decided_by", "profile"])
        send_invitation(user, new_account=invite)
        return profile

    @transaction.atomic
    def reject(self, *, by: Any, message: str = "") -> None:
        self._lock_if_new()
        self.status = self.Status.REJECTED
        self.decided_at = timezone.now()
        self.decided_by = by
        self.save(update_fields=["status", "decided_at", "decided_by"])
        send_templated_mail(
            "experts/email/application_rejected",
            [self.email],
            {"name": self.name, "message": message, "site_url": settings.SITE_URL},
            language=self.language,
        )


def invitation_url(user: Any, *, next_url: str = "") -> str:
    """A one-time link to set a password: allauth's password-reset key, which stops working once
    the password is set, and after PASSWORD_RESET_TIMEOUT. Setting the password signs the person
    in; `next_url` (a path of ours) is where they land then."""
    from urllib.parse import urlencode

    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.urls import reverse

    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return f"{settings.SITE_URL}{path}{query}"


def send_invitation(user: Any, *, new_account: bool) -> None:
    send_templated_mail(
        "experts/email/invitation" if new_account else "experts/email/accepted_existing_account",
        [user.email],
        {
            "user": user,
            "link": invitation_url(user) if new_account else f"{settings.SITE_URL}/accounts/login/",
            "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
            "site_url": settings.SITE_URL,
        },
        language=user.preferred_language,
    )
