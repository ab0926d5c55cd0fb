"""Demo data of the registry of experts: the demo experts in the states a coordinator meets,
applications, and generated experts for scale tests. Part of `manage.py seed`."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from experts.models import (
    Application,
    AvailabilityException,
    ConsentPlainText,
    ConsentPurpose,
    ConsentRecord,
    ConsentText,
    EngagementRole,
    ExpertProfile,
    Language,
    MessageChannels,
    Theme,
    Training,
    availability_bit,
    refresh_consent_states,
)
from registry.demo import account
from registry.models import Municipality, Region, Unit, User

FIRST_NAMES = ["Aino", "Eetu", "Helmi", "Jere", "Lotta", "Mikael", "Noora", "Oskari", "Sanni", "Veeti", "Emma", "Leevi"]
NICKNAMES = ["Tuuli", "Kaisla", "Revontuli", "Kipinä", "Sammal", "Aalto", "Usva", "Kuura", "Lumo", "Routa"]


def seed_expert_accounts(regions: dict[str, Region]) -> None:
    """The two demo experts of the README."""
    expert = account("expert@demo.test", first_name="Aino", last_name="Demo")
    # Reads text messages before e-mail: offers come as both (the console shows the text).
    User.objects.filter(pk=expert.pk).update(mobile_number="+358401234567", mobile_verified_at=timezone.now())
    expert.refresh_from_db()
    tuuli = expert_profile(
        expert,
        kind=ExpertProfile.Kind.YOUTH,
        display_name="Tuuli",
        birth_year=2004,
        region=regions["pohjois-savo"],
        travel=[regions["pohjois-savo"], regions["etela-savo"]],
        themes=["foster_care", "aftercare", "school_support"],
        avoid=["substance_abuse"],
        roles=["speaker", "panellist", "material_reviewer"],
        languages=["fi", "en"],
        slots=[(d, p) for d in range(5) for p in (1, 2)],
        bio="Olen 22-vuotias ja asuin sijaisperheessä 12-vuotiaasta. Puhun mielelläni koulunkäynnistä.",
        trainings=["basic", "speaking"],
    )
    tuuli.offer_channel = tuuli.change_channel = MessageChannels.BOTH
    tuuli.save(update_fields=["offer_channel", "change_channel"])
    expert2 = account("expert2@demo.test", first_name="Marja", last_name="Demo", language="sv")
    expert_profile(
        expert2,
        kind=ExpertProfile.Kind.PARENT,
        display_name="Marja K.",
        birth_year=1982,
        region=regions["keski-suomi"],
        travel=[regions["keski-suomi"]],
        themes=["child_placed", "mental_health"],
        roles=["co_trainer", "working_group", "reflector"],
        languages=["sv", "fi"],
        slots=[(d, 2) for d in range(7)],
        bio="Förälder vars två barn var placerade. Jag vill hjälpa arbetare att se hela familjen.",
        trainings=["basic", "co_training"],
    )


def expert_profile(
    user: User,
    *,
    kind: str,
    display_name: str,
    birth_year: int,
    region: Region,
    travel: list[Region] | None = None,
    themes: list[str] | None = None,
    avoid: list[str] | None = None,
    roles: list[str] | None = None,
    languages: list[str] | None = None,
    slots: list[tuple[int, int]] | None = None,
    bio: str = "",
    trainings: list[str] | None = None,
    status: str = ExpertProfile.Status.ACTIVE,
    consents: str = "all",
    birth_month: int | None = None,
    pause_until: dt.date | None = None,
    monthly_cap: int | None = None,
    compensation: str = ExpertProfile.Compensation.FEE,
) -> ExpertProfile:
    bits = 0
    for weekday, part in slots or []:
        bits |= availability_bit(weekday, part)
    profile, created = ExpertProfile.objects.update_or_create(
        user=user,
        defaults={
            "kind": kind,
            "display_name": display_name,
            "birth_year": birth_year,
            "birth_month": birth_month,
            "home_region": region,
            "status": status,
            "bio": bio,
            "weekly_availability": bits,
            "pause_until": pause_until,
            "monthly_cap": monthly_cap,
            "compensation": compensation,
        },
    )
    profile.travel_regions.set(travel or [region])
    profile.themes.set(Theme.objects.filter(code__in=themes or []))
    profile.avoid_topics.set(Theme.objects.filter(code__in=avoid or []))
    profile.roles.set(EngagementRole.objects.filter(code__in=roles or []))
    profile.languages.set(Language.objects.filter(code__in=languages or ["fi"]))
    profile.trainings.set(Training.objects.filter(code__in=trainings or []))
    if created or not profile.consent_records.exists():
        give_demo_consents(profile, consents)
    return profile


def give_demo_consents(profile: ExpertProfile, which: str) -> None:
    """`all`, `required`, `expiring`, `expired`, `withdrawn`, `none`; minors also get a guardian's."""
    now = timezone.now()
    texts = {text.purpose: text for text in ConsentText.objects.filter(version=1)}
    plains = _young_plain_texts()
    given_at = {
        "expiring": now - dt.timedelta(days=350),
        "expired": now - dt.timedelta(days=400),
    }.get(which, now - dt.timedelta(days=60))
    purposes = list(ConsentPurpose.values) if which == "all" else ["registry", "contact"]
    if which == "none":
        purposes = []
    records = [
        ConsentRecord(
            expert=profile,
            purpose=purpose,
            text=texts[purpose],
            plain_text=plains.get(texts[purpose].pk),
            action=ConsentRecord.Action.GIVEN,
            at=given_at,
            expires_at=given_at + dt.timedelta(days=365),
        )
        for purpose in purposes
    ]
    if which == "withdrawn":
        records.append(
            ConsentRecord(
                expert=profile,
                purpose="registry",
                text=texts["registry"],
                action=ConsentRecord.Action.WITHDRAWN,
                at=now - dt.timedelta(days=5),
            )
        )
    ConsentRecord.objects.bulk_create(records)
    refresh_consent_states([profile.pk])


