"""The coordinator's registry: scoped, filtered list; audited detail; guardian, status, trainings, notes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from experts.models import ExpertProfile, Language, Theme, Training, availability_bit
from registry.models import AuditEvent, StaffRole, User
from tests.conftest import make_user, with_totp

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 3, 4)


def listed(client: Client, **params: str) -> set[str]:
    response = client.get(reverse("experts:expert-list"), params)
    assert response.status_code == 200
    return {expert.display_name for expert in response.context["object_list"]}


def consented(expert: ExpertProfile) -> ExpertProfile:
    expert.give_consent("registry")
    expert.give_consent("contact")
    return expert


@pytest.fixture
def regional_coordinator(other_region: Any) -> User:
    user = with_totp(make_user("regional@example.test"))
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=other_region)
    return user


def test_list_is_scoped_to_coordinators_regions(
    client: Client, regional_coordinator: User, make_expert: Any, other_region: Any
) -> None:
    make_expert(display_name="Here")
    make_expert(display_name="There", home_region=other_region)
    client.force_login(regional_coordinator)
    assert listed(client) == {"There"}


def test_area_wide_coordinator_sees_all(client: Client, coordinator: User, make_expert: Any, other_region: Any) -> None:
    make_expert(display_name="Here")
    make_expert(display_name="There", home_region=other_region)
    client.force_login(coordinator)
    assert listed(client) == {"Here", "There"}


def test_filters_one_by_one(client: Client, coordinator: User, make_expert: Any, other_region: Any) -> None:
    youth = consented(make_expert(display_name="Youth", weekly_availability=availability_bit(0, 1)))
    youth.themes.set(Theme.objects.filter(code="foster_care"))
    youth.languages.set(Language.objects.filter(code__in=["fi", "sv"]))
    parent = make_expert(display_name="Parent", kind="parent", home_region=other_region)
    parent.languages.set(Language.objects.filter(code="fi"))
    paused = make_expert(display_name="Paused", status="paused")
    minor = make_expert(display_name="Minor", birth_year=timezone.localdate().year - 15)
    client.force_login(coordinator)
    assert listed(client, kind="parent") == {"Parent"}
    assert listed(client, region=str(other_region.pk)) == {"Parent"}
    assert listed(client, theme=str(Theme.objects.get(code="foster_care").pk)) == {"Youth"}
    assert listed(client, language=str(Language.objects.get(code="sv").pk)) == {"Youth"}
    assert listed(client, status="paused") == {"Paused"}
    assert listed(client, consent="current") == {"Youth"}
    assert "Youth" not in listed(client, consent="missing")
    assert listed(client, available_on=MONDAY.isoformat(), part="1") == {"Youth"}
    assert listed(client, available_on=MONDAY.isoformat(), part="0") == set()
    assert listed(client, minors="true") == {"Minor"}
    assert listed(client, name="aren") == {"Parent"}
    response = client.get(reverse("experts:expert-list"), {"ordering": "-name"})
    assert [e.display_name for e in response.context["object_list"]][0] == "Youth"
    assert paused and minor


def test_bad_filter_values_do_not_crash(client: Client, coordinator: User, make_expert: Any) -> None:
    make_expert(display_name="Anyone")
    client.force_login(coordinator)
    response = client.get(reverse("experts:expert-list"), {"available_on": "not-a-date", "region": "abc"})
    assert response.status_code == 200


def test_list_queries_do_not_grow_with_experts(client: Client, coordinator: User, make_expert: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    params = {"consent": "current", "ordering": "name"}
    for _ in range(3):
        consented(make_expert())
    client.force_login(coordinator)
    client.get(reverse("experts:expert-list"))  # the first visit writes the session once
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("experts:expert-list"), params)
    for _ in range(40):
        consented(make_expert())
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("experts:expert-list"), params)
    assert len(response.context["object_list"]) == 25  # paginated
    assert len(large) == len(small) <= 16


def test_detail_is_audited_and_shows_private_notes(client: Client, coordinator: User, expert: ExpertProfile) -> None:
    expert.coordinator_notes = "Prefers evenings"
    expert.save()
    client.force_login(coordinator)
    response = client.get(reverse("experts:expert", args=[expert.pk]))
    assert response.status_code == 200
    assert "Prefers evenings" in response.content.decode()
    event = AuditEvent.objects.get(action="view", object_id=str(expert.pk))
    assert event.actor == coordinator


def test_detail_outside_scope_is_404(client: Client, regional_coordinator: User, expert: ExpertProfile) -> None:
    client.force_login(regional_coordinator)
    assert client.get(reverse("experts:expert", args=[expert.pk])).status_code == 404
    assert client.post(reverse("experts:expert-status", args=[expert.pk]), {"status": "paused"}).status_code == 404
    expert.refresh_from_db()
    assert expert.status == "active"
    assert not AuditEvent.objects.exists()


def test_coordinator_pauses_and_reactivates(client: Client, coordinator: User, expert: ExpertProfile) -> None:
    client.force_login(coordinator)
    assert client.post(reverse("experts:expert-status", args=[expert.pk]), {"status": "paused"}).status_code == 302
    expert.refresh_from_db()
    assert expert.status == "paused"
    response = client.post(reverse("experts:expert-status", args=[expert.pk]), {"status": "retired"})
    assert response.status_code == 400
    expert.refresh_from_db()
    assert expert.status == "paused"


def test_coordinator_records_trainings_and_notes(client: Client, coordinator: User, expert: ExpertProfile) -> None:
    client.force_login(coordinator)
    basic = Training.objects.get(code="basic")
    client.post(reverse("experts:expert-trainings", args=[expert.pk]), {"trainings": [str(basic.pk)]})
    client.post(reverse("experts:expert-notes", args=[expert.pk]), {"coordinator_notes": "Debrief after panels"})
    expert.refresh_from_db()
    assert list(expert.trainings.all()) == [basic]
    assert expert.coordinator_notes == "Debrief after panels"


def test_experts_never_see_coordinator_notes(client: Client, expert: ExpertProfile) -> None:
    expert.coordinator_notes = "Private remark"
    expert.save()
    client.force_login(expert.user)
    for name in ["engagements:expert-home", "experts:profile", "experts:consents", "experts:availability"]:
        assert "Private remark" not in client.get(reverse(name)).content.decode()


def test_coordinator_home_counts_what_needs_attention(
    client: Client, coordinator: User, make_expert: Any, region: Any
) -> None:
    from experts.models import Application, refresh_consent_states

    Application.objects.create(
        name="A",
        email="a@example.test",
        kind="youth",
        birth_year=2005,
        region=region,
        privacy_acknowledged_at=timezone.now(),
    )
    minor = make_expert(birth_year=timezone.localdate().year - 15)
    soon = consented(make_expert())
    soon.consent_records.update(expires_at=timezone.now() + dt.timedelta(days=5))
    # Records are append-only in the service; an update behind its back is followed by a refresh.
    refresh_consent_states([soon.pk])
    consented(make_expert())
    client.force_login(coordinator)
    alerts = client.get(reverse("engagements:coordinator-home")).context["alerts"]
    assert alerts["applications"] == 1
    assert alerts["consents_expiring"] == 1
    assert alerts["minors_without_guardian"] == 1
    assert minor.is_minor()


def test_profile_edit_saves_and_refuses_contradictions(client: Client, expert: ExpertProfile, region: Any) -> None:
    client.force_login(expert.user)
    theme = Theme.objects.get(code="foster_care")
    finnish = Language.objects.get(code="fi")
    data = {
        "display_name": "Uusi nimi",
        "kind": "youth",
        "birth_year": "2001",
        "birth_month": "",
        "phone": "",
        "languages": [str(finnish.pk)],
        "home_region": str(region.pk),
        "travel_regions": [str(region.pk)],
        "remote_ok": "on",
        "themes": [str(theme.pk)],
        "avoid_topics": [str(theme.pk)],
        "roles": [],
        "bio": "Hei",
        "compensation": "expenses",
    }
    response = client.post(reverse("experts:profile"), data)
    assert response.status_code == 400
    assert "avoid_topics" in response.context["form"].errors
    assert "Uusi nimi" in response.content.decode()
    expert.refresh_from_db()
    assert expert.display_name == "Tuuli"
    data["avoid_topics"] = []
    assert client.post(reverse("experts:profile"), data).status_code == 302
    expert.refresh_from_db()
    assert expert.display_name == "Uusi nimi"
    assert list(expert.themes.all()) == [theme]


def test_minors_count_without_guardian_follows_each_guardians_latest_decision(
    make_expert: Any, coordinator: User
) -> None:
    from experts.alerts import coordinator_alerts

    year = timezone.localdate().year
    make_expert(birth_year=year - 15)  # no guardian's decision at all
    consented_minor = make_expert(birth_year=year - 15)
    withdrawn_minor = make_expert(birth_year=year - 16)
    for minor in (consented_minor, withdrawn_minor):
        minor.record_guardian_consent(
            guardian_name="Maija",
            relation="äiti",
            method="lomake",
            given_on=timezone.localdate(),
            recorded_by=coordinator,
        )
    withdrawn_minor.record_guardian_withdrawal(
        "registry", guardian_name="Maija", method="puhelu", withdrawn_on=timezone.localdate(), recorded_by=coordinator
    )
    make_expert(birth_year=year - 30)  # an adult needs none
    assert coordinator_alerts(None)["minors_without_guardian"] == 2
