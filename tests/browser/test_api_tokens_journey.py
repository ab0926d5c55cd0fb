"""A manager makes an API token at 360 px: the list, a fresh sign-in, the form, the token shown
once; and the API's documentation page. Every page is checked (axe, reflow, structure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from registry.models import ApiToken, User
from tests.browser.conftest import follow, sign_in, submit, visit
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from tests.browser.conftest import PageFactory

pytestmark = pytest.mark.browser


def test_manager_makes_an_api_token(page: PageFactory, live_server: LiveServer, manager: User) -> None:
    tab = page("fi")
    sign_in(tab, live_server, manager.email, PASSWORD, totp=True)
    visit(tab, f"{live_server.url}/staff/api-tokens/")
    follow(tab, "a[href='/staff/api-tokens/new/']")
    # Making a credential asks for a fresh sign-in first.
    if "/accounts/reauthenticate/" in tab.url:
        tab.fill("main input[name=password]", PASSWORD)
        submit(tab, "form:has(input[name=password])")
    assert tab.url.endswith("/staff/api-tokens/new/"), tab.url
    tab.fill("main input[name=name]", "Power BI")
    tab.check("main input[name=scopes][value=statistics]")
    submit(tab, "form:has(input[name=name])")
    secret = tab.locator("main #api-token-secret").input_value()
    assert secret.startswith("kok_")
    assert ApiToken.objects.get().user == manager


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_api_documentation_page(page: PageFactory, live_server: LiveServer, language: str) -> None:
    tab = page(language)
    visit(tab, f"{live_server.url}/api/v1/docs/")
    assert tab.locator("main h2 code", has_text="GET /statistics/").count() == 1
