"""Internal step of `manage.py bench` and `manage.py loadtest`: readies one benchmark database.

Runs in the database's own process (DATABASE_URL points at it): migrates, seeds the requested size
once (a database that already holds it, seeded by the same version of the seed command, is reused;
any other is reported stale and recreated by the caller), and writes a plan with the data set's counts,
each page's path and a fresh session for each measuring user; for the load test, also accounts that
sign in for real and the objects their journeys visit.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test import Client
from django.utils import timezone

from engagements.bench import harness
from engagements.models import Request
from engagements.statistics import count_monthly_figures
from experts.models import ExpertProfile

# The demo accounts' password and TOTP secret live with the demo data (the seed command composes it).
from registry.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from registry.models import StaffRole, UnitMembership, User


class Command(BaseCommand):
    help = "Internal (used by bench and loadtest): migrate and seed one benchmark database, write its plan."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--experts", type=int, required=True, help="Generated experts the data set has.")
        parser.add_argument("--requests", type=int, required=True, help="Generated requests the data set has.")
        parser.add_argument("--plan", required=True, help="JSON file to write the plan to.")
        parser.add_argument("--load-users", type=int, default=0, help="Accounts per role for the load test.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0)
        experts, requests = options["experts"], options["requests"]
        name = connection.settings_dict["NAME"]
        wanted = {"experts": experts, "requests": requests, "seed": harness.seed_fingerprint()}
        marker = read_marker()
        if marker is not None and marker != wanted:
            # Seeded for another size or by another version of the seed command: the caller
            # recreates the database, so that both sizes always hold data of the same seed.
            Path(options["plan"]).write_text(json.dumps({"stale": f"{name} holds {marker}, wanted {wanted}"}))
            return
        if marker is None:
            if User.objects.exists():
                Path(options["plan"]).write_text(json.dumps({"stale": f"{name} holds data not seeded by bench"}))
                return
            self.stdout.write(f"Seeding {name}: {experts:,} experts, {requests:,} requests (once; reused later) …")
            started = time.perf_counter()
            call_command("seed", force=True, experts=experts, requests=requests, verbosity=0)
            self.stdout.write(f"… seeded in {time.perf_counter() - started:.0f} s")
            write_marker({**wanted, "seeded_at": timezone.now().strftime("%Y-%m-%d %H:%M UTC")})
            marker = wanted
        # The monthly figures as the worker keeps them (every ten minutes in production), also after
        # a reused data set was migrated or the count changed since it was seeded.
        count_monthly_figures()
        # Fresh planner statistics on both sizes, also when a reused data set was just migrated (a
        # migration may have added an index or backfilled a column since the last ANALYZE).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        # Rate-limit counters and used TOTP codes of earlier runs would turn sign-ins away.
        cache.clear()
        plan: dict[str, Any] = {
            "vendor": connection.vendor,
            "server_version": self.server_version(),
            "experts": ExpertProfile.objects.count(),
            "requests": Request.objects.count(),
            "seeded_at": read_seeded_at(),
            "paths": harness.page_paths(),
            "sessions": {role: self.session(email) for role, email in harness.USERS.items()},
        }
        if options["load_users"]:
            plan["load"] = self.load_plan(options["load_users"])
        Path(options["plan"]).write_text(json.dumps(plan, indent=1))

    def server_version(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
            return f"{connection.display_name} {cursor.fetchone()[0]}"

    def session(self, email: str) -> str:
        # A signed-in session as after a full sign-in (MFA included), without typing TOTP codes.
        client = Client()
        client.force_login(User.objects.get(email=email))
        return client.session.session_key or ""

    def load_plan(self, users: int) -> dict[str, Any]:
        """Accounts that sign in with a password (and a TOTP code for staff), one per simulated user,
        since a TOTP code is accepted only once per account; and what their journeys open."""
        accounts: dict[str, list[str]] = {}
        for role, kind in (("coordinator", StaffRole.Kind.COORDINATOR), ("manager", StaffRole.Kind.MANAGER)):
            accounts[role] = []
            for number in range(1, users + 1):
                user = self.account(f"load-{role}-{number:02d}@bench.test", DEMO_PASSWORD)
                StaffRole.objects.get_or_create(user=user, role=kind, region=None)
                if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                    TOTP.activate(user, DEMO_TOTP_SECRET)
                accounts[role].append(user.email)
        # Experts and unit members of the data set itself, so their pages show what a real one sees.
        experts = list(
            User.objects.filter(email__startswith=harness.GENERATED_EXPERT_PREFIX, expert_profile__status="active")
            .order_by("email")
            .values_list("email", flat=True)[:users]
        ) or [harness.USERS["expert"]]
        for email in experts:
            self.account(email, DEMO_PASSWORD)
        accounts["expert"] = experts
        members = UnitMembership.objects.approved().select_related("user").order_by("unit_id", "user_id")
        unit_requests: dict[str, list[int]] = {}
        for membership in members:
            if membership.user.email in unit_requests:
                continue
            unit_requests[membership.user.email] = list(
                Request.objects.filter(unit_id=membership.unit_id).order_by("-pk").values_list("pk", flat=True)[:20]
            )
        accounts["unit"] = list(unit_requests)[:users]
        return {
            "password": DEMO_PASSWORD,
            "totp_secret": DEMO_TOTP_SECRET,
            "urls": harness.url_templates(harness.LOAD_URL_NAMES),
            "accounts": accounts,
            "unit_requests": unit_requests,
            "matching_requests": list(
                Request.objects.filter(status=Request.Status.MATCHING).order_by("pk").values_list("pk", flat=True)[:50]
            ),
            "experts": list(
                ExpertProfile.objects.filter(status=ExpertProfile.Status.ACTIVE)
                .order_by("pk")
                .values_list("pk", flat=True)[:50]
            ),
        }

    def account(self, email: str, password: str) -> User:
        user, created = User.objects.get_or_create(email=email, defaults={"first_name": "Load", "last_name": "Test"})
        if created or not user.has_usable_password():
            user.set_password(password)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        return user


# What a database was seeded with lives in the database itself (a table of the benchmark's own,
# outside the project's models), so a file left over from another database can never vouch for it.
MARKER_TABLE = "bench_marker"


def read_marker() -> dict[str, Any] | None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name VARCHAR(20) PRIMARY KEY, value TEXT NOT NULL)")
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = %s", ["seed"])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    marker = json.loads(row[0])
    marker.pop("seeded_at", None)
    return marker


def read_seeded_at() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = %s", ["seed"])  # noqa: S608
        return str(json.loads(cursor.fetchone()[0])["seeded_at"])


def write_marker(value: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = %s", ["seed"])  # noqa: S608
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (name, value) VALUES (%s, %s)", ["seed", json.dumps(value)])  # noqa: S608
