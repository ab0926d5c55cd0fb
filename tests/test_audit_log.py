"""The audit log: append-only in the application and the admin, keeps the actor's identity, records
admin views, units' views of contact details, sign-ins and feed reads, and answers "who looked at
this expert in March?" on a coordinator's page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagements.models import Assignment, Request
from experts.models import ConsentPurpose, EngagementRole, ExpertProfile
from registry.models import AppendOnlyError, AuditEvent, StaffRole, User
from registry.privacy import inventory
from tests.conftest import PASSWORD, make_user, ready_expert, with_totp

pytestmark = pytest.mark.django_db


def move_to(event: AuditEvent, at: dt.datetime) -> None:
    # Tests only: the application cannot move an event (that is the point).
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {AuditEvent._meta.db_table} SET at = %s WHERE id = %s", [at, event.pk])


# Append-only -----------------------------------------------------------------------------------------


def test_events_cannot_be_changed_or_deleted_one_by_one_or_in_bulk(expert: ExpertProfile, coordinator: User) -> None:
    event = AuditEvent.record(coordinator, AuditEvent.Action.VIEW, expert)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(detail="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["detail"])
    event.refresh_from_db()
    assert event.detail == "" and AuditEvent.objects.count() == 1


def test_removing_a_staff_user_keeps_who_acted(expert: ExpertProfile) -> None:
    staff = with_totp(make_user("leaving.coordinator@example.test", first_name="Liisa", last_name="Lähtijä"))
    StaffRole.objects.create(user=staff, role=StaffRole.Kind.COORDINATOR)
    event = AuditEvent.record(staff, AuditEvent.Action.VIEW, expert)
    staff_pk = staff.pk
    staff.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor_id == staff_pk
    assert (event.actor_name, event.actor_email) == ("Liisa Lähtijä", "leaving.coordinator@example.test")
    assert event.actor_label == "Liisa Lähtijä <leaving.coordinator@example.test>"


def test_the_admin_can_read_but_not_add_change_or_delete(
    client: Client, admin_user: User, expert: ExpertProfile
) -> None:
    event = AuditEvent.record(admin_user, AuditEvent.Action.VIEW, expert)
    client.force_login(admin_user)
    assert client.get(reverse("admin:registry_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:registry_auditevent_change", args=[event.pk])).status_code == 200
    assert client.get(reverse("admin:registry_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:registry_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    response = client.post(
        reverse("admin:registry_auditevent_changelist"), {"action": "delete_selected", "_selected_action": [event.pk]}
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert response.status_code in (200, 302)


def test_the_admin_cannot_delete_users_only_erase_them(client: Client, admin_user: User, unit_member: User) -> None:
    client.force_login(admin_user)
    assert client.get(reverse("admin:registry_user_delete", args=[unit_member.pk])).status_code == 403


# What is recorded --------------------------------------------------------------------------------------


def test_admin_views_of_an_expert_are_recorded(client: Client, admin_user: User, expert: ExpertProfile) -> None:
    client.force_login(admin_user)
    assert client.get(reverse("admin:experts_expertprofile_change", args=[expert.pk])).status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW, object_type="experts.expertprofile")
    assert (event.actor_email, event.object_id, event.detail) == (
        admin_user.email,
        str(expert.pk),
        "opened in the admin",
    )
    assert client.get(reverse("admin:registry_user_change", args=[expert.user.pk])).status_code == 200
    assert AuditEvent.objects.filter(object_type="registry.user", object_id=str(expert.user.pk)).exists()


def test_sign_ins_are_recorded_with_the_address(expert: ExpertProfile) -> None:
    browser = Client(REMOTE_ADDR="192.0.2.44")
    assert browser.post(reverse("account_login"), {"login": expert.user.email, "password": PASSWORD}).status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert (event.actor_id, event.object_id, event.ip) == (expert.user.pk, str(expert.user.pk), "192.0.2.44")


def test_a_failed_sign_in_is_not_recorded_as_one(expert: ExpertProfile) -> None:
    Client().post(reverse("account_login"), {"login": expert.user.email, "password": "wrong-password"})
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()


@pytest.fixture
def confirmed_with_contact(make_request: Callable[..., Request], expert: ExpertProfile) -> Request:
    req = make_request(status="confirmed")
    ready_expert(expert).give_consent(ConsentPurpose.DIRECT_CONTACT)
    Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="confirmed",
        offer_expires_at=timezone.now(),
    )
    return req


def test_a_units_view_of_an_experts_contact_details_is_recorded(
    client: Client, unit_member: User, expert: ExpertProfile, confirmed_with_contact: Request
) -> None:
    client.force_login(unit_member)
    page = client.get(reverse("engagements:unit-request", args=[confirmed_with_contact.pk])).content.decode()
    assert expert.user.email in page
    event = AuditEvent.objects.get(detail="contact details shown to a unit")
    assert (event.actor_email, event.object_id) == (unit_member.email, str(expert.pk))


def test_without_the_consent_no_contact_details_are_shown_and_nothing_is_recorded(
    client: Client, unit_member: User, expert: ExpertProfile, confirmed_with_contact: Request
) -> None:
    expert.withdraw_consent(ConsentPurpose.DIRECT_CONTACT)
    client.force_login(unit_member)
    page = client.get(reverse("engagements:unit-request", args=[confirmed_with_contact.pk])).content.decode()
    assert expert.user.email not in page
    assert not AuditEvent.objects.filter(detail="contact details shown to a unit").exists()


# Who looked at this expert in March? ---------------------------------------------------------------


@pytest.fixture
def history(expert: ExpertProfile, coordinator: User, unit_member: User) -> dict[str, AuditEvent]:
    march = timezone.make_aware(dt.datetime(2026, 3, 10, 12))
    april = timezone.make_aware(dt.datetime(2026, 4, 2, 9))
    events = {
        "march_view": AuditEvent.record(coordinator, AuditEvent.Action.VIEW, expert),
        "march_contact": AuditEvent.record(
            unit_member, AuditEvent.Action.VIEW, expert, "contact details shown to a unit"
        ),
        "april_login": AuditEvent.record(expert.user, AuditEvent.Action.LOGIN, expert.user),
        "other_expert": AuditEvent.record(coordinator, AuditEvent.Action.VIEW, unit_member),
    }
    for name in ("march_view", "march_contact", "other_expert"):
        move_to(events[name], march)
    move_to(events["april_login"], april)
    return events


def test_coordinator_sees_who_looked_at_the_expert_in_a_month(
    client: Client, coordinator: User, expert: ExpertProfile, unit_member: User, history: dict[str, AuditEvent]
) -> None:
    client.force_login(coordinator)
    response = client.get(reverse("experts:access-log", args=[expert.pk]), {"month": "2026-03"})
    assert response.status_code == 200
    shown = {event.pk for event in response.context["page_obj"]}
    assert shown == {history["march_view"].pk, history["march_contact"].pk}
    page = response.content.decode()
    assert unit_member.email in page and coordinator.email in page
    everything = client.get(reverse("experts:access-log", args=[expert.pk]))
    assert {history["april_login"].pk, history["march_view"].pk} <= {e.pk for e in everything.context["page_obj"]}
    assert history["other_expert"].pk not in {e.pk for e in everything.context["page_obj"]}
    # Looking is itself recorded.
    assert AuditEvent.objects.filter(detail="access log", object_id=str(expert.pk)).count() == 2


def test_the_access_log_includes_the_experts_engagements_and_application(
    client: Client, coordinator: User, expert: ExpertProfile, make_request: Callable[..., Request]
) -> None:
    assignment = Assignment.objects.create(
        request=make_request(),
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        offer_expires_at=timezone.now(),
    )
    event = AuditEvent.record(coordinator, AuditEvent.Action.CHANGE, assignment, "confirmed")
    client.force_login(coordinator)
    response = client.get(reverse("experts:access-log", args=[expert.pk]))
    assert event.pk in {e.pk for e in response.context["page_obj"]}


def test_a_bad_month_is_explained_and_shows_every_month(
    client: Client, coordinator: User, expert: ExpertProfile, history: dict[str, AuditEvent]
) -> None:
    client.force_login(coordinator)
    response = client.get(reverse("experts:access-log", args=[expert.pk]), {"month": "maaliskuu"})
    assert response.status_code == 200
    assert "month" in response.context["form"].errors
    assert len(response.context["page_obj"]) >= 3


@pytest.mark.parametrize("persona", ["expert", "unit_member", "manager"])
def test_only_coordinators_reach_the_access_log(
    client: Client, expert: ExpertProfile, persona: str, request: pytest.FixtureRequest
) -> None:
    user = expert.user if persona == "expert" else request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(reverse("experts:access-log", args=[expert.pk])).status_code == 403


def test_a_coordinator_of_another_region_gets_404(client: Client, expert: ExpertProfile, other_region: Any) -> None:
    other = with_totp(make_user("north@example.test"))
    StaffRole.objects.create(user=other, role=StaffRole.Kind.COORDINATOR, region=other_region)
    client.force_login(other)
    assert client.get(reverse("experts:access-log", args=[expert.pk])).status_code == 404


def test_access_log_queries_do_not_grow_with_events(client: Client, coordinator: User, expert: ExpertProfile) -> None:
    client.force_login(coordinator)
    client.get(reverse("experts:access-log", args=[expert.pk]))  # the session's first-page writes
    for _ in range(3):
        AuditEvent.record(coordinator, AuditEvent.Action.VIEW, expert)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("experts:access-log", args=[expert.pk]))
    for _ in range(60):
        AuditEvent.record(coordinator, AuditEvent.Action.VIEW, expert)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("experts:access-log", args=[expert.pk]))
    # The same number whatever the number of events: about one query per model of the inventory
    # that holds a person's rows (objects_of), which grows only when the inventory does.
    assert len(many) == len(few)
    assert len(few) <= len(inventory()) + 15
