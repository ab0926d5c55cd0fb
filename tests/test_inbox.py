"""The coordinator's inbox: only their regions' requests, and filter choices from their regions only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from registry.models import Region, StaffRole, Unit, User
from tests.conftest import make_user, with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def regional_coordinator(region: Region) -> User:
    user = with_totp(make_user("regional-coordinator@example.test"))
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=region)
    return user


def test_regional_coordinators_filter_offers_only_their_regions_and_units(
    client: Client, regional_coordinator: User, unit: Unit, other_unit: Unit, make_request: Any
) -> None:
    make_request(status="submitted", title="Oma pyyntö")
    make_request(status="submitted", title="Toisen alueen pyyntö", unit=other_unit)
    client.force_login(regional_coordinator)
    response = client.get(reverse("engagements:inbox"))
    filters = response.context["filter"].form.fields
    assert list(filters["unit"].queryset) == [unit]
    assert list(filters["region"].queryset) == [unit.region]
    page = response.content.decode()
    assert unit.name in page and "Oma pyyntö" in page
    assert other_unit.name not in page and "Toisen alueen pyyntö" not in page
    assert other_unit.region.name not in page


def test_choosing_a_unit_outside_the_region_shows_nothing_of_it(
    client: Client, regional_coordinator: User, other_unit: Unit, make_request: Any
) -> None:
    make_request(status="submitted", title="Toisen alueen pyyntö", unit=other_unit)
    client.force_login(regional_coordinator)
    response = client.get(reverse("engagements:inbox"), {"unit": other_unit.pk})
    assert response.status_code == 200
    assert "Toisen alueen pyyntö" not in response.content.decode()
    assert response.context["filter"].form.errors["unit"]


def test_area_wide_coordinator_chooses_among_every_unit_and_region(
    client: Client, coordinator: User, unit: Unit, other_unit: Unit
) -> None:
    client.force_login(coordinator)
    filters = client.get(reverse("engagements:inbox")).context["filter"].form.fields
    assert set(filters["unit"].queryset) == {unit, other_unit}
    assert set(filters["region"].queryset) == {unit.region, other_unit.region}
