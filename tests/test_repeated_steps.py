"""The same step twice, one after the other (a double click, a second tab, two people): the second
POST through the view gets a clear "already done" message and changes nothing, tells nobody again.

These run on SQLite and on PostgreSQL; tests/test_races.py does the same at the same moment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements.models import Assignment, ExpenseClaim, InvalidTransition, Request
from engagements.notifications import Notification
from experts.models import EngagementRole, ExpertProfile
from registry.models import AuditEvent, OutgoingMessage, StaffRole, User
from tests.conftest import make_user, ready_expert, with_totp

pytestmark = pytest.mark.django_db


def assignment(req: Request, expert: ExpertProfile, status: str = "offered", **extra: Any) -> Assignment:
    return Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=status,
        offer_expires_at=timezone.now() + dt.timedelta(days=2),
        **extra,
    )


def post_twice(client: Client, url: str, data: dict[str, Any] | None = None) -> list[str]:
    """POSTs the same form twice; returns the messages the second POST showed."""
    first = client.post(url, data or {}, follow=True)
    assert first.status_code == 200
    effects = effects_now()
    second = client.post(url, data or {}, follow=True)
    assert second.status_code == 200
    assert effects_now() == effects, "the second POST changed something"
    return [str(m) for m in second.context["messages"]]


def effects_now() -> tuple[int, int, int, int]:
    """Everything a step leaves behind: notifications, e-mail rows, e-mail sent, audit events."""
    return Notification.objects.count(), OutgoingMessage.objects.count(), len(mail.outbox), AuditEvent.objects.count()


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"  # the messages below are compared in English
    return client


# Experts ------------------------------------------------------------------------------------------


def test_accepting_twice_tells_the_coordinator_once(
    expert: ExpertProfile, make_request: Any, coordinator: User
) -> None:
    offer = assignment(make_request(status="offered"), ready_expert(expert))
    shown = post_twice(signed_in(expert.user), reverse("engagements:offer-accept", args=[offer.pk]))
    assert shown == ["You have already accepted this offer."]
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.ACCEPTED
    assert Notification.objects.filter(kind="offer_accepted", assignment=offer).count() == 1


def test_declining_twice_tells_the_coordinator_once(
    expert: ExpertProfile, make_request: Any, coordinator: User
) -> None:
    offer = assignment(make_request(status="offered"), ready_expert(expert))
    url = reverse("engagements:offer-decline", args=[offer.pk])
    shown = post_twice(signed_in(expert.user), url, {"reason": "Koeviikko"})
    assert shown == ["You have already declined this offer."]
    assert Notification.objects.filter(kind="offer_declined", assignment=offer).count() == 1


def test_expert_cancelling_twice_cancels_once(
    expert: ExpertProfile, make_request: Any, coordinator: User, unit_member: User
) -> None:
    engagement = assignment(make_request(status="confirmed"), ready_expert(expert), status="confirmed")
    url = reverse("engagements:expert-cancel", args=[engagement.pk])
    shown = post_twice(signed_in(expert.user), url, {"reason": "Sairastuin"})
    assert shown == ["This engagement has already been cancelled."]
    assert Notification.objects.filter(kind="expert_cancelled").count() == 2  # the coordinator and the unit


# Coordinators -------------------------------------------------------------------------------------


def test_confirming_the_same_expert_twice_confirms_once(
    expert: ExpertProfile, make_request: Any, coordinator: User
) -> None:
    accepted = assignment(make_request(status="offered"), ready_expert(expert), status="accepted")
    shown = post_twice(signed_in(coordinator), reverse("engagements:confirm", args=[accepted.pk]))
    assert shown == ["This expert has already been confirmed."]
    assert Notification.objects.filter(kind="assignment_confirmed").count() == 1
    assert Notification.objects.filter(kind="request_confirmed").count() == 1


@pytest.mark.parametrize("round_", range(10))
def test_the_last_place_is_confirmed_once_one_after_the_other(
    round_: int, make_expert: Any, make_request: Any, coordinator: User
) -> None:
    """Ten times: one place, two accepted experts, two coordinators confirm one after the other."""
    other = with_totp(make_user(f"coordinator-{round_}@example.test"))
    StaffRole.objects.create(user=other, role=StaffRole.Kind.COORDINATOR, region=None)
    req = make_request(status="offered", experts_needed=1)
    first = assignment(req, ready_expert(make_expert()), status="accepted")
    second = assignment(req, ready_expert(make_expert()), status="accepted")
    signed_in(coordinator).post(reverse("engagements:confirm", args=[first.pk]))
    before = effects_now()
    response = signed_in(other).post(reverse("engagements:confirm", args=[second.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["All the places of this request are already filled."]
    assert effects_now() == before
    assert list(req.assignments.filter(status="confirmed")) == [first]
    second.refresh_from_db()
    assert (second.status, second.fee) == (Assignment.Status.ACCEPTED, None)


def test_taking_into_matching_twice_tells_the_unit_once(make_request: Any, coordinator: User) -> None:
    req = make_request(status="submitted")
    shown = post_twice(signed_in(coordinator), reverse("engagements:take", args=[req.pk]))
    assert shown == ["This request has already been taken into matching."]
    assert Notification.objects.filter(kind="request_in_matching").count() == 1


def test_declining_a_request_twice_tells_the_unit_once(make_request: Any, coordinator: User) -> None:
    req = make_request(status="submitted")
    url = reverse("engagements:decline", args=[req.pk])
    shown = post_twice(signed_in(coordinator), url, {"reason": "Ei sopivaa asiantuntijaa"})
    assert shown == ["This request has already been declined."]
    assert Notification.objects.filter(kind="request_declined").count() == 1


def test_cancelling_an_assignment_twice_tells_the_expert_once(
    expert: ExpertProfile, make_request: Any, coordinator: User
) -> None:
    engagement = assignment(make_request(status="confirmed"), ready_expert(expert), status="confirmed")
    url = reverse("engagements:cancel-assignment", args=[engagement.pk])
    shown = post_twice(signed_in(coordinator), url, {"reason": "Tilaisuus siirtyi"})
    assert shown == ["This engagement has already been cancelled."]
    assert Notification.objects.filter(kind="assignment_cancelled").count() == 1


def test_marking_attendance_twice_records_once(expert: ExpertProfile, make_request: Any, coordinator: User) -> None:
    day = timezone.localdate() - dt.timedelta(days=3)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(13)))
    req = make_request(status="confirmed", starts_at=start, ends_at=start + dt.timedelta(hours=2))
    engagement = assignment(req, ready_expert(expert), status="confirmed")
    url = reverse("engagements:attendance", args=[engagement.pk])
    shown = post_twice(signed_in(coordinator), url, {"attended": "yes"})
    assert shown == ["Attendance has already been recorded for this expert."]
    assert Notification.objects.filter(kind="unit_feedback_requested").count() == 1


@pytest.mark.parametrize(
    ("url_name", "data", "already"),
    [
        ("engagements:approve-expense", {}, "This claim has already been approved."),
        ("engagements:return-expense", {"reason": "Kuitti puuttuu"}, "This claim has already been returned."),
    ],
)
def test_deciding_a_claim_twice_decides_once(
    url_name: str, data: dict[str, str], already: str, expert: ExpertProfile, make_request: Any, coordinator: User
) -> None:
    engagement = assignment(make_request(status="confirmed"), ready_expert(expert), status="confirmed")
    claim = ExpenseClaim.objects.create(assignment=engagement, kind="ticket", amount=Decimal("12.50"))
    shown = post_twice(signed_in(coordinator), reverse(url_name, args=[claim.pk]), data)
    assert shown == [already]
    claim.refresh_from_db()
    assert claim.decided_by == coordinator


# Units --------------------------------------------------------------------------------------------


def test_submitting_twice_tells_the_coordinators_once(make_request: Any, unit_member: User, coordinator: User) -> None:
    req = make_request(status="draft")
    shown = post_twice(signed_in(unit_member), reverse("engagements:request-submit", args=[req.pk]))
    assert shown == ["This request has already been sent to the coordinator."]
    assert Notification.objects.filter(kind="request_submitted").count() == 1


@pytest.mark.parametrize("second_by", ["unit_member", "coordinator"])
def test_cancelling_a_request_twice_tells_everyone_once(
    second_by: str, expert: ExpertProfile, make_request: Any, unit_member: User, coordinator: User
) -> None:
    req = make_request(status="offered")
    offer = assignment(req, ready_expert(expert))
    signed_in(unit_member).post(reverse("engagements:request-cancel", args=[req.pk]), {"reason": "Peruttu"})
    before = effects_now()
    url = (
        reverse("engagements:request-cancel", args=[req.pk])
        if second_by == "unit_member"
        else reverse("engagements:coordinator-cancel", args=[req.pk])
    )
    client = signed_in(unit_member if second_by == "unit_member" else coordinator)
    response = client.post(url, {"reason": "Peruttu"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["This request has already been cancelled."]
    assert effects_now() == before
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.CANCELLED
    assert Notification.objects.filter(kind="assignment_cancelled", assignment=offer).count() == 1
    assert Notification.objects.filter(kind="request_cancelled").count() == 1  # the coordinator


# Who did it ---------------------------------------------------------------------------------------


def test_every_step_records_who_took_it(
    expert: ExpertProfile, make_request: Any, unit_member: User, coordinator: User
) -> None:
    req = make_request(status="draft")
    unit, coord, me = signed_in(unit_member), signed_in(coordinator), signed_in(ready_expert(expert).user)
    unit.post(reverse("engagements:request-submit", args=[req.pk]))
    coord.post(reverse("engagements:take", args=[req.pk]))
    offer = assignment(req, expert)
    me.post(reverse("engagements:offer-accept", args=[offer.pk]))
    coord.post(reverse("engagements:confirm", args=[offer.pk]))
    coord.post(reverse("engagements:cancel-assignment", args=[offer.pk]), {"reason": "Siirtyi"})
    steps = list(
        AuditEvent.objects.filter(action="change", object_type__startswith="engagements.")
        .order_by("at", "pk")
        .values_list("actor__email", "detail")
    )
    assert steps == [
        (unit_member.email, "request submitted"),
        (coordinator.email, "request taken into matching"),
        (expert.user.email, "offer accepted"),
        (coordinator.email, "expert confirmed"),
        (coordinator.email, "engagement cancelled"),
    ]


def test_a_step_refused_halfway_leaves_no_trace(make_request: Any, expert: ExpertProfile) -> None:
    """An offer whose time ran out: accepting fails, expiring sticks, nobody is told of an answer."""
    offer = assignment(make_request(status="offered"), ready_expert(expert))
    Assignment.objects.filter(pk=offer.pk).update(offer_expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = signed_in(expert.user).post(reverse("engagements:offer-accept", args=[offer.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["The time to answer this offer has passed."]
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.EXPIRED
    assert not Notification.objects.filter(kind="offer_accepted").exists()


def test_an_edit_saved_after_a_step_does_not_undo_the_step(
    make_request: Any, unit_member: User, coordinator: User
) -> None:
    """The unit's form was loaded before the coordinator took the request into matching."""
    req = make_request(status="submitted")
    editing = Request.objects.get(pk=req.pk)
    req.take_into_matching(coordinator)
    editing.title = "Uusi otsikko"
    editing.save_edits(["title"], by=unit_member)
    req.refresh_from_db()
    assert (req.title, req.status) == ("Uusi otsikko", Request.Status.MATCHING)


