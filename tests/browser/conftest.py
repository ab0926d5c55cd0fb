"""Browser tests: a real Chromium driven through Playwright against pytest-django's live server.

Every page a browser test opens goes through `visit()` (or `sign_in()`, which uses it), so each one
is checked with axe-core (WCAG 2.0/2.1 A and AA); for sideways scrolling at 360 px and at 320 px
(WCAG 1.4.10); for exactly one <h1>, no skipped heading levels and unique ids; and for links, buttons
and disclosures that share a name but lead to different places (WCAG 2.4.4). The Django admin,
which has its own stylesheet, is opened with `audit=False` and checked with `check_admin_page` (axe
and structure). test_reflow_sweep.py (slow) adds 200 % and 400 % zoom on every page of every role.

Without Chromium or Playwright the whole directory is skipped with one reason; set
REQUIRE_BROWSER=1 (as CI does) to turn that into a failure.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import cache

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Response
    from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an asyncio event loop in this thread; without this the Django ORM
# (used by the fixtures that create personas) refuses to run here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# Debian's Chromium; Playwright's own browser downloads are not used (the network is closed).
CHROMIUM = os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # The test network is closed: stop Chromium's own background connections.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LANGUAGES = ["fi", "sv", "en"]
MOBILE_VIEWPORT = {"width": 360, "height": 740}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

PageFactory = Callable[..., "Page"]
# Contexts opened with java_script_enabled=False; see check_page().
_SCRIPTLESS_CONTEXTS: weakref.WeakSet[BrowserContext] = weakref.WeakSet()


def _missing_browser() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"Playwright or axe-playwright-python is not installed ({error.name})"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium is not installed at {CHROMIUM}"
    return None


def _skip_reason() -> str | None:
    missing = _missing_browser()
    return None if missing is None else f"browser tests need Chromium and Playwright: {missing}"


SKIP_REASON = _skip_reason()
BROWSER_REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Without a browser every browser test is skipped from this one line with the same reason, so
    pytest -ra folds them into a single summary line; REQUIRE_BROWSER=1 makes the `browser`
    fixture fail them instead."""
    if SKIP_REASON is not None and not BROWSER_REQUIRED and item.get_closest_marker("browser") is not None:
        pytest.skip(SKIP_REASON)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if SKIP_REASON is not None:
        if BROWSER_REQUIRED:
            pytest.fail(f"{SKIP_REASON} (REQUIRE_BROWSER=1 makes this a failure)", pytrace=False)
        pytest.skip(SKIP_REASON)  # a browser test that lacks the `browser` marker

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> None:
    """The database cache outlives the per-test flush: reset allauth's rate-limit counters and its
    record of used TOTP codes so one test's sign-ins cannot lock out the next test."""
    cache.clear()


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., BrowserContext]]:
    """Open browser contexts (mobile viewport, language cookie) that are closed after the test.

    The browser's own locale stays at Playwright's default (en-US), so the language a page shows
    comes from the `django_language` cookie alone."""
    contexts: list[BrowserContext] = []

    def factory(language: str = "fi", **options: Any) -> BrowserContext:
        options.setdefault("viewport", MOBILE_VIEWPORT)
        context = browser.new_context(base_url=live_server.url, **options)
        if options.get("java_script_enabled") is False:
            _SCRIPTLESS_CONTEXTS.add(context)
        context.set_default_timeout(10_000)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> PageFactory:
    """`page(language="fi", **context_options)` gives a fresh page in its own context."""

    def factory(language: str = "fi", **options: Any) -> Page:
        return new_context(language, **options).new_page()

    return factory


