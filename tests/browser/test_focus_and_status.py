"""What a screen-reader or keyboard user meets after an action (WCAG 2.4.3, 3.3.1, 4.1.3, 2.2.1).

1. After an action the result is in a status region and the focus is on it, so it is read out
   at once (not after eight header stops); with no message, the focus goes to the page's heading.
2. A form sent with mistakes opens with the focus on its error summary, whose links move the focus
   to each field.
3. Shortly before an idle session ends a warning appears; "Continue session" extends it without
   leaving the page, so what was typed stays.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from engagements.models import Assignment
from experts.models import ConsentPurpose, EngagementRole
from tests.browser.conftest import PageFactory, check_page, form_for, sign_in, submit, translated, visit
from tests.conftest import PASSWORD, ready_expert

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from experts.models import ExpertProfile
    from registry.models import User

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const element = document.activeElement;
  return element ? {id: element.id, role: element.getAttribute('role'), classes: [...element.classList],
                    tag: element.tagName.toLowerCase(), text: element.innerText || ''} : null;
}"""


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def assert_focus_on_message(page: Page, text: str) -> None:
    element = focused(page)
    assert element["id"] == "messages" and element["role"] == "status", element
    assert text in element["text"]


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_results_of_actions_are_announced_and_focused(
    page: PageFactory, live_server: LiveServer, language: str, expert: ExpertProfile, make_request: Any
) -> None:
    ready_expert(expert)
    assignment = Assignment.objects.create(
        request=make_request(status="offered"),
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=Assignment.Status.OFFERED,
        offer_expires_at=timezone.now() + dt.timedelta(days=2),
    )
    tab = page(language)
    sign_in(tab, live_server, expert.user.email, PASSWORD)

    # Save availability.
    visit(tab, reverse("experts:availability"))
    tab.check("#id_slot_0_1")
    submit(tab, form_for("experts:availability"))
    assert_focus_on_message(tab, translated(language, "Your availability was saved."))

    # Withdraw a consent.
    expert.give_consent(ConsentPurpose.PHOTO)
    visit(tab, reverse("experts:consents"))
    submit(tab, form_for("experts:consent-withdraw", "photo"))
    assert_focus_on_message(tab, translated(language, "Your consent was withdrawn."))

    # Accept an offer.
    visit(tab, reverse("engagements:offer", args=[assignment.pk]))
    submit(tab, form_for("engagements:offer-accept", assignment.pk))
    assert_focus_on_message(tab, translated(language, "Thank you! The coordinator will confirm the engagement."))

    # The next Tab goes on from the message into the page, not back to the header.
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.closest('main') !== null")


def test_after_a_redirect_without_a_message_the_heading_has_the_focus(
    page: PageFactory, live_server: LiveServer
) -> None:
    tab = page("fi")
    visit(tab, f"{live_server.url}/become-an-expert/")
    tab.locator("#language-select").select_option("sv")
    with tab.expect_navigation():
        tab.locator("form.language-form button[type=submit]").click()
    check_page(tab)
    element = focused(tab)
    assert element["tag"] == "h1", element


def test_a_page_opened_normally_keeps_the_focus_at_the_top(page: PageFactory, live_server: LiveServer) -> None:
    tab = page("fi")
    visit(tab, f"{live_server.url}/")
    assert focused(tab)["tag"] == "body"
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.classList.contains('skip-link')")


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_form_errors_get_the_focus_and_link_to_their_fields(
    page: PageFactory, live_server: LiveServer, language: str, unit_member: User
) -> None:
    tab = page(language)
    sign_in(tab, live_server, unit_member.email, PASSWORD)
    visit(tab, reverse("engagements:request-create"))
    with tab.expect_navigation() as navigation:
        tab.locator(f"main {form_for('engagements:request-create')} button[name=send]").click()
    assert navigation.value is not None and navigation.value.status == 400
    check_page(tab)

    element = focused(tab)
    assert "error-summary" in element["classes"], element
    assert translated(language, "There is a problem") in element["text"]
    links = tab.locator("main .error-summary a")
    assert links.count() >= 5
    # Each link leads to a control that exists; following one puts the cursor in that field.
    for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))"):
        assert tab.locator(href).count() == 1, href
    title_link = tab.locator("main .error-summary a[href='#id_title']")
    title_link.focus()
    tab.keyboard.press("Enter")
    assert focused(tab)["id"] == "id_title"
    # Required fields are marked in words and with the attribute.
    assert tab.locator("#id_title").get_attribute("required") is not None
    assert translated(language, "required") in tab.locator("label[for=id_title]").inner_text()


def test_session_warning_and_continue_keep_what_was_typed(
    page: PageFactory, live_server: LiveServer, expert: ExpertProfile, settings: Any
) -> None:
    from playwright.sync_api import expect

    settings.SESSION_IDLE_SECONDS = 12
    settings.SESSION_COOKIE_AGE = 12
    settings.SESSION_WARNING_SECONDS = 8
    tab = page("en")
    sign_in(tab, live_server, expert.user.email, PASSWORD)
    visit(tab, reverse("experts:profile"))
    bio = tab.locator("#id_bio")
    bio.fill("Half of what I wanted to say")
    bio.focus()

    warning = tab.locator("#session-warning")
    expect(warning).to_be_visible(timeout=10_000)
    assert warning.get_attribute("role") == "alert"
    assert "You will be signed out at" in warning.inner_text()
    key = tab.context.cookies([live_server.url])
    session_key = next(cookie["value"] for cookie in key if cookie["name"] == "sessionid")
    before = Session.objects.get(session_key=session_key).expire_date

    warning.get_by_role("button", name="Continue session").click()
    expect(warning).to_be_hidden(timeout=3_000)
    assert tab.url.endswith(reverse("experts:profile"))  # no page load: the typed text stays
    assert bio.input_value() == "Half of what I wanted to say"
    assert focused(tab)["id"] == "id_bio"
    assert Session.objects.get(session_key=session_key).expire_date > before

    # Nobody continues: the page says the session ended, and the server agrees.
    expect(warning.locator("[data-session-ended]")).to_be_visible(timeout=20_000)
    expect(warning.get_by_role("link", name="Sign in again")).to_be_visible()
    tab.goto(reverse("experts:profile"))
    assert "/accounts/login/" in tab.url
