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


def test_two_taps_on_the_offer_link_at_once_answer_once(expert: Any, make_request: Any, coordinator: Any) -> None:
    from registry.models import AuditEvent

    ready_expert(expert)
    req = make_request(status="matching")
    (offer,) = req.make_offers([expert], by=coordinator, answer_by=timezone.now() + dt.timedelta(days=2))
    nonce = offer.answer_nonce
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def tap(accept: bool) -> None:
        try:
            assignment = Assignment.objects.get(pk=offer.pk)
            barrier.wait(timeout=10)
            assignment.answer_with_link(nonce, accept=accept)
            result = "answered"
        except InvalidTransition:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    # Some tap "accept", some "decline": the link works exactly once, whichever comes first.
    threads = [threading.Thread(target=tap, args=(i % 2 == 0,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["answered"] + ["refused"] * (THREADS - 1)
    offer.refresh_from_db()
    assert offer.status in (Assignment.Status.ACCEPTED, Assignment.Status.DECLINED)
    assert offer.answer_nonce == ""
    assert AuditEvent.objects.filter(object_type="engagements.assignment", object_id=str(offer.pk)).count() == 1
