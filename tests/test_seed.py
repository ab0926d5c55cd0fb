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


# The demo's story -------------------------------------------------------------------------------------


def test_seed_tells_the_story() -> None:
    import datetime as dt

    from django.utils import timezone

    from engagements.matching import evaluate
    from engagements.models import Assignment, Debrief, ExpenseClaim, ExpertFeedback, ImpactNote, Request, UnitFeedback
    from engagements.statistics import recent_terms
    from experts.models import Language

    call_command("seed", force=True, verbosity=0)
    today = timezone.localdate()

    # About forty experts across the four areas, in the states a coordinator meets.
    experts = ExpertProfile.objects.all()
    assert 35 <= experts.count() <= 45
    assert set(experts.values_list("home_region__code", flat=True)) == set(
        Region.objects.values_list("code", flat=True)
    )
    assert {"youth", "parent"} <= set(experts.values_list("kind", flat=True))
    by_name = {e.display_name: e for e in experts}
    minors_with_guardian = [e for e in experts if e.is_minor() and e.guardian_consent() is not None]
    assert len(minors_with_guardian) >= 2
    assert any(e.birth_year == today.year - 18 and e.birth_month == today.month for e in experts)  # turning 18
    assert by_name["Pirjo"].pause_until > today  # paused
    assert by_name["Aalto"].exceptions.filter(start_date__lte=today, end_date__gte=today).exists()  # away
    assert by_name["Kuura"].monthly_cap == 1  # at the cap (see the matching below)
    assert by_name["Revontuli"].avoid_units.exists()  # a conflict of interest
    assert by_name["Hilla"].avoid_topics.exists()  # avoids a topic

    # Two region-scoped coordinators besides the whole-area one.
    scoped = StaffRole.objects.coordinators().filter(region__isnull=False)
    assert scoped.count() == 2
    assert StaffRole.objects.coordinators().filter(region__isnull=True, user__email="coordinator@demo.test").exists()

    # Three years of history: every term has held, closed requests with everything that follows.
    for term in recent_terms(today, 6)[:-1]:
        start, end = term.bounds()
        held = Request.objects.filter(ends_at__gte=start, ends_at__lt=end, status="closed")
        assert held.count() >= 5, term.label
        assert UnitFeedback.objects.filter(request__in=held).exists(), term.label
        assert ImpactNote.objects.filter(request__in=held).exists(), term.label
    assert set(Request.objects.values_list("status", flat=True)) == set(Request.Status.values)
    assert set(Request.objects.exclude(programme_theme="").values_list("programme_theme", flat=True)) == {
        "participation",
        "multi_agency",
        "systemic",
    }
    assert ExpertFeedback.objects.exists() and Debrief.objects.exists()
    assert Assignment.objects.filter(fee_paid_at__isnull=False).exists()
    assert (
        ExpenseClaim.objects.filter(status="paid").exists() and ExpenseClaim.objects.filter(status="submitted").exists()
    )

    # A new worker's "visit to a unit" in Kuopio ranks several candidates, each with reasons, and
    # shows why the others are left out.
    unit = Unit.objects.get(name="Lastensuojelun avohuolto, Kuopio")
    day = today + dt.timedelta(days=21)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    starts = timezone.make_aware(dt.datetime.combine(day, dt.time(13)))
    visit = Request.objects.create(
        unit=unit,
        created_by=User.objects.get(email="unit@demo.test"),
        type="visit",
        title="Vierailu",
        purpose="x",
        task="x",
        audience="x",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        contact_name="x",
        contact_email="x@example.test",
        status="submitted",
    )
    visit.languages.set(Language.objects.filter(code="fi"))
    candidates, excluded = evaluate(visit)
    assert len(candidates) >= 5
    assert all(candidate.reasons for candidate in candidates)
    reasons = {str(reason) for exclusion in excluded for reason in exclusion.reasons}
    for expected in (
        "Poissa sinä päivänä",
        "Tauolla",
        "Esteellinen tähän työyksikköön",
        "Kuukauden tehtävämäärä on täynnä",
    ):
        assert expected in reasons, reasons


def test_seed_is_idempotent_for_the_history_too() -> None:
    from engagements.models import Assignment, ExpenseClaim, Request

    call_command("seed", force=True, verbosity=0)
    first = (Request.objects.count(), Assignment.objects.count(), ExpenseClaim.objects.count())
    call_command("seed", force=True, verbosity=0)
    assert (Request.objects.count(), Assignment.objects.count(), ExpenseClaim.objects.count()) == first


def test_generated_requests_keep_their_shape() -> None:
    from engagements.models import Request

    call_command("seed", force=True, requests=40, verbosity=0)
    generated = Request.objects.filter(title__startswith="Generoitu pyyntö")
    assert generated.count() == 40
    assert generated.filter(languages__code="fi").count() == 40


def test_seeding_generated_data_ends_with_analyze(settings: Any) -> None:
    """Bulk loads leave the planner with stale row estimates; seed refreshes them (issue 10)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.DEBUG = True
    with CaptureQueriesContext(connection) as captured:
        call_command("seed", experts=3, requests=3, verbosity=0)
    assert captured.captured_queries[-1]["sql"] == "ANALYZE"
