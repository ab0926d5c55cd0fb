"""Keyboard use and the site without JavaScript."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LANGUAGES, PageFactory, check_page, sign_in, visit
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from experts.models import ExpertProfile

pytestmark = pytest.mark.browser


def focused(page: Page, attribute: str) -> str | None:
    return page.evaluate(f"document.activeElement && document.activeElement.getAttribute({attribute!r})")


def tab_to(page: Page, element_id: str, *, limit: int = 15) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, "id") == element_id:
            return
    pytest.fail(f"#{element_id} was not reached with {limit} presses of Tab")


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_tab_focuses_skip_link_and_enter_moves_to_main(
    page: PageFactory, live_server: LiveServer, language: str
) -> None:
    tab = page(language)
    visit(tab, f"{live_server.url}/")

    tab.keyboard.press("Tab")
    assert focused(tab, "href") == "#main"
    skip_link = tab.locator("a.skip-link")
    box = skip_link.bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link must be visible on screen"

    tab.keyboard.press("Enter")
    assert focused(tab, "id") == "main"
    assert tab.url == f"{live_server.url}/#main"


def test_expert_signs_in_without_javascript(page: PageFactory, live_server: LiveServer, expert: ExpertProfile) -> None:
    tab = page("fi", java_script_enabled=False)
    # sign_in() still checks every page: check_page() audits a JavaScript-enabled copy of each.
    sign_in(tab, live_server, expert.user.email, PASSWORD)
    assert tab.url == f"{live_server.url}/home/expert/"
    assert tab.locator("html").get_attribute("lang") == "fi"


def test_language_switcher_with_keyboard_only(page: PageFactory, live_server: LiveServer) -> None:
    tab = page("fi")
    visit(tab, f"{live_server.url}/become-an-expert/")
    assert tab.locator("html").get_attribute("lang") == "fi"

    tab_to(tab, "language-select")
    tab.keyboard.press("ArrowDown")  # suomi -> svenska; a closed <select> changes value in place
    assert tab.locator("#language-select").input_value() == "sv"
    tab.keyboard.press("Tab")
    assert focused(tab, "type") == "submit"
    with tab.expect_navigation() as navigation:
        tab.keyboard.press("Enter")
    response = navigation.value
    assert response is not None and response.status < 400

    assert tab.url == f"{live_server.url}/become-an-expert/"
    assert tab.locator("html").get_attribute("lang") == "sv"
    check_page(tab)


def test_language_switcher_with_submit_button(page: PageFactory, live_server: LiveServer) -> None:
    tab = page("en")
    visit(tab, f"{live_server.url}/")

    tab.locator("#language-select").select_option("sv")
    with tab.expect_navigation() as navigation:
        tab.locator("form.language-form button[type=submit]").click()
    response = navigation.value
    assert response is not None and response.status < 400

    assert tab.url == f"{live_server.url}/"
    assert tab.locator("html").get_attribute("lang") == "sv"
    check_page(tab)
    # The choice is stored in the cookie, so the next page is Swedish too.
    visit(tab, f"{live_server.url}/privacy/")
    assert tab.locator("html").get_attribute("lang") == "sv"
