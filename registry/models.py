"""The shared core: users, places, organisations and units, memberships, staff roles, audit log,
accessibility feedback."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Iterable
from contextvars import ContextVar
from typing import Any, ClassVar, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a signed-in person is acting as; each has its own home page."""

    EXPERT = "expert", _("Expert by experience")
    UNIT = "unit", _("Unit member")
    COORDINATOR = "coordinator", _("Coordinator")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


def current_language() -> str:
    """The language of the page being served, as one of settings.LANGUAGES."""
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def written_in_field(verbose_name: Any = None) -> models.CharField:
    """The language a person wrote a text in, taken from the page they wrote it on; empty when
    unknown (texts from before this was kept). Pages in another language mark the text up with
    `lang` (WCAG 3.1.2) through the `lang_attr` template tag."""
    return models.CharField(
        verbose_name or _("written in"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )


class EmailUserManager(UserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]  # no username: e-mail first
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]  # no username: e-mail first
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]  # removes the field: the e-mail is the login
    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Set when the e-mail provider reports that mail to the address bounced, was rejected or was
    # marked as spam: no more mail is queued to it until the address changes (registry.mail).
    email_undeliverable_at = models.DateTimeField(_("e-mail undeliverable since"), null=True, blank=True)
    email_undeliverable_reason = models.CharField(_("why e-mail is undeliverable"), max_length=40, blank=True)
    # A mobile number for text messages, in E.164. Only ever set by a verification with a one-time
    # code (registry.textmessages), so it is always a number the person showed they hold.
    mobile_number = models.CharField(_("mobile number"), max_length=16, blank=True)
    mobile_verified_at = models.DateTimeField(_("mobile number verified at"), null=True, blank=True)
    # Set when the text message provider reports that the number cannot receive messages: no more
    # text messages go to it until it changes (what would have gone is kept and visible).
    mobile_undeliverable_at = models.DateTimeField(_("mobile number undeliverable since"), null=True, blank=True)
    mobile_undeliverable_reason = models.CharField(
        _("why the mobile number is undeliverable"), max_length=40, blank=True
    )

    # Set when the account's personal data was erased (the row stays; see `anonymise`).
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = EmailUserManager()  # type: ignore[misc]  # UserManager without the username

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    # The address as loaded from the database (see save()); unset on a new instance.
    _loaded_email: str | None
    _loaded_mobile: str | None

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any) -> Self:
        # **kwargs: Django 6 adds fetch_mode; passed on as given.
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_email = instance.__dict__.get("email")
        instance._loaded_mobile = instance.__dict__.get("mobile_number")
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new address gets a fresh start: the provider's verdict was about the old one.
        loaded = getattr(self, "_loaded_email", None)
        if loaded is not None and self.email != loaded and self.email_undeliverable_at is not None:
            self.email_undeliverable_at = None
            self.email_undeliverable_reason = ""
            if kwargs.get("update_fields") is not None:
                cleared = {"email_undeliverable_at", "email_undeliverable_reason"}
                kwargs["update_fields"] = {*kwargs["update_fields"], *cleared}
        # Likewise a new mobile number: the provider's verdict was about the old one.
        loaded_mobile = getattr(self, "_loaded_mobile", None)
        if loaded_mobile is not None and self.mobile_number != loaded_mobile and self.mobile_undeliverable_at:
            self.mobile_undeliverable_at = None
            self.mobile_undeliverable_reason = ""
            if kwargs.get("update_fields") is not None:
                cleared = {"mobile_undeliverable_at", "mobile_undeliverable_reason"}
                kwargs["update_fields"] = {*kwargs["update_fields"], *cleared}
        super().save(*args, **kwargs)
        self._loaded_email = self.email
        self._loaded_mobile = self.mobile_number

    def text_number(self) -> str:
        """The number text messages may go to now: verified, and not reported undeliverable."""
        if self.mobile_number and self.mobile_verified_at and not self.mobile_undeliverable_at:
            return self.mobile_number
        return ""

    def roles(self) -> list[Role]:
        """Every role this user can act in, in a fixed order. Cached per instance."""
        cached: list[Role] | None = getattr(self, "_roles_cache", None)
        if cached is not None:
            return cached
        roles: list[Role] = []
        if hasattr(self, "expert_profile"):
            roles.append(Role.EXPERT)
        # A pending member may already write requests (the coordinator approves both together),
        # but sees only their own requests until approved.
        if self.unit_memberships.exists():
            roles.append(Role.UNIT)
        staff_roles = set(self.staff_roles.values_list("role", flat=True))
        if StaffRole.Kind.COORDINATOR in staff_roles:
            roles.append(Role.COORDINATOR)
        if StaffRole.Kind.MANAGER in staff_roles:
            roles.append(Role.MANAGER)
        if self.is_staff:
            roles.append(Role.ADMIN)
        self._roles_cache = roles
        return roles

    def has_role(self, role: Role) -> bool:
        return role in self.roles()

    def requires_mfa(self) -> bool:
        # Coordinators, managers and admins see many people's personal data.
        return self.is_superuser or bool({Role.COORDINATOR, Role.MANAGER, Role.ADMIN} & set(self.roles()))

    def anonymise(self) -> None:
        """Erase the account in place. The row stays, so that the requests, feedback and logs that
        point to it keep working (and `Request.created_by` can stay PROTECT: a request is the unit's
        record, not the member's), but nothing in it names the person and nobody can sign in with
        it. The rest of the person's data is erased by `registry.privacy.erase_person`."""
        self.email = f"erased-{self.pk}@invalid.invalid"
        self.first_name = ""
        self.last_name = ""
        self.mobile_number = ""
        self.mobile_verified_at = None
        self.is_active = False
        self.is_staff = False
        self.is_superuser = False
        self.set_unusable_password()
        self.erased_at = timezone.now()
        self.save()


