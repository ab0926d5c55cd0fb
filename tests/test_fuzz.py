"""Hostile input to every form and query string of every role: never a server error, and a
refused submission writes nothing.

Nothing is listed by hand. The demo data is loaded; for each persona a crawler starts from every
URL pattern that needs no argument and follows the links on the pages it gets (one page per URL
name), collecting every form. Then, once per role:

- every POST form is sent with all its fields at once replaced by HOSTILE_VALUES, rotating so that
  each field gets each value; with lists where one value is expected; one field at a time with the
  NASTIEST values while the rest stays as the page filled it in (so the checks after the fields run
  too); with every field left out; and with a body that is not UTF-8. Then Hypothesis fills all
  fields of any form with anything it likes (and would shrink a failure to its smallest case);
- every page gets the fields of its GET forms (filters) and `page` in the query string, the same
  way, and raw query strings that are not UTF-8;
- every URL pattern with an integer in its path is asked for an id no column can hold.

Each POST runs in a savepoint that is rolled back afterwards, so every submission meets the same
data. A submission counts as refused unless it redirects without an error, warning or info
message; a refused one must write nothing (sessions and rate-limit counters aside).
"""

from __future__ import annotations

import logging
import re
import sys
import urllib.parse
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection, transaction
from django.template.base import Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from registry.models import User
from tests.test_url_access import PERSONAS as URL_PERSONAS
from tests.test_url_access import ROWS

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PERSONAS = {
    "anonymous": None,
    "expert": "expert@demo.test",
    "expert2": "expert2@demo.test",
    "unit_member": "unit@demo.test",
    "unit_member2": "unit2@demo.test",
    "coordinator": "coordinator@demo.test",
    "manager": "manager@demo.test",
    "admin": "admin@demo.test",
}

HOSTILE_VALUES: list[str] = [
    # numbers: huge, negative, Unicode digits, not quite numbers
    "9" * 400,
    "-" + "9" * 30,
    "-1",
    "0",
    "1e309",
    "NaN",
    "1_000",
    " 3 ",
    "²",
    "¹",
    "٣",
    "１２",
    "Ⅻ",
    # NUL bytes, very long and invisible text
    "\x00",
    "ok\x00ok",
    "x" * 20_000,
    "\u202e\u200b",
    # dates that do not exist or do not parse
    "2024-02-30",
    "0000-00-00",
    "9999-12-31T23:59",
    "31.12.99999 25:61",
    # SQL, HTML, template, formula and path strings
    "' OR '1'='1' --",
    '"; DROP TABLE registry_user; --',
    "<script>alert(1)</script>",
    '=HYPERLINK("https://evil.example","x")',
    "{{ request }}{% debug %}",
    "%s%n%x",
    "../../../../etc/passwd",
]
# Query strings that are not UTF-8, or not even well-formed.
RAW_QUERY_STRINGS = ["q=%FF%FE%FD", "page=%C0%AF", "%", "a=%zz&&=&page", "page=1&page=2&page=%00"]
# Writes that are not the application's state: the session, allauth's session list and counters.
ALLOWED_WRITES = {"django_session", "usersessions_usersession", "registry_cache"}
# URL names the crawler may leave alone, and why.
NOT_FUZZED = {
    "admin:*": "Django's admin: staff only behind MFA, Django's own forms",
    "set_language": "Django's view: a bad language is ignored (fuzzed when a page has the form)",
    "healthz": "no input",
    "engagements:calendar-feed": "its token is the only input; unknown tokens are 404 (test_calendar.py)",
    "account_confirm_email": "allauth's key link; unknown keys are a page, not a form",
    "account_reset_password_from_key": "allauth's key link; a wrong key shows the bad-token page",
    "account_reset_password_from_key_done": "a page without input",
    "account_confirm_login_code": "login by code is off",
    "mfa_authenticate": "only reachable in the middle of a login",
    "mfa_reauthenticate": "allauth's own form; reached by the coordinator and fuzzed when linked",
    "mfa_activate_totp": "allauth's own form behind reauthentication",
    "mfa_deactivate_totp": "allauth's own form behind reauthentication",
    "mfa_view_recovery_codes": "allauth's own page behind reauthentication",
    "mfa_generate_recovery_codes": "allauth's own form behind reauthentication",
    "mfa_download_recovery_codes": "allauth's own page behind reauthentication",
    "account_set_password": "accounts always have a password",
    "account_inactive": "a page without input",
    "account_email_verification_sent": "a page without input",
    "account_reset_password_done": "a page without input",
}
PAGES_PER_NAME = 1
# One field at a time and lists: the values most likely to get past one check and break the next.
NASTIEST = ["9" * 400, "²", "٣", "\x00", "x" * 20_000, "2024-02-30", "-1"]
BLIND_FIELDS = ["reason", "attended", "role", "guardian_name", "guardian_email", "note", "status"]
ONE_AT_A_TIME = ["9" * 400, "²", "\x00", "x" * 20_000, "2024-02-30"]
HYPOTHESIS_EXAMPLES = 200
# The second expert and unit member have the same forms as the first: fuzzed once per role.
ROLE_OF = {persona: persona.rstrip("2") for persona in PERSONAS}
# test_url_access.py's persona names, mapped to ours.
URL_PERSONA_NAMES = {
    "anonymous": "anonymous",
    "expert": "expert",
    "other_expert": "expert2",
    "unit_member": "unit_member",
    "other_unit_member": "unit_member2",
    "coordinator": "coordinator",
    "manager": "manager",
    "admin": "admin",
}