def test_an_edit_of_a_request_confirmed_meanwhile_is_refused(
    make_request: Any, unit_member: User, expert: ExpertProfile, coordinator: User
) -> None:
    req = make_request(status="offered")
    editing = Request.objects.get(pk=req.pk)
    assignment(req, ready_expert(expert), status="accepted").confirm(coordinator)
    editing.experts_needed = 3
    with pytest.raises(InvalidTransition):
        editing.save_edits(["experts_needed"], by=unit_member)
    req.refresh_from_db()
    assert (req.experts_needed, req.status) == (1, Request.Status.CONFIRMED)


def test_marking_payments_paid_twice_marks_and_records_once(
    make_request: Any, expert: ExpertProfile, coordinator: User
) -> None:
    day = timezone.localdate() - dt.timedelta(days=3)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(13)))
    req = make_request(status="completed", starts_at=start, ends_at=start + dt.timedelta(hours=2))
    attended = assignment(req, expert, status="attended", fee=Decimal("120"))
    claim = ExpenseClaim.objects.create(assignment=attended, kind="ticket", amount=Decimal("9.90"), status="approved")
    data = {"payment": [f"fee-{attended.pk}", f"expense-{claim.pk}"]}
    shown = post_twice(signed_in(coordinator), reverse("engagements:payments-paid"), data)
    assert shown == ["0 payments were marked paid."]
    paid = AuditEvent.objects.filter(actor=coordinator, detail__in=["fee paid", "expenses paid"])
    assert sorted(paid.values_list("detail", flat=True)) == ["expenses paid", "fee paid"]