def _young_plain_texts() -> dict[int, ConsentPlainText]:
    """The young person's plain layer of each version-1 text, by text id: what the demo experts read."""
    rows = ConsentPlainText.objects.filter(text__version=1, audience=ConsentPlainText.Audience.YOUNG, version=1)
    return {plain.text_id: plain for plain in rows}


# Weekly patterns (weekday, part of day): 0 morning, 1 afternoon, 2 evening.
WEEKDAYS_ALL_DAY = [(d, p) for d in range(5) for p in (0, 1, 2)]
WEEKDAY_AFTERNOONS = [(d, p) for d in range(5) for p in (1, 2)]
SOME_DAYS = [(d, p) for d in (0, 2, 4) for p in (1, 2)]
EVENINGS = [(d, 2) for d in range(7)]


def seed_demo_experts(regions: dict[str, Region], units: dict[str, Unit]) -> None:
    """About forty experts across the four areas, in every state a coordinator meets: young people
    and parents; minors with and without a guardian's consent and one turning 18 this month; one
    paused, one away, one at the monthly limit, one with a conflict of interest, one who avoids a
    topic; consents expiring, expired and withdrawn; an applicant. Most are ready for work, so a new
    "visit to a unit" anywhere ranks several candidates with their reasons."""
    today = timezone.localdate()
    this_year = today.year
    rows: list[dict[str, Any]] = [
        # The states of the registry.
        {
            "email": "demo-nuori-1@demo.test",
            "display_name": "Kipinä",
            "kind": "youth",
            "birth_year": this_year - 16,
            "region": "pohjois-karjala",
            "themes": ["residential_care", "siblings"],
            "roles": ["panellist", "visitor"],
            # A minor whose guardian has not yet consented: not offered anything.
        },
        {
            "email": "demo-nuori-2@demo.test",
            "display_name": "Usva",
            "kind": "youth",
            "birth_year": this_year - 17,
            "region": "etela-savo",
            "themes": ["open_care", "mental_health"],
            "roles": ["speaker", "visitor"],
            "guardian": True,
        },
        {
            "email": "demo-nuori-3@demo.test",
            "display_name": "Routa",
            "kind": "youth",
            "birth_year": this_year - 18,
            "birth_month": today.month,  # turns 18 this month: renews the consents in their own name
            "region": "keski-suomi",
            "themes": ["foster_care"],
            "roles": ["material_reviewer"],
            "guardian": True,
        },
        {
            "email": "demo-nuori-4@demo.test",
            "display_name": "Sammal",
            "kind": "youth",
            "birth_year": this_year - 21,
            "region": "pohjois-savo",
            "themes": ["aftercare", "substance_abuse"],
            "roles": ["co_trainer", "speaker"],
            "consents": "expiring",
        },
        {
            "email": "demo-nuori-5@demo.test",
            "display_name": "Lumo",
            "kind": "youth",
            "birth_year": this_year - 23,
            "region": "pohjois-karjala",
            "themes": ["residential_care"],
            "roles": ["interviewee"],
            "consents": "expired",
        },
        {
            "email": "demo-vanhempi-1@demo.test",
            "display_name": "Pirjo",
            "kind": "parent",
            "birth_year": 1975,
            "region": "pohjois-savo",
            "themes": ["child_placed", "substance_abuse"],
            "roles": ["reflector", "working_group", "visitor"],
            "pause_until": today + dt.timedelta(days=40),  # on a break
        },
        {
            "email": "demo-vanhempi-2@demo.test",
            "display_name": "Jari",
            "kind": "parent",
            "birth_year": 1979,
            "region": "etela-savo",
            "themes": ["domestic_violence", "child_placed"],
            "roles": ["speaker"],
            "consents": "withdrawn",
        },
        {
            "email": "demo-vanhempi-3@demo.test",
            "display_name": "Leila",
            "kind": "parent",
            "birth_year": 1988,
            "region": "keski-suomi",
            "themes": ["migration", "child_placed"],
            "roles": ["panellist"],
            "languages": ["fi", "ar", "en"],
            "status": ExpertProfile.Status.APPLICANT,
            "consents": "none",
        },
        {
            "email": "demo-nuori-6@demo.test",
            "display_name": "Kide",
            "kind": "youth",
            "birth_year": this_year - 15,
            "region": "pohjois-savo",
            "themes": ["school_support", "foster_care"],
            "roles": ["visitor", "panellist"],
            "slots": WEEKDAY_AFTERNOONS,
            "guardian": True,  # a minor who may take part: the guardian has consented
        },
        {
            "email": "demo-nuori-9@demo.test",
            "display_name": "Sointu",
            "kind": "youth",
            "birth_year": this_year - 15 - (1 if today.month == 1 else 0),
            "birth_month": 1,
            "region": "pohjois-savo",
            "themes": ["school_support", "siblings"],
            "roles": ["panellist", "material_reviewer"],
            "slots": WEEKDAY_AFTERNOONS,
            # 15 and new: reads the plain-language texts and gives her consents herself; the
            # coordinator then shows her guardian the guardian's version and records their consent.
            "consents": "none",
        },
        {
            "email": "demo-nuori-7@demo.test",
            "display_name": "Aalto",
            "kind": "youth",
            "birth_year": this_year - 24,
            "region": "pohjois-savo",
            "themes": ["aftercare", "residential_care"],
            "roles": ["visitor", "speaker"],
            "slots": WEEKDAYS_ALL_DAY,
            "away": (today, today + dt.timedelta(days=45)),  # away for the coming weeks
        },
        {
            "email": "demo-nuori-8@demo.test",
            "display_name": "Kuura",
            "kind": "youth",
            "birth_year": this_year - 20,
            "region": "pohjois-savo",
            "themes": ["foster_care", "siblings"],
            "roles": ["visitor", "panellist"],
            "slots": WEEKDAYS_ALL_DAY,
            "monthly_cap": 1,  # already has one engagement this month and next (engagements/demo.py)
        },
        {
            "email": "demo-vanhempi-4@demo.test",
            "display_name": "Revontuli",
            "kind": "parent",
            "birth_year": 1983,
            "region": "pohjois-savo",
            "themes": ["child_placed", "open_care"],
            "roles": ["visitor", "reflector", "speaker"],
            "slots": WEEKDAYS_ALL_DAY,
            # Was a client of the Kuopio open-care unit: never sent there.
            "avoid_units": ["Lastensuojelun avohuolto, Kuopio"],
            "avoid_municipalities": ["Siilinjärvi"],
        },
        {
            "email": "demo-vanhempi-5@demo.test",
            "display_name": "Hilla",
            "kind": "parent",
            "birth_year": 1980,
            "region": "keski-suomi",
            "themes": ["child_placed", "mental_health"],
            "avoid": ["domestic_violence"],  # does not talk about violence in the family
            "roles": ["visitor", "co_trainer", "working_group"],
            "slots": WEEKDAYS_ALL_DAY,
        },
    ]
    # The experts who carry the everyday work, across the four areas.
    ready = [
        (
            "Tähti",
            "youth",
            22,
            "pohjois-savo",
            ["etela-savo"],
            ["foster_care", "school_support"],
            ["visitor", "speaker", "panellist"],
        ),
        ("Aamu", "youth", 19, "pohjois-savo", [], ["residential_care", "mental_health"], ["visitor", "panellist"]),
        (
            "Pilvi",
            "youth",
            26,
            "pohjois-savo",
            ["keski-suomi"],
            ["aftercare", "open_care"],
            ["visitor", "co_trainer", "speaker"],
        ),
        (
            "Virta",
            "parent",
            44,
            "pohjois-savo",
            [],
            ["child_placed", "substance_abuse"],
            ["visitor", "working_group", "reflector"],
        ),
        (
            "Sade",
            "parent",
            39,
            "pohjois-savo",
            ["pohjois-karjala"],
            ["child_placed", "disability"],
            ["visitor", "speaker"],
        ),
        ("Laine", "youth", 23, "keski-suomi", [], ["foster_care", "siblings"], ["visitor", "panellist", "interviewee"]),
        (
            "Tuisku",
            "youth",
            21,
            "keski-suomi",
            ["pohjois-savo"],
            ["residential_care", "school_support"],
            ["visitor", "speaker"],
        ),
        (
            "Kaste",
            "youth",
            27,
            "keski-suomi",
            [],
            ["aftercare", "mental_health"],
            ["co_trainer", "working_group", "visitor"],
        ),
        ("Seija", "parent", 48, "keski-suomi", [], ["child_placed", "domestic_violence"], ["visitor", "reflector"]),
        (
            "Onni",
            "parent",
            42,
            "keski-suomi",
            ["etela-savo"],
            ["substance_abuse", "child_placed"],
            ["working_group", "visitor"],
        ),
        ("Ilta", "youth", 20, "etela-savo", [], ["foster_care", "open_care"], ["visitor", "panellist"]),
        (
            "Kielo",
            "youth",
            25,
            "etela-savo",
            ["pohjois-savo"],
            ["residential_care", "aftercare"],
            ["visitor", "speaker", "material_reviewer"],
        ),
        ("Viljami", "youth", 22, "etela-savo", [], ["school_support", "mental_health"], ["visitor", "interviewee"]),
        (
            "Marketta",
            "parent",
            51,
            "etela-savo",
            [],
            ["child_placed", "mental_health"],
            ["visitor", "co_trainer", "reflector"],
        ),
        (
            "Tapio",
            "parent",
            46,
            "etela-savo",
            ["keski-suomi"],
            ["substance_abuse", "domestic_violence"],
            ["working_group", "visitor"],
        ),
        ("Lumi", "youth", 18, "pohjois-karjala", [], ["foster_care", "siblings"], ["visitor", "panellist"]),
        (
            "Myrsky",
            "youth",
            24,
            "pohjois-karjala",
            ["pohjois-savo"],
            ["residential_care", "open_care"],
            ["visitor", "speaker"],
        ),
        (
            "Ruska",
            "youth",
            28,
            "pohjois-karjala",
            [],
            ["aftercare", "migration"],
            ["co_trainer", "visitor", "material_reviewer"],
        ),
        (
            "Helka",
            "parent",
            40,
            "pohjois-karjala",
            [],
            ["child_placed", "disability"],
            ["visitor", "reflector", "working_group"],
        ),
        (
            "Eero",
            "parent",
            53,
            "pohjois-karjala",
            ["pohjois-savo"],
            ["substance_abuse", "child_placed"],
            ["visitor", "speaker"],
        ),
        ("Nuppu", "youth", 19, "keski-suomi", [], ["school_support", "siblings"], ["visitor", "panellist"]),
        (
            "Sisu",
            "parent",
            37,
            "pohjois-savo",
            [],
            ["migration", "child_placed"],
            ["visitor", "interviewee", "speaker"],
        ),
        (
            "Halla",
            "youth",
            29,
            "etela-savo",
            ["pohjois-karjala"],
            ["aftercare", "residential_care"],
            ["co_trainer", "visitor"],
        ),
        (
            "Oiva",
            "parent",
            45,
            "pohjois-karjala",
            [],
            ["open_care", "mental_health"],
            ["working_group", "visitor", "reflector"],
        ),
    ]
    languages_by_name = {
        "Leila": ["fi", "ar", "en"],
        "Sisu": ["fi", "so"],
        "Ruska": ["fi", "uk", "en"],
        "Kielo": ["fi", "sv"],
    }
    for number, (name, kind, age, region, travel, themes, roles) in enumerate(ready, start=1):
        rows.append(
            {
                "email": f"demo-{number:02d}@demo.test",
                "display_name": name,
                "kind": kind,
                "birth_year": this_year - age,
                "birth_month": (number % 12) + 1,
                "region": region,
                "travel": travel,
                "themes": themes,
                "roles": roles,
                "languages": languages_by_name.get(name, ["fi"]),
                "slots": WEEKDAYS_ALL_DAY if number % 3 else WEEKDAY_AFTERNOONS,
                "consents": "all" if number % 4 == 0 else "required",
                "trainings": ["basic", "speaking"] if number % 2 else ["basic"],
                "compensation": ExpertProfile.Compensation.EXPENSES
                if number % 7 == 0
                else ExpertProfile.Compensation.FEE,
                "created_days_ago": 60 + number * 37,
            }
        )
    coordinator = User.objects.get(email="coordinator@demo.test")
    for row in rows:
        user = account(row["email"], first_name=row["display_name"], last_name="Demo")
        profile = expert_profile(
            user,
            kind=row["kind"],
            display_name=row["display_name"],
            birth_year=row["birth_year"],
            birth_month=row.get("birth_month"),
            region=regions[row["region"]],
            travel=[regions[row["region"]], *(regions[code] for code in row.get("travel", []))],
            themes=row["themes"],
            avoid=row.get("avoid"),
            roles=row["roles"],
            languages=row.get("languages", ["fi"]),
            slots=row.get("slots", SOME_DAYS),
            status=row.get("status", ExpertProfile.Status.ACTIVE),
            consents=row.get("consents", "required"),
            pause_until=row.get("pause_until"),
            trainings=row.get("trainings", ["basic"]),
            monthly_cap=row.get("monthly_cap"),
            compensation=row.get("compensation", ExpertProfile.Compensation.FEE),
        )
        if "created_days_ago" in row:
            # Joined over the years: the manager's "new active experts" has a history too.
            ExpertProfile.objects.filter(pk=profile.pk).update(
                created_at=timezone.now() - dt.timedelta(days=row["created_days_ago"])
            )
        profile.avoid_units.set([units[name] for name in row.get("avoid_units", [])])
        profile.avoid_municipalities.set(Municipality.objects.filter(name__in=row.get("avoid_municipalities", [])))
        if row.get("guardian") and not profile.consent_records.filter(given_by=ConsentRecord.By.GUARDIAN).exists():
            profile.record_guardian_consent(
                guardian_name="Huoltaja Demo",
                relation="äiti",
                method="allekirjoitettu lomake",
                given_on=today - dt.timedelta(days=30),
                recorded_by=coordinator,
                email="huoltaja@demo.test",
                notice=ConsentRecord.Notice.PAPER,
            )
        if row["display_name"] == "Pirjo" and not profile.exceptions.exists():
            AvailabilityException.objects.create(
                expert=profile,
                start_date=today + dt.timedelta(days=60),
                end_date=today + dt.timedelta(days=70),
                note="Lomamatka",
            )
        if "away" in row and not profile.exceptions.exists():
            AvailabilityException.objects.create(
                expert=profile, start_date=row["away"][0], end_date=row["away"][1], note="Vaihto-opiskelu"
            )