# Crawling ------------------------------------------------------------------------------------------


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: list[tuple[str, str, str, bool]] = field(default_factory=list)  # name, type, value, checked
    selects: dict[str, tuple[list[str], list[str], bool]] = field(default_factory=dict)  # options, chosen, multi
    textareas: dict[str, str] = field(default_factory=dict)

    def names(self) -> list[str]:
        names = [n for n, kind, _v, _c in self.fields if kind not in ("submit", "button", "image", "reset")]
        names += list(self.selects) + list(self.textareas)
        return sorted({n for n in names if n != "csrfmiddlewaretoken"})

    def baseline(self) -> dict[str, list[str]]:
        """What a browser would send for the form as the page filled it in."""
        data: dict[str, list[str]] = {}
        radios: dict[str, str] = {}
        for name, kind, value, checked in self.fields:
            if kind == "file":
                continue
            if kind in ("submit", "button", "image", "reset"):
                continue
            if kind == "radio":
                if checked or name not in radios:
                    radios[name] = value
                continue
            if kind == "checkbox":
                if checked:
                    data.setdefault(name, []).append(value or "on")
                continue
            data.setdefault(name, []).append(value)
        for name, value in radios.items():
            data[name] = [value]
        for name, (options, chosen, multiple) in self.selects.items():
            data[name] = chosen or options[:1] if not multiple else chosen
        for name, text in self.textareas.items():
            data[name] = [text]
        submits = [(n, v) for n, kind, v, _c in self.fields if kind == "submit" and n]
        if submits:
            data[submits[0][0]] = [submits[0][1]]
        return data


class PageParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: tuple[str, list[str], list[str], bool] | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "form":
            self.form = Form(self.page, a.get("action") or self.page, (a.get("method") or "get").lower())
            self.forms.append(self.form)
        elif self.form is not None and tag in ("input", "button") and a.get("name"):
            kind = (a.get("type") or ("submit" if tag == "button" else "text")).lower()
            self.form.fields.append((a["name"] or "", kind, a.get("value") or "", "checked" in a))
        elif self.form is not None and tag == "select" and a.get("name"):
            self.select = (a["name"] or "", [], [], "multiple" in a)
        elif self.select is not None and tag == "option":
            value = a.get("value") or ""
            self.select[1].append(value)
            if "selected" in a:
                self.select[2].append(value)
        elif self.form is not None and tag == "textarea" and a.get("name"):
            self.textarea, self.text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None and self.form is not None:
            name, options, chosen, multiple = self.select
            self.form.selects[name] = (options, chosen, multiple)
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self.form.textareas[self.textarea] = "".join(self.text)
            self.textarea = None


