"""Consent: one click to give or withdraw, versioned texts, expiry, minors and guardians."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from experts.models import ConsentPurpose, ConsentRecord, ConsentText, ExpertProfile
from registry.models import AuditEvent, User
from tests.conftest import shown

pytestmark = pytest.mark.django_db


def give_required(expert: ExpertProfile) -> None:
    expert.give_consent(ConsentPurpose.REGISTRY)
    expert.give_consent(ConsentPurpose.CONTACT)


def is_current_in_db(expert: ExpertProfile) -> bool:
    return ExpertProfile.objects.consent_current().filter(pk=expert.pk).exists()


def test_consent_texts_exist_in_three_languages() -> None:
    for purpose in ConsentPurpose.values:
        text = ConsentText.objects.current_for(purpose).get()
        assert text.text_fi and text.text_sv and text.text_en


def test_expert_gives_and_withdraws_with_one_click_each(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("experts:consent-give", args=["photo"]), shown("photo"))
    assert response.status_code == 302
    assert expert.consent_states()["photo"].is_current
    response = client.post(reverse("experts:consent-withdraw", args=["photo"]))
    assert response.status_code == 302
    assert expert.consent_states()["photo"].status == "withdrawn"
    # Append-only: both decisions are kept.
    assert list(expert.consent_records.values_list("action", flat=True).order_by("pk")) == ["given", "withdrawn"]
    assert AuditEvent.objects.filter(action="consent", object_id=str(expert.pk)).count() == 2


def test_consent_page_shows_state_text_and_history(client: Client, expert: ExpertProfile) -> None:
    give_required(expert)
    client.force_login(expert.user)
    client.cookies["django_language"] = "sv"
    page = client.get(reverse("experts:consents")).content.decode()
    assert ConsentText.objects.current_for("registry").get().text_sv in page
    assert page.count("<tr>") >= 3  # header and two decisions


def test_unknown_purpose_gets_404(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    assert client.post(reverse("experts:consent-give", args=["everything"])).status_code == 404


def test_consent_current_needs_registry_and_contact(expert: ExpertProfile) -> None:
    assert not expert.is_consent_current()
    expert.give_consent(ConsentPurpose.REGISTRY)
    assert not expert.is_consent_current()
    expert.give_consent(ConsentPurpose.CONTACT)
    assert expert.is_consent_current()
    assert is_current_in_db(expert)


def test_consent_expires(expert: ExpertProfile, settings: Any) -> None:
    give_required(expert)
    later = timezone.now() + dt.timedelta(days=settings.CONSENT_VALID_DAYS + 1)
    assert not expert.is_consent_current(later)
    assert expert.consent_states(later)["registry"].status == "expired"
    assert not ExpertProfile.objects.consent_current(later).filter(pk=expert.pk).exists()


def test_new_text_version_asks_for_renewal(expert: ExpertProfile) -> None:
    give_required(expert)
    ConsentText.objects.create(purpose="registry", version=2, text_fi="v2", text_sv="v2", text_en="v2")
    assert expert.consent_states()["registry"].status == "renew"
    assert not expert.is_consent_current()
    assert not is_current_in_db(expert)
    expert.give_consent("registry")
    assert expert.is_consent_current()
    assert is_current_in_db(expert)


def test_withdrawing_registry_consent_asks_for_confirmation(client: Client, expert: ExpertProfile) -> None:
    give_required(expert)
    client.force_login(expert.user)
    assert client.get(reverse("experts:consent-withdraw", args=["registry"])).status_code == 200
    response = client.post(reverse("experts:consent-withdraw", args=["registry"]))
    assert response.status_code == 400
    assert expert.consent_states()["registry"].is_current


def test_withdrawing_registry_consent_takes_expert_out_and_schedules_erasure(
    client: Client,
    expert: ExpertProfile,
    coordinator: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    give_required(expert)
    assert is_current_in_db(expert)
    client.force_login(expert.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("experts:consent-withdraw", args=["registry"]), {"confirm": "on"})
    assert response.status_code == 302
    expert.refresh_from_db()
    assert not is_current_in_db(expert)
    expected = timezone.now() + dt.timedelta(days=settings.RETENTION_DAYS_AFTER_WITHDRAWAL)
    assert abs((expert.erase_after - expected).total_seconds()) < 60
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert expert.display_name in mail.outbox[0].body


def test_giving_registry_consent_again_cancels_scheduled_erasure(expert: ExpertProfile) -> None:
    give_required(expert)
    expert.withdraw_consent("registry")
    assert expert.erase_after is not None
    expert.give_consent("registry")
    expert.refresh_from_db()
    assert expert.erase_after is None


# Minors and guardians ---------------------------------------------------------------------------


def test_minor_without_guardian_consent_is_not_consent_current(make_expert: Any) -> None:
    minor = make_expert(birth_year=timezone.localdate().year - 16)
    give_required(minor)
    assert minor.is_minor()
    assert not minor.is_consent_current()
    assert not is_current_in_db(minor)


def test_coordinator_records_guardian_consent(client: Client, coordinator: User, make_expert: Any, region: Any) -> None:
    minor = make_expert(birth_year=timezone.localdate().year - 16)
    give_required(minor)
    client.force_login(coordinator)
    data = {
        "guardian_name": "Maija Meikäläinen",
        "relation": "äiti",
        "method": "lomake",
        "email": "maija@example.test",
        "phone": "",
        "notice": "paper",
        "given_on": "",
    }
    response = client.post(reverse("experts:guardian-consent", args=[minor.pk]), data)
    assert response.status_code == 400
    assert "Maija Meikäläinen" in response.content.decode()
    assert not minor.consent_records.filter(given_by="guardian").exists()
    data["given_on"] = timezone.localdate().isoformat()
    response = client.post(reverse("experts:guardian-consent", args=[minor.pk]), data)
    assert response.status_code == 302
    # One record for each purpose the age needs a guardian for (a 16-year-old: all but "contact").
    records = minor.consent_records.filter(given_by="guardian")
    assert set(records.values_list("purpose", flat=True)) == set(minor.guardian_purposes())
    record = records.get(purpose="registry")
    assert record.guardian_name == "Maija Meikäläinen"
    assert (record.guardian_email, record.guardian_notice) == ("maija@example.test", "paper")
    assert record.recorded_by == coordinator
    assert minor.is_consent_current()
    assert is_current_in_db(minor)


def test_only_coordinators_record_guardian_consent(client: Client, make_expert: Any) -> None:
    minor = make_expert(birth_year=timezone.localdate().year - 16)
    client.force_login(minor.user)
    data = {"guardian_name": "X", "relation": "x", "method": "x", "given_on": timezone.localdate().isoformat()}
    assert client.post(reverse("experts:guardian-consent", args=[minor.pk]), data).status_code == 403
    assert not minor.consent_records.exists()


@pytest.mark.parametrize(
    ("age", "month_offset", "minor"),
    [(16, None, True), (18, None, True), (19, None, False), (18, "past", False), (18, "this", True)],
)
def test_minor_is_decided_conservatively_from_birth_year_and_month(
    make_expert: Any, settings: Any, age: int, month_offset: str | None, minor: bool
) -> None:
    today = dt.date(2026, 6, 15)
    month = {"past": 4, "this": 6, None: None}[month_offset]
    expert = make_expert(birth_year=today.year - age, birth_month=month)
    assert expert.is_minor(today) is minor
    assert ExpertProfile.objects.minors(today).filter(pk=expert.pk).exists() is minor


def test_turning_18_asks_to_renew_in_own_name(
    make_expert: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    today = timezone.localdate()
    # Born last month 18 years ago: an adult since the start of this month.
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).month
    year = today.year - 18 - (1 if last_month == 12 else 0)
    expert = make_expert(birth_year=year, birth_month=last_month)
    assert not expert.is_minor()
    given = timezone.make_aware(dt.datetime.combine(today.replace(day=1) - dt.timedelta(days=40), dt.time(12)))
    for purpose in ("registry", "contact"):
        ConsentRecord.objects.create(
            expert=expert,
            purpose=purpose,
            text=ConsentText.objects.current_for(purpose).get(),
            action="given",
            at=given,
            expires_at=given + dt.timedelta(days=365),
        )
    expert.record_guardian_consent(
        guardian_name="Huoltaja", relation="isä", method="lomake", given_on=given.date(), recorded_by=coordinator
    )
    assert expert.consent_states()["registry"].status == "renew"
    assert not expert.is_consent_current()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("consent_reminders", verbosity=0)
        call_command("consent_reminders", verbosity=0)
    assert [m.to for m in mail.outbox] == [[expert.user.email]]
    expert.give_consent("registry")
    expert.give_consent("contact")
    assert expert.is_consent_current()


def test_expiry_reminder_is_sent_once_in_experts_language(
    expert: ExpertProfile, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    expert.user.preferred_language = "sv"
    expert.user.save()
    give_required(expert)
    soon = timezone.now() + dt.timedelta(days=10)
    expert.consent_records.update(expires_at=soon)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("consent_reminders", verbosity=0)
        call_command("consent_reminders", verbosity=0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [expert.user.email]
    assert "samtycke" in (mail.outbox[0].subject + mail.outbox[0].body).lower()


def test_no_reminder_for_consents_far_from_expiry(
    expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    give_required(expert)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("consent_reminders", verbosity=0)
    assert mail.outbox == []
