"""The shared core: roles, scopes, the append-only audit log, manager figures."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from registry.models import AuditEvent, Role, StaffRole, User, regions_in_scope
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_audit_events_are_append_only(expert: Any, coordinator: User) -> None:
    event = AuditEvent.record(None, AuditEvent.Action.VIEW, expert)
    assert event.object_type == "experts.expertprofile"
    event.detail = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.get().detail == ""


def test_admin_cannot_change_or_delete_audit_events(client: Client, admin_user: User, expert: Any) -> None:
    event = AuditEvent.record(None, AuditEvent.Action.EXPORT, expert)
    client.force_login(admin_user)
    assert client.get(reverse("admin:registry_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:registry_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:registry_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_roles_are_derived_from_records(expert: Any, unit_member: User, coordinator: User, admin_user: User) -> None:
    assert expert.user.roles() == [Role.EXPERT]
    assert unit_member.roles() == [Role.UNIT]
    assert coordinator.roles() == [Role.COORDINATOR]
    assert admin_user.roles() == [Role.ADMIN]
    assert expert.user.requires_mfa() is False
    assert coordinator.requires_mfa() is True


def test_regional_coordinator_scope(region: Any, other_region: Any) -> None:
    user = make_user()
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=region)
    assert list(regions_in_scope(user, StaffRole.Kind.COORDINATOR)) == [region]
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=None)
    assert regions_in_scope(user, StaffRole.Kind.COORDINATOR) is None


def test_manager_sees_small_counts_suppressed(client: Client, manager: User, make_expert: Any) -> None:
    make_expert(kind="parent")
    make_expert(kind="parent")
    for _ in range(4):
        make_expert(kind="youth")
    client.force_login(manager)
    response = client.get(reverse("engagements:manager-home"))
    rows = dict(response.context["expert_rows"])
    assert rows == {"Young person": "4", "Parent": "<3"} or set(rows.values()) == {"4", "<3"}
    assert "&lt;3" in response.content.decode()
    # No expert's identity reaches the manager.
    assert "Expert " not in response.content.decode()


def test_regional_manager_counts_only_their_region(
    client: Client, make_expert: Any, region: Any, other_region: Any
) -> None:
    manager = make_user()
    StaffRole.objects.create(user=manager, role=StaffRole.Kind.MANAGER, region=other_region)
    from tests.conftest import with_totp

    with_totp(manager)
    for _ in range(5):
        make_expert(kind="youth", home_region=region)
    client.force_login(manager)
    rows = dict(client.get(reverse("engagements:manager-home")).context["expert_rows"])
    assert set(rows.values()) == {"0"}


@pytest.mark.parametrize(
    "view",
    ["engagements:coordinator-home", "engagements:manager-home", "engagements:expert-home", "engagements:unit-home"],
)
def test_home_pages_have_bounded_queries(
    client: Client,
    personas: dict[str, User],
    make_expert: Any,
    make_unit: Any,
    django_assert_max_num_queries: Any,
    view: str,
) -> None:
    user = {
        "engagements:coordinator-home": personas["coordinator"],
        "engagements:manager-home": personas["manager"],
        "engagements:expert-home": personas["expert"],
        "engagements:unit-home": personas["unit_member"],
    }[view]
    client.force_login(user)
    with django_assert_max_num_queries(30):
        client.get(reverse(view))
    for _ in range(20):
        make_expert()
        make_unit()
    with django_assert_max_num_queries(30):
        assert client.get(reverse(view)).status_code == 200
