"""Races on PostgreSQL: two people (or two tabs, or two workers) take the same step at the same moment.

Each race runs the step in two threads, each with its own database connection, released together by
a barrier, through the model methods the views call, on objects loaded before the click (as a view
loads them). Every kind is raced RACES times; after all of them there are no overbookings, no double
effects and no duplicate messages (notifications and e-mail counted). SQLite runs one writer at a time,
so these need PostgreSQL; tests/test_repeated_steps.py checks the same steps one after the other on both.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections
from django.db.models import Count, F, Q
from django.utils import timezone

from engagements.models import Assignment, InvalidTransition, Request
from engagements.notifications import Notification
from experts.models import EngagementRole, ExpertProfile
from registry.mail import deliver_message
from registry.models import OutgoingMessage, StaffRole, User
from tests.conftest import make_user, ready_expert, with_totp

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("data_migration_rows"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races need concurrent writers and row locks: PostgreSQL (set DATABASE_URL)",
    ),
]

THREADS = 6
RACES = 100


class Racer:
    """Two long-lived threads, each with its own database connection, started together per race."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.barrier = threading.Barrier(2)

    def _run(self, step: Callable[[], Any]) -> str:
        self.barrier.wait(timeout=10)
        try:
            result = step()
        except InvalidTransition:
            return "refused"
        return result if isinstance(result, str) else "done"

    def race(self, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[str, ...]:
        futures = [self.pool.submit(self._run, step) for step in (first, second)]
        return tuple(sorted(future.result(timeout=60) for future in futures))

    def close(self) -> None:
        # Each thread closes its own connection (connections belong to the thread that opened them).
        self.race(connections.close_all, connections.close_all)
        self.pool.shutdown()


@pytest.fixture
def racer() -> Iterator[Racer]:
    racer = Racer()
    yield racer
    racer.close()


@pytest.fixture
def second_coordinator(db: None) -> User:
    user = with_totp(make_user("coordinator2@example.test"))
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=None)
    return user


def slot(make_request: Callable[..., Request], i: int, *, hour: int = 13, **extra: Any) -> Request:
    """A request on its own day (race i), so that races do not clash with each other."""
    day = timezone.localdate() + dt.timedelta(days=10 + i)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    return make_request(starts_at=start, ends_at=start + dt.timedelta(hours=2), **extra)


def offer(req: Request, expert: ExpertProfile, status: str = "offered") -> Assignment:
    created = Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=status,
        offer_expires_at=timezone.now() + dt.timedelta(days=2),
    )
    # What a view has in hand when the button is pressed: the row as it was when loaded.
    return Assignment.objects.get(pk=created.pk)


def duplicate_messages() -> int:
    """Notifications (and so e-mails) that went twice to the same person about the same thing."""
    same = Notification.objects.values("user", "kind", "request", "assignment").annotate(n=Count("pk"))
    return same.filter(n__gt=1).count()


def assert_messages_once() -> None:
    assert duplicate_messages() == 0
    # Every notification is one e-mail row, and every row was sent exactly once.
    assert OutgoingMessage.objects.count() == Notification.objects.count()
    assert OutgoingMessage.objects.exclude(status="sent").count() == 0
    assert len(mail.outbox) == OutgoingMessage.objects.count()


def report(kind: str, outcomes: Counter[tuple[str, ...]], **figures: int) -> None:
    # Shown with `pytest -s`: the figures quoted in docs/security.md.
    print(f"\n{kind}: {RACES} races, outcomes {dict(outcomes)}, {figures}")


# Confirming ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_confirmations_of_the_last_place_confirm_one(
    racer: Racer, make_expert: Any, make_request: Any, coordinator: User, second_coordinator: User
) -> None:
    first_expert, second_expert = ready_expert(make_expert()), ready_expert(make_expert())
    outcomes: Counter[tuple[str, ...]] = Counter()
    for i in range(RACES):
        req = slot(make_request, i, status="offered", experts_needed=1)
        first, second = offer(req, first_expert, "accepted"), offer(req, second_expert, "accepted")
        outcomes[racer.race(partial(first.confirm, coordinator), partial(second.confirm, second_coordinator))] += 1
    confirmed = Count("assignments", filter=Q(assignments__status="confirmed"))
    overbooked = Request.objects.annotate(n=confirmed).filter(n__gt=F("experts_needed")).count()
    report("last place", outcomes, overbooked=overbooked, duplicate_messages=duplicate_messages())
    assert outcomes == {("done", "refused"): RACES}
    assert overbooked == 0
    assert Request.objects.annotate(n=confirmed).filter(n=1, status="confirmed").count() == RACES
    assert Notification.objects.filter(kind="assignment_confirmed").count() == RACES
    assert Notification.objects.filter(kind="request_confirmed").count() == RACES
    assert_messages_once()


