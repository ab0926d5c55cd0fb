"""Every page in every language, as each persona sees it, in a real browser at 360 px."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from registry.models import StaffRole, User
from tests.browser.conftest import LANGUAGES, PageFactory, check_admin_page, sign_in, submit, visit
from tests.conftest import PASSWORD, make_user

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from experts.models import ExpertProfile

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("language", LANGUAGES)]

PUBLIC_PAGES = [
    "/",
    "/become-an-expert/",
    "/request-an-expert/",
    "/accessibility/",
    "/privacy/",
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/signup/",  # sign-up is closed: allauth's "closed" page
]
EXPERT_ACCOUNT_PAGES = ["/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/accounts/sessions/"]


def html_lang(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")


def assert_lands_on(page: Page, live_server: LiveServer, path: str, language: str) -> None:
    assert page.url == f"{live_server.url}{path}", f"expected {path}, got {page.url}"
    assert html_lang(page) == language


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page(page: PageFactory, live_server: LiveServer, language: str, path: str) -> None:
    tab = page(language)
    visit(tab, f"{live_server.url}{path}")
    assert_lands_on(tab, live_server, path, language)


def test_expert_signs_in_to_expert_home(
    page: PageFactory, live_server: LiveServer, language: str, expert: ExpertProfile
) -> None:
    tab = page(language)
    sign_in(tab, live_server, expert.user.email, PASSWORD)
    assert_lands_on(tab, live_server, "/home/expert/", language)


def test_unit_member_signs_in_to_unit_home(
    page: PageFactory, live_server: LiveServer, language: str, unit_member: User
) -> None:
    tab = page(language)
    sign_in(tab, live_server, unit_member.email, PASSWORD)
    assert_lands_on(tab, live_server, "/home/unit/", language)


def test_coordinator_signs_in_with_totp_to_coordinator_home(
    page: PageFactory, live_server: LiveServer, language: str, coordinator: User
) -> None:
    tab = page(language)
    sign_in(tab, live_server, coordinator.email, PASSWORD, totp=True)
    assert_lands_on(tab, live_server, "/home/coordinator/", language)


def test_manager_signs_in_with_totp_to_manager_home(
    page: PageFactory, live_server: LiveServer, language: str, manager: User
) -> None:
    tab = page(language)
    sign_in(tab, live_server, manager.email, PASSWORD, totp=True)
    assert_lands_on(tab, live_server, "/home/manager/", language)


def test_admin_signs_in_with_totp_to_django_admin(
    page: PageFactory, live_server: LiveServer, language: str, admin_user: User
) -> None:
    tab = page(language)
    # The Django admin has its own stylesheet: axe and structure only (see test_admin_pages.py).
    sign_in(tab, live_server, admin_user.email, PASSWORD, totp=True, audit_landing=False)
    assert_lands_on(tab, live_server, "/admin/", language)
    check_admin_page(tab)
    assert tab.locator("#content-main").count() == 1  # the admin index, not its login page


def test_expert_account_pages(page: PageFactory, live_server: LiveServer, language: str, expert: ExpertProfile) -> None:
    tab = page(language)
    sign_in(tab, live_server, expert.user.email, PASSWORD)
    for path in EXPERT_ACCOUNT_PAGES:
        visit(tab, f"{live_server.url}{path}")
        assert_lands_on(tab, live_server, path, language)


def test_staff_without_totp_must_set_it_up(page: PageFactory, live_server: LiveServer, language: str) -> None:
    user = make_user("new-coordinator@example.test")
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=None)
    setup = "/accounts/2fa/totp/activate/"
    tab = page(language)

    sign_in(tab, live_server, user.email, PASSWORD)
    # allauth shows a TOTP secret only after an explicit re-authentication, which a fresh
    # password login does not count as, so the user confirms the password once more.
    reauthenticate = f"{live_server.url}/accounts/reauthenticate/?next={quote(setup, safe='')}"
    if tab.url == reauthenticate:
        tab.fill("main input[name=password]", PASSWORD)
        submit(tab, "form:has(input[name=password])")
    assert_lands_on(tab, live_server, setup, language)
    assert tab.locator("main input[name=code]").count() == 1

    visit(tab, f"{live_server.url}/home/coordinator/")
    assert_lands_on(tab, live_server, setup, language)
