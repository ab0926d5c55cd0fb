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
    ReviewComment,
    UnitFeedback,
)
from experts.models import EngagementRole, ExpertProfile, Language, Theme
from registry.demo import account
from registry.models import Unit, UnitMembership, User

# How the coordinators classified the requests for the programme's report.
PROGRAMME_FOR_TYPE = {
    "visit": "participation",
    "speaker": "multi_agency",
    "panel": "multi_agency",
    "workshop": "systemic",
    "co_training": "systemic",
    "material_review": "participation",
    "working_group": "multi_agency",
    "interview": "participation",
}


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
            programme_theme=PROGRAMME_FOR_TYPE.get(row["type"], ""),
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
                role=EngagementRole.objects.get(code=ROLE_CODES.get(req.type, "speaker")),
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
        ends = req.ends_at
        assert ends is not None  # both are events with a time, seeded by seed_requests
        if req.completed_at is None:
            req.completed_at = ends + dt.timedelta(days=1)
            req.save(update_fields=["completed_at"])
        req.assignments.filter(attendance_marked_at__isnull=True).update(
            attendance_marked_at=ends + dt.timedelta(days=1), fee=Decimal("100.00")
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


# Three years of history ------------------------------------------------------------------------------

# What units asked for over the years: (type, title, programme theme, audience, typical audience).
HISTORY_REQUESTS: list[tuple[str, str, str, str, tuple[int, int]]] = [
    ("visit", "Vierailu tiimipalaveriin: nuoren kokemus sijoituksesta", "participation", "Tiimin työntekijät", (6, 14)),
    ("visit", "Vierailu nuorisokotiin: arjen säännöt nuoren silmin", "participation", "Ohjaajat ja nuoret", (8, 20)),
    ("visit", "Vierailu perhetyön tiimiin: mikä auttoi perhettämme", "participation", "Perhetyöntekijät", (5, 12)),
    ("speaker", "Puheenvuoro lastensuojelupäivillä", "multi_agency", "Alueen ammattilaiset", (80, 220)),
    ("speaker", "Puheenvuoro koulujen oppilashuoltopäivässä", "multi_agency", "Oppilashuollon henkilöstö", (40, 120)),
    ("panel", "Paneeli: jälkihuolto ja itsenäistyminen", "multi_agency", "Sosiaali- ja nuorisotyö", (60, 180)),
    ("panel", "Paneeli: vanhemmat mukaan sijoituksen aikana", "systemic", "Sijaishuollon työntekijät", (30, 90)),
    (
        "workshop",
        "Kehittämistyöpaja: asiakkaan osallisuus suunnitelmissa",
        "systemic",
        "Kehittäjät ja esihenkilöt",
        (15, 40),
    ),
    ("working_group", "Ohjausryhmä: monialainen perhekeskus", "multi_agency", "Ohjausryhmän jäsenet", (10, 25)),
    ("co_training", "Yhteiskoulutus: systeeminen työote ja kokemustieto", "systemic", "Sosiaalityöntekijät", (20, 60)),
    ("co_training", "Koulutus uusille työntekijöille: nuoren kohtaaminen", "systemic", "Uudet työntekijät", (12, 35)),
    ("material_review", "Asiakaskirjeiden kommentointi selkokielelle", "participation", "", (0, 0)),
    ("interview", "Arviointihaastattelu: palvelujen saavutettavuus", "participation", "Arvioijat", (2, 4)),
]
HISTORY_TITLES = {row[1] for row in HISTORY_REQUESTS}
TAKE_FORWARD = [
    "Kirjaamme jatkossa nuoren oman näkemyksen suunnitelmaan hänen omin sanoin.",
    "Otamme vanhemmat mukaan verkostopalaveriin jo ennen sijoitusta.",
    "Lyhennämme asiakaskirjeet ja kirjoitamme ne selkokielellä.",
    "Järjestämme nuorille oman palautekanavan.",
    "Tiimi sopi, että jokainen sijoitus aloitetaan tutustumiskäynnillä.",
]
IMPACT = [
    "Yksikkö muutti tulotapaamisen käytäntöä: nuori saa nyt itse kertoa, mitä hänen on tärkeää tietää.",
    "Ohjausryhmä päätti ottaa kokemusasiantuntijan pysyväksi jäseneksi.",
    "Asiakaskirjeet uudistettiin kommenttien pohjalta ja niitä testataan nuorilla.",
    "Koulutuksesta tehtiin pysyvä osa uusien työntekijöiden perehdytystä.",
]
ROLE_CODES = {t.value: code for t, code in ROLE_FOR_TYPE.items()}


def seed_history(units: dict[str, Unit]) -> None:
    """Three years of requests across the area, term by term, in the states they end in: held and
    closed (feedback both ways, impact notes, fees paid and expenses claimed), closed with something
    missing, cancelled, declined, and recent ones still waiting for feedback; a few declined offers
    and debriefs. Deterministic, bulk-created (a few hundred rows), and made once."""
    if Request.objects.filter(title__in=HISTORY_TITLES).exists():
        return
    rng = random.Random(2023)
    now = timezone.now()
    today = timezone.localdate()
    coordinator = User.objects.get(email="coordinator@demo.test")
    creators = {m.unit_id: m.user for m in UnitMembership.objects.approved().select_related("user")}
    unit_list = [unit for unit in units.values() if unit.pk in creators]
    experts = list(
        ExpertProfile.objects.filter(status=ExpertProfile.Status.ACTIVE, consent_records__isnull=False)
        .exclude(monthly_cap__isnull=False)
        .distinct()
        .prefetch_related("travel_regions", "roles")
    )
    reach = {e.pk: {e.home_region_id, *(r.pk for r in e.travel_regions.all())} for e in experts}
    takes = {e.pk: {r.code for r in e.roles.all()} for e in experts}
    roles = {role.code: role for role in EngagementRole.objects.all()}
    finnish = Language.objects.get(code="fi")
    themes = list(Theme.objects.all())
    rate = Decimal("0.57")

    requests: list[Request] = []
    plans: list[dict[str, Any]] = []
    first_day = today - dt.timedelta(days=3 * 365)
    day = first_day
    while day < today - dt.timedelta(days=3):
        day += dt.timedelta(days=rng.randint(3, 9))
        if day.weekday() >= 5 or day >= today - dt.timedelta(days=2):
            continue
        kind, title, programme, audience, size = rng.choice(HISTORY_REQUESTS)
        unit = rng.choice(unit_list)
        starts = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.choice([9, 10, 13, 14]))))
        hours = 2 if kind != "co_training" else 3
        ended_days_ago = (today - day).days
        roll = rng.random()
        if ended_days_ago < 45 and roll < 0.7:
            status = Request.Status.COMPLETED  # feedback or the impact note still to come
        elif roll < 0.06:
            status = Request.Status.CANCELLED
        elif roll < 0.11:
            status = Request.Status.DECLINED
        else:
            status = Request.Status.CLOSED
        submitted = starts - dt.timedelta(days=rng.randint(20, 60))
        confirmed = submitted + dt.timedelta(days=rng.randint(3, 18))
        review = kind == "material_review"
        obj = Request(
            unit=unit,
            created_by=creators[unit.pk],
            type=kind,
            title=title,
            purpose="Haluamme kuulla, miltä palvelumme näyttävät asiakkaan silmin, ja muuttaa käytäntöjämme.",
            task="Kerro omasta kokemuksestasi ja keskustele työntekijöiden kanssa.",
            audience=audience or "Yksikön työntekijät",
            audience_size=rng.randint(*size) if size[1] else None,
            experts_needed=2 if kind in ("panel", "co_training") else 1,
            format=Request.Format.REMOTE if review else Request.Format.IN_PERSON,
            place="" if review else f"{unit.name}, kokoustila",
            starts_at=None if review else starts,
            ends_at=None if review else starts + dt.timedelta(hours=hours),
            deadline=day if review else None,
            estimated_hours=Decimal("4") if review else None,
            contact_name=creators[unit.pk].get_full_name(),
            contact_email=creators[unit.pk].email,
            status=status,
            status_reason={
                Request.Status.CANCELLED: "Tilaisuus siirtyi, uusi pyyntö tulee myöhemmin.",
                Request.Status.DECLINED: "Sopivaa kokemusasiantuntijaa ei löytynyt tähän aikaan.",
            }.get(status, ""),
            programme_theme=programme,
            created_at=submitted - dt.timedelta(days=1),
            submitted_at=submitted,
            confirmed_at=confirmed if status in (Request.Status.COMPLETED, Request.Status.CLOSED) else None,
            completed_at=starts + dt.timedelta(hours=hours, days=1)
            if status in (Request.Status.COMPLETED, Request.Status.CLOSED)
            else None,
            closed_at=starts + dt.timedelta(days=rng.randint(20, 50))
            if status in (Request.Status.CLOSED, Request.Status.CANCELLED, Request.Status.DECLINED)
            else None,
            feedback_reminders=1 if status == Request.Status.COMPLETED else 0,
        )
        requests.append(obj)
        plans.append({"roll": rng.random(), "incomplete": rng.random() < 0.1, "themes": rng.sample(themes, 2)})
    Request.objects.bulk_create(requests)
    # bulk_create skips save(): a review ends at the end of its deadline day (see Request.save).
    for obj in requests:
        if obj.deadline and not obj.starts_at:
            obj.ends_at = timezone.make_aware(dt.datetime.combine(obj.deadline, dt.time(23, 59)))
    Request.objects.bulk_update([r for r in requests if r.deadline], ["ends_at"])
    Request.languages.through.objects.bulk_create(
        [Request.languages.through(request_id=r.pk, language_id=finnish.pk) for r in requests]
    )
    Request.themes.through.objects.bulk_create(
        [
            Request.themes.through(request_id=r.pk, theme_id=t.pk)
            for r, plan in zip(requests, plans, strict=True)
            for t in plan["themes"]
        ]
    )

    assignments: list[Assignment] = []
    unit_feedback: list[UnitFeedback] = []
    impact_notes: list[ImpactNote] = []
    for obj, plan in zip(requests, plans, strict=True):
        held = obj.status in (Request.Status.COMPLETED, Request.Status.CLOSED)
        end = obj.ends_at
        submitted_at = obj.submitted_at
        assert end is not None and submitted_at is not None
        role = roles[ROLE_CODES.get(obj.type, "speaker")]
        fit = [e for e in experts if obj.unit.region_id in reach[e.pk] and role.code in takes[e.pk]] or experts
        chosen = rng.sample(fit, min(obj.experts_needed, len(fit)))
        offered_at = submitted_at + dt.timedelta(days=2)
        if rng.random() < 0.3:
            # Someone said no first: "declined recently" shows in matching for the recent ones.
            decliner = rng.choice([e for e in fit if e not in chosen] or fit)
            assignments.append(
                Assignment(
                    request=obj,
                    expert=decliner,
                    role=role,
                    status=Assignment.Status.DECLINED,
                    offered_by=coordinator,
                    offered_at=offered_at,
                    offer_expires_at=offered_at + dt.timedelta(days=3),
                    answered_at=offered_at + dt.timedelta(days=1),
                    decline_reason="Tenttiviikko" if decliner.kind == "youth" else "Työkiireet",
                    answer_nonce="",
                )
            )
        if not held:
            continue
        for expert in chosen:
            paid = (now - end).days > 40
            fee = FEE_BY_TYPE.get(obj.type) if expert.compensation == ExpertProfile.Compensation.FEE else None
            assignments.append(
                Assignment(
                    request=obj,
                    expert=expert,
                    role=role,
                    status=Assignment.Status.ATTENDED,
                    offered_by=coordinator,
                    offered_at=offered_at,
                    offer_expires_at=offered_at + dt.timedelta(days=3),
                    answered_at=offered_at + dt.timedelta(days=1),
                    confirmed_at=obj.confirmed_at,
                    attendance_marked_at=end + dt.timedelta(days=1),
                    fee_proposed=fee,
                    fee=fee,
                    fee_paid_at=end + dt.timedelta(days=30) if fee and paid else None,
                    answer_nonce="",
                )
            )
        if obj.status == Request.Status.CLOSED and not plan["incomplete"]:
            unit_feedback.append(
                UnitFeedback(
                    request=obj,
                    participants=max(1, int((obj.audience_size or 3) * rng.uniform(0.7, 1.1))),
                    usefulness=rng.choice([3, 4, 4, 5, 5, 5]),
                    take_forward=rng.choice(TAKE_FORWARD),
                    invite_again=rng.random() < 0.9,
                    given_by=obj.created_by,
                    given_at=end + dt.timedelta(days=rng.randint(2, 12)),
                )
            )
            impact_notes.append(
                ImpactNote(
                    request=obj,
                    text=rng.choice(IMPACT),
                    written_by=obj.created_by,
                    at=end + dt.timedelta(weeks=6, days=rng.randint(0, 10)),
                )
            )
    Request.objects.filter(pk__in=[r.pk for r, p in zip(requests, plans, strict=True) if p["incomplete"]]).filter(
        status=Request.Status.CLOSED
    ).update(closed_incomplete=True)
    Assignment.objects.bulk_create(assignments)
    UnitFeedback.objects.bulk_create(unit_feedback)
    ImpactNote.objects.bulk_create(impact_notes)

    attended = [a for a in assignments if a.status == Assignment.Status.ATTENDED]
    expert_feedback: list[ExpertFeedback] = []
    debriefs: list[Debrief] = []
    claims: list[ExpenseClaim] = []
    for assignment in attended:
        end = assignment.request.ends_at
        assert end is not None  # attended, so the engagement had ended
        if assignment.request.status == Request.Status.CLOSED or rng.random() < 0.5:
            low = rng.random() < 0.08
            expert_feedback.append(
                ExpertFeedback(
                    assignment=assignment,
                    how_it_went=2 if low else rng.choice([4, 4, 5, 5]),
                    heard=rng.choice([3, 4, 5, 5]),
                    respected=rng.choice([4, 5, 5]),
                    preparation=2 if low else rng.choice([3, 4, 5]),
                    wants_debrief=low,
                    given_at=end + dt.timedelta(days=rng.randint(1, 8)),
                )
            )
            if low:
                held_on = timezone.localdate(end) + dt.timedelta(days=14)
                debriefs.append(
                    Debrief(
                        assignment=assignment,
                        reason=Debrief.Reason.REQUESTED,
                        created_at=end + dt.timedelta(days=2),
                        held_on=held_on if held_on < today else None,
                        note="Käytiin läpi tilaisuuden kysymykset ja sovittiin, miten rajataan omaa tarinaa."
                        if held_on < today
                        else "",
                        recorded_by=coordinator if held_on < today else None,
                    )
                )
        if rng.random() < 0.45 and assignment.request.format != Request.Format.REMOTE:
            km = Decimal(rng.randint(10, 180))
            old = (now - end).days > 40
            claims.append(
                ExpenseClaim(
                    assignment=assignment,
                    kind=ExpenseClaim.Kind.KILOMETRES,
                    kilometres=km,
                    km_rate=rate,
                    amount=(km * rate).quantize(Decimal("0.01")),
                    status=ExpenseClaim.Status.PAID if old else ExpenseClaim.Status.APPROVED,
                    decided_by=coordinator,
                    decided_at=end + dt.timedelta(days=5),
                    paid_at=end + dt.timedelta(days=30) if old else None,
                    created_at=end + dt.timedelta(days=2),
                )
            )
    ExpertFeedback.objects.bulk_create(expert_feedback)
    Debrief.objects.bulk_create(debriefs)
    ExpenseClaim.objects.bulk_create(claims)


