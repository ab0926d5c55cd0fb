"""The expert's own data: export (JSON and readable), erasure request, and the nightly retention command."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from PIL import Image

from experts.forms import ConfirmForm
from experts.models import (
    Application,
    AvailabilityException,
    ConsentPurpose,
    ConsentRecord,
    EngagementRole,
    ExpertProfile,
    Language,
    Theme,
    Training,
)
from registry.models import AuditEvent, Municipality, Region, Unit, User
from tests.conftest import PASSWORD, shown, with_totp

pytestmark = pytest.mark.django_db

EMAIL = "tuuli.virtanen@example.test"
DISPLAY_NAME = "Tuuli Virtanen"
FIRST_NAME = "Tuuli"
LAST_NAME = "Virtanen"
PHONE = "+358 40 765 4321"
BIO = "Olin sijaisperheessä Kuopiossa kymmenen vuotta."
NOTES = "Prefers morning sessions; brother still in care."
GUARDIAN = "Marja Korhonen"
# Anything that could identify the person; none of it may survive erasure.
NEEDLES = [EMAIL, "tuuli", "virtanen", "765 4321", "7654321", "Kuopiossa", "brother still", "Korhonen", "Marja"]

M2M_NAMES = [
    "languages",
    "travel_regions",
    "themes",
    "avoid_topics",
    "roles",
    "avoid_units",
    "avoid_municipalities",
    "trainings",
]


# Factories -----------------------------------------------------------------------------------


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), "purple").save(buffer, format="JPEG")
    return buffer.getvalue()


def give_consents(expert: ExpertProfile, purposes: Iterable[str] = ConsentPurpose.values) -> None:
    for purpose in purposes:
        expert.give_consent(purpose, by_user=expert.user)


def latest_own_decisions(expert: ExpertProfile) -> dict[str, str]:
    latest: dict[str, str] = {}
    for record in expert.consent_records.filter(given_by=ConsentRecord.By.SELF).order_by("at", "pk"):
        latest[record.purpose] = record.action
    return latest


@pytest.fixture
def full_expert(
    make_expert: Callable[..., ExpertProfile], region: Region, other_region: Region, unit: Unit, coordinator: User
) -> ExpertProfile:
    """An expert with every kind of personal data the registry can hold."""
    expert = make_expert(
        EMAIL,
        display_name=DISPLAY_NAME,
        phone=PHONE,
        birth_year=1999,
        birth_month=5,
        bio=BIO,
        coordinator_notes=NOTES,
        weekly_availability=0b111,
        monthly_cap=2,
        pause_until=timezone.localdate() + dt.timedelta(days=3),
    )
    User.objects.filter(pk=expert.user.pk).update(first_name=FIRST_NAME, last_name=LAST_NAME)
    expert.user.refresh_from_db()
    with_totp(expert.user)  # an authenticator is personal data too
    municipality = Municipality.objects.create(region=region, name="Kuopio")
    expert.languages.set(Language.objects.filter(code__in=["fi", "sv"]))
    expert.travel_regions.set([region, other_region])
    expert.themes.set(Theme.objects.filter(code__in=["foster_care", "aftercare"]))
    expert.avoid_topics.set(Theme.objects.filter(code="substance_abuse"))
    expert.roles.set(EngagementRole.objects.filter(code__in=["speaker", "panellist"]))
    expert.avoid_units.set([unit])
    expert.avoid_municipalities.set([municipality])
    expert.trainings.set(Training.objects.filter(code="basic"))
    expert.photo.save("photo.jpg", ContentFile(jpeg_bytes()), save=True)
    AvailabilityException.objects.create(
        expert=expert,
        start_date=timezone.localdate() + dt.timedelta(days=10),
        end_date=timezone.localdate() + dt.timedelta(days=20),
        note="Kuopiossa mummolla",
    )
    give_consents(expert)
    expert.record_guardian_consent(
        guardian_name=GUARDIAN,
        relation="äiti",
        method="Paperilomake, allekirjoitettu Kuopiossa",
        given_on=timezone.localdate() - dt.timedelta(days=400),
        recorded_by=coordinator,
    )
    Application.objects.create(
        name=DISPLAY_NAME,
        email=EMAIL,
        phone=PHONE,
        kind=ExpertProfile.Kind.YOUTH,
        birth_year=1999,
        region=region,
        message=BIO,
        privacy_acknowledged_at=timezone.now() - dt.timedelta(days=500),
        status=Application.Status.ACCEPTED,
        decided_at=timezone.now() - dt.timedelta(days=490),
        decided_by=coordinator,
        coordinator_note="Tuuli sounds great",
        profile=expert,
    )
    for name in M2M_NAMES:
        assert getattr(expert, name).exists(), name
    return expert


def entry_fields(label: str) -> dict[str, Any]:
    from registry.privacy import entry_for

    entry = entry_for(label)
    assert entry is not None
    return entry.fields


def make_application(
    region: Region, *, status: str, decided_days_ago: int | None, created_days_ago: int
) -> Application:
    now = timezone.now()
    return Application.objects.create(
        name=f"Applicant {status} {decided_days_ago} {created_days_ago}",
        email=f"applicant-{status}-{created_days_ago}@example.test",
        kind=ExpertProfile.Kind.PARENT,
        birth_year=1985,
        region=region,
        privacy_acknowledged_at=now - dt.timedelta(days=created_days_ago),
        created_at=now - dt.timedelta(days=created_days_ago),
        status=status,
        decided_at=None if decided_days_ago is None else now - dt.timedelta(days=decided_days_ago),
    )


def run_retention() -> str:
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    return out.getvalue()


def text_values(instance: models.Model) -> dict[str, str]:
    values = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField | models.FileField | models.JSONField):
            value = getattr(instance, field.attname)
            values[field.name] = str(value.name if isinstance(field, models.FileField) else value)
    return values


def found_needles(values: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in values.items() if any(needle.lower() in value.lower() for needle in NEEDLES)}


def make_due(expert: ExpertProfile) -> None:
    ExpertProfile.objects.filter(pk=expert.pk).update(erase_after=timezone.now() - dt.timedelta(minutes=1))


# JSON export ---------------------------------------------------------------------------------


def test_json_export_contains_everything_about_the_expert(
    client: Client, full_expert: ExpertProfile, other_expert: ExpertProfile
) -> None:
    client.force_login(full_expert.user)
    response = client.get(reverse("experts:export-json"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    data = json.loads(response.content.decode("utf-8"))

    # Every part of the inventory is in the file, each as a list of rows.
    from registry.privacy import inventory

    for entry in inventory():
        if entry.rows_of is not None or entry.shared_with is not None:
            assert isinstance(data[entry.key], list), entry.key
    [profile] = data["profile"]
    exported = {name for name, spec in entry_fields("experts.ExpertProfile").items() if spec.export}
    assert set(profile) == exported
    for field in ExpertProfile._meta.many_to_many:
        assert profile[field.name] == [str(item) for item in getattr(full_expert, field.name).all()]
        assert profile[field.name], field.name
    assert profile["display_name"] == DISPLAY_NAME
    assert profile["phone"] == PHONE
    assert profile["bio"] == BIO
    assert profile["coordinator_notes"] == NOTES
    assert profile["birth_year"] == 1999 and profile["birth_month"] == 5
    assert profile["photo"] == full_expert.photo.name
    assert profile["home_region"] == str(full_expert.home_region)

    [account] = data["account"]
    assert account["email"] == EMAIL
    assert account["first_name"] == FIRST_NAME
    assert account["last_name"] == LAST_NAME
    assert "password" not in account

    consents = data["consents"]
    assert (
        len(consents)
        == full_expert.consent_records.count()
        == len(ConsentPurpose.values) + len(full_expert.consent_records.filter(given_by="guardian"))
    )
    registry = [c for c in consents if c["purpose"] == "registry" and c["given_by"] == "self"]
    assert registry and registry[0]["action"] == "given" and registry[0]["text"]
    guardian = [c for c in consents if c["given_by"] == "guardian"]
    assert guardian[0]["guardian_name"] == GUARDIAN

    assert data["away_periods"] == [
        {
            "expert": DISPLAY_NAME,
            "start_date": str(timezone.localdate() + dt.timedelta(days=10)),
            "end_date": str(timezone.localdate() + dt.timedelta(days=20)),
            "note": "Kuopiossa mummolla",
        }
    ]
    [application] = data["application"]
    assert application["email"] == EMAIL
    assert "audit_log" in data
    assert data["authenticators"] and "data" not in data["authenticators"][0]

    assert other_expert.display_name not in response.content.decode()
    assert other_expert.user.email not in response.content.decode()

    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == full_expert.user
    assert (event.object_type, event.object_id) == ("experts.expertprofile", str(full_expert.pk))


def test_json_export_lists_its_own_audit_event(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    data = json.loads(client.get(reverse("experts:export-json")).content)
    assert [event["action"] for event in data["audit_log"]] == ["export"]
    assert data["audit_log"][0]["actor_email"] == expert.user.email


def test_readable_export_shows_the_data_and_is_audit_logged(client: Client, full_expert: ExpertProfile) -> None:
    client.force_login(full_expert.user)
    response = client.get(reverse("experts:export-html"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert DISPLAY_NAME in page
    assert EMAIL in page
    assert PHONE in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == full_expert.user
    assert event.object_id == str(full_expert.pk)
    assert event.detail == "readable export by the expert"


@pytest.mark.parametrize("url_name", ["experts:export-json", "experts:export-html", "experts:erase"])
@pytest.mark.parametrize("persona", ["unit_member", "coordinator"])
def test_other_personas_are_forbidden(
    client: Client, expert: ExpertProfile, url_name: str, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(url_name)).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.parametrize("url_name", ["experts:export-json", "experts:export-html", "experts:erase"])
def test_anonymous_is_sent_to_sign_in(client: Client, expert: ExpertProfile, url_name: str) -> None:
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not AuditEvent.objects.exists()


# Erasure request -----------------------------------------------------------------------------


def test_erasure_page_asks_for_confirmation(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    response = client.get(reverse("experts:erase"))
    assert response.status_code == 200
    assert "confirm" in response.context["form"].fields
    assert 'name="confirm"' in response.content.decode()
    expert.refresh_from_db()
    assert expert.erasure_requested_at is None


def assert_erasure_not_requested(client: Client, expert: ExpertProfile, records_before: int) -> None:
    expert.refresh_from_db()
    assert expert.erasure_requested_at is None
    assert expert.erase_after is None
    assert expert.consent_records.count() == records_before
    assert all(state.is_current for state in expert.consent_states().values())
    assert client.session.get(SESSION_KEY) == str(expert.user.pk)
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ERASE).exists()


def test_erasure_without_confirmation_changes_nothing(
    expert: ExpertProfile,
    coordinator: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    give_consents(expert)
    records_before = expert.consent_records.count()
    # As a browser does it: the form's CSRF token is sent, the unticked checkbox is not.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(expert.user)
    page = browser.get(reverse("experts:erase")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("experts:erase"), {"csrfmiddlewaretoken": token.group(1)})

    assert response.status_code == 400
    assert response.context["form"].errors["confirm"] == [ConfirmForm.base_fields["confirm"].error_messages["required"]]
    assert escape(str(response.context["form"].errors["confirm"][0])) in response.content.decode()
    assert_erasure_not_requested(browser, expert, records_before)


def test_empty_erasure_post_changes_nothing(
    client: Client,
    expert: ExpertProfile,
    coordinator: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    give_consents(expert)
    records_before = expert.consent_records.count()
    client.force_login(expert.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("experts:erase"), {})

    assert response.status_code == 400
    assert_erasure_not_requested(client, expert, records_before)


def test_empty_erasure_post_explains_what_is_missing(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("experts:erase"), {})
    assert response.status_code == 400
    assert "confirm" in response.context["form"].errors


def test_confirmed_erasure_request_withdraws_consents_signs_out_and_tells_the_coordinator(
    client: Client,
    full_expert: ExpertProfile,
    coordinator: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(full_expert.user)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("experts:erase"), {"confirm": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("front")
    assert SESSION_KEY not in client.session
    assert client.get(reverse("experts:my-data")).status_code == 302  # signed out

    full_expert.refresh_from_db()
    assert latest_own_decisions(full_expert) == dict.fromkeys(ConsentPurpose.values, "withdrawn")
    assert {state.status for state in full_expert.consent_states().values()} == {"withdrawn"}
    assert not ExpertProfile.objects.consent_current().filter(pk=full_expert.pk).exists()
    assert full_expert.erasure_requested_at is not None
    assert before <= full_expert.erasure_requested_at <= timezone.now()
    expected = full_expert.erasure_requested_at + dt.timedelta(days=settings.ERASURE_GRACE_DAYS)
    assert abs(full_expert.erase_after - expected) < dt.timedelta(seconds=5)
    # Nothing is erased yet: the grace period lets them change their mind.
    assert full_expert.erased_at is None
    assert full_expert.display_name == DISPLAY_NAME

    assert [message.to for message in mail.outbox] == [[coordinator.email]]
    message = mail.outbox[0]
    assert DISPLAY_NAME in message.body
    assert EMAIL not in message.body and PHONE not in message.body

    event = AuditEvent.objects.get(action=AuditEvent.Action.ERASE)
    assert event.actor == full_expert.user
    assert event.object_id == str(full_expert.pk)
    assert event.detail == "requested by the expert"


def test_erasure_request_leaves_unrelated_experts_alone(
    client: Client, expert: ExpertProfile, other_expert: ExpertProfile
) -> None:
    give_consents(other_expert)
    client.force_login(expert.user)
    assert client.post(reverse("experts:erase"), {"confirm": "on"}).status_code == 302
    other_expert.refresh_from_db()
    assert other_expert.erasure_requested_at is None and other_expert.erase_after is None
    assert all(state.is_current for state in other_expert.consent_states().values())


# Retention command -------------------------------------------------------------------------


def test_retention_does_nothing_before_erase_after(full_expert: ExpertProfile) -> None:
    full_expert.request_erasure()
    photo_path = Path(settings.MEDIA_ROOT) / full_expert.photo.name

    output = run_retention()

    assert output.startswith("0 experts erased")
    full_expert.refresh_from_db()
    assert full_expert.erased_at is None
    assert full_expert.display_name == DISPLAY_NAME
    assert full_expert.phone == PHONE
    assert photo_path.is_file()
    assert full_expert.user.is_active
    assert Application.objects.filter(profile=full_expert).exists()


def test_retention_erases_every_personal_detail_once_due(full_expert: ExpertProfile, region: Region) -> None:
    full_expert.request_erasure()
    user_pk = full_expert.user.pk
    photo_path = Path(settings.MEDIA_ROOT) / full_expert.photo.name
    assert photo_path.is_file()
    consent_count = full_expert.consent_records.count()
    make_due(full_expert)

    output = run_retention()

    assert output.startswith("1 experts erased")
    expert = ExpertProfile.objects.get(pk=full_expert.pk)
    user = User.objects.get(pk=user_pk)

    # The account
    assert EMAIL not in user.email.lower()
    assert user.first_name == "" and user.last_name == ""
    assert user.is_active is False
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(email__iexact=EMAIL).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert Client().login(email=EMAIL, password=PASSWORD) is False

    # The profile
    assert expert.display_name != DISPLAY_NAME
    assert expert.phone == "" and expert.bio == "" and expert.coordinator_notes == ""
    assert expert.birth_year is None and expert.birth_month is None
    assert not expert.photo
    assert not photo_path.exists()
    assert list(Path(settings.MEDIA_ROOT).rglob("*.jpg")) == []
    for name in M2M_NAMES:
        assert not getattr(expert, name).exists(), name
    assert expert.weekly_availability == 0 and expert.pause_until is None
    assert not AvailabilityException.objects.filter(expert=expert).exists()
    assert not Application.objects.filter(email__iexact=EMAIL).exists()
    assert not Application.objects.filter(profile=expert).exists()
    assert expert.erased_at is not None

    # Consent history stays (proof of what was agreed), without the guardian's identity.
    records = ConsentRecord.objects.filter(expert=expert)
    assert records.count() == consent_count
    assert set(records.values_list("guardian_name", "guardian_relation", "guardian_method")) == {("", "", "")}

    # Anonymous facts for statistics stay.
    assert expert.kind == ExpertProfile.Kind.YOUTH
    assert expert.home_region == region

    # No text column of the profile or account still names the person.
    assert found_needles(text_values(expert)) == {}
    assert found_needles(text_values(user)) == {}

    event = AuditEvent.objects.filter(action=AuditEvent.Action.ERASE, detail="personal data erased").get()
    assert event.object_id == str(expert.pk)
    # Erased experts drop out of every list.
    assert not ExpertProfile.objects.not_erased().filter(pk=expert.pk).exists()


def rows_naming_the_person() -> dict[str, dict[str, str]]:
    """Every text column of every row of every model, searched for the person's details."""
    leftovers = {}
    for model in apps.get_models():
        for row in model._default_manager.all():
            hits = found_needles(text_values(row))
            if hits:
                leftovers[f"{model._meta.label}#{row.pk}"] = hits
    return leftovers


