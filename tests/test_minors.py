"""Children and young people: the minimum age (13) and the guardian's consent per purpose (under 18,
contact under 15 by default), both from settings; the birth month; the guardian's contact, the
notice they were given and their withdrawal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from experts.forms import ApplicationForm, ProfileForm
from experts.models import (
    Application,
    ConsentPurpose,
    ExpertProfile,
    Language,
    adult_from,
    old_enough_to_apply,
)
from registry.models import Region, User
from tests.conftest import ready_expert

pytestmark = pytest.mark.django_db


def age_on(today: dt.date, years: int, months_ago: int) -> tuple[int, int]:
    """(birth year, birth month) of someone who turned `years` `months_ago` months ago (negative: ahead)."""
    month_index = today.year * 12 + today.month - 1 - months_ago
    return month_index // 12 - years, month_index % 12 + 1


def apply_data(region: Region, year: int, month: int | str) -> dict[str, Any]:
    return {
        "name": "Nuori Hakija",
        "email": "nuori@example.test",
        "kind": "youth",
        "birth_year": str(year),
        "birth_month": str(month),
        "region": str(region.pk),
        "languages": [str(Language.objects.get(code="fi").pk)],
        "privacy": "on",
        "website": "",
    }


def give_own(expert: ExpertProfile, purposes: list[str]) -> None:
    for purpose in purposes:
        expert.give_consent(purpose, by_user=expert.user)


def guardian_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "guardian_name": "Maija Huoltaja",
        "relation": "äiti",
        "email": "maija@example.test",
        "phone": "040 123 4567",
        "method": "allekirjoitettu lomake",
        "notice": "email",
        "given_on": timezone.localdate().isoformat(),
    }
    data.update(overrides)
    return data


def withdrawal(**values: Any) -> dict[str, Any]:
    data = {"purpose": "photo", "guardian_name": "Maija", "method": "puhelu", **values}
    return {f"withdrawal-{name}": value for name, value in data.items()}


# The minimum age ------------------------------------------------------------------------------------


def test_a_child_whose_13th_birthday_month_is_next_month_is_refused_kindly(client: Client, region: Region) -> None:
    year, month = age_on(timezone.localdate(), 13, -1)
    response = client.post(reverse("experts:apply"), apply_data(region, year, month))
    assert response.status_code == 400
    assert Application.objects.count() == 0
    error = str(response.context["form"].errors["birth_year"])
    assert "13" in error and "Kiitos" in error  # a thank-you, and when they can apply


def test_a_child_in_the_month_of_their_13th_birthday_is_still_refused(client: Client, region: Region) -> None:
    # Without the day we cannot know whether the birthday has passed: the safe side.
    year, month = age_on(timezone.localdate(), 13, 0)
    assert client.post(reverse("experts:apply"), apply_data(region, year, month)).status_code == 400


def test_a_13_year_old_can_apply(client: Client, region: Region) -> None:
    year, month = age_on(timezone.localdate(), 13, 1)
    response = client.post(reverse("experts:apply"), apply_data(region, year, month))
    assert response.status_code == 302
    assert Application.objects.get().birth_month == month


def test_the_birth_year_alone_no_longer_lets_an_11_year_old_through(region: Region) -> None:
    # Born in the year that makes them 13 this year, in December: 12 until December, maybe 11 in January.
    today = dt.date(timezone.localdate().year, 1, 15)
    assert not old_enough_to_apply(today.year - 13, 12, today)
    form = ApplicationForm(apply_data(region, timezone.localdate().year - 13, ""))
    assert not form.is_valid() and "birth_month" in form.errors


def test_the_minimum_age_follows_the_setting(client: Client, region: Region, settings: Any) -> None:
    settings.MINIMUM_AGE = 15
    year, month = age_on(timezone.localdate(), 14, 6)
    response = client.post(reverse("experts:apply"), apply_data(region, year, month))
    assert response.status_code == 400
    assert "15" in str(response.context["form"].errors["birth_year"])


# The birth month ------------------------------------------------------------------------------------


def test_without_a_month_the_safe_side_is_december_and_with_it_an_adult_is_an_adult() -> None:
    assert adult_from(2008, None) == adult_from(2008, 12) == dt.date(2027, 1, 1)
    assert adult_from(2008, 2) == dt.date(2026, 3, 1)


def test_the_profile_asks_for_the_month_when_the_year_alone_could_make_an_adult_a_minor(
    expert: ExpertProfile,
) -> None:
    year = timezone.localdate().year - 18
    data = {
        "display_name": "Tuuli",
        "kind": "youth",
        "birth_year": str(year),
        "birth_month": "",
        "languages": [str(Language.objects.get(code="fi").pk)],
        "compensation": "fee",
    }
    form = ProfileForm(data, instance=expert)
    assert not form.is_valid()
    assert "birth_month" in form.errors
    data["birth_year"] = str(year - 5)
    assert ProfileForm(data, instance=expert).is_valid()


def test_the_expert_is_asked_to_add_the_month_on_their_home_page(
    client: Client, make_expert: Callable[..., Any]
) -> None:
    expert = make_expert(birth_year=timezone.localdate().year - 18, birth_month=None)
    client.force_login(expert.user)
    assert client.get(reverse("engagements:expert-home")).context["needs_birth_month"] is True


# The guardian's consent, per purpose -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "purpose", "needs_guardian"),
    [
        (16, ConsentPurpose.REGISTRY, True),
        (16, ConsentPurpose.PHOTO, True),
        (16, ConsentPurpose.QUOTE, True),
        (16, ConsentPurpose.RECORDING, True),
        (16, ConsentPurpose.DIRECT_CONTACT, True),
        (16, ConsentPurpose.CONTACT, False),
        (14, ConsentPurpose.CONTACT, True),
        (19, ConsentPurpose.PHOTO, False),
    ],
)
def test_which_purposes_need_a_guardian_at_which_age(
    make_expert: Callable[..., Any], age: int, purpose: str, needs_guardian: bool
) -> None:
    year, month = age_on(timezone.localdate(), age, 2)
    expert = make_expert(birth_year=year, birth_month=month)
    assert expert.needs_guardian(purpose) is needs_guardian
    give_own(expert, [purpose])
    assert expert.consent_states()[purpose].is_current is not needs_guardian
    in_db = ExpertProfile.objects.with_current_consent(purpose).filter(pk=expert.pk).exists()
    assert in_db is not needs_guardian
    if needs_guardian:
        assert expert.consent_states()[purpose].status == "guardian"


def test_a_16_year_olds_own_photo_consent_is_not_enough(
    client: Client, make_expert: Callable[..., Any], make_request: Callable[..., Any], unit_member: User
) -> None:
    from engagements.models import Assignment
    from experts.models import EngagementRole

    year, month = age_on(timezone.localdate(), 16, 2)
    minor = ready_expert(make_expert(birth_year=year, birth_month=month, photo="photos/x.jpg"))
    give_own(minor, [ConsentPurpose.PHOTO])
    req = make_request(status="confirmed")
    Assignment.objects.create(
        request=req,
        expert=minor,
        role=EngagementRole.objects.get(code="panellist"),
        status="confirmed",
        offer_expires_at=timezone.now(),
    )
    client.force_login(unit_member)
    assert client.get(reverse("engagements:expert-photo", args=[minor.pk])).status_code == 404


def test_the_guardian_purposes_follow_the_setting(make_expert: Callable[..., Any], settings: Any) -> None:
    year, month = age_on(timezone.localdate(), 16, 2)
    expert = make_expert(birth_year=year, birth_month=month)
    settings.GUARDIAN_REQUIRED_PURPOSES_UNDER = {"contact": 18, "photo": 15}
    assert expert.needs_guardian(ConsentPurpose.CONTACT)
    assert not expert.needs_guardian(ConsentPurpose.PHOTO)


def test_coordinator_records_the_guardians_consent_contact_and_notice_and_the_guardian_is_told(
    client: Client, coordinator: User, make_expert: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    year, month = age_on(timezone.localdate(), 14, 2)
    minor = make_expert(birth_year=year, birth_month=month)
    give_own(minor, [ConsentPurpose.REGISTRY, ConsentPurpose.CONTACT])
    assert not minor.is_consent_current()
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("experts:guardian-consent", args=[minor.pk]), guardian_data())
    assert response.status_code == 302
    records = minor.consent_records.filter(given_by="guardian")
    # A 14-year-old: every purpose, contact included.
    assert set(records.values_list("purpose", flat=True)) == set(ConsentPurpose.values)
    assert set(records.values_list("guardian_email", "guardian_phone", "guardian_notice").distinct()) == {
        ("maija@example.test", "040 123 4567", "email")
    }
    assert minor.is_consent_current()
    [message] = mail.outbox
    assert message.to == ["maija@example.test"]
    assert "/privacy/" in message.body
    assert "lastensuojel" not in (message.subject + message.body).lower()


def test_the_guardian_consent_can_be_limited_to_some_purposes(
    client: Client, coordinator: User, make_expert: Callable[..., Any]
) -> None:
    year, month = age_on(timezone.localdate(), 16, 2)
    minor = make_expert(birth_year=year, birth_month=month)
    client.force_login(coordinator)
    data = guardian_data(notice="paper", purposes=["registry", "photo"])
    assert client.post(reverse("experts:guardian-consent", args=[minor.pk]), data).status_code == 302
    assert set(minor.consent_records.values_list("purpose", flat=True)) == {"registry", "photo"}
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"email": "", "phone": ""}, "email"), ({"email": "", "notice": "email"}, "notice"), ({"notice": ""}, "notice")],
)
def test_the_guardian_must_be_reachable_and_told_of_their_rights(
    client: Client, coordinator: User, make_expert: Callable[..., Any], overrides: dict[str, str], field: str
) -> None:
    minor = make_expert(birth_year=timezone.localdate().year - 16, birth_month=1)
    client.force_login(coordinator)
    response = client.post(reverse("experts:guardian-consent", args=[minor.pk]), guardian_data(**overrides))
    assert response.status_code == 400
    assert field in response.context["guardian_form"].errors
    assert "Maija Huoltaja" in response.content.decode()
    assert not minor.consent_records.exists()


def test_a_guardians_withdrawal_takes_the_young_person_out_at_once(
    client: Client, coordinator: User, make_expert: Callable[..., Any]
) -> None:
    year, month = age_on(timezone.localdate(), 16, 2)
    minor = ready_expert(make_expert(birth_year=year, birth_month=month))
    minor.record_guardian_consent(
        guardian_name="Maija", relation="äiti", method="lomake", given_on=timezone.localdate(), recorded_by=coordinator
    )
    assert ExpertProfile.objects.consent_current().filter(pk=minor.pk).exists()
    client.force_login(coordinator)
    data = withdrawal(purpose="registry", withdrawn_on=timezone.localdate())
    response = client.post(reverse("experts:guardian-withdrawal", args=[minor.pk]), data)
    assert response.status_code == 302
    assert not ExpertProfile.objects.consent_current().filter(pk=minor.pk).exists()
    assert minor.consent_states()[ConsentPurpose.REGISTRY].status == "guardian"
    minor.refresh_from_db()
    assert minor.erase_after is not None  # as after the young person's own withdrawal


def test_a_withdrawal_dated_in_the_future_is_refused(
    client: Client, coordinator: User, make_expert: Callable[..., Any]
) -> None:
    minor = make_expert(birth_year=timezone.localdate().year - 16, birth_month=1)
    client.force_login(coordinator)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    data = withdrawal(withdrawn_on=tomorrow)
    assert client.post(reverse("experts:guardian-withdrawal", args=[minor.pk]), data).status_code == 400
    assert not minor.consent_records.exists()


def test_only_coordinators_record_a_withdrawal(client: Client, make_expert: Callable[..., Any]) -> None:
    minor = make_expert(birth_year=timezone.localdate().year - 16, birth_month=1)
    client.force_login(minor.user)
    data = withdrawal(withdrawn_on=timezone.localdate())
    assert client.post(reverse("experts:guardian-withdrawal", args=[minor.pk]), data).status_code == 403
