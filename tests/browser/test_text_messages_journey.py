"""An expert adds a mobile number, types back the code and chooses text messages for offers, in a
real browser at 360 px; each page (the error page too) is checked with axe, for sideways scrolling
and a single <h1>."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
from django.urls import reverse
from django.utils import timezone

from experts.models import ExpertProfile
from registry import sms
from registry.models import User
from tests.browser.conftest import PageFactory, check_page, form_for, sign_in, submit, translated, visit
from tests.conftest import PASSWORD, ready_expert

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_expert_verifies_a_number_and_chooses_texts_for_offers(
    page: PageFactory, live_server: LiveServer, language: str, expert: ExpertProfile
) -> None:
    tab = page(language)
    sign_in(tab, live_server, expert.user.email, PASSWORD)
    visit(tab, f"{live_server.url}/me/text-messages/")

    # A landline: the error summary names the problem, in the page's language.
    tab.fill("main input[name=mobile]", "09 1234 5678")
    with tab.expect_navigation():
        tab.locator(f"main {form_for('experts:mobile-number')} button[type=submit]").click()
    check_page(tab)
    assert translated(language, "This is not a mobile number: text messages need a mobile number.") in (
        tab.locator("main").inner_text()
    )

    tab.fill("main input[name=mobile]", "040 123 4567")
    submit(tab, form_for("experts:mobile-number"))
    code = next(w for w in sms.outbox[-1]["text"].replace(".", " ").split() if w.isdigit() and len(w) == 6)
    tab.fill("main input[name=code]", code)
    submit(tab, form_for("experts:mobile-verify"))
    assert User.objects.get(pk=expert.user_id).mobile_number == "+358401234567"

    tab.locator("main input[name=offer_channel][value=text]").check()
    submit(tab, form_for("experts:text-messages"))
    expert.refresh_from_db()
    assert expert.offer_channel == "text"


@pytest.mark.parametrize("language", ["fi"])
def test_coordinator_sees_how_each_offer_went(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    expert: ExpertProfile,
    coordinator: User,
    make_request: Any,
) -> None:
    ready_expert(expert)
    User.objects.filter(pk=expert.user_id).update(mobile_number="+358401234567", mobile_verified_at=timezone.now())
    expert.user.refresh_from_db()
    expert.offer_channel = "both"
    expert.save()
    req = make_request(status="matching")
    req.make_offers([expert], by=coordinator, answer_by=timezone.now() + dt.timedelta(days=2))
    tab = page(language)
    sign_in(tab, live_server, coordinator.email, PASSWORD, totp=True)
    visit(tab, f"{live_server.url}{reverse('engagements:coordinator-request', args=[req.pk])}")
    assert translated(language, "Text message") in tab.locator("main .deliveries").inner_text()
    visit(tab, f"{live_server.url}{reverse('experts:expert', args=[expert.pk])}")
    visit(tab, f"{live_server.url}{reverse('engagements:overview')}")
