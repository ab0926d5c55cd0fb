"""Journeys of every role for `make load` (`manage.py loadtest` runs Locust on this file).

Each simulated user signs in once for real (password, and a TOTP code for coordinators and
managers) with an account of its own and waits until every user is in; then all of them walk their
role's pages, with a pause of 1–3 s between pages, for BENCH_LOAD_SECONDS (60), and the run ends.
So the page views are those of all users at once, not slowed by sign-ins still hashing passwords,
and the sign-in steps (named "Sign-in: …") are counted apart. Only GET page views follow the
sign-in, so a run changes no data but sessions.

Locust runs in its own process, without Django: everything it needs (accounts, the pages' paths, the
objects to open) comes from the plan that `loadtest` writes, named by BENCH_LOAD_PLAN; the summary
is written to BENCH_LOAD_SUMMARY when the run ends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import struct
import time
from pathlib import Path
from typing import Any

import gevent
from gevent.event import Event
from locust import HttpUser, between, events, task
from locust.env import Environment
from locust.stats import StatsEntry

PLAN: dict[str, Any] = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text())
URLS: dict[str, str] = PLAN["urls"]
SIGN_IN = "Sign-in"
STAFF = {"coordinator", "manager"}


def user_counts(users: int) -> dict[str, int]:
    """A quarter coordinators, a tenth managers, the rest unit members and experts; one of each at least."""
    counts = {
        "coordinator": max(1, round(users * 0.25)),
        "manager": max(1, round(users * 0.10)),
        "unit": max(1, round(users * 0.30)),
    }
    counts["expert"] = max(1, users - sum(counts.values()))
    return counts


COUNTS = user_counts(int(os.environ.get("BENCH_LOAD_USERS", "20")))
PAGE_VIEW_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
_next_account = {role: itertools.count() for role in COUNTS}
_signed_in = itertools.count(1)
EVERYONE_IN = Event()
PHASES: dict[str, float] = {}


def totp(secret: str) -> str:
    # RFC 6238 (SHA-1, 6 digits, 30 s), as the demo authenticator computes it.
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(base64.b32decode(secret), counter, hashlib.sha1).digest()
    offset = digest[-1] & 15
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class Visitor(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = ""

    def on_start(self) -> None:
        accounts = PLAN["accounts"][self.role]
        self.email = accounts[next(_next_account[self.role]) % len(accounts)]
        self.sign_in()  # a failed sign-in counts in too: its page views then fail, visibly
        if next(_signed_in) == sum(COUNTS.values()):
            PHASES["page_views_from"] = time.time()
            EVERYONE_IN.set()
            # The page views last the time asked for; then the run ends by itself.
            gevent.spawn_later(PAGE_VIEW_SECONDS, self.environment.runner.quit)
        EVERYONE_IN.wait()

    def sign_in(self) -> None:
        login = URLS["account_login"]
        self.client.get(login, name=f"{SIGN_IN}: form")
        form = {"login": self.email, "password": PLAN["password"], "csrfmiddlewaretoken": self.csrf()}
        with self.client.post(
            login, form, name=f"{SIGN_IN}: password", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"status {response.status_code}, expected a redirect")
                return
        if self.role in STAFF:
            code_page = URLS["mfa_authenticate"]
            self.client.get(code_page, name=f"{SIGN_IN}: code form")
            for attempt in range(3):
                if attempt:
                    # A code crosses into the next 30 s window when the server answers late; like a
                    # person, type the next code (the failed attempt stays counted as an error).
                    time.sleep(30 - time.time() % 30 + 1)
                form = {"code": totp(PLAN["totp_secret"]), "csrfmiddlewaretoken": self.csrf()}
                with self.client.post(
                    code_page, form, name=f"{SIGN_IN}: code", allow_redirects=False, catch_response=True
                ) as response:
                    if response.status_code == 302:
                        return
                    response.failure(f"status {response.status_code}, expected a redirect")

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken") or ""

    def view(self, name: str, url_name: str, pk: int | None = None) -> None:
        path = URLS[url_name].format(pk) if pk is not None else URLS[url_name]
        # Redirects are not followed: a redirect to the sign-in page is an error, not a page view.
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code} {response.headers.get('Location', '')}")


class Coordinator(Visitor):
    role = "coordinator"
    fixed_count = COUNTS["coordinator"]

    def request_pk(self) -> int:
        return random.choice(PLAN["matching_requests"])

    @task(3)
    def home(self) -> None:
        self.view("Coordinator home", "engagements:coordinator-home")

    @task(4)
    def inbox(self) -> None:
        self.view("Coordinator inbox", "engagements:inbox")

    @task(2)
    def request_detail(self) -> None:
        self.view("Coordinator request", "engagements:coordinator-request", self.request_pk())

    @task(3)
    def matching(self) -> None:
        self.view("Matching page", "engagements:matching", self.request_pk())

    @task(1)
    def excluded(self) -> None:
        self.view("Matching, excluded experts shown", "engagements:excluded", self.request_pk())

    @task(2)
    def registry(self) -> None:
        self.view("Coordinator registry list", "experts:expert-list")

    @task(1)
    def expert(self) -> None:
        self.view("Coordinator expert detail", "experts:expert", random.choice(PLAN["experts"]))

    @task(1)
    def overview(self) -> None:
        self.view("Coordinator overview", "engagements:overview")


class Manager(Visitor):
    role = "manager"
    fixed_count = COUNTS["manager"]

    @task(1)
    def home(self) -> None:
        self.view("Manager home", "engagements:manager-home")

    @task(2)
    def statistics(self) -> None:
        self.view("Manager dashboard (statistics)", "engagements:statistics")


class UnitMember(Visitor):
    role = "unit"
    fixed_count = COUNTS["unit"]

    @task(2)
    def home(self) -> None:
        self.view("Unit home", "engagements:unit-home")

    @task(3)
    def requests(self) -> None:
        self.view("Unit's request list", "engagements:unit-requests")

    @task(2)
    def request_detail(self) -> None:
        own = PLAN["unit_requests"].get(self.email)
        if own:
            self.view("Unit request", "engagements:unit-request", random.choice(own))


class Expert(Visitor):
    role = "expert"
    fixed_count = COUNTS["expert"]

    @task(3)
    def home(self) -> None:
        self.view("Expert home", "engagements:expert-home")

    @task(2)
    def offers(self) -> None:
        self.view("Expert offers", "engagements:my-offers")

    @task(1)
    def history(self) -> None:
        self.view("Expert history", "engagements:history")

    @task(1)
    def profile(self) -> None:
        self.view("Expert profile", "experts:profile")

    @task(1)
    def consents(self) -> None:
        self.view("Expert consents", "experts:consents")

    @task(1)
    def availability(self) -> None:
        self.view("Expert availability", "experts:availability")


def entry_summary(entry: StatsEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "requests": entry.num_requests,
        "errors": entry.num_failures,
        # Locust keeps response times rounded to two significant digits above 100 ms.
        "median_ms": round(entry.median_response_time),
        "p95_ms": round(entry.get_response_time_percentile(0.95)),
        "p99_ms": round(entry.get_response_time_percentile(0.99)),
    }


@events.quitting.add_listener
def write_summary(environment: Environment, **_kwargs: Any) -> None:
    stats = environment.stats
    if stats is None:
        return
    pages = StatsEntry(stats, "All page views", "")
    sign_in = StatsEntry(stats, "All sign-in requests", "")
    rows = []
    for entry in sorted(stats.entries.values(), key=lambda entry: entry.name):
        (sign_in if entry.name.startswith(SIGN_IN) else pages).extend(entry)
        rows.append(entry_summary(entry))
    errors = [
        {"name": error.name, "error": str(error.error), "occurrences": error.occurrences}
        for error in stats.errors.values()
    ]
    started = PHASES.get("page_views_from")
    summary = {
        "users": dict(COUNTS),
        "page_view_seconds": round(time.time() - started, 1) if started else 0,
        "rows": rows,
        "page_views": entry_summary(pages),
        "sign_in": entry_summary(sign_in),
        "errors": errors,
    }
    Path(os.environ["BENCH_LOAD_SUMMARY"]).write_text(json.dumps(summary, indent=1))