def assert_accessible(page: Page) -> None:
    """Run axe-core on the current page and fail with a readable list of WCAG A/AA violations.

    axe-playwright-python injects axe.min.js with `page.evaluate(source)`. That goes through the
    DevTools protocol (Runtime.evaluate), which the page's Content-Security-Policy
    (`script-src 'self'`) does not govern; CSP only restricts scripts the page itself loads or
    evals. So the real CSP stays on – no bypass_csp context and no <script> tag (which the CSP
    would block) is needed – and axe checks the page exactly as users get it.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    if not violations:
        return
    lines = [f"axe found {len(violations)} accessibility violation(s) on {page.url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} – {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary}")
    pytest.fail("\n".join(lines), pytrace=False)


# The narrowest screen WCAG 1.4.10 (reflow) asks content to fit without sideways scrolling.
REFLOW_WIDTH = 320

# Layout and structure checks run in the page. Each returns a list of problems (empty = fine).
_SIDEWAYS_JS = """
() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    problems.push(`the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window`);
  }
  // A box that scrolls sideways inside the page hides content just as well (the availability grid
  // did). Only data tables may scroll inside their own region (WCAG 1.4.10 exempts them); such a
  // region is marked data-scroll="table".
  for (const element of document.querySelectorAll('body *')) {
    if (element.scrollWidth <= element.clientWidth + 1) continue;
    const overflow = getComputedStyle(element).overflowX;
    if (overflow !== 'auto' && overflow !== 'scroll') continue;
    if (element.dataset.scroll === 'table') continue;
    const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') +
      [...element.classList].map(c => '.' + c).join('');
    problems.push(`${name} scrolls sideways: ${element.scrollWidth}px content in ${element.clientWidth}px`);
  }
  return problems;
}
"""

_STRUCTURE_JS = """
() => {
  const problems = [];
  const seen = new Map();
  for (const element of document.querySelectorAll('[id]')) {
    seen.set(element.id, (seen.get(element.id) || 0) + 1);
  }
  for (const [id, count] of seen) {
    if (count > 1) problems.push(`id "${id}" is used ${count} times`);
  }
  const rendered = element => element.getClientRects().length > 0 && !element.closest('[aria-hidden="true"]');
  let previous = 0;
  for (const heading of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    if (!rendered(heading)) continue;
    const level = Number(heading.tagName[1]);
    if (level > previous + 1) {
      problems.push(`heading level skipped: <h${level}> "${heading.textContent.trim()}" after <h${previous}>`);
    }
    previous = level;
  }
  return problems;
}
"""

# A link's accessible name, close enough to the spec for our markup: aria-labelledby, aria-label,
# then the text of what is rendered (visually hidden text counts, display:none and aria-hidden not).
_LINK_NAMES_JS = """
() => {
  const textOf = node => {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return '';
    if (node.getAttribute('aria-hidden') === 'true') return '';
    const style = getComputedStyle(node);
    if (style.display === 'none' || style.visibility === 'hidden') return '';
    if (node.hasAttribute('aria-label')) return ' ' + node.getAttribute('aria-label') + ' ';
    if (node.tagName === 'IMG') return ' ' + (node.getAttribute('alt') || '') + ' ';
    const inner = [...node.childNodes].map(textOf).join('');
    return style.display === 'inline' ? inner : ' ' + inner + ' ';
  };
  const nameOf = link => {
    const labelledby = link.getAttribute('aria-labelledby');
    if (labelledby) {
      return labelledby.split(/\\s+/).map(id => document.getElementById(id)).filter(Boolean).map(textOf).join(' ');
    }
    if (link.hasAttribute('aria-label')) return link.getAttribute('aria-label');
    return textOf(link) || link.title || '';
  };
  // Where each control leads: a link's address, a submit button's form action (and its own
  // name=value), and for a <summary> the disclosure itself (so two summaries never share a name).
  const placeOf = (control, index) => {
    if (control.tagName === 'A') {
      // Where a sign-in link returns to afterwards is not a different place: "Sign in" is one purpose.
      let url;
      try {
        url = new URL(control.href);
      } catch {
        return control.getAttribute('href');  // a page without a base address (set_content in tests)
      }
      url.searchParams.delete('next');
      return url.href;
    }
    if (control.tagName === 'SUMMARY') return `disclosure ${index}`;
    const action = control.getAttribute('formaction') || (control.form && control.form.getAttribute('action')) || '';
    return `${action} ${control.name ? control.name + '=' + control.value : ''}`;
  };
  const kinds = {A: 'links', SUMMARY: 'disclosures', BUTTON: 'buttons', INPUT: 'buttons'};
  const places = new Map();
  const selector = 'a[href], summary, form button:not([type=button]), form input[type=submit]';
  const controls = document.querySelectorAll(selector);
  controls.forEach((control, index) => {
    if (!control.getClientRects().length || control.closest('[aria-hidden="true"]')) return;
    const text = control.tagName === 'INPUT' ? control.value : nameOf(control);
    const name = text.replace(/\\s+/g, ' ').trim().toLocaleLowerCase();
    const key = `${kinds[control.tagName]} named "${name}"`;
    if (!places.has(key)) places.set(key, new Set());
    places.get(key).add(placeOf(control, index));
  });
  const problems = [];
  for (const [key, targets] of places) {
    if (targets.size > 1) problems.push(`${key} lead to ${targets.size} places: ${[...targets].join(', ')}`);
  }
  return problems;
}
"""


def sideways_scrolling(page: Page) -> list[str]:
    """What scrolls sideways on the page as it is laid out now (empty when nothing does)."""
    return page.evaluate(_SIDEWAYS_JS)


def reflow_problems(page: Page, width: int) -> list[str]:
    """Sideways scrolling with the window `width` CSS pixels wide (the height is kept)."""
    viewport = page.viewport_size or MOBILE_VIEWPORT
    if viewport["width"] != width:
        page.set_viewport_size({"width": width, "height": viewport["height"]})
    try:
        problems = sideways_scrolling(page)
    finally:
        if viewport["width"] != width:
            page.set_viewport_size(viewport)
    return [f"{page.url} at {width}px: {problem}" for problem in problems]


def zoom_problems(page: Page, zoom: float, *, width: int = 1280, height: int = 800) -> list[str]:
    """Sideways scrolling with the page zoomed to `zoom` (2 = 200 %) in a desktop-sized window, as
    when someone enlarges everything with CSS zoom (WCAG 1.4.4 and 1.4.10). Unlike browser zoom,
    CSS zoom keeps the desktop media queries, so the wide layout itself must also reflow."""
    viewport = page.viewport_size or MOBILE_VIEWPORT
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate("zoom => { document.documentElement.style.zoom = String(zoom); }", zoom)
    try:
        problems = sideways_scrolling(page)
    finally:
        page.evaluate("() => { document.documentElement.style.zoom = ''; }")
        page.set_viewport_size(viewport)
    return [f"{page.url} at {round(zoom * 100)}% zoom in {width}px: {problem}" for problem in problems]


def structure_problems(page: Page) -> list[str]:
    """Duplicate ids, skipped heading levels, and controls with one name but different targets
    (WCAG 4.1.1 as axe no longer checks it, 1.3.1 and 2.4.4)."""
    return [f"{page.url}: {problem}" for problem in page.evaluate(_STRUCTURE_JS) + page.evaluate(_LINK_NAMES_JS)]


def _fail_on(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


def check_page(page: Page) -> None:
    """The checks every page of ours must pass: axe; no sideways scrolling at the current width
    (360 px) nor at 320 px; exactly one <h1>, no skipped heading levels, unique ids; links with the
    same name lead to the same place.

    With JavaScript disabled Playwright cannot evaluate anything in the page (it waits forever),
    so such a page is checked as a copy: the same URL opened in a JavaScript-enabled context with
    the same cookies and viewport. Our script only moves focus and warns before the session ends,
    so the server renders the same HTML; every page we reach after a form post is a redirect
    target, so a GET gives it.
    """
    if page.context in _SCRIPTLESS_CONTEXTS:
        browser = page.context.browser
        assert browser is not None
        twin_context = browser.new_context(viewport=page.viewport_size, storage_state=page.context.storage_state())
        try:
            twin = twin_context.new_page()
            assert_ok(twin.goto(page.url), page.url)
            assert twin.url == page.url, f"the JavaScript-enabled copy of {page.url} ended at {twin.url}"
            check_page(twin)
        finally:
            twin_context.close()
        return
    # Contrast and layout checks mean nothing without our stylesheet (served by the live server).
    assert page.evaluate(
        "[...document.styleSheets].some(sheet => (sheet.href || '').endsWith('/css/site.css') && sheet.cssRules.length)"
    ), f"{page.url} did not load site.css"
    assert_accessible(page)
    viewport = page.viewport_size or MOBILE_VIEWPORT
    _fail_on(reflow_problems(page, viewport["width"]) + reflow_problems(page, REFLOW_WIDTH))
    headings = page.locator("h1").count()
    assert headings == 1, f"{page.url} has {headings} <h1> elements, expected exactly one"
    _fail_on(structure_problems(page))


def check_document_structure(page: Page) -> None:
    _fail_on(structure_problems(page))


def check_admin_page(page: Page) -> None:
    """The Django admin has its own stylesheet and layout (not site.css, not built for 360 px): its
    pages are checked with axe and for their structure. Its repeated "Add", "Change" and "Yes"
    links are named by their row or filter heading (WCAG 2.4.4 link purpose in context), so the
    stricter same-name-same-place check of our own pages is not applied there."""
    assert_accessible(page)
    _fail_on([f"{page.url}: {problem}" for problem in page.evaluate(_STRUCTURE_JS)])


def assert_ok(response: Response | None, url: str) -> None:
    assert response is not None, f"no response for {url}"
    assert response.status < 400, f"{url} answered {response.status}"


def visit(page: Page, url: str, *, audit: bool = True) -> Response:
    """Open `url` (absolute, or relative to the live server), require a status below 400 and check the page."""
    response = page.goto(url)
    assert_ok(response, url)
    assert response is not None
    if audit:
        check_page(page)
    return response


def submit(page: Page, form_selector: str, *, audit: bool = True) -> Response:
    """Click the submit button of the form in <main> matching `form_selector`, wait for the
    resulting page and check it."""
    form = page.locator(f"main {form_selector}")
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit], input[type=submit]").first.click()
    response = navigation.value
    assert_ok(response, page.url)
    assert response is not None
    if audit:
        check_page(page)
    return response


def fresh_totp_code() -> str:
    """A code valid for at least a few more seconds (allauth allows no clock tolerance)."""
    from allauth.mfa import app_settings

    from tests.conftest import totp_code

    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < 3:
        time.sleep(left + 0.1)
    return totp_code()


def sign_in(
    page: Page, live_server: LiveServer, email: str, password: str, totp: bool = False, *, audit_landing: bool = True
) -> Response:
    """Sign in through the real login form (and the TOTP form when `totp`), checking each page.

    Returns the response of the page the user lands on; that page is checked too unless
    `audit_landing` is False (the Django admin).
    """
    visit(page, f"{live_server.url}/accounts/login/")
    page.fill("main input[name=login]", email)
    page.fill("main input[name=password]", password)
    response = submit(page, "form:has(input[name=password])", audit=audit_landing or totp)
    if totp:
        assert page.url.startswith(f"{live_server.url}/accounts/2fa/authenticate/"), page.url
        page.fill("main input[name=code]", fresh_totp_code())
        response = submit(page, "form:has(input[name=code])", audit=audit_landing)
    return response


@pytest.fixture(autouse=True)
def _data_migration_rows(data_migration_rows: None) -> None:
    """Every browser test runs against a flushed live-server database (see tests/conftest.py)."""


def follow(page: Page, selector: str, *, within: str = "main") -> Response:
    """Click the first link or button inside `within` matching `selector`, wait for the page it
    opens and check that page like `visit` does."""
    with page.expect_navigation() as navigation:
        page.locator(f"{within} {selector}").first.click()
    response = navigation.value
    assert_ok(response, page.url)
    assert response is not None
    check_page(page)
    return response


def open_menu(page: Page) -> None:
    """On a phone the header's links are folded into the "Menu" disclosure: open it (one tap)."""
    toggle = page.locator("header details.site-menu > summary")
    if toggle.is_visible() and page.locator("header details.site-menu[open]").count() == 0:
        toggle.click()


def form_for(url_name: str, *args: object) -> str:
    """A selector for the form that posts to the named URL."""
    from django.urls import reverse

    return f"form[action='{reverse(url_name, args=args)}']"


def translated(language: str, message: str) -> str:
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override(language):
        return gettext(message)