@pytest.mark.slow
def test_two_confirmations_of_one_expert_at_overlapping_times_confirm_one(
    racer: Racer, expert: ExpertProfile, make_request: Any, coordinator: User, second_coordinator: User
) -> None:
    ready_expert(expert)
    outcomes: Counter[tuple[str, ...]] = Counter()
    for i in range(RACES):
        # 13–15 and 14–16 on the same day, each asking one expert.
        first = offer(slot(make_request, i, status="offered"), expert, "accepted")
        second = offer(slot(make_request, i, hour=14, status="offered"), expert, "accepted")
        outcomes[racer.race(partial(first.confirm, coordinator), partial(second.confirm, second_coordinator))] += 1
    confirmed = Assignment.objects.filter(expert=expert, status="confirmed")
    overlaps = sum(
        confirmed.exclude(pk=a.pk).overlapping(a.request.starts_at, a.request.ends_at).count()
        for a in confirmed.select_related("request")
    )
    report("same-expert overlap", outcomes, overlapping_confirmations=overlaps)
    assert outcomes == {("done", "refused"): RACES}
    assert overlaps == 0
    assert confirmed.count() == RACES
    assert_messages_once()


def test_six_confirmations_of_overlapping_engagements_let_exactly_one_win(
    expert: Any, make_request: Any, coordinator: User
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


# Answering an offer --------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("step", "status", "kind"), [("accept", "accepted", "offer_accepted"), ("decline", "declined", "offer_declined")]
)
def test_answering_an_offer_twice_at_once_answers_once(
    step: str,
    status: str,
    kind: str,
    racer: Racer,
    expert: ExpertProfile,
    make_request: Any,
    coordinator: User,
    second_coordinator: User,
) -> None:
    ready_expert(expert)
    outcomes: Counter[tuple[str, ...]] = Counter()
    for i in range(RACES):
        created = offer(slot(make_request, i, status="offered"), expert)
        tab1, tab2 = created, Assignment.objects.get(pk=created.pk)  # two tabs, one offer
        outcomes[racer.race(partial(getattr(tab1, step), expert.user), partial(getattr(tab2, step), expert.user))] += 1
    told = Notification.objects.filter(kind=kind).count()
    report(f"double {step}", outcomes, coordinators_told=told, duplicate_messages=duplicate_messages())
    assert outcomes == {("done", "refused"): RACES}
    assert Assignment.objects.filter(status=status).count() == RACES
    assert told == 2 * RACES  # each of the two coordinators, once per offer
    assert_messages_once()


# Cancelling ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_cancelling_a_request_twice_at_once_cancels_once(
    racer: Racer, expert: ExpertProfile, make_request: Any, unit_member: User, coordinator: User
) -> None:
    ready_expert(expert)
    outcomes: Counter[tuple[str, ...]] = Counter()
    for i in range(RACES):
        req = slot(make_request, i, status="offered")
        offer(req, expert, "accepted")
        # Even races: the unit in two tabs; odd races: the unit and the coordinator at once.
        other_by = unit_member if i % 2 == 0 else coordinator
        tab1, tab2 = Request.objects.get(pk=req.pk), Request.objects.get(pk=req.pk)
        outcomes[
            racer.race(partial(tab1.cancel, unit_member, "Peruttu"), partial(tab2.cancel, other_by, "Peruttu"))
        ] += 1
    cancelled_twice = Assignment.objects.filter(status="cancelled").values("request").annotate(n=Count("pk"))
    report("double cancel", outcomes, duplicate_messages=duplicate_messages())
    assert outcomes == {("done", "refused"): RACES}
    assert Request.objects.filter(status="cancelled").count() == RACES
    assert cancelled_twice.filter(n__gt=1).count() == 0
    assert Notification.objects.filter(kind="assignment_cancelled").count() == RACES  # the expert, once each
    assert Notification.objects.filter(kind="request_cancelled").count() == RACES  # the other side, once each
    assert_messages_once()


# Delivering e-mail ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_workers_delivering_the_same_message_send_it_once(racer: Racer) -> None:
    outcomes: Counter[tuple[str, ...]] = Counter()
    for i in range(RACES):
        message = OutgoingMessage.objects.create(to=f"a{i}@example.test", template="t", subject=f"S{i}", text="x")
        outcomes[racer.race(partial(deliver_message.call, message.pk), partial(deliver_message.call, message.pk))] += 1
    report("two workers, one message", outcomes, sent=len(mail.outbox))
    assert outcomes == {("nothing to do", "sent"): RACES}
    assert sorted(m.subject for m in mail.outbox) == sorted(f"S{i}" for i in range(RACES))


# Answering accessibility feedback -----------------------------------------------------------------


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


# The offer e-mail's link ----------------------------------------------------------------------------


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
    assert (
        AuditEvent.objects.filter(
            object_type="engagements.assignment", object_id=str(offer.pk), detail__endswith="with the e-mail link"
        ).count()
        == 1
    )
