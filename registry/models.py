"""The shared core: users, places, organisations and units, memberships, staff roles, audit log,
accessibility feedback."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import HttpRequest


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

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:  # type: ignore[override]
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

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


class AuditEvent(models.Model):
    """Append-only: who viewed, exported, changed or erased an expert's personal data, and when."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported")
        CHANGE = "change", _("Changed")
        ERASE = "erase", _("Erased")
        CONSENT = "consent", _("Consent changed")
        LOGIN = "login", _("Signed in")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only.")

    @classmethod
    def record(
        cls,
        request: HttpRequest | None,
        action: AuditEvent.Action,
        obj: models.Model,
        detail: str = "",
    ) -> AuditEvent:
        actor = getattr(request, "user", None) if request else None
        return cls.objects.create(
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            detail=detail[:200],
            ip=request.META.get("REMOTE_ADDR") if request else None,
        )


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
