"""The feedback channel of the accessibility statement, in a real browser at 360 px: a visitor
sends feedback from the footer of a page, and a coordinator finds it on the overview and marks it
answered. Every page is checked like all others (axe, 320 px, structure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.urls import reverse

from registry.models import AccessibilityFeedback
from tests.browser.conftest import PageFactory, follow, form_for, sign_in, submit, translated, visit
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from registry.models import User

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_feedback_from_a_page_reaches_the_coordinators_overview(
    page: PageFactory, live_server: LiveServer, language: str, coordinator: User
) -> None:
    visitor = page(language)
    visit(visitor, reverse("become-expert"))
    follow(visitor, f"a[href^='{reverse('accessibility-feedback')}']", within="footer")
    assert visitor.locator("#id_page").input_value() == reverse("become-expert")
    assert visitor.locator("#id_message").get_attribute("required") is not None
    visitor.fill("#id_message", "Sivun otsikot eivät erotu ruudunlukijalla.")
    submit(visitor, form_for("accessibility-feedback"))
    assert visitor.url.endswith(reverse("accessibility-feedback-thanks"))
    item = AccessibilityFeedback.objects.get()
    assert item.language == language and item.page == reverse("become-expert")

    office = page(language)
    sign_in(office, live_server, coordinator.email, PASSWORD, totp=True)
    visit(office, reverse("engagements:overview"))
    detail = reverse("accessibility-feedback-detail", args=[item.pk])
    follow(office, f"#accessibility_feedback a[href='{detail}']")
    assert "Sivun otsikot" in office.locator("main").inner_text()
    office.fill("#id_note", "Korjattu otsikkotasot; ei sähköpostia vastattavaksi.")
    submit(office, form_for("accessibility-feedback-detail", item.pk))
    assert translated(language, "The feedback was marked answered.") in office.locator("#messages").inner_text()
    assert office.evaluate("document.activeElement.id") == "messages"
    item.refresh_from_db()
    assert item.answered_by == coordinator
    visit(office, reverse("engagements:overview"))
    assert office.locator(f"#accessibility_feedback a[href='{detail}']").count() == 0
    visit(office, reverse("accessibility-feedback-list"))