class Region(models.Model):
    """A wellbeing area (hyvinvointialue)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name in Finnish"), max_length=120)
    name_sv = models.CharField(_("name in Swedish"), max_length=120, blank=True)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("wellbeing area")
        verbose_name_plural = _("wellbeing areas")

    def __str__(self) -> str:
        return self.localized_name

    @property
    def localized_name(self) -> str:
        language = (get_language() or "fi")[:2]
        return {"sv": self.name_sv, "en": self.name_en}.get(language) or self.name


class Municipality(models.Model):
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=120, unique=True)
    name_sv = models.CharField(_("name in Swedish"), max_length=120, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        if (get_language() or "fi")[:2] == "sv" and self.name_sv:
            return self.name_sv
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        WELLBEING_AREA = "wellbeing_area", _("Wellbeing area")
        MUNICIPALITY = "municipality", _("Municipality or city")
        NGO = "ngo", _("Non-governmental organisation")
        PRIVATE = "private", _("Private service provider")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.WELLBEING_AREA)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("region"),
        help_text=_("Empty for organisations that work across the whole cooperation area."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(models.QuerySet["Unit"]):
    def in_regions(self, regions: models.QuerySet[Region] | None) -> UnitQuerySet:
        """Units in the given regions; None means the whole area."""
        return self if regions is None else self.filter(region__in=regions)

    def get_or_create_pending(
        self, *, organisation: Organisation, name: str, sector: str, municipality: Municipality
    ) -> Unit:
        """A unit a new worker says is missing: it waits switched off until a coordinator approves
        it while triaging the worker's first request (a unit switched off on purpose stays off)."""
        unit, _created = self.get_or_create(
            organisation=organisation,
            name=name.strip(),
            defaults={
                "sector": sector,
                "region": municipality.region,
                "municipality": municipality,
                "is_active": False,
            },
        )
        return unit


