"""Availability: weekly pattern, times away, a break, a monthly cap, and the query matching uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from experts.models import AvailabilityException, ExpertProfile, PartOfDay, availability_bit

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 3, 4)  # a Monday in the future


def available(day: dt.date, part: int | None = None) -> set[int]:
    return set(ExpertProfile.objects.available_on(day, part).values_list("pk", flat=True))


def test_expert_sets_weekly_pattern_break_and_cap(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    pause = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = client.post(
        reverse("experts:availability"),
        {"slot_0_1": "on", "slot_0_2": "on", "slot_5_0": "on", "pause_until": pause, "monthly_cap": "3"},
    )
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.weekly_availability == (availability_bit(0, 1) | availability_bit(0, 2) | availability_bit(5, 0))
    assert expert.is_available(0, PartOfDay.AFTERNOON)
    assert not expert.is_available(0, PartOfDay.MORNING)
    assert expert.pause_until.isoformat() == pause
    assert expert.monthly_cap == 3
    form = client.get(reverse("experts:availability")).context["form"]
    assert form["slot_0_1"].value() is True
    assert form["slot_0_0"].value() is False


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"pause_until": "2000-01-01"}, "pause_until"),
        ({"monthly_cap": "0"}, "monthly_cap"),
        ({"monthly_cap": "many"}, "monthly_cap"),
    ],
)
def test_bad_availability_input_is_refused_and_kept(
    client: Client, expert: ExpertProfile, data: dict[str, str], field: str
) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("experts:availability"), {"slot_1_1": "on", **data})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert response.context["form"]["slot_1_1"].value() is True
    expert.refresh_from_db()
    assert expert.weekly_availability == 0


def test_time_away_is_added_and_removed(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    start = timezone.localdate() + dt.timedelta(days=5)
    response = client.post(
        reverse("experts:away-add"),
        {"start_date": start.isoformat(), "end_date": (start + dt.timedelta(days=11)).isoformat(), "note": "Loma"},
    )
    assert response.status_code == 302
    away = expert.exceptions.get()
    assert away.note == "Loma"
    assert client.post(reverse("experts:away-delete", args=[away.pk])).status_code == 302
    assert not expert.exceptions.exists()


def test_time_away_ending_before_it_starts_is_refused(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    start = timezone.localdate() + dt.timedelta(days=5)
    response = client.post(
        reverse("experts:away-add"),
        {"start_date": start.isoformat(), "end_date": (start - dt.timedelta(days=1)).isoformat(), "note": "Oops"},
    )
    assert response.status_code == 400
    assert "end_date" in response.context["away_form"].errors
    assert "Oops" in response.content.decode()
    assert not AvailabilityException.objects.exists()


def test_other_expert_cannot_remove_my_time_away(client: Client, expert: ExpertProfile, other_expert: Any) -> None:
    away = AvailabilityException.objects.create(expert=expert, start_date=MONDAY, end_date=MONDAY)
    client.force_login(other_expert.user)
    assert client.post(reverse("experts:away-delete", args=[away.pk])).status_code == 404
    assert AvailabilityException.objects.filter(pk=away.pk).exists()


def test_available_on_checks_pattern_part_break_away_and_status(make_expert: Any) -> None:
    afternoon = availability_bit(MONDAY.weekday(), PartOfDay.AFTERNOON)
    free = make_expert(weekly_availability=afternoon)
    mornings = make_expert(weekly_availability=availability_bit(MONDAY.weekday(), PartOfDay.MORNING))
    on_break = make_expert(weekly_availability=afternoon, pause_until=MONDAY)
    break_over = make_expert(weekly_availability=afternoon, pause_until=MONDAY - dt.timedelta(days=1))
    away = make_expert(weekly_availability=afternoon)
    AvailabilityException.objects.create(
        expert=away, start_date=MONDAY - dt.timedelta(days=2), end_date=MONDAY + dt.timedelta(days=2)
    )
    paused = make_expert(weekly_availability=afternoon, status=ExpertProfile.Status.PAUSED)
    assert available(MONDAY, PartOfDay.AFTERNOON) == {free.pk, break_over.pk}
    assert available(MONDAY, PartOfDay.MORNING) == {mornings.pk}
    assert available(MONDAY) == {free.pk, break_over.pk, mornings.pk}
    assert available(MONDAY + dt.timedelta(days=1), PartOfDay.AFTERNOON) == set()
    assert paused.pk not in available(MONDAY)
    assert on_break.pk not in available(MONDAY)


def test_available_on_is_one_query(make_expert: Any, django_assert_num_queries: Any) -> None:
    for _ in range(10):
        make_expert(weekly_availability=availability_bit(0, 1))
    with django_assert_num_queries(1):
        assert len(list(ExpertProfile.objects.available_on(MONDAY, PartOfDay.AFTERNOON))) == 10
