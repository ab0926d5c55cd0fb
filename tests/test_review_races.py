"""Material review steps raced on PostgreSQL (see tests/test_concurrency.py for the method): two tabs
adding comments at once get two numbers, a double submit submits once and tells the unit once, two
members asking about one comment at once store one question and tell the reviewer once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from engagements.models import Assignment, Request, Review, ReviewComment
from engagements.notifications import Notification
from experts.models import EngagementRole, ExpertProfile
from registry.models import UnitMembership, User
from tests.conftest import make_user, ready_expert
from tests.test_concurrency import Racer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("data_migration_rows"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races need concurrent writers and row locks: PostgreSQL (set DATABASE_URL)",
    ),
]

RACES = 20


@pytest.fixture
def racer() -> Iterator[Racer]:
    racer = Racer()
    yield racer
    racer.close()


def review_for(make_request: Any, expert: ExpertProfile) -> Assignment:
    request = make_request(
        status="confirmed",
        type="material_review",
        starts_at=None,
        ends_at=None,
        deadline=timezone.localdate() + dt.timedelta(days=7),
        estimated_hours=Decimal("2"),
        format="remote",
        place="",
    )
    return Assignment.objects.create(
        request=request,
        expert=expert,
        role=EngagementRole.objects.get(code="material_reviewer"),
        status="confirmed",
        offer_expires_at=timezone.now(),
        confirmed_at=timezone.now(),
    )


def test_two_tabs_adding_comments_get_two_numbers(racer: Racer, make_request: Any, expert: ExpertProfile) -> None:
    assignment = review_for(make_request, ready_expert(expert, role="material_reviewer"))
    by = expert.user
    for _ in range(RACES):
        outcome = racer.race(
            lambda: assignment.add_review_comment(ReviewComment(text="a"), by=by),
            lambda: assignment.add_review_comment(ReviewComment(text="b"), by=by),
        )
        assert outcome == ("done", "done")
    numbers = list(ReviewComment.objects.filter(assignment=assignment).values_list("number", flat=True))
    assert sorted(numbers) == list(range(1, 2 * RACES + 1))
    assert Review.objects.filter(assignment=assignment).count() == 1


def test_a_double_submit_submits_once_and_tells_the_unit_once(
    racer: Racer, make_request: Any, make_expert: Any, unit_member: User
) -> None:
    for _ in range(RACES):
        expert = ready_expert(make_expert(), role="material_reviewer")
        assignment = review_for(make_request, expert)
        assignment.add_review_comment(ReviewComment(text="huomio"), by=expert.user)
        first, second = (Assignment.objects.get(pk=assignment.pk) for _ in range(2))
        by = expert.user
        outcome = racer.race(partial(first.submit_review, by), partial(second.submit_review, by))
        assert outcome == ("done", "refused")
    assert Notification.objects.filter(user=unit_member, kind="review_submitted").count() == RACES


def test_two_members_asking_at_once_store_one_question(
    racer: Racer, make_request: Any, expert: ExpertProfile, unit_member: User
) -> None:
    colleague = make_user("colleague@example.test")
    request_unit = make_request().unit
    UnitMembership.objects.create(user=colleague, unit=request_unit, approved_at=timezone.now())
    assignment = review_for(make_request, ready_expert(expert, role="material_reviewer"))
    for _ in range(RACES):
        assignment.add_review_comment(ReviewComment(text="huomio"), by=expert.user)
    assignment.submit_review(expert.user)
    for comment in ReviewComment.objects.filter(assignment=assignment):
        mine, theirs = (ReviewComment.objects.get(pk=comment.pk) for _ in range(2))
        outcome = racer.race(
            lambda mine=mine: mine.ask("Kumpi?", by=unit_member, language="fi"),
            lambda theirs=theirs: theirs.ask("Kumpi sana?", by=colleague, language="fi"),
        )
        assert outcome == ("done", "refused")
    assert Notification.objects.filter(user=expert.user, kind="review_question").count() == RACES
    assert Request.objects.get(pk=assignment.request_id).status == Request.Status.CONFIRMED