def seed_applications(regions: dict[str, Region]) -> None:
    now = timezone.now()
    rows = [
        ("Emilia Esimerkki", "emilia.hakija@demo.test", "youth", 2007, "pohjois-savo", ["speaker", "panellist"]),
        ("Teemu Testaaja", "teemu.hakija@demo.test", "youth", 2003, "keski-suomi", ["co_trainer"]),
        ("Sanna Sijoitettu", "sanna.hakija@demo.test", "parent", 1984, "pohjois-karjala", ["reflector"]),
    ]
    for i, (name, email, kind, birth_year, region, roles) in enumerate(rows):
        application, created = Application.objects.get_or_create(
            email=email,
            defaults={
                "name": name,
                "kind": kind,
                "birth_year": birth_year,
                "region": regions[region],
                "message": "Haluaisin kertoa kokemuksistani, jotta muiden nuorten ei tarvitsisi kokea samaa.",
                "privacy_acknowledged_at": now - dt.timedelta(days=i + 1),
                "created_at": now - dt.timedelta(days=i + 1),
            },
        )
        if created:
            application.languages.set(Language.objects.filter(code="fi"))
            application.roles.set(EngagementRole.objects.filter(code__in=roles))


def seed_generated_experts(count: int, regions: dict[str, Region]) -> None:
    rng = random.Random(2026)  # deterministic: the same data every time
    region_list = list(regions.values())
    existing = set(User.objects.filter(email__startswith="expert-").values_list("email", flat=True))
    users = [
        User(email=f"expert-{i:05d}@demo.test", first_name=rng.choice(FIRST_NAMES), last_name="Demo")
        for i in range(1, count + 1)
    ]
    new_users = [user for user in users if user.email not in existing]
    for user in new_users:
        user.set_unusable_password()
    User.objects.bulk_create(new_users, batch_size=1000)
    by_email = dict(User.objects.filter(email__startswith="expert-").values_list("email", "pk"))
    have_profile = set(ExpertProfile.objects.filter(user_id__in=by_email.values()).values_list("user_id", flat=True))
    profiles = []
    for i, user in enumerate(users, start=1):
        user_id = by_email[user.email]
        if user_id in have_profile:
            continue
        kind = ExpertProfile.Kind.YOUTH if i % 3 else ExpertProfile.Kind.PARENT
        birth_year = rng.randint(2004, 2011) if kind == ExpertProfile.Kind.YOUTH else rng.randint(1965, 1995)
        profiles.append(
            ExpertProfile(
                user_id=user_id,
                kind=kind,
                display_name=f"{rng.choice(NICKNAMES)} {i}",
                birth_year=birth_year,
                home_region=region_list[i % len(region_list)],
                status=ExpertProfile.Status.ACTIVE if i % 7 else ExpertProfile.Status.PAUSED,
            )
        )
    ExpertProfile.objects.bulk_create(profiles, batch_size=1000)
    created = ExpertProfile.objects.filter(user_id__in=[p.user_id for p in profiles]).values_list("pk", flat=True)
    generated_details(list(created), rng)