def _url_names(patterns: list[Any], namespace: str | None = None) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            yield from _url_names(
                pattern.url_patterns, f"{namespace}:{inner}" if namespace and inner else inner or namespace
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


def view_name(path: str) -> str | None:
    try:
        match = resolve(urllib.parse.urlsplit(path).path)
    except Resolver404:
        return None
    name = match.view_name
    return "admin:*" if name.startswith("admin:") else name


def local(url: str, page: str) -> str | None:
    """The site-relative URL of a link, or None for another site, an anchor or a mail link."""
    absolute = urllib.parse.urljoin("http://testserver" + page, url)
    parts = urllib.parse.urlsplit(absolute)
    if parts.netloc != "testserver" or parts.scheme not in ("http", "https"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Site:
    pages: dict[str, list[str]] = field(default_factory=dict)  # view name -> URLs that gave 200
    reached: set[str] = field(default_factory=set)  # view names visited, whatever the answer
    forms: list[Form] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def crawl(client: Client) -> Site:
    site = Site()
    starts = []
    for name, _pattern in _url_names(get_resolver().url_patterns):
        try:
            starts.append(reverse(name))
        except NoReverseMatch:
            continue
    queue = deque(starts)
    seen: set[str] = set()
    per_name: Counter[str] = Counter()
    while queue:
        url = queue.popleft()
        name = view_name(url)
        if url in seen or name is None or name in ("admin:*", "account_logout") or per_name[name] >= PAGES_PER_NAME:
            continue
        seen.add(url)
        per_name[name] += 1
        response = client.get(url)
        # /healthz/ says 503 on purpose while no worker or scheduler runs beside the test server.
        if response.status_code >= 500 and name != "healthz":
            site.errors.append(f"GET {url}: {response.status_code}")
            continue
        site.reached.add(name)
        if response.status_code != 200:
            continue
        site.pages.setdefault(name, []).append(url)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = PageParser(url)
        parser.feed(response.content.decode(errors="replace"))
        for form in parser.forms:
            target = local(form.action, url)
            if target is not None and view_name(target) not in (None, "admin:*"):
                form.action = target
                site.forms.append(form)
        for link in parser.links:
            target = local(link, url)
            if target is not None and target not in seen:
                queue.append(target)
    return site


# Checking one request ---------------------------------------------------------------------------------


def snapshot(tables: set[str]) -> dict[str, list[tuple[Any, ...]]]:
    with connection.cursor() as cursor:
        result = {}
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our table names
            result[table] = sorted(map(repr, cursor.fetchall()))
        return result


WRITE = re.compile(r'^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?([\w.]+)"?', re.IGNORECASE)


@dataclass
class Tally:
    values: int = 0
    requests: int = 0
    endpoints: set[tuple[str, str, str]] = field(default_factory=set)  # persona, method, view name
    failures: list[str] = field(default_factory=list)


class Fuzzer:
    def __init__(self, personas: dict[str, User | None], tables: set[str]) -> None:
        self.personas = personas
        self.tables = tables
        self.pristine = snapshot(tables)
        self.tally = Tally()
        self.clients = {name: self.login(name) for name in personas}

    def login(self, persona: str) -> Client:
        client = Client(raise_request_exception=False)
        user = self.personas[persona]
        if user is not None:
            client.force_login(user)
        return client

    def client(self, persona: str) -> Client:
        client = self.clients[persona]
        if self.personas[persona] is not None and "_auth_user_id" not in client.session:
            client = self.clients[persona] = self.login(persona)  # a form signed the persona out
        return client

    def progress(self) -> None:
        self.tally.requests += 1
        if self.tally.requests % 250 == 0:
            print(f"fuzz: {self.tally.requests} requests, {self.tally.values} values", file=sys.__stderr__, flush=True)

    def post(self, persona: str, form: Form, data: dict[str, Any], about: str, *, raw: bytes | None = None) -> None:
        client = self.client(persona)
        self.progress()
        self.tally.endpoints.add((persona, "POST", view_name(form.action) or "?"))
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                if raw is None:
                    response = client.post(form.action, data)
                else:
                    response = client.post(form.action, raw, content_type="application/x-www-form-urlencoded")
            self.check(persona, "POST", form.action, about, response, queries)
            transaction.set_rollback(True)

    def get(self, persona: str, path: str, query: dict[str, Any] | str, about: str) -> None:
        client = self.client(persona)
        self.progress()
        self.tally.endpoints.add((persona, "GET", view_name(path) or "?"))
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                # A string is sent as the raw query string, bytes that are not UTF-8 included.
                raw = {"QUERY_STRING": query} if isinstance(query, str) else {}
                response = client.get(path, {} if isinstance(query, str) else query, **raw)
            self.check(persona, "GET", path, about, response, queries)
            transaction.set_rollback(True)

    def check(self, persona: str, method: str, path: str, about: str, response: Any, queries: Any) -> None:
        where = f"{persona} {method} {path} {about[:80]!r}"
        if response.status_code >= 500:
            self.tally.failures.append(f"{where}: {response.status_code}")
            return
        levels = {m.level for m in get_messages(response.wsgi_request)} if hasattr(response, "wsgi_request") else set()
        accepted = response.status_code in (302, 303) and not levels & {messages.ERROR, messages.WARNING, messages.INFO}
        # A GET may write (an audit event for viewing personal data); a refused POST may not.
        if method == "POST" and not accepted:
            written = {m[1] for q in queries.captured_queries if (m := WRITE.match(q["sql"]))}
            written = {t.strip('"') for t in written} - ALLOWED_WRITES
            if written and snapshot(written & self.tables) != {t: self.pristine[t] for t in written & self.tables}:
                self.tally.failures.append(f"{where}: refused ({response.status_code}) but wrote {sorted(written)}")


# The test -----------------------------------------------------------------------------------------------


def rotated(names: list[str], round_: int, values: list[Any]) -> dict[str, Any]:
    """Round `round_` of filling every field at once: over len(values) rounds each field gets
    every value, and no two fields get the same one in a round."""
    return {name: values[(round_ + i) % len(values)] for i, name in enumerate(names)}


@pytest.fixture
def demo_world(monkeypatch: pytest.MonkeyPatch) -> dict[str, User | None]:
    call_command("seed", force=True, verbosity=0)
    # The test client records every template's context for response.context; thousands of pages
    # later that is most of the time and memory, and nothing here reads it.
    monkeypatch.setattr(Template, "_render", lambda self, context: self.nodelist.render(context))
    users = {u.email: u for u in User.objects.filter(email__in=[e for e in PERSONAS.values() if e])}
    return {name: (users[email] if email else None) for name, email in PERSONAS.items()}


@pytest.fixture
def quiet_request_log() -> Iterator[None]:
    # Thousands of "Bad Request" warnings would only slow the test down; errors are still logged.
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def test_hostile_values_in_every_form_and_query_string_never_cause_a_server_error(
    demo_world: dict[str, User | None], quiet_request_log: None, capsys: Any
) -> None:
    tables = set(connection.introspection.table_names()) - ALLOWED_WRITES
    fuzzer = Fuzzer(demo_world, tables)
    crawled: dict[str, Site] = {}
    for persona in PERSONAS:
        site = crawled[persona] = crawl(fuzzer.client(persona))
        fuzzer.tally.failures += site.errors
        found = f"{len(site.pages)} pages, {len(site.forms)} forms"
        print(f"fuzz: crawled {persona}: {found}", file=sys.__stderr__, flush=True)

    # POST forms, once per role (the second expert and unit member have the same forms): every
    # field at once, rotating through the hostile values, as values and as lists; then one field at
    # a time with the nastiest values, so that the rest of the form is valid and the checks after
    # the fields run too; then fields left out and a body that is not UTF-8.
    post_forms: dict[tuple[str, str, tuple[str, ...]], tuple[str, Form]] = {}
    for persona, site in crawled.items():
        for form in site.forms:
            if form.method == "post":
                key = (ROLE_OF[persona], view_name(form.action) or "?", tuple(form.names()))
                post_forms.setdefault(key, (persona, form))
    for persona, form in post_forms.values():
        names, baseline = form.names(), form.baseline()
        for round_ in range(len(HOSTILE_VALUES)):
            values = rotated(names, round_, HOSTILE_VALUES)
            fuzzer.post(persona, form, {**baseline, **values}, f"all fields {values!r}")
            fuzzer.tally.values += len(values)
        for round_ in range(len(NASTIEST)):
            values = rotated(names, round_, [[value, "1"] for value in NASTIEST])
            fuzzer.post(persona, form, {**baseline, **values}, f"all fields as lists {values!r}")
            fuzzer.tally.values += len(values)
        for name in names:
            for value in ONE_AT_A_TIME:
                fuzzer.post(persona, form, {**baseline, name: value}, f"{name}={value!r}")
                fuzzer.tally.values += 1
        fuzzer.post(persona, form, {}, "every field left out")
        encoded = urllib.parse.urlencode(baseline, doseq=True).encode()
        raw = encoded + b"".join(b"&" + name.encode() + b"=%FF%FE" for name in names)
        fuzzer.post(persona, form, {}, "not UTF-8", raw=raw)
        fuzzer.tally.values += len(names)

    # Then Hypothesis fills every field of any form at once, with anything.
    forms = list(post_forms.values())
    text = st.one_of(
        st.sampled_from(HOSTILE_VALUES),
        st.text(max_size=40),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.dates().map(str),
    )

    @hypothesis_settings(
        max_examples=HYPOTHESIS_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.integers(min_value=0, max_value=len(forms) - 1), st.data())
    def everything_at_once(index: int, data: st.DataObject) -> None:
        persona, form = forms[index]
        values = {name: data.draw(st.one_of(text, st.lists(text, max_size=3)), label=name) for name in form.names()}
        fuzzer.post(persona, form, {**form.baseline(), **values}, f"hypothesis {values!r}")
        fuzzer.tally.values += len(values)

    everything_at_once()

    # Query strings, once per page and set of filters (a public page once, not once per role): the
    # fields of its GET forms (filters) and `page`, all at once, rotating through the hostile values
    # (the nastiest only where `page` is all there is); then raw query strings that are not UTF-8.
    pages: dict[tuple[str, tuple[str, ...]], tuple[str, str, list[str]]] = {}
    for persona, site in crawled.items():
        filters: dict[str, set[str]] = {}
        for form in site.forms:
            if form.method == "get":
                filters.setdefault(form.action.split("?")[0], set()).update(form.names())
        for name, urls in site.pages.items():
            path = urls[0].split("?")[0]
            if name != "account_logout":
                params = sorted(filters.get(path, set()) | {"page"})
                pages.setdefault((name, tuple(params)), (persona, path, params))
    for persona, path, params in pages.values():
        values_list = HOSTILE_VALUES if len(params) > 1 else NASTIEST
        for round_ in range(len(values_list)):
            values = rotated(params, round_, values_list)
            fuzzer.get(persona, path, values, f"query {values!r}")
            fuzzer.tally.values += len(values)
        fuzzer.get(persona, path, dict.fromkeys(params, NASTIEST), "every parameter as a list")
        fuzzer.tally.values += len(params)
        for raw in RAW_QUERY_STRINGS:
            fuzzer.get(persona, path, raw, raw)
            fuzzer.tally.values += 1

    # POST-only URLs whose form none of the crawled pages showed (it appears only in a state the
    # first page per URL name was not in): posted blind, with the first demo ids in the path and
    # the field names such forms use, for each persona the URL lets in.
    posted = {name for (_p, m, name) in fuzzer.tally.endpoints if m == "POST"}
    for name, (kwargs, outcomes) in ROWS.items():
        if "405" not in outcomes.split() or name in posted or name in NOT_FUZZED:
            continue
        for url_persona, outcome in zip(URL_PERSONAS, outcomes.split(), strict=True):
            if outcome != "405":
                continue
            for first_id in (1, 2):
                path = reverse(name, kwargs={k: first_id if isinstance(v, int) else v for k, v in kwargs.items()})
                blind = Form(page=path, action=path, method="post")
                blind.fields = [(field_name, "text", "", False) for field_name in BLIND_FIELDS]
                for round_ in range(len(NASTIEST)):
                    values = rotated(BLIND_FIELDS, round_, NASTIEST)
                    fuzzer.post(URL_PERSONA_NAMES[url_persona], blind, values, f"blind {values!r}")
                    fuzzer.tally.values += len(values)

    # Ids in the path that no column can hold, for each persona the URL lets in.
    for name, pattern in _url_names(get_resolver().url_patterns):
        converters = getattr(pattern.pattern, "converters", {})
        if name.startswith("admin:") or not converters or name not in ROWS:
            continue
        kwargs = {key: 10**30 if type(c).__name__ == "IntConverter" else "x" * 300 for key, c in converters.items()}
        path = reverse(name, kwargs=kwargs)
        outcomes = dict(zip(URL_PERSONAS, ROWS[name][1].split(), strict=True))
        for persona, outcome in outcomes.items():
            if outcome not in ("login", "403") and persona in URL_PERSONA_NAMES:
                fuzzer.get(URL_PERSONA_NAMES[persona], path, {}, "huge id")
                fuzzer.tally.values += 1

    tally = fuzzer.tally
    reached = {name for site in crawled.values() for name in site.reached}
    fuzzed = {name for (_p, _m, name) in tally.endpoints}
    post_endpoints = {(p, n) for p, m, n in tally.endpoints if m == "POST"}
    get_endpoints = {(p, n) for p, m, n in tally.endpoints if m == "GET"}
    with capsys.disabled():
        print(
            f"\nfuzz: {tally.values} hostile values in {tally.requests} requests; {len(post_forms)} POST forms, "
            f"{len(post_endpoints)} persona × POST endpoints, {len(get_endpoints)} persona × GET endpoints, "
            f"{len(fuzzed)} of {len(ROWS)} URL names; {len(tally.failures)} failures"
        )
    assert not tally.failures, "\n".join(tally.failures[:50])
    assert tally.values >= 1000
    missing = sorted(set(ROWS) - reached - fuzzed - set(NOT_FUZZED))
    assert not missing, f"never reached nor fuzzed (add demo data or a reason to NOT_FUZZED): {missing}"
    post_only = {name for name, (_kwargs, outcomes) in ROWS.items() if "405" in outcomes.split()}
    unposted = sorted(post_only - {name for _p, name in post_endpoints} - set(NOT_FUZZED))
    assert not unposted, f"POST-only URLs no page has a form for: {unposted}"
