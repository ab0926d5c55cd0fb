"""The privacy notice says what the service really does, in fi, sv and en: each claim that code can
make true is tied here to the code or setting that makes it true."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from engagements.models import Assignment, Request
from experts.models import Application, ConsentPurpose, EngagementRole, ExpertProfile
from registry.models import AuditEvent, User
from registry.privacy import Category, inventory
from tests.conftest import PASSWORD, ready_expert

pytestmark = pytest.mark.django_db


def notice(language: str = "en") -> str:
    client = Client()
    client.cookies["django_language"] = language
    response = client.get(reverse("privacy"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_notice_has_every_required_part_in_each_language(language: str) -> None:
    page = notice(language)
    headings = {
        "fi": ["Kuka vastaa tiedoistasi", "Tietosuojavastaava", "Kuka näkee tietosi", "Lapset ja nuoret", "Oikeutesi"],
        "sv": ["Vem som ansvarar för dina uppgifter", "Dataskyddsombud", "Vem som ser dina uppgifter", "Barn och unga"],
        "en": ["Who is responsible for your data", "Data protection officer", "Who sees your data", "Your rights"],
    }[language]
    for heading in headings:
        assert heading in page, heading
    # Art. 9 basis, joint controllers, the rights to restriction, portability and objection.
    assert "9" in page and "26" in page
    if language == "en":
        for words in ("restrict", "machine-readable", "object to", "Data Protection Ombudsman", "joint controllers"):
            assert words in page


def test_the_contacts_come_from_the_settings(settings: Any) -> None:
    settings.PRIVACY_CONTACT_EMAIL = "tietosuoja@hyvinvointialue.example"
    settings.PRIVACY_CONTACT_ADDRESS = "PL 123, 70100 Kuopio"
    settings.DATA_PROTECTION_OFFICER_EMAIL = "dpo@hyvinvointialue.example"
    page = notice()
    for value in ("tietosuoja@hyvinvointialue.example", "PL 123, 70100 Kuopio", "dpo@hyvinvointialue.example"):
        assert value in page


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("ERASURE_GRACE_DAYS", 11),
        ("RETENTION_DAYS_AFTER_WITHDRAWAL", 77),
        ("REJECTED_APPLICATION_RETENTION_DAYS", 33),
        ("UNDECIDED_APPLICATION_RETENTION_DAYS", 222),
        ("REQUEST_TEXT_RETENTION_DAYS", 555),
        ("RECEIPT_RETENTION_DAYS", 144),
        ("INACTIVE_ACCOUNT_RETENTION_DAYS", 999),
        ("NOTIFICATION_RETENTION_DAYS", 123),
        ("CALENDAR_FEED_UNUSED_DAYS", 66),
        ("AUDIT_LOG_RETENTION_DAYS", 1111),
        ("UNIT_CONTACT_GRACE_DAYS", 17),
        ("MINIMUM_AGE", 12),
    ],
)
def test_the_periods_and_ages_on_the_notice_are_the_ones_in_force(settings: Any, setting: str, value: int) -> None:
    assert f" {value} " not in notice()
    setattr(settings, setting, value)
    assert f" {value} " in notice() or f" {value}-" in notice() or f" {value}." in notice()


def test_the_guardian_exceptions_are_listed_from_the_setting(settings: Any) -> None:
    settings.GUARDIAN_REQUIRED_PURPOSES_UNDER = {"contact": 15, "photo": 16}
    page = notice()
    assert "Being contacted with offers" in page and "under 15" in page
    assert "Showing my photo" in page and "under 16" in page


def test_every_kind_of_data_in_the_inventory_is_named() -> None:
    page = notice()
    used = {spec.category for entry in inventory() for spec in entry.fields.values()}
    for value, label in Category.choices:
        if value in used:
            assert escape(str(label)) in page


def test_the_notice_no_longer_claims_what_is_not_true() -> None:
    page = notice()
    assert "Every time an expert's personal data is viewed in detail" not in page
    assert "see only the display name of the experts" not in page


# "What units see" is what the code shows -----------------------------------------------------------


def test_units_see_the_details_only_until_the_grace_period_the_notice_names(
    client: Client, unit_member: User, expert: ExpertProfile, make_request: Callable[..., Request], settings: Any
) -> None:
    settings.UNIT_CONTACT_GRACE_DAYS = 5
    ready_expert(expert).give_consent(ConsentPurpose.DIRECT_CONTACT)
    ExpertProfile.objects.filter(pk=expert.pk).update(bio="Olin sijaisperheessä.")
    start = timezone.now() - dt.timedelta(days=4)
    req = make_request(status="completed", starts_at=start, ends_at=start + dt.timedelta(hours=1))
    Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="attended",
        offer_expires_at=start,
    )
    client.force_login(unit_member)
    page = client.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()
    assert expert.user.email in page and "Olin sijaisperheessä." in page
    Request.objects.filter(pk=req.pk).update(ends_at=timezone.now() - dt.timedelta(days=6))
    page = client.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()
    assert expert.display_name in page
    assert expert.user.email not in page and "Olin sijaisperheessä." not in page


# "The audit log records …": each claim, done once -----------------------------------------------------


def test_each_recorded_action_the_notice_names_is_recorded(
    client: Client,
    coordinator: User,
    admin_user: User,
    expert: ExpertProfile,
    region: Any,
) -> None:
    application = Application.objects.create(
        name="A",
        email="a@example.test",
        kind="youth",
        birth_year=2000,
        region=region,
        privacy_acknowledged_at=timezone.now(),
    )
    client.force_login(coordinator)
    client.get(reverse("experts:expert", args=[expert.pk]))
    client.get(reverse("experts:application", args=[application.pk]))
    client.force_login(admin_user)
    client.get(reverse("admin:experts_expertprofile_change", args=[expert.pk]))
    client.get(reverse("admin:experts_application_change", args=[application.pk]))
    client.force_login(expert.user)
    client.get(reverse("experts:export-json"))
    client.post(reverse("engagements:calendar-turn-on"))
    token = expert.user.calendar_feed.token
    Client().get(reverse("engagements:calendar-feed", args=[token]))
    Client().post(reverse("account_login"), {"login": expert.user.email, "password": PASSWORD})

    recorded = set(AuditEvent.objects.values_list("action", "object_type", "actor_email"))
    assert ("view", "experts.expertprofile", coordinator.email) in recorded
    assert ("view", "experts.application", coordinator.email) in recorded
    assert ("view", "experts.expertprofile", admin_user.email) in recorded
    assert ("view", "experts.application", admin_user.email) in recorded
    assert ("export", "experts.expertprofile", expert.user.email) in recorded
    assert ("view", "registry.user", expert.user.email) in recorded  # the calendar read
    assert ("login", "registry.user", expert.user.email) in recorded
