"""Deterministic, realistic demo data. Safe to run again: it updates what is there."""

from __future__ import annotations

import random
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from experts.models import ExpertProfile
from registry.models import Municipality, Organisation, Region, StaffRole, Unit, UnitMembership, User

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

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to load demo data with DEBUG off; add --force if you really mean it.")
        with transaction.atomic():
            regions = self.seed_places()
            units = self.seed_organisations(regions)
            self.seed_accounts(regions, units)
            if options["experts"]:
                self.seed_generated_experts(options["experts"], regions)
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
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def with_totp(self, user: User) -> None:
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)

    def seed_accounts(self, regions: dict[str, Region], units: dict[str, Unit]) -> None:
        expert = self.account("expert@demo.test", first_name="Aino", last_name="Demo")
        ExpertProfile.objects.update_or_create(
            user=expert,
            defaults={
                "kind": ExpertProfile.Kind.YOUTH,
                "display_name": "Tuuli",
                "birth_year": 2004,
                "home_region": regions["pohjois-savo"],
                "status": ExpertProfile.Status.ACTIVE,
            },
        )
        expert2 = self.account("expert2@demo.test", first_name="Marja", last_name="Demo", language="sv")
        ExpertProfile.objects.update_or_create(
            user=expert2,
            defaults={
                "kind": ExpertProfile.Kind.PARENT,
                "display_name": "Marja K.",
                "birth_year": 1982,
                "home_region": regions["keski-suomi"],
                "status": ExpertProfile.Status.ACTIVE,
            },
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
