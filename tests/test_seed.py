"""`manage.py seed`: deterministic, idempotent demo data with one account per role."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from experts.models import ExpertProfile
from registry.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from registry.models import Municipality, Organisation, Region, Role, StaffRole, Unit, UnitMembership, User
from tests.conftest import totp_code

pytestmark = pytest.mark.django_db

DEMO_ROLES = {
    "expert@demo.test": Role.EXPERT,
    "expert2@demo.test": Role.EXPERT,
    "unit@demo.test": Role.UNIT,
    "unit2@demo.test": Role.UNIT,
    "coordinator@demo.test": Role.COORDINATOR,
    "manager@demo.test": Role.MANAGER,
    "admin@demo.test": Role.ADMIN,
}


def counts() -> dict[str, int]:
    models = [User, Region, Municipality, Organisation, Unit, UnitMembership, StaffRole, ExpertProfile, Authenticator]
    return {model.__name__: model.objects.count() for model in models}


def test_seed_refuses_without_debug(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed", verbosity=0)
    assert User.objects.count() == 0


def test_seed_is_idempotent(settings: Any) -> None:
    call_command("seed", force=True, verbosity=0)
    first = counts()
    call_command("seed", force=True, verbosity=0)
    assert counts() == first
    assert first["Region"] == 4
    assert set(Region.objects.values_list("name", flat=True)) == {
        "Etelä-Savon hyvinvointialue",
        "Keski-Suomen hyvinvointialue",
        "Pohjois-Karjalan hyvinvointialue",
        "Pohjois-Savon hyvinvointialue",
    }
    assert {"Kuopion kaupunki", "Pesäpuu ry", "Suomen Kasper ry"} <= set(
        Organisation.objects.values_list("name", flat=True)
    )
    assert len(set(Unit.objects.values_list("sector", flat=True))) == len(Unit.Sector.choices)


def test_every_demo_account_signs_in_with_its_role() -> None:
    call_command("seed", force=True, verbosity=0)
    for email, role in DEMO_ROLES.items():
        user = authenticate(email=email, password=DEMO_PASSWORD)
        assert user is not None, email
        assert role in user.roles(), email
    assert User.objects.get(email="unit@demo.test").unit_memberships.get().unit != (
        User.objects.get(email="unit2@demo.test").unit_memberships.get().unit
    )


def test_staff_demo_accounts_have_the_documented_totp_secret() -> None:
    call_command("seed", force=True, verbosity=0)
    assert len(DEMO_TOTP_SECRET) * 5 == 160
    for email in ["coordinator@demo.test", "manager@demo.test", "admin@demo.test"]:
        authenticator = Authenticator.objects.get(user__email=email, type=Authenticator.Type.TOTP)
        assert TOTP(authenticator).validate_code(totp_code(DEMO_TOTP_SECRET)), email
    assert not Authenticator.objects.filter(user__email="expert@demo.test").exists()


def test_generated_experts_scale_and_stay_deterministic() -> None:
    call_command("seed", force=True, experts=30, verbosity=0)
    generated = ExpertProfile.objects.filter(user__email__startswith="expert-")
    assert generated.count() == 30
    names = list(generated.order_by("user__email").values_list("display_name", "kind", "birth_year"))
    call_command("seed", force=True, experts=30, verbosity=0)
    assert list(generated.order_by("user__email").values_list("display_name", "kind", "birth_year")) == names
