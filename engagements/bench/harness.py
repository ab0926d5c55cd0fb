"""The benchmark: two data sets, two real servers, every page timed alternately, ratios reported.

Figures are the ones the goals are stated in (issue 10): per page the large/small ratio of median
server times, the ratio to a bare signed-in page at the large size, and the SQL query counts at both
sizes. Absolute milliseconds are printed for orientation only: they move with the machine's load,
while ratios measured in the same run, small and large alternating, do not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import importlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management import get_commands

from engagements.bench.middleware import QUERIES_HEADER

# Goals of issue 10.
RATIO_GOAL = 1.25  # large/small, for every page but the two below
BARE_GOAL = 5.0  # large page / large bare page
SMALL = (0, 0)  # generated experts and requests: the demo data alone
LARGE = (10_000, 100_000)


@dataclass(frozen=True)
class Page:
    key: str
    name: str
    role: str
    ratio_goal: float = RATIO_GOAL


PAGES: tuple[Page, ...] = (
    Page("inbox", "Coordinator inbox", "coordinator"),
    Page("matching", "Matching page", "coordinator"),
    Page("excluded", "Matching, excluded experts shown", "coordinator"),
    Page("registry", "Coordinator registry list", "coordinator"),
    Page("unit-requests", "Unit's request list", "unit"),
    Page("coordinator-home", "Coordinator home", "coordinator"),
    Page("overview", "Coordinator overview", "coordinator", ratio_goal=3.0),
    Page("statistics", "Manager dashboard (statistics)", "manager", ratio_goal=3.0),
    Page("expert-home", "Expert home", "expert"),
    Page("unit-home", "Unit home", "unit"),
)
PAGE_KEYS = tuple(page.key for page in PAGES)
# Who views the pages: the demo accounts, which both data sets have.
USERS = {
    "coordinator": "coordinator@demo.test",
    "manager": "manager@demo.test",
    "unit": "unit@demo.test",
    "expert": "expert@demo.test",
}
# The demo request in matching whose matching pages are measured.
MATCHING_REQUEST_TITLE = "Vierailu nuorisokodin henkilökunnan tiimiin"
GENERATED_EXPERT_PREFIX = "expert-"
GENERATED_REQUEST_PREFIX = "Generoitu pyyntö"
# Pages the load test's journeys open (engagements/bench/locustfile.py), by URL name.
LOAD_URL_NAMES = (
    "account_login",
    "mfa_authenticate",
    "engagements:coordinator-home",
    "engagements:manager-home",
    "engagements:unit-home",
    "engagements:expert-home",
    "engagements:inbox",
    "engagements:coordinator-request",
    "engagements:matching",
    "engagements:excluded",
    "engagements:overview",
    "engagements:statistics",
    "engagements:unit-requests",
    "engagements:unit-request",
    "engagements:my-offers",
    "engagements:history",
    "experts:expert-list",
    "experts:expert",
    "experts:profile",
    "experts:consents",
    "experts:availability",
)
# Every benchmark process signs sessions with the same key, so sessions made by the preparing
# process are valid on the servers. The databases are the benchmark's own; nothing is protected by it.
BENCH_SECRET_KEY = "bench-only-key-for-local-benchmark-databases-0123456789"


def bare_key(role: str) -> str:
    return f"bare:{role}"


def seed_module() -> Any:
    """The seed command's module, wherever the project keeps it (its demo password and TOTP secret)."""
    return importlib.import_module(f"{get_commands()['seed']}.management.commands.seed")


def seed_fingerprint() -> str:
    """Changes whenever the seed command does: data sets seeded by another version are not reused."""
    source = Path(seed_module().__file__).read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


# Data sets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    experts: int
    requests: int

    @property
    def slug(self) -> str:
        if (self.experts, self.requests) == SMALL:
            return "small"
        if (self.experts, self.requests) == LARGE:
            return "large"
        return f"e{self.experts}-r{self.requests}"

    def describe(self) -> str:
        if (self.experts, self.requests) == SMALL:
            return "demo data"
        return f"demo data + {self.experts:,} generated experts and {self.requests:,} generated requests"