def test_nothing_in_the_database_names_an_erased_expert(full_expert: ExpertProfile) -> None:
    before = {key.split("#")[0] for key in rows_naming_the_person()}
    # The search really sees the personal data while it is there.
    assert {
        "registry.User",
        "experts.ExpertProfile",
        "account.EmailAddress",
        "experts.Application",
        "experts.ConsentRecord",
        "experts.AvailabilityException",
    } <= before

    full_expert.request_erasure()
    make_due(full_expert)
    run_retention()

    assert rows_naming_the_person() == {}


def test_erasure_ends_sign_in_sessions_and_forgets_their_ip_addresses(expert: ExpertProfile) -> None:
    phone = Client(HTTP_USER_AGENT="Tuuli's phone", REMOTE_ADDR="198.51.100.7")
    response = phone.post(reverse("account_login"), {"login": expert.user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert UserSession.objects.filter(user=expert.user, ip="198.51.100.7").exists()
    session_key = phone.session.session_key

    expert.request_erasure()
    make_due(expert)
    run_retention()

    assert phone.get(reverse("experts:my-data")).status_code == 302
    assert not UserSession.objects.filter(user=expert.user).exists()
    assert not UserSession.objects.filter(ip="198.51.100.7").exists()
    assert not Session.objects.filter(session_key=session_key).exists()


def test_erased_expert_photo_is_no_longer_served(client: Client, full_expert: ExpertProfile, coordinator: User) -> None:
    full_expert.request_erasure()
    make_due(full_expert)
    run_retention()
    client.force_login(coordinator)
    assert client.get(reverse("engagements:expert-photo", args=[full_expert.pk])).status_code == 404


def test_expert_who_came_back_is_not_erased(client: Client, expert: ExpertProfile) -> None:
    give_consents(expert, [ConsentPurpose.REGISTRY, ConsentPurpose.CONTACT])
    client.force_login(expert.user)
    withdraw = reverse("experts:consent-withdraw", args=[ConsentPurpose.REGISTRY])
    assert client.post(withdraw, {"confirm": "on"}).status_code == 302
    expert.refresh_from_db()
    assert expert.erase_after is not None
    assert expert.erasure_requested_at is None

    assert (
        client.post(reverse("experts:consent-give", args=[ConsentPurpose.REGISTRY]), shown("registry")).status_code
        == 302
    )

    expert.refresh_from_db()
    assert expert.erase_after is None
    # Even if an erasure date were still set and had passed, the current consent keeps them.
    make_due(expert)
    output = run_retention()

    assert output.startswith("0 experts erased")
    expert.refresh_from_db()
    assert expert.erased_at is None
    assert expert.display_name == "Tuuli"
    assert expert.user.email == "expert@example.test"
    assert expert.user.is_active


def test_expert_who_withdrew_and_did_not_come_back_is_erased_when_due(
    client: Client, expert: ExpertProfile, other_expert: ExpertProfile
) -> None:
    give_consents(expert, [ConsentPurpose.REGISTRY])
    expert.withdraw_consent(ConsentPurpose.REGISTRY, by_user=expert.user)
    expert.refresh_from_db()
    expected = timezone.now() + dt.timedelta(days=settings.RETENTION_DAYS_AFTER_WITHDRAWAL)
    assert abs(expert.erase_after - expected) < dt.timedelta(seconds=5)
    assert run_retention().startswith("0 experts erased")

    make_due(expert)
    assert run_retention().startswith("1 experts erased")

    expert.refresh_from_db()
    other_expert.refresh_from_db()
    assert expert.erased_at is not None
    assert other_expert.erased_at is None
    assert other_expert.display_name == "Kaisla"


def test_erasure_request_wins_over_a_consent_given_during_the_grace_period(expert: ExpertProfile) -> None:
    give_consents(expert, [ConsentPurpose.REGISTRY])
    expert.request_erasure()
    expert.give_consent(ConsentPurpose.REGISTRY, by_user=expert.user)
    expert.refresh_from_db()
    assert expert.erase_after is not None

    make_due(expert)
    assert run_retention().startswith("1 experts erased")
    expert.refresh_from_db()
    assert expert.erased_at is not None


def test_retention_deletes_old_rejected_and_undecided_applications(region: Region, settings: Any) -> None:
    days = settings.REJECTED_APPLICATION_RETENTION_DAYS
    old_rejected = make_application(
        region, status=Application.Status.REJECTED, decided_days_ago=days + 1, created_days_ago=days + 5
    )
    recent_rejected = make_application(
        region, status=Application.Status.REJECTED, decided_days_ago=days - 1, created_days_ago=days + 5
    )
    undecided = settings.UNDECIDED_APPLICATION_RETENTION_DAYS
    old_waiting = make_application(
        region, status=Application.Status.NEW, decided_days_ago=None, created_days_ago=undecided + 1
    )
    recent_waiting = make_application(
        region, status=Application.Status.NEW, decided_days_ago=None, created_days_ago=undecided - 1
    )
    old_accepted = make_application(
        region, status=Application.Status.ACCEPTED, decided_days_ago=400, created_days_ago=410
    )

    output = run_retention()

    assert "2 old application rows deleted" in output
    remaining = set(Application.objects.values_list("pk", flat=True))
    assert old_rejected.pk not in remaining
    # Nobody decided on it in time: it does not stay forever either.
    assert old_waiting.pk not in remaining
    assert {recent_rejected.pk, recent_waiting.pk, old_accepted.pk} <= remaining


def test_rejected_application_retention_follows_the_setting(region: Region, settings: Any) -> None:
    settings.REJECTED_APPLICATION_RETENTION_DAYS = 5
    make_application(region, status=Application.Status.REJECTED, decided_days_ago=6, created_days_ago=7)
    kept = make_application(region, status=Application.Status.REJECTED, decided_days_ago=4, created_days_ago=7)
    run_retention()
    assert list(Application.objects.values_list("pk", flat=True)) == [kept.pk]


def test_running_retention_twice_is_safe(full_expert: ExpertProfile, region: Region) -> None:
    full_expert.request_erasure()
    make_due(full_expert)
    make_application(region, status=Application.Status.REJECTED, decided_days_ago=100, created_days_ago=110)

    first = run_retention()
    full_expert.refresh_from_db()
    erased_at = full_expert.erased_at
    erase_events = AuditEvent.objects.filter(action=AuditEvent.Action.ERASE).count()

    second = run_retention()

    assert first.startswith("1 experts erased, 1 old application rows deleted")
    assert second.startswith("0 experts erased, 0 old application rows deleted")
    full_expert.refresh_from_db()
    assert full_expert.erased_at == erased_at
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASE).count() == erase_events


# Erasure covers the engagement history too (issue 9, item 6) ---------------------------------------


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def engaged_expert(
    full_expert: ExpertProfile, make_request: Callable[..., Any], coordinator: User, unit_member: User
) -> ExpertProfile:
    """The full expert with a whole engagement history: every row that may hold their data."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    from engagements import notifications
    from engagements.models import (
        Assignment,
        CalendarFeed,
        Debrief,
        ExpenseClaim,
        ExpertFeedback,
        ImpactNote,
        UnitFeedback,
    )

    start = timezone.now() - dt.timedelta(days=3)
    held = make_request(status="completed", starts_at=start, ends_at=start + dt.timedelta(hours=2))
    role = EngagementRole.objects.get(code="panellist")
    attended = Assignment.objects.create(
        request=held, expert=full_expert, role=role, status="attended", offer_expires_at=start, fee=120
    )
    Assignment.objects.create(
        request=make_request(status="matching"),
        expert=full_expert,
        role=role,
        status="declined",
        offer_expires_at=start,
        decline_reason="Tuuli Virtanen ei pääse: veljen oikeudenkäynti",
    )
    Assignment.objects.create(
        request=make_request(status="matching"),
        expert=full_expert,
        role=role,
        status="cancelled",
        offer_expires_at=start,
        cancel_reason="Kuopiossa sairastuin",
    )
    ExpertFeedback.objects.create(
        assignment=attended, how_it_went=2, heard=3, respected=4, preparation=2, free_text="Virtanen jännitti"
    )
    Debrief.objects.create(assignment=attended, reason="low_score", note="Tuuli puhui veljestään (brother still)")
    claim = ExpenseClaim(assignment=attended, kind="ticket", amount=12, description="Bussi Kuopiossa")
    claim.receipt.save("kuitti.pdf", ContentFile(pdf_bytes()), save=False)
    claim.receipt_type = "application/pdf"
    claim.save()
    UnitFeedback.objects.create(request=held, participants=30, usefulness=5, take_forward="Hyvä", given_by=unit_member)
    ImpactNote.objects.create(request=held, text="Muutimme käytäntöä.", written_by=unit_member)
    notifications.offer_made(attended)
    CalendarFeed.objects.create(user=full_expert.user)
    AuditEvent.record(full_expert.user, AuditEvent.Action.EXPORT, full_expert, "JSON export by the expert")
    LogEntry.objects.log_action(
        user_id=coordinator.pk,
        content_type_id=ContentType.objects.get_for_model(ExpertProfile).pk,
        object_id=full_expert.pk,
        object_repr=str(full_expert),
        action_flag=CHANGE,
        change_message="Changed phone of Tuuli Virtanen",
    )
    return full_expert


def media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_erasure_leaves_nothing_that_names_the_expert_in_the_engagement_history(
    engaged_expert: ExpertProfile,
) -> None:
    from engagements.models import Assignment, CalendarFeed, Debrief, ExpenseClaim, ExpertFeedback
    from engagements.notifications import Notification

    before = {key.split("#")[0] for key in rows_naming_the_person()}
    # The scan really sees the engagement data while it is there.
    assert {
        "engagements.Assignment",
        "engagements.ExpertFeedback",
        "engagements.Debrief",
        "engagements.ExpenseClaim",
        "registry.AuditEvent",
        "admin.LogEntry",
    } <= before
    assert any(name.startswith("receipts/") for name in media_files())
    assert any(name.startswith("photos/") for name in media_files())
    user = engaged_expert.user

    engaged_expert.request_erasure()
    make_due(engaged_expert)
    run_retention()

    assert rows_naming_the_person() == {}
    # No file of theirs is left in the media folder.
    assert media_files() == []
    assert not Notification.objects.filter(user=user).exists()
    assert not CalendarFeed.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(actor=user).exclude(ip=None).exists()
    # The anonymous facts stay: the engagements, the fee and the scores count in the statistics.
    assert Assignment.objects.filter(expert=engaged_expert).count() == 3
    assert Assignment.objects.get(expert=engaged_expert, status="attended").fee == 120
    assert ExpertFeedback.objects.get().how_it_went == 2
    assert Debrief.objects.get().note == ""
    assert ExpenseClaim.objects.get().amount == 12


def test_erasure_keeps_the_log_of_staff_actions_about_the_expert(
    engaged_expert: ExpertProfile, coordinator: User
) -> None:
    AuditEvent.record(coordinator, AuditEvent.Action.VIEW, engaged_expert)
    engaged_expert.request_erasure()
    make_due(engaged_expert)
    run_retention()
    view = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert view.actor_email == coordinator.email
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (export.actor_email, export.actor_name) == ("", "")
    assert export.actor_label == "Poistettu henkilö" or export.actor_label == "An erased person"


def test_after_asking_for_erasure_the_expert_sees_it_is_pending(client: Client, expert: ExpertProfile) -> None:
    give_consents(expert)
    client.force_login(expert.user)
    assert client.post(reverse("experts:erase"), {"confirm": "on"}).status_code == 302
    # Signed out; they sign in again during the grace period.
    client.force_login(expert.user)
    page = client.get(reverse("engagements:expert-home")).content.decode()
    expert.refresh_from_db()
    assert "Aktiivinen" not in page
    assert "odottaa poistamista" in page.lower()
    assert expert.erase_after.strftime("%-d.%-m.%Y") in page
    data_page = client.get(reverse("experts:my-data")).content.decode()
    assert reverse("experts:cancel-erasure") in data_page
    assert f'href="{reverse("experts:erase")}"' not in data_page


def test_pending_erasure_blocks_new_offers(
    expert: ExpertProfile, make_request: Callable[..., Any], coordinator: User
) -> None:
    from engagements.matching import evaluate
    from engagements.models import InvalidTransition
    from tests.conftest import ready_expert

    ready_expert(expert)
    req = make_request(status="matching")
    candidates, _excluded = evaluate(req)
    assert expert.pk in [c.expert_id for c in candidates]
    expert.request_erasure(expert.user)
    # Even if they give a consent again during the grace period.
    expert.give_consent(ConsentPurpose.REGISTRY, by_user=expert.user)
    expert.give_consent(ConsentPurpose.CONTACT, by_user=expert.user)
    candidates, _excluded = evaluate(req)
    assert expert.pk not in [c.expert_id for c in candidates]
    with pytest.raises(InvalidTransition):
        req.make_offers([expert], by=coordinator, answer_by=timezone.now() + dt.timedelta(days=2))
    assert not req.assignments.exists()


def test_coordinator_sees_the_pending_erasure(client: Client, expert: ExpertProfile, coordinator: User) -> None:
    expert.request_erasure(expert.user)
    client.force_login(coordinator)
    detail = client.get(reverse("experts:expert", args=[expert.pk])).content.decode()
    assert "Odottaa poistamista" in detail
    listing = client.get(reverse("experts:expert-list")).content.decode()
    assert "Odottaa poistamista" in listing


def test_expert_can_cancel_a_pending_erasure(client: Client, expert: ExpertProfile) -> None:
    give_consents(expert)
    expert.request_erasure(expert.user)
    client.force_login(expert.user)
    response = client.post(reverse("experts:cancel-erasure"))
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.erasure_requested_at is None
    # The registry consent went with the request: the usual retention after a withdrawal runs
    # until they give it again.
    assert expert.erase_after is not None
    expert.give_consent(ConsentPurpose.REGISTRY, by_user=expert.user)
    expert.refresh_from_db()
    assert expert.erase_after is None
    assert AuditEvent.objects.filter(detail="erasure request cancelled by the expert").exists()


def test_cancelling_without_a_pending_erasure_changes_nothing(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("experts:cancel-erasure"))
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.erasure_requested_at is None and expert.erase_after is None
