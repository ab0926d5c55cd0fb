"""Demo data of the request flow: one request in every state, what comes after the engagement,
and generated requests for scale tests and statistics. Part of `manage.py seed`."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from engagements.models import (
    ROLE_FOR_TYPE,
    Assignment,
    Debrief,
    ExpenseClaim,
    ExpertFeedback,
    ImpactNote,
    KilometreRate,
    Request,
    UnitFeedback,
)
from experts.models import EngagementRole, ExpertProfile, Language, Theme
from registry.demo import account
from registry.models import Unit, UnitMembership, User


def seed_requests(units: dict[str, Unit]) -> None:
    """One request in every state, so every page of the flow has something to show."""
    unit = units["Lastensuojelun avohuolto, Kuopio"]
    other = units["Nuorisokoti Lieksa"]
    member = User.objects.get(email="unit@demo.test")
    member2 = User.objects.get(email="unit2@demo.test")
    tuuli = ExpertProfile.objects.get(user__email="expert@demo.test")
    marja = ExpertProfile.objects.get(user__email="expert2@demo.test")
    coordinator = User.objects.get(email="coordinator@demo.test")
    today = timezone.localdate()

    def at(days: int, hour: int = 13) -> dt.datetime:
        day = today + dt.timedelta(days=days)
        # Demo experts are available on weekday afternoons and evenings: keep to weekdays.
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))

    rows: list[dict[str, Any]] = [
        {"title": "Nuorten ääni perhetyön kehittämispäivässä", "status": "draft", "type": "speaker", "days": 40},
        {"title": "Paneelikeskustelu sijaishuollon arjesta", "status": "submitted", "type": "panel", "days": 30},
        {
            "title": "Vierailu nuorisokodin henkilökunnan tiimiin",
            "status": "matching",
            "type": "visit",
            "days": 25,
            "unit": other,
            "by": member2,
        },
        {
            "title": "Jälkihuollon kehittämistyöpaja",
            "status": "offered",
            "type": "workshop",
            "days": 21,
            "offer": [(tuuli, "offered")],
        },
        {
            "title": "Koulutuspäivä: nuoren kohtaaminen",
            "status": "confirmed",
            "type": "co_training",
            "days": 14,
            "offer": [(tuuli, "confirmed")],
            "wished_kind": "youth",
        },
        {
            "title": "Toimintakorttien selkokielisyyden kommentointi",
            "status": "matching",
            "type": "material_review",
            "review": True,
        },
        {
            "title": "Vanhempien kokemukset huostaanotosta",
            "status": "completed",
            "type": "speaker",
            "days": -10,
            "offer": [(marja, "attended")],
            "wished_kind": "parent",
        },
        {
            "title": "Ohjausryhmän kokous, kevät",
            "status": "closed",
            "type": "working_group",
            "days": -60,
            "offer": [(tuuli, "attended")],
        },
        {
            "title": "Peruttu tiimivierailu",
            "status": "cancelled",
            "type": "visit",
            "days": 9,
            "reason": "Tiimin aikataulut muuttuivat.",
        },
        {
            "title": "Haastattelu arviointitutkimukseen",
            "status": "declined",
            "type": "interview",
            "days": 5,
            "reason": "Emme löytäneet tähän sopivaa kokemusasiantuntijaa näin nopeasti.",
        },
    ]
    finnish = Language.objects.get(code="fi")
    themes = list(Theme.objects.filter(code__in=["foster_care", "aftercare"]))
    for row in rows:
        if Request.objects.filter(title=row["title"]).exists():
            continue
        starts = None if row.get("review") else at(row["days"])
        req = Request.objects.create(
            unit=row.get("unit", unit),
            created_by=row.get("by", member),
            type=row["type"],
            title=row["title"],
            purpose="Haluamme kuulla, miltä palvelumme näyttävät asiakkaan silmin, ja muuttaa käytäntöjämme.",
            task="Kerro omasta kokemuksestasi ja keskustele työntekijöiden kanssa.",
            audience="Lastensuojelun sosiaalityöntekijät ja ohjaajat",
            audience_size=35,
            wished_kind=row.get("wished_kind", "either"),
            format="remote" if row.get("review") else "in_person",
            place="" if row.get("review") else "Kuopion kaupungintalo, Suokatu 42",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2) if starts else None,
            deadline=today + dt.timedelta(days=20) if row.get("review") else None,
            estimated_hours=4 if row.get("review") else None,
            contact_name="Sari Sosiaalityöntekijä",
            contact_email="unit@demo.test",
            status=row["status"],
            status_reason=row.get("reason", ""),
            submitted_at=None if row["status"] == "draft" else timezone.now() - dt.timedelta(days=7),
            confirmed_at=timezone.now() - dt.timedelta(days=3)
            if row["status"] in ("confirmed", "completed", "closed")
            else None,
        )
        req.languages.set([finnish])
        req.themes.set(themes)
        for expert, status in row.get("offer", []):
            Assignment.objects.create(
                request=req,
                expert=expert,
                role=EngagementRole.objects.get(code=ROLE_FOR_TYPE.get(req.type, "speaker")),
                status=status,
                offered_by=coordinator,
                offer_expires_at=timezone.now() + dt.timedelta(days=3)
                if status == "offered"
                else timezone.now() - dt.timedelta(days=5),
                confirmed_at=None if status == "offered" else timezone.now() - dt.timedelta(days=3),
            )


def seed_after_states() -> None:
    """Past engagements in every after-state: waiting for feedback, closed with everything in,
    a debrief to hold, expense claims waiting, approved and paid."""
    coordinator = User.objects.get(email="coordinator@demo.test")
    unit_member = User.objects.get(email="unit@demo.test")
    now = timezone.now()
    closed = Request.objects.get(title="Ohjausryhmän kokous, kevät")
    completed = Request.objects.get(title="Vanhempien kokemukset huostaanotosta")
    for req in (closed, completed):
        if req.completed_at is None:
            req.completed_at = req.ends_at + dt.timedelta(days=1)
            req.save(update_fields=["completed_at"])
        req.assignments.filter(attendance_marked_at__isnull=True).update(
            attendance_marked_at=req.ends_at + dt.timedelta(days=1), fee=Decimal("100.00")
        )
    tuuli_there = closed.assignments.get()
    UnitFeedback.objects.get_or_create(
        request=closed,
        defaults={
            "participants": 14,
            "usefulness": 5,
            "take_forward": "Otamme nuoren edustajan mukaan ohjausryhmään pysyvästi.",
            "invite_again": True,
            "given_by": unit_member,
        },
    )
    ExpertFeedback.objects.get_or_create(
        assignment=tuuli_there,
        defaults={"how_it_went": 4, "heard": 5, "respected": 5, "preparation": 3, "free_text": "Hyvä kokous."},
    )
    ImpactNote.objects.get_or_create(
        request=closed,
        defaults={
            "text": "Ohjausryhmä päätti, että jokaisessa kokouksessa on kokemusasiantuntijan puheenvuoro. "
            "Lisäksi sijaishuollon esite kirjoitetaan uudelleen selkokielellä.",
            "written_by": unit_member,
        },
    )
    marja_there = completed.assignments.get()
    feedback, _created = ExpertFeedback.objects.get_or_create(
        assignment=marja_there,
        defaults={
            "how_it_went": 2,
            "heard": 3,
            "respected": 4,
            "preparation": 2,
            "free_text": "Kysymykset menivät henkilökohtaisiksi.",
            "wants_debrief": True,
        },
    )
    Debrief.objects.get_or_create(assignment=marja_there, defaults={"reason": Debrief.Reason.REQUESTED})
    if not ExpenseClaim.objects.exists():
        rate = KilometreRate.in_force(timezone.localdate()) or Decimal("0.59")
        ExpenseClaim.objects.create(
            assignment=marja_there, kind="km", kilometres=Decimal("84"), km_rate=rate, amount=84 * rate
        )
        ExpenseClaim.objects.create(
            assignment=tuuli_there,
            kind="km",
            kilometres=Decimal("32"),
            km_rate=rate,
            amount=32 * rate,
            status="approved",
            decided_by=coordinator,
            decided_at=now,
        )
        # An earlier engagement's fee and expenses already went to payroll.
        ExpenseClaim.objects.create(
            assignment=tuuli_there,
            kind="km",
            description="Edellinen kokous",
            kilometres=Decimal("30"),
            km_rate=rate,
            amount=30 * rate,
            status="paid",
            decided_by=coordinator,
            decided_at=now - dt.timedelta(days=30),
            paid_at=now - dt.timedelta(days=20),
        )


def seed_generated_requests(count: int) -> None:
    """Many requests over two years across all units, for scale tests and statistics."""
    rng = random.Random(1234)
    now = timezone.now()
    units = list(Unit.objects.all())
    creators = {m.unit_id: m.user_id for m in UnitMembership.objects.approved()}
    for unit in units:
        if unit.pk not in creators:
            # Every unit gets a worker of its own, so requests are made by members only.
            member = account(f"unit-{unit.pk}@demo.test", first_name="Työntekijä", last_name=str(unit.pk))
            UnitMembership.objects.get_or_create(user=member, unit=unit, defaults={"approved_at": now})
            creators[unit.pk] = member.pk
    finnish = Language.objects.get(code="fi")
    statuses = ["submitted", "matching", "offered", "confirmed", "completed", "closed", "cancelled", "declined"]
    start_index = Request.objects.filter(title__startswith="Generoitu pyyntö").count()
    batch = []
    for i in range(start_index, start_index + count):
        unit = units[i % len(units)]
        offset = dt.timedelta(days=rng.randint(-700, 90))
        day = timezone.localdate(now + offset)
        starts = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(9, 15))))
        status = rng.choice(statuses[:4] if offset.days > 0 else statuses[4:])
        batch.append(
            Request(
                unit=unit,
                created_by_id=creators[unit.pk],
                type=rng.choice(list(ROLE_FOR_TYPE)),
                title=f"Generoitu pyyntö {i + 1}",
                purpose="Kehittämistyö",
                task="Osallistuminen",
                audience="Työntekijät",
                audience_size=rng.randint(5, 200),
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=2),
                place="Kokoustila",
                contact_name="Demo",
                contact_email="unit@demo.test",
                status=status,
                created_at=starts - dt.timedelta(days=30),
                submitted_at=starts - dt.timedelta(days=29),
                confirmed_at=starts - dt.timedelta(days=10) if status in ("confirmed", "completed", "closed") else None,
            )
        )
    Request.objects.bulk_create(batch, batch_size=2000)
    created = list(Request.objects.filter(title__startswith="Generoitu pyyntö").order_by("-pk")[:count])
    Request.languages.through.objects.bulk_create(
        [Request.languages.through(request_id=r.pk, language_id=finnish.pk) for r in created], batch_size=2000
    )
    experts = list(ExpertProfile.objects.filter(status=ExpertProfile.Status.ACTIVE).values_list("pk", flat=True))
    role = EngagementRole.objects.get(code="speaker")
    assignments = []
    for req in created:
        if req.status in ("confirmed", "completed", "closed") and experts:
            assignments.append(
                Assignment(
                    request_id=req.pk,
                    expert_id=rng.choice(experts),
                    role=role,
                    status="confirmed" if req.status == "confirmed" else "attended",
                    offer_expires_at=req.confirmed_at,
                    confirmed_at=req.confirmed_at,
                )
            )
    Assignment.objects.bulk_create(assignments, batch_size=2000)