def base_database_url(option: str | None) -> str:
    """The --database-url option, else DATABASE_URL; empty means SQLite files."""
    return option if option is not None else os.environ.get("DATABASE_URL", "")


def is_postgres(base_url: str) -> bool:
    return base_url.startswith(("postgres://", "postgresql://", "pgsql://"))


def database_url(base_url: str, size: Size, var: Path) -> str:
    """SQLite files under var/ by default; with a PostgreSQL DATABASE_URL, databases named after it."""
    if not is_postgres(base_url):
        return f"sqlite:///{(var / f'bench-{size.slug}.sqlite3').resolve()}"
    parts = urlsplit(base_url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path=f"/{name}_bench_{size.slug.replace('-', '_')}"))


def database_name(url: str) -> str:
    """A data set's name for its files under var/: the database's name, or the SQLite file's stem."""
    return Path(urlsplit(url).path).name.removesuffix(".sqlite3")


def ensure_database(url: str, base_url: str, *, reseed: bool) -> None:
    """Creates a PostgreSQL database if missing; drops it (or the SQLite file) first with reseed."""
    if url.startswith("sqlite"):
        path = Path("/" + urlsplit(url).path.lstrip("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if reseed:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(base_url, autocommit=True) as conn:
        if reseed:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def process_env(url: str, settings_module: str = "engagements.bench.settings") -> dict[str, str]:
    """Environment of every benchmark process: production settings (DEBUG off) over plain HTTP on loopback."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": url,
            "DEBUG": "0",
            "DEMO_MODE": "0",
            "SECRET_KEY": BENCH_SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SITE_URL": "http://127.0.0.1:8000",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def manage(*args: str, env: dict[str, str]) -> None:
    # Our own interpreter and arguments, never user input.
    subprocess.run([sys.executable, str(settings.BASE_DIR / "manage.py"), *args], env=env, check=True)  # noqa: S603


def prepare(
    base_url: str, size: Size, var: Path, *, reseed: bool = False, load_users: int = 0
) -> tuple[str, dict[str, Any]]:
    """Migrates and seeds one data set (once; reused afterwards) and returns its URL and plan.

    The plan, written by `manage.py bench_prepare` inside that database's own process, holds the
    data set's counts, each page's path and a session for each user.
    """
    url = database_url(base_url, size, var)
    plan_path = var / f"{database_name(url)}.plan.json"
    for fresh in (reseed, True):
        ensure_database(url, base_url, reseed=fresh)
        manage(
            "bench_prepare",
            f"--experts={size.experts}",
            f"--requests={size.requests}",
            f"--plan={plan_path}",
            f"--load-users={load_users}",
            env=process_env(url),
        )
        plan = json.loads(plan_path.read_text())
        if "stale" not in plan:
            return url, plan
        print(f"Recreating the {size.slug} data set: {plan['stale']}", flush=True)
    raise BenchError(f"Could not seed {url}")


def collect_static(env: dict[str, str]) -> None:
    # With DEBUG off the templates need the static files' manifest, as in production.
    manage("collectstatic", "--noinput", "--verbosity=0", env=env)


# Servers --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], log: Path, *, workers: int = 1, timeout: int = 600) -> Iterator[int]:
    """A gunicorn of the project on a free loopback port; yields the port once /healthz/ answers."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "registry.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                f"--timeout={timeout}",
                "--graceful-timeout=5",
                # gunicorn's control socket has one default path for every server on the machine.
                "--no-control-socket",
            ],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/healthz/")
                # Any answer means the server is up: a benchmark database has no worker, so the
                # scheduled jobs are overdue and /healthz/ answers 503 once their grace has passed.
                if conn.getresponse().status in (200, 503):
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer on port {port}; see {log}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Fetching a page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    server_ms: float  # from the bench middleware's Server-Timing header
    cpu_ms: float  # the server process's CPU time for the response (the database server's excluded)
    queries: int
    wall_ms: float  # as seen by the client, connection and transfer included


def parse_sample(status: int, headers: Any, wall_ms: float, what: str) -> Sample:
    if status != 200:
        raise BenchError(f"{what} answered {status} (expected 200)")
    timings = dict(part.strip().split(";dur=", 1) for part in headers.get("Server-Timing", "").split(",") if part)
    queries = headers.get(QUERIES_HEADER)
    if "app" not in timings or "cpu" not in timings or queries is None:
        raise BenchError(f"{what} has no benchmark headers: is engagements.bench.settings in use?")
    return Sample(float(timings["app"]), float(timings["cpu"]), int(queries), wall_ms)


class BenchError(RuntimeError):
    pass


class Target(Protocol):
    label: str

    def fetch(self, role: str, path: str) -> Sample: ...


class HttpTarget:
    """A benchmark server over HTTP, with a cookie jar per user like a browser's."""

    def __init__(self, label: str, port: int, sessions: dict[str, str]) -> None:
        self.label = label
        self.port = port
        self.cookies = {role: {settings.SESSION_COOKIE_NAME: key} for role, key in sessions.items()}

    def fetch(self, role: str, path: str) -> Sample:
        jar = self.cookies[role]
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
            response = conn.getresponse()
            response.read()
            wall_ms = (time.perf_counter() - started) * 1000
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                jar[name] = morsel.value
        return parse_sample(response.status, response.headers, wall_ms, f"{self.label} {path} as {role}")


class ClientTarget:
    """The current database through Django's test client, in this process (for the suite)."""

    def __init__(self, label: str, users: dict[str, Any]) -> None:
        from django.test import Client

        self.label = label
        self.clients = {}
        for role, user in users.items():
            client = Client()
            client.force_login(user)
            self.clients[role] = client

    def fetch(self, role: str, path: str) -> Sample:
        started = time.perf_counter()
        response = self.clients[role].get(path)
        wall_ms = (time.perf_counter() - started) * 1000
        return parse_sample(response.status_code, response.headers, wall_ms, f"{self.label} {path} as {role}")


# Measuring ------------------------------------------------------------------------------------


def page_paths() -> dict[str, str]:
    """Each page's path on the current database (run inside the data set's own process)."""
    from django.urls import reverse

    from engagements.bench.urls import BARE_PATH
    from engagements.models import Request

    matching = Request.objects.filter(title=MATCHING_REQUEST_TITLE).values_list("pk", flat=True).first()
    if matching is None:
        raise BenchError(f"The demo request {MATCHING_REQUEST_TITLE!r} is missing: seed the database.")
    paths = {
        "inbox": reverse("engagements:inbox"),
        "matching": reverse("engagements:matching", args=[matching]),
        "excluded": reverse("engagements:excluded", args=[matching]),
        "registry": reverse("experts:expert-list"),
        "unit-requests": reverse("engagements:unit-requests"),
        "coordinator-home": reverse("engagements:coordinator-home"),
        "overview": reverse("engagements:overview"),
        "statistics": reverse("engagements:statistics"),
        "expert-home": reverse("engagements:expert-home"),
        "unit-home": reverse("engagements:unit-home"),
    }
    paths.update({bare_key(role): BARE_PATH for role in USERS})
    return paths


def url_templates(names: Iterable[str]) -> dict[str, str]:
    """Each URL name's path, with `{}` where a page takes an object's primary key."""
    from django.urls import NoReverseMatch, reverse

    placeholder = 987654321
    templates = {}
    for name in names:
        try:
            templates[name] = reverse(name)
        except NoReverseMatch:
            templates[name] = reverse(name, args=[placeholder]).replace(str(placeholder), "{}")
    return templates


def measured_items(pages: Iterable[Page]) -> list[tuple[str, str]]:
    """(key, role) of every page, then the bare page of every role that has a page."""
    pages = list(pages)
    roles = [role for role in USERS if any(page.role == role for page in pages)]
    return [(page.key, page.role) for page in pages] + [(bare_key(role), role) for role in roles]


def measure(
    targets: list[Target],
    paths: dict[str, dict[str, str]],
    pages: Iterable[Page],
    *,
    rounds: int,
    warmup: int = 2,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, list[Sample]]]:
    """Samples per target label and page key.

    Every page is requested from each target in turn, `rounds` times, the order of the targets
    alternating from one request to the next, so that a change in the machine's load falls on
    both sizes alike. Warm-up requests (templates, caches, the first session write) are not kept.
    """
    items = measured_items(pages)
    for target in targets:
        for key, role in items:
            for _ in range(warmup):
                target.fetch(role, paths[target.label][key])
    samples: dict[str, dict[str, list[Sample]]] = {target.label: {key: [] for key, _ in items} for target in targets}
    for round_no in range(rounds):
        started = time.perf_counter()
        for index, (key, role) in enumerate(items):
            order = targets if (round_no + index) % 2 == 0 else targets[::-1]
            for target in order:
                samples[target.label][key].append(target.fetch(role, paths[target.label][key]))
        if progress:
            progress(f"round {round_no + 1}/{rounds} in {time.perf_counter() - started:.1f} s")
    return samples