class Unit(models.Model):
    class Sector(models.TextChoices):
        CHILD_PROTECTION = "child_protection", _("Child protection")
        FAMILY_SOCIAL_WORK = "family_social_work", _("Family social work")
        EDUCATION = "education", _("Education and pupil welfare")
        PSYCHIATRY = "psychiatry", _("Child and youth psychiatry")
        SUBSTANCE_MENTAL_HEALTH = "substance_mental_health", _("Substance-abuse and mental-health services")
        INSTITUTIONAL_CARE = "institutional_care", _("Institutional care")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="units", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="units", verbose_name=_("region"))
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=_("municipality"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="unit_unique_name_per_org")]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.name})"


class UnitMembershipQuerySet(models.QuerySet["UnitMembership"]):
    def approved(self) -> UnitMembershipQuerySet:
        return self.filter(approved_at__isnull=False)


class UnitMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unit_memberships", verbose_name=_("user")
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit"))
    title = models.CharField(_("job title"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # A worker who starts a request with a work e-mail is a member only once a coordinator approves.
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    objects = UnitMembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="membership_unique_user_unit")]
        verbose_name = _("unit membership")
        verbose_name_plural = _("unit memberships")

    def __str__(self) -> str:
        return f"{self.user} – {self.unit}"


class StaffRoleQuerySet(models.QuerySet["StaffRole"]):
    def coordinators(self) -> StaffRoleQuerySet:
        return self.filter(role=StaffRole.Kind.COORDINATOR)

    def managers(self) -> StaffRoleQuerySet:
        return self.filter(role=StaffRole.Kind.MANAGER)


class StaffRole(models.Model):
    class Kind(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Kind.choices)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_roles",
        verbose_name=_("region"),
        help_text=_("Leave empty for the whole cooperation area."),
    )

    objects = StaffRoleQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region"], name="staffrole_unique"),
            models.UniqueConstraint(
                fields=["user", "role"], condition=models.Q(region__isnull=True), name="staffrole_unique_area_wide"
            ),
        ]
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")

    def __str__(self) -> str:
        scope = self.region.localized_name if self.region else _("whole area")
        return f"{self.user} – {self.get_role_display()} ({scope})"


def regions_in_scope(user: User, kind: StaffRole.Kind) -> models.QuerySet[Region] | None:
    """The regions a coordinator or manager covers; None means the whole area."""
    staff = user.staff_roles.filter(role=kind)
    if staff.filter(region__isnull=True).exists():
        return None
    return Region.objects.filter(staff_roles__in=staff).distinct()


# The address of the web request being served, set by registry.middleware.ClientAddressMiddleware;
# None in commands and background tasks.
client_address: ContextVar[str | None] = ContextVar("client_address", default=None)


