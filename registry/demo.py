"""Demo data of the core: the four wellbeing areas, organisations and units, and the demo accounts
of unit members and staff (with their TOTP secret). Part of `manage.py seed`, which composes the
demo parts of every app (registry, then experts, then engagements)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.utils import timezone

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


# The demo logins of the README keep their units; the other units get a worker each.
README_UNITS = {"Lastensuojelun avohuolto, Kuopio", "Nuorisokoti Lieksa"}
REGIONAL_COORDINATORS = [
    ("coordinator-ks@demo.test", "Kerttu", "keski-suomi"),
    ("coordinator-pk@demo.test", "Paavo", "pohjois-karjala"),
]
UNIT_WORKERS = [
    ("Anna", "Avohuolto", "Sosiaalityöntekijä"),
    ("Mikko", "Perhetyö", "Perhetyöntekijä"),
    ("Laura", "Lastensuojelu", "Johtava sosiaalityöntekijä"),
    ("Jussi", "Jälkihuolto", "Ohjaaja"),
    ("Elina", "Koulukuraattori", "Kuraattori"),
    ("Timo", "Psykiatria", "Sairaanhoitaja"),
    ("Katja", "Kehittäjä", "Kehittämiskoordinaattori"),
]


def seed_places() -> dict[str, Region]:
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


def seed_organisations(regions: dict[str, Region]) -> dict[str, Unit]:
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


@cache
def demo_password_hash() -> str:
    """One hash for every demo account (they share the password): hashing is slow on purpose, and
    the demo has dozens of accounts. A fixed salt keeps a second seed from rehashing anything."""
    return make_password(DEMO_PASSWORD, salt="kokemusdemo2026")


def account(email: str, *, first_name: str, last_name: str, language: str = "fi", **extra: Any) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "preferred_language": language,
            "password": demo_password_hash(),
            **extra,
        },
    )
    if user.password != demo_password_hash():
        user.password = demo_password_hash()
        user.save(update_fields=["password"])
    if created or not EmailAddress.objects.filter(user=user, email=email, verified=True, primary=True).exists():
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def with_totp(user: User) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    RecoveryCodes.activate(user)


def seed_accounts(units: dict[str, Unit]) -> None:
    """The demo unit members, coordinator, manager and admin of the README."""
    now = timezone.now()
    unit_member = account("unit@demo.test", first_name="Sari", last_name="Sosiaalityöntekijä")
    UnitMembership.objects.update_or_create(
        user=unit_member,
        unit=units["Lastensuojelun avohuolto, Kuopio"],
        defaults={"title": "Sosiaalityöntekijä", "approved_at": now},
    )
    unit_member2 = account("unit2@demo.test", first_name="Juha", last_name="Ohjaaja")
    UnitMembership.objects.update_or_create(
        user=unit_member2,
        unit=units["Nuorisokoti Lieksa"],
        defaults={"title": "Vastaava ohjaaja", "approved_at": now},
    )
    coordinator = account("coordinator@demo.test", first_name="Kaisa", last_name="Koordinaattori")
    StaffRole.objects.get_or_create(user=coordinator, role=StaffRole.Kind.COORDINATOR, region=None)
    with_totp(coordinator)
    # Two coordinators who work in one wellbeing area each: they see only its requests and experts.
    for email, first_name, region_code in REGIONAL_COORDINATORS:
        regional = account(email, first_name=first_name, last_name="Koordinaattori")
        StaffRole.objects.get_or_create(
            user=regional, role=StaffRole.Kind.COORDINATOR, region=Region.objects.get(code=region_code)
        )
        with_totp(regional)
    # A worker in every other unit, so the history has requests from all over the area.
    for number, (unit_name, unit) in enumerate(sorted(units.items()), start=1):
        if unit_name in README_UNITS:
            continue
        first_name, last_name, title = UNIT_WORKERS[(number - 1) % len(UNIT_WORKERS)]
        worker = account(f"tyontekija{number}@demo.test", first_name=first_name, last_name=last_name)
        UnitMembership.objects.update_or_create(
            user=worker, unit=unit, defaults={"title": title, "approved_at": now - timedelta(days=900)}
        )
    manager = account("manager@demo.test", first_name="Pekka", last_name="Päällikkö")
    StaffRole.objects.get_or_create(user=manager, role=StaffRole.Kind.MANAGER, region=None)
    with_totp(manager)
    admin = account(
        "admin@demo.test", first_name="Admin", last_name="Demo", language="en", is_staff=True, is_superuser=True
    )
    with_totp(admin)


def seed_accessibility_feedback() -> None:
    """One message waiting for an answer, so the coordinator's overview shows the section at work."""
    import datetime as dt

    from registry.models import AccessibilityFeedback

    AccessibilityFeedback.objects.get_or_create(
        message="Ruudunlukija ei kerro, tallentuiko saatavuuteni. Voisiko viestin lukea ääneen?",
        defaults={
            "page": "/me/availability/",
            "language": "fi",
            "received_at": timezone.now() - dt.timedelta(days=3),
        },
    )