@dataclass
class Row:
    key: str
    name: str
    small_ms: float  # median server time
    large_ms: float
    ratio: float  # large/small of the medians
    cpu_ratio: float  # the same for the server process's CPU time
    small_queries: list[int]  # every count seen (one, unless the page varies from request to request)
    large_queries: list[int]
    ratio_low: float  # 95% bootstrap interval of the ratio, over the rounds
    ratio_high: float
    ratio_goal: float | None = None  # None for the bare pages, which have no goal of their own
    bare_ratio: float | None = None  # large page / large bare page of the same user
    problems: list[str] = field(default_factory=list)
    uncertain: bool = False  # over the ratio goal, but the goal is inside the 95% interval

    @property
    def over_goal(self) -> bool:
        return bool(self.problems)


def median(samples: list[Sample], attribute: str = "server_ms") -> float:
    return statistics.median(getattr(sample, attribute) for sample in samples)


def ratio_interval(small: list[Sample], large: list[Sample], resamples: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval of median(large)/median(small).

    Rounds are resampled whole (the small and large request of a round were made moments apart,
    under the same load). The generator is seeded, so the same samples give the same interval.
    """
    rounds = min(len(small), len(large))
    if rounds < 3:
        ratio = median(large) / median(small)
        return ratio, ratio
    rng = random.Random(10)
    ratios = []
    for _ in range(resamples):
        picked = [rng.randrange(rounds) for _ in range(rounds)]
        ratios.append(median([large[i] for i in picked]) / median([small[i] for i in picked]))
    ratios.sort()
    return ratios[int(resamples * 0.025)], ratios[int(resamples * 0.975) - 1]


def query_counts(samples: list[Sample]) -> list[int]:
    return sorted({sample.queries for sample in samples})


def compare(key: str, name: str, small: list[Sample], large: list[Sample]) -> Row:
    low, high = ratio_interval(small, large)
    return Row(
        key=key,
        name=name,
        small_ms=median(small),
        large_ms=median(large),
        ratio=median(large) / median(small),
        cpu_ratio=median(large, "cpu_ms") / max(median(small, "cpu_ms"), 0.001),
        small_queries=query_counts(small),
        large_queries=query_counts(large),
        ratio_low=low,
        ratio_high=high,
    )


def summarise(samples: dict[str, dict[str, list[Sample]]], pages: Iterable[Page]) -> list[Row]:
    """One row per page with its verdict against the goals, then one per bare page."""
    small, large = samples["small"], samples["large"]
    rows = []
    for page in pages:
        row = compare(page.key, page.name, small[page.key], large[page.key])
        row.ratio_goal = page.ratio_goal
        row.bare_ratio = row.large_ms / median(large[bare_key(page.role)])
        if row.ratio > page.ratio_goal:
            row.problems.append(f"large/small {row.ratio:.2f} > {page.ratio_goal:g}")
            if row.ratio_low <= page.ratio_goal:
                row.uncertain = True
        if row.bare_ratio > BARE_GOAL:
            row.problems.append(f"large/bare {row.bare_ratio:.1f} > {BARE_GOAL:g}")
        if row.small_queries != row.large_queries:
            row.problems.append(f"queries {format_queries(row.small_queries)} ≠ {format_queries(row.large_queries)}")
        rows.append(row)
    for role in USERS:
        key = bare_key(role)
        if key in large:
            rows.append(compare(key, f"Bare page ({role})", small[key], large[key]))
    return rows


def format_queries(counts: list[int]) -> str:
    # More than one count means the page ran a different number of queries from one request to the next.
    return "/".join(str(count) for count in counts)


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def git_commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        head = subprocess.run(  # noqa: S603
            [git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.BASE_DIR,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def report(rows: list[Row], meta: dict[str, Any]) -> str:
    """The run as Markdown, ready to paste into docs/benchmarks.md."""
    lines = [
        f"- When: {meta['started']} (UTC), commit {meta['commit']}",
        f"- Database: {meta['database']}; Python {meta['python']}, Django {meta['django']}",
        f"- Machine: {meta['cpus']} CPUs; load average (1/5/15 min) {meta['load_start']} at the start, "
        f"{meta['load_end']} at the end",
        f"- Small: {meta['small']['describe']} ({meta['small']['experts']:,} experts, "
        f"{meta['small']['requests']:,} requests, seeded {meta['small']['seeded_at']})",
        f"- Large: {meta['large']['describe']} ({meta['large']['experts']:,} experts, "
        f"{meta['large']['requests']:,} requests, seeded {meta['large']['seeded_at']})",
        f"- Method: {meta['method']}",
        "",
        "| page | small ms | large ms | large/small | 95% interval | goal | CPU large/small | large/bare (goal 5) "
        "| queries small → large | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        goal = f"≤ {row.ratio_goal:g}" if row.ratio_goal is not None else ""
        bare = f"{row.bare_ratio:.1f}" if row.bare_ratio is not None else ""
        if row.ratio_goal is None:
            verdict = ""
        elif row.problems:
            verdict = "**OVER GOAL**: " + "; ".join(row.problems)
            if row.uncertain:
                verdict += " (the goal is inside the interval: more rounds will tell)"
        else:
            verdict = "ok"
        lines.append(
            f"| {row.name} | {row.small_ms:.1f} | {row.large_ms:.1f} | {row.ratio:.2f} | "
            f"{row.ratio_low:.2f}–{row.ratio_high:.2f} | {goal} | {row.cpu_ratio:.2f} | {bare} | "
            f"{format_queries(row.small_queries)} → {format_queries(row.large_queries)} | {verdict} |"
        )
    over = [row.name for row in rows if row.over_goal]
    lines += ["", f"Over goal: {len(over)} of {sum(1 for row in rows if row.ratio_goal)} pages."]
    return "\n".join(lines) + "\n"


def results_json(samples: dict[str, dict[str, list[Sample]]], rows: list[Row], meta: dict[str, Any]) -> str:
    return json.dumps(
        {
            "meta": meta,
            "rows": [row.__dict__ | {"over_goal": row.over_goal} for row in rows],
            "samples": {
                label: {key: [sample.__dict__ for sample in values] for key, values in by_key.items()}
                for label, by_key in samples.items()
            },
        },
        indent=1,
        default=str,
    )


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