class AppendOnlyError(ValueError):
    """The audit log is append-only: rows are never changed or deleted by the application."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Bulk changes are refused like single ones. The only two changes the log allows are named
    methods: forgetting an erased person's identity (their right to erasure) and removing events
    older than the retention period."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only.")

    def forget_actor(self, user: User) -> int:
        """Erasure: the events the person did themselves stop naming them (their e-mail, name and
        address). Events about them stay, since they name only the staff who acted."""
        rows = self.filter(actor=user)
        return models.QuerySet.update(rows, actor_name="", actor_email="", ip=None)

    def purge_before(self, cutoff: Any) -> int:
        """Retention: events older than AUDIT_LOG_RETENTION_DAYS."""
        return models.QuerySet.delete(self.filter(at__lt=cutoff))[0]

    def about(self, objects: dict[str, set[Any]]) -> AuditEventQuerySet:
        """Events about any of the given objects ({"app.model": {pk, …}})."""
        condition = models.Q(pk__in=[])
        for label, pks in objects.items():
            if pks:
                condition |= models.Q(object_type=label, object_id__in=[str(pk) for pk in pks])
        return self.filter(condition)


class AuditEvent(models.Model):
    """Append-only: who viewed, exported, changed or erased personal data, who signed in, and when."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported")
        CHANGE = "change", _("Changed")
        ERASE = "erase", _("Erased")
        CONSENT = "consent", _("Consent changed")
        LOGIN = "login", _("Signed in")

    # The actor's identity is copied into the event, and removing the user changes nothing here
    # (no database constraint, no cascade): the log keeps saying who did what.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor's name"), max_length=300, blank=True)
    actor_email = models.CharField(_("actor's e-mail address"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    # The values put into the detail when it is shown: numbers and names as they are, labels of
    # choices in every language of the service (see `in_languages`), so each reader sees their own.
    params = models.JSONField(_("detail values"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only.")

    @property
    def object_label(self) -> str:
        """What kind of object the event is about, in the reader's language."""
        from django.apps import apps

        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return self.object_type

    @property
    def detail_label(self) -> str:
        """The detail in the reader's language: details are recorded in English (marked with
        gettext_noop where they are written, with %(name)s where a value goes) and translated when
        shown; a label recorded in every language is shown in the reader's, names and ids as they are."""
        if not self.detail:
            return ""
        text = gettext(self.detail)
        if not self.params:
            return text
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        values = {
            key: (value.get(language) or value.get("en") or "") if isinstance(value, dict) else value
            for key, value in self.params.items()
        }
        # A translation that lost a value falls back to the English text, and that to the bare detail.
        for template in (text, self.detail):
            try:
                return template % values
            except (KeyError, TypeError, ValueError):
                continue
        return self.detail

    @staticmethod
    def in_languages(*labels: Any) -> dict[str, str]:
        """Labels (lazy translations) in every language of the service, joined with commas."""
        out = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                out[code] = ", ".join(str(label) for label in labels)
        return out

    @property
    def actor_label(self) -> str:
        """Who acted, as recorded at the time."""
        if self.actor_id is None:
            return str(_("The service"))
        if not (self.actor_name or self.actor_email):
            return str(_("An erased person"))
        return f"{self.actor_name} <{self.actor_email}>" if self.actor_name else self.actor_email

    @classmethod
    def record(
        cls,
        actor: User | None,
        action: AuditEvent.Action,
        obj: models.Model,
        detail: str = "",
        params: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """`actor` is the person who acted (None for the system: nightly jobs, the worker). The
        address is taken from the web request being served, if any (see ClientAddressMiddleware),
        so that models record it without ever seeing the HTTP request."""
        person = actor if actor is not None and actor.is_authenticated else None
        return cls.objects.create(
            actor=person,
            actor_name=person.get_full_name()[:300] if person else "",
            actor_email=person.email if person else "",
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            detail=detail[:200],
            params=params or {},
            ip=client_address.get(),
        )

    @classmethod
    def record_many(
        cls,
        actor: User | None,
        action: AuditEvent.Action,
        model: type[models.Model],
        ids: Iterable[Any],
        detail: str = "",
        params: dict[str, Any] | None = None,
    ) -> int:
        """One event per object in one query: a page or an export that shows many people's data
        leaves a trace under each person, so that "who has seen my data" has an answer."""
        now = timezone.now()
        person = actor if actor is not None and actor.is_authenticated else None
        events = [
            cls(
                actor=person,
                actor_name=person.get_full_name()[:300] if person else "",
                actor_email=person.email if person else "",
                action=action,
                object_type=model._meta.label_lower,
                object_id=str(pk),
                detail=detail[:200],
                params=params or {},
                at=now,
                ip=client_address.get(),
            )
            for pk in dict.fromkeys(ids)
        ]
        cls.objects.bulk_create(events)
        return len(events)


class OutgoingMessageQuerySet(models.QuerySet["OutgoingMessage"]):
    def undelivered(self) -> OutgoingMessageQuerySet:
        """What a coordinator must see: messages whose tries are used up for now, and messages to
        addresses the provider reported undeliverable."""
        return self.filter(status__in=[OutgoingMessage.Status.FAILING, OutgoingMessage.Status.UNDELIVERABLE])


class Channel(models.TextChoices):
    """How an outgoing message travels."""

    EMAIL = "email", _("E-mail")
    TEXT = "text", _("Text message")


class OutgoingMessage(models.Model):
    """One e-mail to one address, or one text message to one mobile number, from the moment the
    state change that caused it commits until it is sent. The row is what makes "never lost" true:
    the task queue only carries its id, and a message whose tries are used up stays here to be
    tried again (registry.mail). Text messages use the same row, task and retries as e-mail."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILING = "failing", _("Not sent yet: the e-mail service did not accept it")
        UNDELIVERABLE = "undeliverable", _("The address does not receive e-mail")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outgoing_messages",
        verbose_name=_("recipient"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    # An e-mail address, or a mobile number in E.164 for a text message.
    to = models.CharField(_("address"), max_length=254)
    template = models.CharField(_("template"), max_length=100)
    subject = models.CharField(_("subject"), max_length=300)
    text = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    # Files sent with the message: [file name, text content, MIME type] (e.g. an .ics file).
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The kind of error only (an exception class or the provider's event): never an address.
    last_error = models.CharField(_("last error"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    esp_message_id = models.CharField(_("provider's message id"), max_length=100, blank=True, db_index=True)
    # Text messages are paid per 160-character part (70 when a character is outside GSM-7): kept so
    # that the cost is known (registry.sms.segments). 0 for e-mail.
    segments = models.PositiveSmallIntegerField(_("text message parts"), default=0)
    # What the message is about, as the app that sent it names it (e.g. "assignment:12"), so that a
    # page can show how each message about it went; the core knows no other app's models.
    reference = models.CharField(_("about"), max_length=40, blank=True, db_index=True)

    objects = OutgoingMessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mail")

    def __str__(self) -> str:
        return f"{self.pk} {self.status}"

    def has_destination(self) -> bool:
        """Whether sending again has somewhere to go: a text message needs the person's verified
        number (they may have removed it); e-mail goes to the address on the row or the account."""
        if self.channel != Channel.TEXT:
            return True
        return self.user is not None and bool(self.user.mobile_number and self.user.mobile_verified_at)

    def why(self) -> str:
        """Why it has not gone, for the coordinator."""
        if self.channel == Channel.TEXT:
            if self.status == self.Status.UNDELIVERABLE:
                return str(TEXT_UNDELIVERABLE_REASONS.get(self.last_error, TEXT_UNDELIVERABLE_REASONS["undeliverable"]))
            return _("The text message service did not accept it (%(error)s); tried %(attempts)s times so far.") % {
                "error": self.last_error or "?",
                "attempts": self.attempts,
            }
        if self.status == self.Status.UNDELIVERABLE:
            return str(UNDELIVERABLE_REASONS.get(self.last_error, UNDELIVERABLE_REASONS["bounced"]))
        return _("The e-mail service did not accept it (%(error)s); tried %(attempts)s times so far.") % {
            "error": self.last_error or "?",
            "attempts": self.attempts,
        }


# What the e-mail provider's reports mean (anymail's normalised event types).
UNDELIVERABLE_REASONS = {
    "bounced": _("The address bounced: it does not receive e-mail."),
    "rejected": _("The e-mail service refused to send to the address."),
    "complained": _("The recipient marked our e-mail as spam."),
}

# What the text message provider's reports mean (registry.mail.text_delivery_report).
TEXT_UNDELIVERABLE_REASONS = {
    "undeliverable": _("The number does not receive text messages."),
    "rejected": _("The text message service refused to send to the number."),
    "expired": _("The phone could not be reached in time (switched off or out of range)."),
    "number-changed": _("The person changed or removed their mobile number before it was sent."),
}


class MobileVerification(models.Model):
    """A one-time code sent to a mobile number the person wants text messages at. The number
    becomes theirs (`User.mobile_number`) only when they type the code back (registry.textmessages):
    at most MAX_ATTEMPTS tries, within the code's lifetime, with a limit on codes sent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mobile_verifications", verbose_name=_("user")
    )
    number = models.CharField(_("mobile number"), max_length=16)
    # A keyed hash of the code: a copy of the database does not give working codes.
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"])]
        verbose_name = _("mobile number verification")
        verbose_name_plural = _("mobile number verifications")

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class ScheduledJobRun(models.Model):
    """The last run of each periodic job (registry/scheduler.py), one row per job.

    The scheduler claims a scheduled time under this row's lock, so two schedulers started by
    mistake never enqueue the same run twice, and /healthz/ reads from here whether each job keeps
    up. Only times and a status: no personal data.
    """

    class Status(models.TextChoices):
        ENQUEUED = "enqueued", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("job"), max_length=64, unique=True)
    # The scheduled time (cron slot) last enqueued, and the one whose run finished last.
    last_slot = models.DateTimeField(_("last scheduled time"), null=True, blank=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued"), null=True, blank=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_finished_slot = models.DateTimeField(_("scheduled time of the last finished run"), null=True, blank=True)
    last_status = models.CharField(_("last status"), max_length=16, choices=Status.choices, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class AccessibilityFeedbackQuerySet(models.QuerySet["AccessibilityFeedback"]):
    def open(self) -> AccessibilityFeedbackQuerySet:
        return self.filter(answered_at__isnull=True)


class AccessibilityFeedback(models.Model):
    """Feedback on the service's accessibility, sent with the form the accessibility statement
    offers (Act 306/2019, section 15). The coordinators answer within ANSWER_DAYS; open feedback is
    on their overview like other work until someone marks it answered."""

    ANSWER_DAYS = 14

    message = models.TextField(_("what did not work"), max_length=4000)
    page = models.CharField(
        _("page or part of the service"),
        max_length=300,
        blank=True,
        help_text=_("For example the address of the page, or what you were doing."),
    )
    name = models.CharField(_("your name"), max_length=120, blank=True)
    email = models.EmailField(_("your e-mail address"), blank=True, help_text=_("If you would like an answer."))
    language = written_in_field()
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answer_note = models.TextField(_("how it was answered"), max_length=2000, blank=True)

    objects = AccessibilityFeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("accessibility feedback")
        verbose_name_plural = _("accessibility feedback")

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d} #{self.pk}"

    @property
    def answer_due(self) -> dt.date:
        return timezone.localdate(self.received_at) + dt.timedelta(days=self.ANSWER_DAYS)

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.answered_at is None and (today or timezone.localdate()) > self.answer_due

    def mark_answered(self, by: User, note: str) -> None:
        # Under a row lock: two coordinators answering at once record one answer, not two.
        with transaction.atomic():
            row = AccessibilityFeedback.objects.select_for_update().get(pk=self.pk)
            if row.answered_at is not None:
                raise AlreadyAnswered
            row.answered_at = timezone.now()
            row.answered_by = by
            row.answer_note = note
            row.save(update_fields=["answered_at", "answered_by", "answer_note"])
        self.refresh_from_db()


class AlreadyAnswered(Exception):
    """The feedback was marked answered already (by someone else, or in another tab)."""


class ApiScope(models.TextChoices):
    """What a personal access token may read or do (docs/api.md). Each scope needs a role its
    owner still has when the token is used: a token never outlives the role it was made under."""

    STATISTICS = "statistics", _("Statistics (read)")
    PAYMENTS = "payments", _("Payments ready for payroll (read)")
    PAYMENTS_WRITE = "payments:write", _("Mark payments paid")
    VOCABULARIES = "vocabularies", _("Vocabularies (read)")

    @classmethod
    def roles_for(cls, scope: str) -> set[Role]:
        roles: dict[str, set[Role]] = {
            cls.STATISTICS: {Role.MANAGER},
            cls.PAYMENTS: {Role.COORDINATOR},
            cls.PAYMENTS_WRITE: {Role.COORDINATOR},
            cls.VOCABULARIES: {Role.MANAGER, Role.COORDINATOR},
        }
        return roles.get(scope, set())

    @classmethod
    def allowed_for(cls, user: User) -> list[str]:
        """The scopes this person may give a token: a subset of their own roles."""
        roles = set(user.roles())
        return [scope for scope in cls.values if cls.roles_for(scope) & roles]


class InvalidToken(Exception):
    """No such token, or revoked, or expired, or its owner can no longer sign in."""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: dt.datetime | None = None) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ApiToken(models.Model):
    """A personal access token for the area's own systems (BI, payroll). The secret is shown once
    when the token is made; only its SHA-256 is kept (the secret is 256 random bits, so a fast
    hash is enough: there is nothing to guess). The short prefix finds the row without a scan."""

    PREFIX = "kok"
    MAX_DAYS = 366
    # kok_<8 hex>_<43 url-safe characters>: anything else is refused before the database is asked.
    FORMAT = re.compile(r"kok_(?P<prefix>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{43})")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, unique=True)
    secret_hash = models.CharField(_("hash of the secret"), max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # The rate limit: requests counted in the current minute, kept on the row so that every web
    # process shares one count and one conditional UPDATE both counts and checks.
    window_start = models.DateTimeField(_("rate window start"), null=True, blank=True)
    window_count = models.PositiveIntegerField(_("requests in the rate window"), default=0)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}_{self.prefix}…)"

    @staticmethod
    def hash_secret(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, *, name: str, scopes: list[str], expires_at: dt.datetime) -> tuple[ApiToken, str]:
        """Make a token; returns it with the secret, which is never stored and cannot be shown again."""
        allowed = set(ApiScope.allowed_for(user))
        if not scopes or not set(scopes) <= allowed:
            raise ValueError("A token's scopes must be a non-empty subset of its owner's.")
        if expires_at > timezone.now() + dt.timedelta(days=cls.MAX_DAYS):
            raise ValueError("A token lives at most a year.")
        with transaction.atomic():
            prefix = secrets.token_hex(4)
            raw = f"{cls.PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
            token = cls.objects.create(
                user=user,
                name=name,
                prefix=prefix,
                secret_hash=cls.hash_secret(raw),
                scopes=[s for s in ApiScope.values if s in scopes],
                expires_at=expires_at,
            )
            AuditEvent.record(
                user,
                AuditEvent.Action.CHANGE,
                token,
                gettext_noop("API token created: %(scopes)s"),
                {"scopes": ",".join(token.scopes)},
            )
        return token, raw

    def revoke(self, by: User) -> bool:
        """Once: a second revocation (another tab, another admin) changes nothing."""
        with transaction.atomic():
            changed = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
            if changed:
                AuditEvent.record(by, AuditEvent.Action.CHANGE, self, "API token revoked")
        self.refresh_from_db(fields=["revoked_at"])
        return bool(changed)

    @classmethod
    def authenticate(cls, raw: str) -> ApiToken:
        match = cls.FORMAT.fullmatch(raw)
        if not match:
            raise InvalidToken
        token = cls.objects.usable().select_related("user").filter(prefix=match["prefix"]).first()
        if token is None or not hmac.compare_digest(token.secret_hash, cls.hash_secret(raw)):
            raise InvalidToken
        if not token.user.is_active or token.user.erased_at is not None:
            raise InvalidToken
        return token

    def take_use(self, limit_per_minute: int, now: dt.datetime | None = None) -> None:
        """Count one request and note the last use, or raise RateLimited: one conditional UPDATE,
        so two processes cannot both take the last request of a minute."""
        now = now or timezone.now()
        window = now.replace(second=0, microsecond=0)
        same_window = models.Q(window_start=window)
        changed = (
            ApiToken.objects.filter(pk=self.pk)
            .exclude(same_window & models.Q(window_count__gte=limit_per_minute))
            .update(
                last_used_at=now,
                window_count=models.Case(
                    models.When(same_window, then=models.F("window_count") + 1), default=models.Value(1)
                ),
                window_start=window,
            )
        )
        if not changed:
            raise RateLimited(retry_after=60 - now.second)
        self.last_used_at = now

    def effective_scopes(self) -> set[str]:
        """The token's scopes that its owner's roles still allow today."""
        return set(self.scopes) & set(ApiScope.allowed_for(self.user))

    @property
    def scope_labels(self) -> list[str]:
        labels = dict(ApiScope.choices)
        return [str(labels[s]) for s in self.scopes if s in labels]

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
