"""Matching: each hard filter one by one, the soft score and its reasons, and a bounded query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from engagements.matching import evaluate, rank_experts
from engagements.models import Assignment, Request
from experts.models import (
    AvailabilityException,
    EngagementRole,
    ExpertProfile,
    Language,
    PartOfDay,
    Theme,
    Training,
    availability_bit,
)
from registry.models import Municipality, User
from tests.conftest import ready_expert

pytestmark = pytest.mark.django_db


def excluded_because(req: Request, expert: ExpertProfile) -> list[str]:
    _candidates, exclusions = evaluate(req)
    for exclusion in exclusions:
        if exclusion.expert_id == expert.pk:
            return exclusion.reasons
    return []


def ranked(req: Request) -> list[ExpertProfile]:
    return [candidate.expert for candidate in rank_experts(req)]


def confirm(req: Request, expert: ExpertProfile) -> Assignment:
    return Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="confirmed",
        confirmed_at=timezone.now(),
        offer_expires_at=timezone.now(),
    )


def test_a_ready_expert_is_a_candidate(make_request: Any, expert: ExpertProfile) -> None:
    req = make_request(status="matching")
    ready_expert(expert)
    assert ranked(req) == [expert]


@pytest.mark.parametrize(
    "breaker",
    [
        "no_consent",
        "paused_status",
        "on_break",
        "away",
        "wrong_time",
        "wrong_kind",
        "wrong_role",
        "wrong_language",
        "far_away",
        "avoid_unit",
        "avoid_municipality",
        "avoid_topic",
        "monthly_cap",
        "overlap",
        "rest",
        "minor_without_guardian",
    ],
)
def test_each_hard_filter_excludes_with_a_reason(
    make_request: Any, make_expert: Any, other_region: Any, unit: Any, breaker: str
) -> None:
    req = make_request(status="matching", wished_kind="youth")
    req.themes.set(Theme.objects.filter(code="foster_care"))
    day = timezone.localdate(req.starts_at)
    expert = make_expert()
    if breaker != "no_consent":
        ready_expert(expert)
    else:
        ready_expert(expert).withdraw_consent("contact")
    if breaker == "paused_status":
        expert.status = ExpertProfile.Status.PAUSED
    elif breaker == "on_break":
        expert.pause_until = day
    elif breaker == "away":
        AvailabilityException.objects.create(expert=expert, start_date=day, end_date=day)
    elif breaker == "wrong_time":
        expert.weekly_availability = availability_bit(day.weekday(), PartOfDay.MORNING)
    elif breaker == "wrong_kind":
        expert.kind = ExpertProfile.Kind.PARENT
    elif breaker == "wrong_role":
        expert.roles.clear()
    elif breaker == "wrong_language":
        expert.languages.set(Language.objects.filter(code="sv"))
    elif breaker == "far_away":
        expert.home_region = other_region
    elif breaker == "avoid_unit":
        expert.avoid_units.add(unit)
    elif breaker == "avoid_municipality":
        town = Municipality.objects.create(region=unit.region, name="Kuopio")
        unit.municipality = town
        unit.save()
        expert.avoid_municipalities.add(town)
    elif breaker == "avoid_topic":
        expert.avoid_topics.set(Theme.objects.filter(code="foster_care"))
    elif breaker == "monthly_cap":
        expert.monthly_cap = 1
        other = make_request(
            status="confirmed",
            starts_at=req.starts_at - dt.timedelta(days=5),
            ends_at=req.starts_at - dt.timedelta(days=5, hours=-1),
        )
        if other.starts_at.month != req.starts_at.month:
            other.starts_at = req.starts_at + dt.timedelta(days=5)
            other.ends_at = other.starts_at + dt.timedelta(hours=1)
            other.save()
        confirm(other, expert)
    elif breaker == "overlap":
        confirm(make_request(status="confirmed", starts_at=req.starts_at, ends_at=req.ends_at), expert)
    elif breaker == "rest":
        later = req.ends_at + dt.timedelta(hours=20)
        confirm(make_request(status="confirmed", starts_at=later, ends_at=later + dt.timedelta(hours=1)), expert)
    elif breaker == "minor_without_guardian":
        expert.birth_year = timezone.localdate().year - 15
    expert.save()
    assert expert not in ranked(req)
    assert excluded_because(req, expert), breaker


def test_remote_request_accepts_experts_from_anywhere_who_do_remote(
    make_request: Any, make_expert: Any, other_region: Any
) -> None:
    req = make_request(status="matching", format="remote", place="")
    far = ready_expert(make_expert(home_region=other_region))
    no_remote = ready_expert(make_expert(home_region=other_region, remote_ok=False))
    assert far in ranked(req)
    assert no_remote not in ranked(req)


def test_travelling_expert_can_be_matched(make_request: Any, make_expert: Any, region: Any, other_region: Any) -> None:
    req = make_request(status="matching")
    traveller = ready_expert(make_expert(home_region=other_region))
    traveller.travel_regions.add(region)
    candidate = rank_experts(req)[0]
    assert candidate.expert == traveller
    assert gettext("Travels to the area") in candidate.reasons


def test_theme_overlap_ranks_higher_and_says_why(make_request: Any, make_expert: Any) -> None:
    req = make_request(status="matching")
    req.themes.set(Theme.objects.filter(code__in=["foster_care", "aftercare"]))
    plain = ready_expert(make_expert(display_name="A plain"))
    fitting = ready_expert(make_expert(display_name="B fitting"))
    fitting.themes.set(Theme.objects.filter(code__in=["foster_care", "aftercare"]))
    candidates = rank_experts(req)
    assert [c.expert for c in candidates] == [fitting, plain]
    assert candidates[0].score - candidates[1].score == 20
    foster_care = str(Theme.objects.get(code="foster_care"))
    assert any(foster_care in reason for reason in candidates[0].reasons)


def test_fairness_fewer_recent_engagements_rank_higher(make_request: Any, make_expert: Any) -> None:
    req = make_request(status="matching")
    busy = ready_expert(make_expert(display_name="A busy"))
    rested = ready_expert(make_expert(display_name="B rested"))
    for weeks in (3, 5):
        start = timezone.now() - dt.timedelta(weeks=weeks)
        confirm(make_request(status="confirmed", starts_at=start, ends_at=start + dt.timedelta(hours=1)), busy)
    assert ranked(req) == [rested, busy]


def test_training_and_past_declines_affect_the_score(make_request: Any, make_expert: Any) -> None:
    req = make_request(status="matching")
    trained = ready_expert(make_expert(display_name="C trained"))
    trained.trainings.add(Training.objects.get(code="basic"))
    decliner = ready_expert(make_expert(display_name="A decliner"))
    Assignment.objects.create(
        request=make_request(status="matching"),
        expert=decliner,
        role=EngagementRole.objects.get(code="panellist"),
        status="declined",
        answered_at=timezone.now(),
        offer_expires_at=timezone.now(),
    )
    plain = ready_expert(make_expert(display_name="B plain"))
    assert ranked(req) == [trained, plain, decliner]


def test_already_offered_expert_is_not_ranked_again(make_request: Any, expert: ExpertProfile) -> None:
    req = make_request(status="offered")
    ready_expert(expert)
    Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        offer_expires_at=timezone.now() + dt.timedelta(days=1),
    )
    assert ranked(req) == []
    assert excluded_because(req, expert)


def test_matching_and_excluded_pages(client: Client, coordinator: User, make_request: Any, make_expert: Any) -> None:
    req = make_request(status="matching")
    fit = ready_expert(make_expert(display_name="Fits"))
    make_expert(display_name="No consent")
    client.force_login(coordinator)
    page = client.get(reverse("engagements:matching", args=[req.pk])).content.decode()
    assert "Fits" in page and "No consent" not in page
    page = client.get(reverse("engagements:excluded", args=[req.pk])).content.decode()
    assert "No consent" in page
    assert fit


def test_ranking_takes_a_bounded_number_of_queries(
    make_request: Any, make_expert: Any, django_assert_max_num_queries: Any, settings: Any
) -> None:
    settings.DEBUG = True  # the seed command refuses otherwise
    call_command("seed", experts=20, verbosity=0)
    req = make_request(status="matching")
    req.themes.set(Theme.objects.filter(code__in=["foster_care", "aftercare"]))
    ready_expert(make_expert())
    with django_assert_max_num_queries(25) as small:
        before = rank_experts(req)
    call_command("seed", experts=10000, verbosity=0)
    with django_assert_max_num_queries(25) as large:
        candidates = rank_experts(req)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(candidates) > len(before)
