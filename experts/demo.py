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
    ConsentPurpose,
    ConsentRecord,
    ConsentText,
    EngagementRole,
    ExpertProfile,
    Language,
    Theme,
    Training,
    availability_bit,
)
from registry.demo import account
from registry.models import Region, Unit, User

FIRST_NAMES = ["Aino", "Eetu", "Helmi", "Jere", "Lotta", "Mikael", "Noora", "Oskari", "Sanni", "Veeti", "Emma", "Leevi"]
NICKNAMES = ["Tuuli", "Kaisla", "Revontuli", "Kipinä", "Sammal", "Aalto", "Usva", "Kuura", "Lumo", "Routa"]


def seed_expert_accounts(regions: dict[str, Region]) -> None:
    """The two demo experts of the README."""
    expert = account("expert@demo.test", first_name="Aino", last_name="Demo")
    expert_profile(
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


def seed_demo_experts(regions: dict[str, Region], units: dict[str, Unit]) -> None:
    """Named experts in the states a coordinator meets: minors with and without a guardian's
    consent, expiring and withdrawn consents, a break, an applicant."""
    this_year = timezone.localdate().year
    rows: list[dict[str, Any]] = [
        {
            "email": "demo-nuori-1@demo.test",
            "display_name": "Kipinä",
            "kind": "youth",
            "birth_year": this_year - 16,
            "region": "pohjois-karjala",
            "themes": ["residential_care", "siblings"],
            "roles": ["panellist", "visitor"],
        },
        {
            "email": "demo-nuori-2@demo.test",
            "display_name": "Usva",
            "kind": "youth",
            "birth_year": this_year - 17,
            "region": "etela-savo",
            "themes": ["open_care", "mental_health"],
            "roles": ["speaker"],
            "guardian": True,
        },
        {
            "email": "demo-nuori-3@demo.test",
            "display_name": "Routa",
            "kind": "youth",
            "birth_year": this_year - 18,
            "birth_month": timezone.localdate().month,
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
            "roles": ["reflector", "working_group"],
            "pause_until": timezone.localdate() + dt.timedelta(days=40),
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
    ]
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
            themes=row["themes"],
            roles=row["roles"],
            languages=row.get("languages", ["fi"]),
            slots=[(d, p) for d in (0, 2, 4) for p in (1, 2)],
            status=row.get("status", ExpertProfile.Status.ACTIVE),
            consents=row.get("consents", "required"),
            pause_until=row.get("pause_until"),
            trainings=["basic"],
        )
        if row.get("guardian") and not profile.consent_records.filter(given_by=ConsentRecord.By.GUARDIAN).exists():
            profile.record_guardian_consent(
                guardian_name="Huoltaja Demo",
                relation="äiti",
                method="allekirjoitettu lomake",
                given_on=timezone.localdate() - dt.timedelta(days=30),
                recorded_by=coordinator,
                email="huoltaja@demo.test",
                notice=ConsentRecord.Notice.PAPER,
            )
        if row["display_name"] == "Pirjo" and not profile.exceptions.exists():
            AvailabilityException.objects.create(
                expert=profile,
                start_date=timezone.localdate() + dt.timedelta(days=60),
                end_date=timezone.localdate() + dt.timedelta(days=70),
                note="Lomamatka",
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
                    action=ConsentRecord.Action.GIVEN,
                    at=given,
                    expires_at=given + dt.timedelta(days=365),
                )
            )
    ExpertProfile.themes.through.objects.bulk_create(theme_rows, batch_size=2000)
    ExpertProfile.roles.through.objects.bulk_create(role_rows, batch_size=2000)
    ExpertProfile.languages.through.objects.bulk_create(language_rows, batch_size=2000)
    ConsentRecord.objects.bulk_create(consent_rows, batch_size=2000)
    for pattern in range(4):
        bits = 0
        for weekday in range(5):
            for part in ((0, 1), (1, 2), (2,), (0, 1, 2))[pattern]:
                bits |= availability_bit(weekday, part)
        ExpertProfile.objects.filter(pk__in=profile_ids[pattern::4]).update(weekly_availability=bits)
