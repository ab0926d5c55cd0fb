"""Matching over a large registry (issue 10): hard rules in SQL, the best 25 shown with "show
more", the excluded counted in one query and explained a page at a time, SQL and Python agree."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements import matching
from engagements.models import Assignment, Request
from experts.models import EngagementRole, ExpertProfile, Theme, Training
from registry.models import User
from tests.conftest import ready_expert

pytestmark = pytest.mark.django_db


def many_ready(make_expert: Any, n: int, prefix: str = "Ready") -> list[ExpertProfile]:
    return [ready_expert(make_expert(display_name=f"{prefix} {i:03d}")) for i in range(n)]


def test_matching_page_shows_the_best_25_and_a_show_more_link(
    client: Client, coordinator: User, make_request: Any, make_expert: Any
) -> None:
    req = make_request(status="matching")
    many_ready(make_expert, matching.PAGE_SIZE + 5)
    client.force_login(coordinator)
    url = reverse("engagements:matching", args=[req.pk])
    page = client.get(url)
    assert len(page.context["candidates"]) == matching.PAGE_SIZE
    assert page.context["suitable_count"] == matching.PAGE_SIZE + 5
    assert f'href="?show={2 * matching.PAGE_SIZE}"' in page.content.decode()
    more = client.get(url, {"show": 2 * matching.PAGE_SIZE})
    assert len(more.context["candidates"]) == matching.PAGE_SIZE + 5
    assert 'href="?show=' not in more.content.decode()
    assert client.get(url, {"show": "lots"}).status_code == 200


def test_matching_pages_take_the_same_queries_for_a_larger_registry(
    client: Client, coordinator: User, make_request: Any, make_expert: Any, django_assert_max_num_queries: Any
) -> None:
    req = make_request(status="matching")
    req.themes.set(Theme.objects.filter(code__in=["foster_care", "aftercare"]))
    client.force_login(coordinator)
    many_ready(make_expert, 3)
    make_expert(display_name="No consent 1")
    client.get(reverse("engagements:matching", args=[req.pk]))  # the first request fills caches
    counts = []
    for _ in range(2):
        for name in ("engagements:matching", "engagements:excluded"):
            with django_assert_max_num_queries(40) as captured:
                assert client.get(reverse(name, args=[req.pk])).status_code == 200
            counts.append(len(captured.captured_queries))
        many_ready(make_expert, 30, prefix="More")
        for i in range(60):
            make_expert(display_name=f"No consent {i + 2}")
    assert counts[:2] == counts[2:]


def test_the_excluded_are_counted_in_one_query(
    make_request: Any, make_expert: Any, django_assert_num_queries: Any
) -> None:
    req = make_request(status="matching")
    many_ready(make_expert, 2)
    make_expert()
    facts = matching.RequestFacts.of(req)
    with django_assert_num_queries(1):
        assert matching.counts(facts) == (2, 1)


def test_the_ranking_query_counts_those_who_pass(
    make_request: Any, make_expert: Any, django_assert_num_queries: Any
) -> None:
    req = make_request(status="matching")
    facts = matching.RequestFacts.of(req)
    make_expert()
    assert matching.ranked_and_counted(facts)[1:] == (0, 1)
    many_ready(make_expert, matching.PAGE_SIZE + 3)
    candidates, suitable, excluded = matching.ranked_and_counted(facts)
    assert (suitable, excluded) == matching.counts(facts) == (matching.PAGE_SIZE + 3, 1)
    assert [c.expert_id for c in candidates] == [c.expert_id for c in matching.ranked(facts)]


def test_excluded_page_explains_only_the_page_shown(
    client: Client, coordinator: User, make_request: Any, make_expert: Any
) -> None:
    req = make_request(status="matching")
    for i in range(55):
        make_expert(display_name=f"Unready {i:02d}")
    client.force_login(coordinator)
    page = client.get(reverse("engagements:excluded", args=[req.pk]))
    shown = list(page.context["exclusions"])
    assert len(shown) == 50
    assert all(exclusion.reasons for exclusion in shown)
    assert page.context["page_obj"].paginator.count == 55


def test_sql_score_orders_as_the_python_score_says(make_request: Any, make_expert: Any, other_region: Any) -> None:
    req = make_request(status="matching")
    req.themes.set(Theme.objects.filter(code__in=["foster_care", "aftercare"]))
    experts = many_ready(make_expert, 6)
    experts[0].themes.set(Theme.objects.filter(code="foster_care"))
    experts[1].themes.set(Theme.objects.filter(code__in=["foster_care", "aftercare"]))
    experts[2].trainings.add(Training.objects.get(code="basic"))
    experts[3].home_region = other_region
    experts[3].save()
    experts[3].travel_regions.add(req.unit.region)
    for expert in experts[4:]:
        start = timezone.now() - dt.timedelta(weeks=2)
        other = make_request(status="confirmed", starts_at=start, ends_at=start + dt.timedelta(hours=1))
        Assignment.objects.create(
            request=other,
            expert=expert,
            role=EngagementRole.objects.get(code="panellist"),
            status="confirmed",
            confirmed_at=start,
            offer_expires_at=start,
        )
    facts = matching.RequestFacts.of(req)
    sql = dict(matching.eligible(facts).annotate(s=matching.score_expression(facts)).values_list("pk", "s"))
    python = {c.expert_id: c.score for c in matching.ranked(facts, limit=None)}
    assert sql == python
    assert len(set(python.values())) > 3
    scores = [c.score for c in matching.ranked(facts, limit=None)]
    assert scores == sorted(scores, reverse=True)


def test_offers_are_made_only_to_experts_who_still_pass(
    client: Client, coordinator: User, make_request: Any, make_expert: Any
) -> None:
    req = make_request(status="matching")
    fit = ready_expert(make_expert())
    unfit = make_expert()
    client.force_login(coordinator)
    answer_by = timezone.localtime() + dt.timedelta(days=1)
    data = {"experts": [fit.pk, unfit.pk], "answer_by": answer_by.strftime("%Y-%m-%dT%H:%M")}
    response = client.post(reverse("engagements:make-offers", args=[req.pk]), data)
    assert response.status_code == 400
    assert not req.assignments.exists()
    data["experts"] = [fit.pk]
    response = client.post(reverse("engagements:make-offers", args=[req.pk]), data)
    assert response.status_code == 302
    assert list(Request.objects.get(pk=req.pk).assignments.values_list("expert_id", flat=True)) == [fit.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimates are PostgreSQL's")
def test_postgresql_estimates_the_availability_filter_near_what_it_finds(make_expert: Any) -> None:
    # An expression's equality is estimated at 0.5% of the rows: at 10,000 experts that made the
    # planner scan every expert's languages once per expert (docs/benchmarks.md).
    slot = 1 << 5
    for i in range(200):
        make_expert(display_name=f"Available {i:03d}", weekly_availability=slot | (i % 7))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE experts_expertprofile")
    plan = ExpertProfile.objects.available_at(slot).explain(format="json")
    estimated = json.loads(plan)[0]["Plan"]["Plan Rows"]
    assert estimated >= 200 / 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT is PostgreSQL's")
def test_postgresql_connections_do_not_compile_queries() -> None:
    # Compiling the matching query took longer than running it (50 ms at 10,000 experts).
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
