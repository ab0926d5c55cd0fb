"""Routine coordinator and admin tasks in the service: conflicts of interest on the expert's page,
and coordinators' and managers' roles and scopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from engagements.matching import evaluate
from engagements.models import Request
from experts.models import ExpertProfile
from registry.models import AuditEvent, Municipality, Region, StaffRole, Unit, User
from tests.conftest import make_user, ready_expert, with_totp

pytestmark = pytest.mark.django_db


# Conflicts of interest -------------------------------------------------------------------------------


def test_coordinator_sets_units_and_municipalities_never_to_send_the_expert_to(
    client: Client,
    coordinator: User,
    expert: ExpertProfile,
    unit: Unit,
    other_unit: Unit,
    make_request: Callable[..., Request],
) -> None:
    ready_expert(expert)
    town = Municipality.objects.create(region=unit.region, name="Kuopio")
    req = make_request(status="matching")
    candidates, _excluded = evaluate(req)
    assert expert in [c.expert for c in candidates]

    client.force_login(coordinator)
    page = client.get(reverse("experts:expert", args=[expert.pk]))
    assert page.status_code == 200
    assert reverse("experts:expert-exclusions", args=[expert.pk]) in page.content.decode()
    response = client.post(
        reverse("experts:expert-exclusions", args=[expert.pk]),
        {"avoid_units": [str(unit.pk)], "avoid_municipalities": [str(town.pk)]},
    )
    assert response.status_code == 302
    assert list(expert.avoid_units.all()) == [unit]
    assert list(expert.avoid_municipalities.all()) == [town]
    assert AuditEvent.objects.filter(
        actor=coordinator, object_id=str(expert.pk), detail="conflicts of interest updated"
    ).exists()
    candidates, _excluded = evaluate(req)
    assert expert not in [c.expert for c in candidates]
    page = client.get(reverse("experts:expert", args=[expert.pk])).content.decode()
    assert unit.name in page and "Kuopio" in page

    # Clearing them is one post too.
    client.post(reverse("experts:expert-exclusions", args=[expert.pk]), {})
    assert not expert.avoid_units.exists() and not expert.avoid_municipalities.exists()


def test_exclusions_refuse_unknown_units_and_keep_the_old_ones(
    client: Client, coordinator: User, expert: ExpertProfile, unit: Unit
) -> None:
    expert.avoid_units.set([unit])
    client.force_login(coordinator)
    response = client.post(reverse("experts:expert-exclusions", args=[expert.pk]), {"avoid_units": ["999999"]})
    assert response.status_code == 400
    assert response.context["exclusions_form"].errors["avoid_units"]
    assert list(expert.avoid_units.all()) == [unit]


def test_exclusions_of_an_expert_outside_the_coordinators_regions_are_not_found(
    client: Client, other_region: Region, expert: ExpertProfile, unit: Unit
) -> None:
    regional = with_totp(make_user("regional@example.test"))
    StaffRole.objects.create(user=regional, role=StaffRole.Kind.COORDINATOR, region=other_region)
    client.force_login(regional)
    response = client.post(reverse("experts:expert-exclusions", args=[expert.pk]), {"avoid_units": [str(unit.pk)]})
    assert response.status_code == 404
    assert not expert.avoid_units.exists()


# Staff roles ---------------------------------------------------------------------------------------


@pytest.fixture
def regional_coordinator(other_region: Region) -> User:
    user = with_totp(make_user("regional@example.test"))
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=other_region)
    return user


@pytest.mark.parametrize("who", ["coordinator", "admin_user"])
def test_admin_or_area_wide_coordinator_gives_a_regional_scope(
    client: Client, request: pytest.FixtureRequest, who: str, region: Region, unit_member: User
) -> None:
    actor = request.getfixturevalue(who)
    client.force_login(actor)
    assert client.get(reverse("staff-roles")).status_code == 200
    response = client.post(
        reverse("staff-roles"), {"email": unit_member.email.upper(), "role": "coordinator", "region": str(region.pk)}
    )
    assert response.status_code == 302
    role = StaffRole.objects.get(user=unit_member)
    assert (role.role, role.region) == ("coordinator", region)
    assert AuditEvent.objects.filter(actor=actor, object_type="registry.staffrole", object_id=str(role.pk)).exists()
    # The same role twice is refused with a message, not an error page.
    again = client.post(
        reverse("staff-roles"), {"email": unit_member.email, "role": "coordinator", "region": region.pk}
    )
    assert again.status_code == 400
    assert StaffRole.objects.filter(user=unit_member).count() == 1


def test_a_new_person_gets_an_account_and_a_password_link(
    client: Client, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff-roles"), {"email": "Uusi.Koordinaattori@Example.test", "role": "manager"})
    assert response.status_code == 302
    user = User.objects.get(email="uusi.koordinaattori@example.test")
    assert not user.has_usable_password()
    assert StaffRole.objects.get(user=user).region is None
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert "/accounts/password/reset/key/" in message.body


def test_removing_a_role_and_never_ones_own(client: Client, coordinator: User, regional_coordinator: User) -> None:
    client.force_login(coordinator)
    other = StaffRole.objects.get(user=regional_coordinator)
    assert client.post(reverse("staff-role-remove", args=[other.pk])).status_code == 302
    assert not StaffRole.objects.filter(pk=other.pk).exists()
    own = StaffRole.objects.get(user=coordinator)
    client.post(reverse("staff-role-remove", args=[own.pk]))
    assert StaffRole.objects.filter(pk=own.pk).exists()


def test_regional_coordinator_cannot_manage_roles(
    client: Client, regional_coordinator: User, region: Region, coordinator: User
) -> None:
    client.force_login(regional_coordinator)
    assert client.get(reverse("staff-roles")).status_code == 403
    response = client.post(
        reverse("staff-roles"), {"email": regional_coordinator.email, "role": "coordinator", "region": ""}
    )
    assert response.status_code == 403
    assert client.post(reverse("staff-role-remove", args=[coordinator.staff_roles.get().pk])).status_code == 403
    assert StaffRole.objects.filter(user=regional_coordinator).count() == 1
    assert StaffRole.objects.filter(user=coordinator).exists()


def test_staff_page_link_shows_only_to_those_who_may_use_it(
    client: Client, coordinator: User, regional_coordinator: User
) -> None:
    client.force_login(coordinator)
    assert reverse("staff-roles") in client.get(reverse("experts:expert-list")).content.decode()
    client.force_login(regional_coordinator)
    assert reverse("staff-roles") not in client.get(reverse("experts:expert-list")).content.decode()


def test_staff_page_queries_are_bounded(
    client: Client, coordinator: User, django_assert_max_num_queries: Any, other_region: Region
) -> None:
    for n in range(10):
        StaffRole.objects.create(user=make_user(f"staff{n}@example.test"), role="manager", region=other_region)
    client.force_login(coordinator)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("staff-roles")).status_code == 200


# The programme theme -------------------------------------------------------------------------------


def test_coordinator_classifies_a_request_for_the_programme_report(
    client: Client, coordinator: User, make_request: Callable[..., Request], regional_coordinator: User
) -> None:
    req = make_request()
    client.force_login(coordinator)
    page = client.get(reverse("engagements:coordinator-request", args=[req.pk])).content.decode()
    assert reverse("engagements:programme-theme", args=[req.pk]) in page
    assert page.count('id="decline-reason"') == 1 and page.count('id="cancel-reason"') == 1  # no duplicate ids
    response = client.post(reverse("engagements:programme-theme", args=[req.pk]), {"programme_theme": "systemic"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.programme_theme == "systemic"
    bad = client.post(reverse("engagements:programme-theme", args=[req.pk]), {"programme_theme": "nonsense"})
    assert bad.status_code == 400
    req.refresh_from_db()
    assert req.programme_theme == "systemic"
    # A coordinator of another area does not find the request at all.
    client.force_login(regional_coordinator)
    response = client.post(reverse("engagements:programme-theme", args=[req.pk]), {"programme_theme": ""})
    assert response.status_code == 404
