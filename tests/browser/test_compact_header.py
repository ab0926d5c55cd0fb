"""The header on a phone is compact and works without JavaScript; the join form asks about a
missing unit only when it is chosen (issue "Shortest paths", items 3, 8 and 13)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.urls import reverse

from tests.browser.conftest import LANGUAGES, PageFactory, check_page, open_menu, sign_in, visit
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from registry.models import Unit, User

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_header_takes_little_of_the_first_screen_and_opens_without_javascript(
    page: PageFactory, live_server: LiveServer, language: str, unit_member: User, make_request: Any
) -> None:
    from engagements.notifications import Notification

    Notification.objects.create(user=unit_member, kind="request_confirmed", request=make_request(), url="/")
    for scripts in (True, False):
        phone = page(language, java_script_enabled=scripts)
        sign_in(phone, live_server, unit_member.email, PASSWORD)
        # The header (brand, language, menu) is at most two short rows on a 740 px high screen.
        header = phone.locator("header.site-header").bounding_box()
        assert header is not None and header["height"] <= 100, header
        assert phone.locator("header nav.site-nav").is_hidden()
        # The unread count shows on the menu button, readable against the dark header (axe ran).
        assert phone.locator("header summary .badge").is_visible()
        open_menu(phone)
        assert phone.locator("header nav.site-nav").is_visible()
        assert phone.locator(f"header nav a[href='{reverse('engagements:notifications')}']").is_visible()


def test_wide_screen_shows_the_links_without_a_menu(page: PageFactory, live_server: LiveServer) -> None:
    desk = page("fi", viewport={"width": 1280, "height": 800})
    visit(desk, "/")
    assert desk.locator("header summary").is_hidden()
    assert desk.locator(f"header nav a[href='{reverse('account_login')}']").is_visible()


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_join_form_asks_about_a_missing_unit_only_when_chosen(
    page: PageFactory, live_server: LiveServer, language: str, unit: Unit
) -> None:
    tab = page(language)
    visit(tab, reverse("engagements:join"))
    missing = tab.locator("main fieldset.missing-unit")
    assert missing.is_hidden()
    assert tab.input_value("main #id_unit") == ""  # nothing preselected, listed units first
    tab.select_option("main #id_unit", "not-listed")
    assert missing.is_visible()
    check_page(tab)
    tab.select_option("main #id_unit", str(unit.pk))
    assert missing.is_hidden()
