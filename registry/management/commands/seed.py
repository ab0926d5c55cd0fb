"""Deterministic, realistic demo data. Safe to run again: it updates what is there."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
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
from registry.models import (
    AccessibilityFeedback,
    Municipality,
    Organisation,
    Region,
    StaffRole,
    Unit,
    UnitMembership,
    User,
)

DEMO_PASSWORD = "demo-Kokemus-2026"
# RFC 6238 secret shown in the README and on the demo front page (base32, 160 bits).
DEMO_TOTP_SECRET = "KOKEMUSASIANTUNTIJAREKISTERIDEMO"

REGIONS: list[tuple[str, str, str, str, list[tuple[str, str]]]] = [
    (
        "etela-savo",
        "Etelä-Savon hyvinvointialue",
        "Södra Savolax välfärdsområde",
        "Wellbeing services county of South Savo",
        [("Mikkeli", "S:t Michel"), ("Savonlinna", "Nyslott"), ("Pieksämäki", ""), ("Juva", ""), ("Kangasniemi", "")],
    ),
    (
        "keski-suomi",
        "Keski-Suomen hyvinvointialue",
        "Mellersta Finlands välfärdsområde",
        "Wellbeing services county of Central Finland",
        [("Jyväskylä", ""), ("Jämsä", ""), ("Äänekoski", ""), ("Laukaa", ""), ("Keuruu", ""), ("Saarijärvi", "")],
    ),
    (
        "pohjois-karjala",
        "Pohjois-Karjalan hyvinvointialue",
        "Norra Karelens välfärdsområde",
        "Wellbeing services county of North Karelia",
        [("Joensuu", ""), ("Kitee", ""), ("Lieksa", ""), ("Nurmes", ""), ("Kontiolahti", ""), ("Outokumpu", "")],
    ),
    (
        "pohjois-savo",
        "Pohjois-Savon hyvinvointialue",
        "Norra Savolax välfärdsområde",
        "Wellbeing services county of North Savo",
        [("Kuopio", ""), ("Iisalmi", "Idensalmi"), ("Varkaus", ""), ("Siilinjärvi", ""), ("Suonenjoki", "")],
    ),
]

# (organisation, kind, region code or None, [(unit, sector, municipality)])
ORGANISATIONS: list[tuple[str, str, str | None, list[tuple[str, str, str]]]] = [
    (
        "Etelä-Savon hyvinvointialue",
        Organisation.Kind.WELLBEING_AREA,
        "etela-savo",
        [
            ("Lastensuojelun avohuolto, Mikkeli", Unit.Sector.CHILD_PROTECTION, "Mikkeli"),
            ("Perhesosiaalityö, Savonlinna", Unit.Sector.FAMILY_SOCIAL_WORK, "Savonlinna"),
            ("Nuorisopsykiatrian poliklinikka", Unit.Sector.PSYCHIATRY, "Mikkeli"),
        ],
    ),
    (
        "Keski-Suomen hyvinvointialue",
        Organisation.Kind.WELLBEING_AREA,
        "keski-suomi",
        [
            ("Lastensuojelun sijaishuolto, Jyväskylä", Unit.Sector.CHILD_PROTECTION, "Jyväskylä"),
            ("Jälkihuolto, Jyväskylä", Unit.Sector.CHILD_PROTECTION, "Jyväskylä"),
            ("Perheneuvola, Jämsä", Unit.Sector.FAMILY_SOCIAL_WORK, "Jämsä"),
            ("Päihde- ja mielenterveyspalvelut, Äänekoski", Unit.Sector.SUBSTANCE_MENTAL_HEALTH, "Äänekoski"),
        ],
    ),
    (
        "Pohjois-Karjalan hyvinvointialue",
        Organisation.Kind.WELLBEING_AREA,
        "pohjois-karjala",
        [
            ("Lastensuojelun avohuolto, Joensuu", Unit.Sector.CHILD_PROTECTION, "Joensuu"),
            ("Nuorisokoti Lieksa", Unit.Sector.INSTITUTIONAL_CARE, "Lieksa"),
            ("Koulukuraattorit, Joensuu", Unit.Sector.EDUCATION, "Joensuu"),
        ],
    ),
    (
        "Pohjois-Savon hyvinvointialue",
        Organisation.Kind.WELLBEING_AREA,
        "pohjois-savo",
        [
            ("Lastensuojelun avohuolto, Kuopio", Unit.Sector.CHILD_PROTECTION, "Kuopio"),
            ("Lasten- ja nuorisopsykiatria, Kuopio", Unit.Sector.PSYCHIATRY, "Kuopio"),
            ("Perhetyö, Iisalmi", Unit.Sector.FAMILY_SOCIAL_WORK, "Iisalmi"),
        ],
    ),
    (
        "Kuopion kaupunki",
        Organisation.Kind.MUNICIPALITY,
        "pohjois-savo",
        [("Oppilashuolto, Kuopion kaupunki", Unit.Sector.EDUCATION, "Kuopio")],
    ),
    (
        "Pesäpuu ry",
        Organisation.Kind.NGO,
        "keski-suomi",
        [("Kokemusasiantuntijatoiminta, Pesäpuu", Unit.Sector.OTHER, "Jyväskylä")],
    ),
    (
        "Suomen Kasper ry",
        Organisation.Kind.NGO,
        None,
        [("Koulutustoiminta, Suomen Kasper", Unit.Sector.OTHER, "Kuopio")],
    ),
]

FIRST_NAMES = ["Aino", "Eetu", "Helmi", "Jere", "Lotta", "Mikael", "Noora", "Oskari", "Sanni", "Veeti", "Emma", "Leevi"]
NICKNAMES = ["Tuuli", "Kaisla", "Revontuli", "Kipinä", "Sammal", "Aalto", "Usva", "Kuura", "Lumo", "Routa"]


class Command(BaseCommand):
    help = "Creates deterministic demo data: areas, organisations, units and one account per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument("--experts", type=int, default=0, help="Extra generated experts (for scale tests).")
        parser.add_argument("--requests", type=int, default=0, help="Extra generated requests (for scale tests).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to load demo data with DEBUG off; add --force if you really mean it.")
        with transaction.atomic():
            regions = self.seed_places()
            units = self.seed_organisations(regions)
            self.seed_accounts(regions, units)
            self.seed_demo_experts(regions, units)
            self.seed_applications(regions)
            self.seed_accessibility_feedback()
            self.seed_requests(units)
            self.seed_after_states()
            if options["experts"]:
                self.seed_generated_experts(options["experts"], regions)
            if options["requests"]:
                self.seed_generated_requests(options["requests"])
        self.stdout.write(self.style.SUCCESS(f"Demo data is ready. Demo password: {DEMO_PASSWORD}"))

    def seed_places(self) -> dict[str, Region]:
        regions: dict[str, Region] = {}
        for code, name, name_sv, name_en, municipalities in REGIONS:
            region, _ = Region.objects.update_or_create(
                code=code, defaults={"name": name, "name_sv": name_sv, "name_en": name_en}
            )
            regions[code] = region
            for municipality, municipality_sv in municipalities:
                Municipality.objects.update_or_create(
                    name=municipality, defaults={"region": region, "name_sv": municipality_sv}
                )
        return regions

    def seed_organisations(self, regions: dict[str, Region]) -> dict[str, Unit]:
        units: dict[str, Unit] = {}
        municipalities = {m.name: m for m in Municipality.objects.select_related("region")}
        for org_name, kind, region_code, unit_rows in ORGANISATIONS:
            organisation, _ = Organisation.objects.update_or_create(
                name=org_name, defaults={"kind": kind, "region": regions[region_code] if region_code else None}
            )
            for unit_name, sector, municipality_name in unit_rows:
                municipality = municipalities[municipality_name]
                unit, _ = Unit.objects.update_or_create(
                    organisation=organisation,
                    name=unit_name,
                    defaults={"sector": sector, "region": municipality.region, "municipality": municipality},
                )
                units[unit_name] = unit
        return units

    def account(self, email: str, *, first_name: str, last_name: str, language: str = "fi", **extra: Any) -> User:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"first_name": first_name, "last_name": last_name, "preferred_language": language, **extra},
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        return user

    def with_totp(self, user: User) -> None:
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)

    def seed_accounts(self, regions: dict[str, Region], units: dict[str, Unit]) -> None:
        expert = self.account("expert@demo.test", first_name="Aino", last_name="Demo")
        self.profile(
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
        expert2 = self.account("expert2@demo.test", first_name="Marja", last_name="Demo", language="sv")
        self.profile(
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
            bio_language="sv",
            trainings=["basic", "co_training"],
        )
        now = timezone.now()
        unit_member = self.account("unit@demo.test", first_name="Sari", last_name="Sosiaalityöntekijä")
        UnitMembership.objects.update_or_create(
            user=unit_member,
            unit=units["Lastensuojelun avohuolto, Kuopio"],
            defaults={"title": "Sosiaalityöntekijä", "approved_at": now},
        )
        unit_member2 = self.account("unit2@demo.test", first_name="Juha", last_name="Ohjaaja")
        UnitMembership.objects.update_or_create(
            user=unit_member2,
            unit=units["Nuorisokoti Lieksa"],
            defaults={"title": "Vastaava ohjaaja", "approved_at": now},
        )
        coordinator = self.account("coordinator@demo.test", first_name="Kaisa", last_name="Koordinaattori")
        StaffRole.objects.get_or_create(user=coordinator, role=StaffRole.Kind.COORDINATOR, region=None)
        self.with_totp(coordinator)
        manager = self.account("manager@demo.test", first_name="Pekka", last_name="Päällikkö")
        StaffRole.objects.get_or_create(user=manager, role=StaffRole.Kind.MANAGER, region=None)
        self.with_totp(manager)
        admin = self.account(
            "admin@demo.test", first_name="Admin", last_name="Demo", language="en", is_staff=True, is_superuser=True
        )
        self.with_totp(admin)

    def profile(
        self,
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
        bio_language: str = "fi",
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
                "bio_language": bio_language if bio else "",
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
            self.consents(profile, consents)
        return profile

    def consents(self, profile: ExpertProfile, which: str) -> None:
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

    def seed_demo_experts(self, regions: dict[str, Region], units: dict[str, Unit]) -> None:
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
            user = self.account(row["email"], first_name=row["display_name"], last_name="Demo")
            profile = self.profile(
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
                )
            if row["display_name"] == "Pirjo" and not profile.exceptions.exists():
                AvailabilityException.objects.create(
                    expert=profile,
                    start_date=timezone.localdate() + dt.timedelta(days=60),
                    end_date=timezone.localdate() + dt.timedelta(days=70),
                    note="Lomamatka",
                )

    def seed_accessibility_feedback(self) -> None:
        # One message waiting for an answer, so the coordinator's overview shows the section at work.
        AccessibilityFeedback.objects.get_or_create(
            message="Ruudunlukija ei kerro, tallentuiko saatavuuteni. Voisiko viestin lukea ääneen?",
            defaults={
                "page": "/me/availability/",
                "language": "fi",
                "received_at": timezone.now() - dt.timedelta(days=3),
            },
        )

    def seed_applications(self, regions: dict[str, Region]) -> None:
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

    def seed_requests(self, units: dict[str, Unit]) -> None:
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
                text_language="fi",
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

    def seed_after_states(self) -> None:
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
                "language": "fi",
            },
        )
        ExpertFeedback.objects.get_or_create(
            assignment=tuuli_there,
            defaults={
                "how_it_went": 4,
                "heard": 5,
                "respected": 5,
                "preparation": 3,
                "free_text": "Hyvä kokous.",
                "language": "fi",
            },
        )
        ImpactNote.objects.get_or_create(
            request=closed,
            defaults={
                "text": "Ohjausryhmä päätti, että jokaisessa kokouksessa on kokemusasiantuntijan puheenvuoro. "
                "Lisäksi sijaishuollon esite kirjoitetaan uudelleen selkokielellä.",
                "written_by": unit_member,
                "language": "fi",
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
                "language": "fi",
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

    def seed_generated_requests(self, count: int) -> None:
        """Many requests over two years across all units, for scale tests and statistics."""
        rng = random.Random(1234)
        now = timezone.now()
        units = list(Unit.objects.all())
        creators = {m.unit_id: m.user_id for m in UnitMembership.objects.approved()}
        for unit in units:
            if unit.pk not in creators:
                # Every unit gets a worker of its own, so requests are made by members only.
                member = self.account(f"unit-{unit.pk}@demo.test", first_name="Työntekijä", last_name=str(unit.pk))
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
                    text_language="fi",
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
                    confirmed_at=starts - dt.timedelta(days=10)
                    if status in ("confirmed", "completed", "closed")
                    else None,
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

    def seed_generated_experts(self, count: int, regions: dict[str, Region]) -> None:
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
        have_profile = set(
            ExpertProfile.objects.filter(user_id__in=by_email.values()).values_list("user_id", flat=True)
        )
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
        self.generated_details(list(created), rng)

    def generated_details(self, profile_ids: list[int], rng: random.Random) -> None:
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
