"""Every page of every role, at 320 px and at 200 % and 400 % zoom (WCAG 1.4.4, 1.4.10, 2.4.4).

The demo data (`manage.py seed`) gives every role something on every page. Each persona signs in
and the test follows every link it finds inside the service, opening each kind of page (each URL
name) once; a new page is covered as soon as something links to it. Each page is opened once and
then laid out three times: a 320 px window, and a 1280 px window with the page zoomed to 200 % and
400 %. Nothing may scroll sideways, and the structure checks of every browser test (unique ids, no
skipped heading levels, one name per link target) run too. axe itself runs in the other browser
tests; repeating it here would only multiply the time.

Slow (a few minutes): `pytest -m 'not slow'` leaves it out.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from tests.browser.conftest import (
    REFLOW_WIDTH,
    PageFactory,
    fresh_totp_code,
    reflow_problems,
    structure_problems,
    zoom_problems,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO_PASSWORD = "demo-Kokemus-2026"
ZOOMS = [2.0, 4.0]
OBJECTS_PER_KIND = 3

# Not pages: downloads, calendar files, images, health checks, and the third-party Django admin.
NOT_PAGES = {
    "healthz",
    "experts:export-json",
    "engagements:expert-photo",
    "postmark-tracking",
    "engagements:attachment",
    "engagements:receipt",
    "engagements:expense-receipt",
    "engagements:assignment-ics",
    "engagements:calendar-feed",
    "engagements:statistics-csv",
    "engagements:payments-export",
    "engagements:unit-review-csv",
    "engagements:unit-review-docx",
    "engagements:review-document-download",
    "mfa_download_recovery_codes",
}

PERSONAS = {
    "anonymous": (None, False),
    "expert": ("expert@demo.test", False),
    "unit_member": ("unit@demo.test", False),
    "coordinator": ("coordinator@demo.test", True),
    "manager": ("manager@demo.test", True),
}


@pytest.fixture
def demo_data(transactional_db: None, data_migration_rows: None) -> None:
    call_command("seed", force=True, verbosity=0)


def sign_in_quietly(page: Page, live_server: LiveServer, email: str, totp: bool) -> None:
    """The real sign-in form, without the per-page checks (the sweep checks every page itself)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("main input[name=login]", email)
    page.fill("main input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form:has(input[name=password]) button[type=submit]").first.click()
    if totp:
        page.fill("main input[name=code]", fresh_totp_code())
        with page.expect_navigation():
            page.locator("main form:has(input[name=code]) button[type=submit]").first.click()
    assert "/accounts/login/" not in page.url and "/2fa/authenticate/" not in page.url, page.url


def page_kind(url: str) -> tuple[str, bool] | None:
    """The URL name of a page of ours, and whether it shows one object (has arguments)."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name, bool(match.args or match.kwargs)


def layout_problems(page: Page) -> list[str]:
    problems = reflow_problems(page, REFLOW_WIDTH)
    for zoom in ZOOMS:
        problems += zoom_problems(page, zoom)
    return problems + structure_problems(page)


def one_per_state(persona: str) -> list[str]:
    """A page for one object in each state the demo data has, so that pages reached only from a
    certain state (editing a draft, feedback after an engagement, the impact note) are swept too."""
    from django.urls import reverse

    from engagements.models import Assignment, Request

    def first_of_each(rows: list[tuple[str, int]]) -> list[int]:
        chosen: dict[str, int] = {}
        for state, pk in rows:
            chosen.setdefault(state, pk)
        return list(chosen.values())

    if persona == "expert":
        rows = Assignment.objects.filter(expert__user__email="expert@demo.test").values_list("status", "pk")
        return [reverse("engagements:offer", args=[pk]) for pk in first_of_each(list(rows))]
    if persona == "unit_member":
        rows = Request.objects.filter(unit__memberships__user__email="unit@demo.test").values_list("status", "pk")
        return [reverse("engagements:unit-request", args=[pk]) for pk in first_of_each(list(rows))]
    if persona == "coordinator":
        rows = Request.objects.values_list("status", "pk")
        return [reverse("engagements:coordinator-request", args=[pk]) for pk in first_of_each(list(rows))]
    return []


def sweep(page: Page, live_server: LiveServer, start: str, states: list[str]) -> tuple[list[str], list[str]]:
    """Open the pages reachable from `start`: each list page once, and each page about one object
    for up to OBJECTS_PER_KIND objects (they differ by state: a draft, a confirmed and a completed
    request show different things and link to different pages). Returns the pages and the problems."""
    origin = urlsplit(live_server.url)
    queue = deque([f"{live_server.url}{start}"])
    queued = set(queue)
    seen: dict[str, int] = {}
    # Pages for objects in every state are opened whatever the count of their kind.
    always = {f"{live_server.url}{path}" for path in states}
    queue.extend(always - queued)
    queued |= always
    opened: list[str] = []
    problems: list[str] = []

    def wanted(kind: tuple[str, bool] | None) -> bool:
        if kind is None or kind[0] in NOT_PAGES or kind[0].startswith("admin:"):
            return False
        return seen.get(kind[0], 0) < (OBJECTS_PER_KIND if kind[1] else 1)

    while queue:
        url = queue.popleft()
        kind = page_kind(url)
        if not (url in always or wanted(kind)):
            continue
        response = page.goto(url)
        assert response is not None, url
        if response.status >= 400:
            problems.append(f"{url} answered {response.status} (linked from a page of ours)")
            continue
        landed = page_kind(page.url)
        if landed != kind and not (page.url in always or wanted(landed)):
            continue
        for name in {kind[0], (landed or kind)[0]}:  # type: ignore[index]
            seen[name] = seen.get(name, 0) + 1
        opened.append(page.url)
        problems += layout_problems(page)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)"):
            parts = urlsplit(href)
            if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                continue
            target = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
            if target not in queued:
                queued.add(target)
                queue.append(target)
    return opened, problems


@pytest.mark.parametrize("language", ["fi", "sv"])
@pytest.mark.parametrize("persona", list(PERSONAS))
def test_every_page_reflows_at_320_px_and_400_percent_zoom(
    demo_data: None, page: PageFactory, live_server: LiveServer, persona: str, language: str
) -> None:
    tab = page(language)
    email, totp = PERSONAS[persona]
    if email is not None:
        sign_in_quietly(tab, live_server, email, totp)
    opened, problems = sweep(tab, live_server, "/home/" if email else "/", one_per_state(persona))
    assert len(opened) >= 5, f"the sweep reached only {opened}"
    assert not problems, f"{len(problems)} problem(s) on {len(opened)} pages:\n" + "\n".join(problems)
