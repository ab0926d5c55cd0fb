"""Lists that stay flat as the tables grow (issue 10): the inbox orders by a stored, indexed
urgency and has finished work in a tab of its own, counts stop at a cap, and a unit's list reads
its units' rows through the (unit, created_at) index."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements.models import Request
from registry.models import Unit, UnitMembership, User
from registry.pagination import CappedPaginator
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_stored_urgency_follows_the_status_on_every_save_path(make_request: Any) -> None:
    req = make_request(status="submitted")
    assert Request.objects.get(pk=req.pk).urgency == 0
    Request.objects.filter(pk=req.pk).update(status=Request.Status.CONFIRMED)
    assert Request.objects.get(pk=req.pk).urgency == 2
    req.status = Request.Status.CANCELLED
    req.save(update_fields=["status"])
    assert Request.objects.get(pk=req.pk).urgency == Request.FINISHED_URGENCY


def test_stored_date_is_the_start_or_the_end_of_the_deadline_day(make_request: Any) -> None:
    event = make_request()
    assert Request.objects.get(pk=event.pk).due_at == event.starts_at
    review = make_request(type="material_review", starts_at=None, ends_at=None, deadline=dt.date(2030, 5, 6))
    assert Request.objects.get(pk=review.pk).due_at == Request.objects.get(pk=review.pk).ends_at


def test_inbox_shows_work_in_progress_most_urgent_first_and_finished_in_its_own_tab(
    client: Client, coordinator: User, make_request: Any
) -> None:
    confirmed = make_request(status="confirmed", title="Confirmed")
    submitted = make_request(status="submitted", title="Submitted")
    offered = make_request(status="offered", title="Offered")
    closed = make_request(status="closed", title="Closed")
    make_request(status="draft", title="Draft")
    client.force_login(coordinator)
    inbox = client.get(reverse("engagements:inbox"))
    assert list(inbox.context["object_list"]) == [submitted, offered, confirmed]
    finished = client.get(reverse("engagements:inbox"), {"tab": "finished"})
    assert list(finished.context["object_list"]) == [closed]
    assert 'aria-current="page">' in finished.content.decode()


def test_inbox_order_is_read_from_its_index(coordinator: User) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's plan")
    from engagements.coordination import InboxView

    view = InboxView()
    view.request = type("R", (), {"GET": {}, "user": coordinator})()
    sql, params = view.get_queryset().query.sql_with_params()
    with connection.cursor() as cursor:
        plan = " ".join(str(row) for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
    assert "request_inbox_order" in plan
    assert "TEMP B-TREE" not in plan  # no sort of every open request


def test_capped_paginator_counts_no_further_than_its_cap(make_request: Any, django_assert_num_queries: Any) -> None:
    for _ in range(4):
        make_request()
    paginator = CappedPaginator(Request.objects.order_by("pk"), 2)
    paginator.cap = 3
    with django_assert_num_queries(1):
        assert paginator.count == 3
        assert paginator.capped
        assert paginator.num_pages == 2


def test_unit_list_shows_approved_units_and_own_requests_of_pending_ones(
    client: Client, unit: Unit, other_unit: Unit, unit_member: User, make_request: Any
) -> None:
    colleague = make_user("colleague@example.test")
    UnitMembership.objects.create(user=colleague, unit=unit, approved_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    UnitMembership.objects.create(user=unit_member, unit=other_unit)  # waiting for approval
    ours = make_request(title="Ours")
    own_pending = make_request(title="Own, pending unit", unit=other_unit)
    make_request(title="Other's, pending unit", unit=other_unit, created_by=colleague)
    listed = set(Request.objects.listed_for_unit_member(unit_member))
    assert listed == set(Request.objects.visible_to_unit_member(unit_member)) == {ours, own_pending}
    client.force_login(unit_member)
    page = client.get(reverse("engagements:unit-requests")).content.decode()
    assert "Ours" in page and "Own, pending unit" in page and "Other&#x27;s" not in page


def test_unit_list_is_read_from_the_unit_index(unit: Unit, unit_member: User) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's plan")
    sql, params = Request.objects.listed_for_unit_member(unit_member).order_by("-created_at").query.sql_with_params()
    with connection.cursor() as cursor:
        plan = " ".join(str(row) for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
    assert "request_unit_newest" in plan


def test_registry_list_is_read_in_name_order_from_its_index(coordinator: User) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's plan")
    from experts.coordination import ExpertListView

    view = ExpertListView()
    view.request = type("R", (), {"GET": {}, "user": coordinator})()
    sql, params = view.get_queryset()[:25].query.sql_with_params()
    with connection.cursor() as cursor:
        plan = " ".join(str(row) for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
    assert "expert_name_order" in plan
    assert "TEMP B-TREE" not in plan  # no sort of the whole registry


def test_overview_counts_stop_at_a_cap_and_say_so(make_request: Any, monkeypatch: Any) -> None:
    from engagements import overview

    monkeypatch.setattr(overview, "COUNT_CAP", 2)
    for _ in range(3):
        make_request(status="submitted")
    section = overview.coordinator_overview(None)["unmatched"]
    assert (section.count, section.capped, section.display) == (2, True, "2+")
    assert len(section.items) == 3


def test_overview_counts_read_their_indexes() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's plan")
    from django.utils import timezone

    from engagements.models import Assignment

    now = timezone.now()
    offers = Assignment.objects.open_offers(now).filter(offer_expires_at__lte=now + dt.timedelta(hours=24))
    overdue = Request.objects.feedback_overdue(now)
    for queryset, index in ((offers, "assignment_open_offers"), (overdue, "request_completed")):
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            plan = " ".join(str(row) for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
        assert index in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimates are PostgreSQL's")
def test_postgresql_estimates_the_overdue_lists_near_what_they_hold(make_request: Any) -> None:
    # A left join with IS NULL was estimated at one row: at 20,000 overdue requests PostgreSQL
    # then joined each to its unit in a loop (docs/benchmarks.md).
    long_ago = timezone.now() - dt.timedelta(days=200)
    for _ in range(120):
        make_request(
            status="completed", starts_at=long_ago, ends_at=long_ago + dt.timedelta(hours=2), completed_at=long_ago
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    now = timezone.now()
    for overdue in (Request.objects.impact_overdue(now), Request.objects.feedback_overdue(now)):
        assert overdue.count() == 120
        plan = json.loads(overdue.explain(format="json"))[0]["Plan"]
        assert plan["Plan Rows"] >= 120 / 4


def test_overview_for_the_whole_area_adds_no_condition_on_every_request() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's plan")
    from django.test.utils import CaptureQueriesContext

    from engagements.overview import coordinator_overview

    # "request in (every request)" made SQLite walk all requests to find a day's expiring offers.
    with CaptureQueriesContext(connection) as captured:
        coordinator_overview(None)
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            plan = " ".join(str(row) for row in cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}").fetchall())
        assert "IN-OPERATOR" not in plan, query["sql"]
