"""No double booking under concurrency: only PostgreSQL has real concurrent writers to race."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from engagements.models import Assignment, InvalidTransition
from experts.models import EngagementRole
from tests.conftest import ready_expert

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("data_migration_rows"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]

THREADS = 6


def test_concurrent_confirmations_of_overlapping_engagements_let_exactly_one_win(
    expert: Any, make_request: Any, coordinator: Any
) -> None:
    ready_expert(expert)
    role = EngagementRole.objects.get(code="panellist")
    first = make_request(status="offered")
    assignments = []
    for i in range(THREADS):
        # Each request overlaps the first one by at least an hour.
        start = first.starts_at + dt.timedelta(minutes=10 * i)
        req = (
            first if i == 0 else make_request(status="offered", starts_at=start, ends_at=start + dt.timedelta(hours=2))
        )
        assignments.append(
            Assignment.objects.create(
                request=req,
                expert=expert,
                role=role,
                status="accepted",
                offer_expires_at=timezone.now() + dt.timedelta(days=1),
            )
        )
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def confirm(pk: int) -> None:
        try:
            assignment = Assignment.objects.get(pk=pk)
            barrier.wait(timeout=10)
            assignment.confirm(coordinator)
            result = "won"
        except InvalidTransition:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=confirm, args=(a.pk,)) for a in assignments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused"] * (THREADS - 1) + ["won"]
    assert Assignment.objects.filter(expert=expert, status="confirmed").count() == 1


def test_two_coordinators_answering_the_same_feedback_record_one_answer(coordinator: Any, region: Any) -> None:
    from registry.models import AccessibilityFeedback, AlreadyAnswered, StaffRole
    from tests.conftest import make_user, with_totp

    other = with_totp(make_user("second-coordinator@example.test"))
    StaffRole.objects.create(user=other, role=StaffRole.Kind.COORDINATOR, region=region)
    item = AccessibilityFeedback.objects.create(message="Kontrasti on heikko.", language="fi")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(user: Any, note: str) -> None:
        barrier.wait()
        try:
            AccessibilityFeedback.objects.get(pk=item.pk).mark_answered(user, note)
            outcomes.append("answered")
        except AlreadyAnswered:
            outcomes.append("already")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=args) for args in ((coordinator, "A"), (other, "B"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already", "answered"]
    item.refresh_from_db()
    assert item.answer_note in {"A", "B"} and item.answered_by in {coordinator, other}