FEE_BY_TYPE = {
    "visit": Decimal("80.00"),
    "speaker": Decimal("120.00"),
    "panel": Decimal("100.00"),
    "workshop": Decimal("100.00"),
    "working_group": Decimal("80.00"),
    "co_training": Decimal("150.00"),
    "material_review": Decimal("100.00"),
    "interview": Decimal("60.00"),
}


def seed_monthly_cap() -> None:
    """Kuura takes one engagement a month, and has one confirmed this month and next: matching
    says "monthly limit reached" for a request in either month."""
    kuura = ExpertProfile.objects.filter(user__email="demo-nuori-8@demo.test").first()
    if kuura is None or Request.objects.filter(title__startswith="Sisarusten ääni -ilta").exists():
        return
    unit = Unit.objects.get(name="Perhetyö, Iisalmi")
    member = UnitMembership.objects.approved().filter(unit=unit).select_related("user").first()
    coordinator = User.objects.get(email="coordinator@demo.test")
    finnish = Language.objects.get(code="fi")
    today = timezone.localdate()

    def weekday_from(day: dt.date) -> dt.date:
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day

    month_start = today.replace(day=1)
    this_month = weekday_from(today + dt.timedelta(days=1))
    if this_month.month != today.month:
        this_month = weekday_from(month_start)  # late in the month: that one was earlier
    next_month = weekday_from((month_start + dt.timedelta(days=32)).replace(day=8))
    for n, day in enumerate([this_month, next_month]):
        starts = timezone.make_aware(dt.datetime.combine(day, dt.time(17)))
        past = starts < timezone.now()
        req = Request.objects.create(
            unit=unit,
            created_by=member.user if member else coordinator,
            type="panel",
            title=f"Sisarusten ääni -ilta ({n + 1}/2)",
            purpose="Haluamme kuulla, miten sisarukset kokivat sijoituksen.",
            task="Kerro paneelissa omasta kokemuksestasi.",
            audience="Perhetyöntekijät ja sijaisvanhemmat",
            audience_size=25,
            format=Request.Format.IN_PERSON,
            place="Iisalmen kulttuurikeskus",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            contact_name="Demo",
            contact_email="unit@demo.test",
            status=Request.Status.COMPLETED if past else Request.Status.CONFIRMED,
            programme_theme="participation",
            submitted_at=timezone.now() - dt.timedelta(days=30),
            confirmed_at=timezone.now() - dt.timedelta(days=20),
            completed_at=starts + dt.timedelta(days=1) if past else None,
        )
        req.languages.set([finnish])
        Assignment.objects.create(
            request=req,
            expert=kuura,
            role=EngagementRole.objects.get(code="panellist"),
            status=Assignment.Status.ATTENDED if past else Assignment.Status.CONFIRMED,
            offered_by=coordinator,
            offer_expires_at=timezone.now() - dt.timedelta(days=22),
            confirmed_at=timezone.now() - dt.timedelta(days=20),
            attendance_marked_at=starts + dt.timedelta(days=1) if past else None,
            fee=FEE_BY_TYPE["panel"],
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
            assert req.confirmed_at is not None  # set above for exactly these statuses
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


def seed_review() -> None:
    """A material review under way: one reviewer has submitted numbered comments, the unit asked
    about one and marked what it adopted, so the reviewer's work space and the unit's comments page
    have something to show."""
    title = "Arvioinnin toimintakortit selkokielelle"
    if Request.objects.filter(title=title).exists():
        return
    member = User.objects.get(email="unit@demo.test")
    reviewer = ExpertProfile.objects.get(user__email="expert@demo.test")
    membership = member.unit_memberships.select_related("unit").first()
    assert membership is not None  # the demo unit member is seeded with a unit
    unit = membership.unit
    request = Request.objects.create(
        unit=unit,
        created_by=member,
        type="material_review",
        title=title,
        purpose="Haluamme, että nuoret ja vanhemmat ymmärtävät, mitä arvioinnissa tapahtuu.",
        task="Lue toimintakortit. Onko kieli ymmärrettävää? Mikä kohta hämmentää tai pelottaa?",
        audience="Nuoret ja perheet",
        format="remote",
        deadline=timezone.localdate() + dt.timedelta(days=10),
        estimated_hours=3,
        contact_name="Sari Sosiaalityöntekijä",
        contact_email="unit@demo.test",
        status="confirmed",
        programme_theme=PROGRAMME_FOR_TYPE.get("material_review", ""),
        submitted_at=timezone.now() - dt.timedelta(days=12),
        confirmed_at=timezone.now() - dt.timedelta(days=8),
    )
    request.languages.set([Language.objects.get(code="fi")])
    assignment = Assignment.objects.create(
        request=request,
        expert=reviewer,
        role=EngagementRole.objects.get(code="material_reviewer"),
        status="confirmed",
        offer_expires_at=timezone.now() - dt.timedelta(days=9),
        confirmed_at=timezone.now() - dt.timedelta(days=8),
    )
    comments = [
        ("Kortti 2, otsikko", "Sana 'arviointi' kuulostaa tuomitsevalta. Ehdotan: 'katsotaan yhdessä'."),
        ("Kortti 4", "Lauseet ovat pitkiä. Jakaisin ne kolmeen lyhyempään."),
        ("Kortti 5, kuva", "Kuvassa on vain aikuisia; lisäisin nuoren."),
    ]
    for anchor, text in comments:
        assignment.add_review_comment(ReviewComment(anchor=anchor, text=text, language="fi"), by=reviewer.user)
    assignment.submit_review(reviewer.user)
    first, second, _third = ReviewComment.objects.filter(assignment=assignment).order_by("number")
    first.ask("Mitä muita sanoja ehdottaisit?", by=member, language="fi")
    first.mark_adoption("adopted", "Uudet kortit käyttöön maaliskuusta.", by=member, language="fi")
    second.mark_adoption("partly", "", by=member, language="fi")