def generated_details(profile_ids: list[int], rng: random.Random) -> None:
    """Themes, roles, languages, availability and consents for generated experts, in bulk."""
    if not profile_ids:
        return
    now = timezone.now()
    themes = list(Theme.objects.values_list("pk", flat=True))
    roles = list(EngagementRole.objects.values_list("pk", flat=True))
    finnish = Language.objects.get(code="fi").pk
    texts = {text.purpose: text.pk for text in ConsentText.objects.filter(version=1)}
    plains = {text_id: plain.pk for text_id, plain in _young_plain_texts().items()}
    theme_rows, role_rows, language_rows, consent_rows = [], [], [], []
    for pk in profile_ids:
        theme_rows += [ExpertProfile.themes.through(expertprofile_id=pk, theme_id=t) for t in rng.sample(themes, 2)]
        role_rows += [
            ExpertProfile.roles.through(expertprofile_id=pk, engagementrole_id=r) for r in rng.sample(roles, 2)
        ]
        language_rows.append(ExpertProfile.languages.through(expertprofile_id=pk, language_id=finnish))
        given = now - dt.timedelta(days=rng.randint(1, 300))
        for purpose in ("registry", "contact"):
            consent_rows.append(
                ConsentRecord(
                    expert_id=pk,
                    purpose=purpose,
                    text_id=texts[purpose],
                    plain_text_id=plains.get(texts[purpose]),
                    action=ConsentRecord.Action.GIVEN,
                    at=given,
                    expires_at=given + dt.timedelta(days=365),
                )
            )
    ExpertProfile.themes.through.objects.bulk_create(theme_rows, batch_size=2000)
    ExpertProfile.roles.through.objects.bulk_create(role_rows, batch_size=2000)
    ExpertProfile.languages.through.objects.bulk_create(language_rows, batch_size=2000)
    ConsentRecord.objects.bulk_create(consent_rows, batch_size=2000)
    refresh_consent_states(list(profile_ids))
    for pattern in range(4):
        bits = 0
        for weekday in range(5):
            for part in ((0, 1), (1, 2), (2,), (0, 1, 2))[pattern]:
                bits |= availability_bit(weekday, part)
        ExpertProfile.objects.filter(pk__in=profile_ids[pattern::4]).update(weekly_availability=bits)
