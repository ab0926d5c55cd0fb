"""Personas and factories shared by the whole suite (no JSON fixtures)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.utils import timezone

from experts.models import ExpertProfile
from registry import sms
from registry.models import Organisation, Region, StaffRole, Unit, UnitMembership, User

PASSWORD = "test-Kokemus-2026"
TOTP_SECRET = "KOKEMUSASIANTUNTIJAREKISTERIDEMO"
_sequence = itertools.count(1)


def totp_code(secret: str = TOTP_SECRET, at: float | None = None) -> str:
    import time

    from allauth.mfa import app_settings

    counter = int(at if at is not None else time.time()) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    # Real anymail test backend: messages land in mail.outbox with anymail's status attached.
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default", "email"]}
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    # Text messages land in registry.sms.outbox, emptied for every test.
    settings.SMS_BACKEND = "registry.sms.LocmemBackend"
    sms.outbox.clear()
    # Password hashing is deliberately slow; the suite creates many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def make_user(email: str | None = None, *, language: str = "fi", **extra: Any) -> User:
    email = email or f"user{next(_sequence)}@example.test"
    user = User.objects.create_user(email=email, password=PASSWORD, preferred_language=language, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def region(db: None) -> Region:
    return Region.objects.create(code="pohjois-savo", name="Pohjois-Savon hyvinvointialue", name_sv="Norra Savolax")


@pytest.fixture
def other_region(db: None) -> Region:
    return Region.objects.create(code="keski-suomi", name="Keski-Suomen hyvinvointialue", name_sv="Mellersta Finland")


@pytest.fixture
def make_unit(region: Region) -> Callable[..., Unit]:
    def factory(name: str | None = None, *, unit_region: Region | None = None, **extra: Any) -> Unit:
        organisation, _ = Organisation.objects.get_or_create(name="Test wellbeing area")
        return Unit.objects.create(
            organisation=organisation,
            name=name or f"Unit {next(_sequence)}",
            sector=extra.pop("sector", Unit.Sector.CHILD_PROTECTION),
            region=unit_region or region,
            **extra,
        )

    return factory


@pytest.fixture
def unit(make_unit: Callable[..., Unit]) -> Unit:
    return make_unit("Lastensuojelun avohuolto")


@pytest.fixture
def other_unit(make_unit: Callable[..., Unit], other_region: Region) -> Unit:
    return make_unit("Nuorisokoti", unit_region=other_region, sector=Unit.Sector.INSTITUTIONAL_CARE)


@pytest.fixture
def make_expert(region: Region) -> Callable[..., ExpertProfile]:
    def factory(email: str | None = None, **extra: Any) -> ExpertProfile:
        user = make_user(email)
        defaults: dict[str, Any] = {
            "kind": ExpertProfile.Kind.YOUTH,
            "display_name": f"Expert {user.pk}",
            "birth_year": 2000,
            "home_region": region,
            "status": ExpertProfile.Status.ACTIVE,
        }
        defaults.update(extra)
        return ExpertProfile.objects.create(user=user, **defaults)

    return factory


@pytest.fixture
def expert(make_expert: Callable[..., ExpertProfile]) -> ExpertProfile:
    return make_expert("expert@example.test", display_name="Tuuli")


@pytest.fixture
def other_expert(make_expert: Callable[..., ExpertProfile]) -> ExpertProfile:
    return make_expert("other-expert@example.test", display_name="Kaisla", kind=ExpertProfile.Kind.PARENT)


@pytest.fixture
def unit_member(unit: Unit) -> User:
    user = make_user("unit@example.test")
    UnitMembership.objects.create(user=user, unit=unit, approved_at=timezone.now())
    return user


@pytest.fixture
def other_unit_member(other_unit: Unit) -> User:
    user = make_user("other-unit@example.test")
    UnitMembership.objects.create(user=user, unit=other_unit, approved_at=timezone.now())
    return user


def with_totp(user: User) -> User:
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def coordinator(db: None) -> User:
    user = make_user("coordinator@example.test")
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=None)
    return with_totp(user)


@pytest.fixture
def manager(db: None) -> User:
    user = make_user("manager@example.test")
    StaffRole.objects.create(user=user, role=StaffRole.Kind.MANAGER, region=None)
    return with_totp(user)


@pytest.fixture
def admin_user(db: None) -> User:
    return with_totp(make_user("admin@example.test", is_staff=True, is_superuser=True))


@pytest.fixture
def personas(
    expert: ExpertProfile,
    other_expert: ExpertProfile,
    unit_member: User,
    other_unit_member: User,
    coordinator: User,
    manager: User,
    admin_user: User,
) -> dict[str, User | None]:
    """Every persona by name; `anonymous` is None."""
    return {
        "anonymous": None,
        "expert": expert.user,
        "other_expert": other_expert.user,
        "unit_member": unit_member,
        "other_unit_member": other_unit_member,
        "coordinator": coordinator,
        "manager": manager,
        "admin": admin_user,
    }


@pytest.fixture
def make_request(unit: Unit, unit_member: User) -> Callable[..., Any]:
    """A request of `unit` (created by `unit_member`), by default submitted, next Monday 13–15."""
    import datetime as dt

    from engagements.models import Request
    from experts.models import Language

    def factory(status: str = "submitted", **extra: Any) -> Request:
        today = timezone.localdate()
        monday = today + dt.timedelta(days=7 - today.weekday() + 7)
        starts = timezone.make_aware(dt.datetime.combine(monday, dt.time(13, 0)))
        defaults: dict[str, Any] = {
            "unit": unit,
            "created_by": unit_member,
            "type": "panel",
            "title": f"Paneeli {next(_sequence)}",
            "purpose": "Haluamme kuulla nuorten kokemuksia sijaishuollosta.",
            "task": "Osallistu paneeliin.",
            "audience": "Sosiaalityöntekijät",
            "audience_size": 40,
            "experts_needed": 1,
            "format": "in_person",
            "place": "Kuopio",
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(hours=2),
            "contact_name": "Sari",
            "contact_email": unit_member.email,
            "status": status,
        }
        defaults.update(extra)
        request = Request.objects.create(**defaults)
        request.languages.set(Language.objects.filter(code="fi"))
        return request

    return factory


def shown(purpose: str, language: str = "fi") -> dict[str, int]:
    """The versions the consents page shows for the purpose, as its give button posts them."""
    from django.utils import translation

    from experts.models import ConsentPlainText, consent_layers

    with translation.override(language):
        text_version, plain_version = consent_layers(ConsentPlainText.Audience.YOUNG)[purpose].versions
    data = {"text_version": text_version}
    if plain_version is not None:
        data["plain_version"] = plain_version
    return data


def ready_expert(expert: ExpertProfile, *, weekly: int = (1 << 21) - 1, role: str = "panellist") -> ExpertProfile:
    """Consents given, available every day and time, takes the role, speaks Finnish."""
    from experts.models import EngagementRole, Language

    expert.give_consent("registry")
    expert.give_consent("contact")
    expert.weekly_availability = weekly
    expert.save()
    expert.roles.add(EngagementRole.objects.get(code=role))
    expert.languages.add(Language.objects.get(code="fi"))
    return expert


@pytest.fixture
def data_migration_rows(db: None) -> None:
    """Tests with real commits (live server, threads) flush the database afterwards, which also
    removes the rows our data migrations create (vocabularies, consent texts, the fee schedule, the
    kilometre rate). Run those steps again, in order; they only create what is missing."""
    from django.apps import apps as django_apps
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app in ("experts", "engagements"):
        for key in loader.graph.forwards_plan(max(loader.graph.leaf_nodes(app))):
            if key[0] != app:
                continue
            for operation in loader.disk_migrations[key].operations:
                if isinstance(operation, RunPython):
                    operation.code(django_apps, None)
