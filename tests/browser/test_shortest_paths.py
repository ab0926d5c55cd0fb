"""The shortest paths of first-time users, counted, on a 360 px phone in Finnish and Swedish.

Every click, field filled, choice made and submitting key press is one interaction; opening a link
from an e-mail is one too. Each journey asserts the goal of the issue "Shortest paths for
first-time users", and every page on the way is checked like all our pages (axe, 360 px, one <h1>,
no duplicate ids, no skipped heading levels).

| journey                                                               | before | goal |
| a new unit worker, anonymous, front page → submitted request          |   27   | ≤ 15 |
| unit@…, signed out, → submitted request                               |   16   | ≤ 12 |
| coordinator, from a new request to offers sent                        |    5   | ≤ 5  |
| expert on a phone, from the offer e-mail link to an accepted offer    |    5   | ≤ 2  |
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from engagements.models import Assignment, Request
from experts.models import ExpertProfile
from registry.models import UnitMembership, User
from tests.browser.conftest import PageFactory, assert_ok, check_page, sign_in, translated, visit
from tests.conftest import PASSWORD, ready_expert

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from registry.models import Unit

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("language", ["fi", "sv"])]

NEW_PASSWORD = "Oma-Salasana-2026"
LINK = re.compile(r"https?://[^\s\"]+")


class Journey:
    """A page whose every interaction is counted. A step that opens a new page waits for it and
    checks it like `visit` does."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0
        self.steps: list[str] = []

    def _count(self, what: str) -> None:
        self.count += 1
        self.steps.append(what)

    def _navigating(self, action: Callable[[], None]) -> None:
        with self.page.expect_navigation() as navigation:
            action()
        response = navigation.value
        if response is not None and response.status >= 400:
            errors = self.page.locator("main .errorlist").all_inner_texts()
            pytest.fail(f"{self.page.url} answered {response.status}: {errors}")
        assert_ok(response, self.page.url)
        check_page(self.page)

    def click(self, selector: str, *, navigates: bool = True) -> None:
        self._count(f"click {selector}")
        target = self.page.locator(selector).first
        if navigates:
            self._navigating(target.click)
        else:
            target.click()

    def fill(self, selector: str, value: str) -> None:
        self._count(f"fill {selector}")
        self.page.locator(selector).fill(value)

    def choose(self, selector: str, value: str) -> None:
        self._count(f"choose {selector}")
        self.page.locator(selector).select_option(value)

    def press_enter(self, selector: str) -> None:
        self._count(f"enter in {selector}")
        self._navigating(lambda: self.page.locator(selector).press("Enter"))

    def open_link(self, url: str) -> None:
        """Tapping a link in an e-mail."""
        self._count(f"open {urlsplit(url).path}")
        visit(self.page, url)

    def at(self, path: str) -> None:
        assert urlsplit(self.page.url).path == path, f"expected {path}, got {self.page.url}"


def weekday_in_three_weeks() -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=21)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(13)))


def fill_the_request(journey: Journey) -> None:
    """What only the worker knows; the rest (unit, language, place, contact, end) is prefilled."""
    journey.choose("main #id_type", "visit")
    journey.fill("main #id_title", "Vierailu tiimiin")
    journey.fill("main #id_purpose", "Haluamme kuulla, miltä sijoitus tuntui nuoresta.")
    journey.fill("main #id_task", "Kerro tiimille omasta kokemuksestasi.")
    journey.fill("main #id_audience", "Tiimin sosiaalityöntekijät")
    journey.fill("main #id_starts_at", timezone.localtime(weekday_in_three_weeks()).strftime("%Y-%m-%dT%H:%M"))


def link_in_mail(address: str) -> str:
    """The e-mail's link as a path on the live server (e-mails name SITE_URL, not the test's port)."""
    (message,) = [m for m in mail.outbox if address in m.to]
    found = LINK.search(message.body)
    assert found, message.body
    parts = urlsplit(found.group(0))
    return parts.path + (f"?{parts.query}" if parts.query else "")


# 1. A new unit worker ----------------------------------------------------------------------------------


def test_new_worker_from_the_front_page_to_a_submitted_request(
    page: PageFactory, live_server: LiveServer, language: str, unit: Unit, coordinator: User
) -> None:
    journey = Journey(page(language))
    visit(journey.page, "/")
    journey.click(f"main a[href='{reverse('engagements:join')}']")
    journey.fill("main #id_name", "Maija Meikäläinen")
    journey.fill("main #id_email", "maija@hyvinvointialue.example")
    journey.choose("main #id_unit", str(unit.pk))  # listed units first; no missing-unit fields
    assert journey.page.locator("main #id_new_unit_name").is_hidden()
    journey.click("main form.join-form button[type=submit]")
    journey.at(reverse("engagements:join-sent"))

    journey.open_link(link_in_mail("maija@hyvinvointialue.example"))
    journey.fill("main input[name=password1]", NEW_PASSWORD)
    journey.click("main form:has(input[name=password1]) button[type=submit]")
    # Signed in, and in the request form they came for, with what is known filled in.
    journey.at(reverse("engagements:request-create"))
    assert journey.page.input_value("main #id_unit") == str(unit.pk)
    assert journey.page.input_value("main #id_contact_email") == "maija@hyvinvointialue.example"
    assert journey.page.locator("main input[name=languages]:checked").count() == 1

    fill_the_request(journey)
    journey.click(f"main form[action='{reverse('engagements:request-create')}'] button[name=send]")

    obj = Request.objects.get(created_by__email="maija@hyvinvointialue.example")
    journey.at(reverse("engagements:unit-request", args=[obj.pk]))
    assert obj.status == Request.Status.SUBMITTED
    assert (obj.unit, obj.type, obj.ends_at - obj.starts_at) == (unit, "visit", dt.timedelta(hours=2))
    assert UnitMembership.objects.get(user=obj.created_by).approved_at is None  # the coordinator approves
    assert translated(language, "The request was sent to the coordinator.") in journey.page.locator("main").inner_text()
    assert journey.count <= 15, journey.steps


# 2. A unit member with an account --------------------------------------------------------------------


def test_unit_member_signed_out_to_a_submitted_request(
    page: PageFactory, live_server: LiveServer, language: str, unit_member: User, coordinator: User
) -> None:
    # Like unit@demo.test: a member with a name, so the contact person is filled in for them.
    unit_member.first_name, unit_member.last_name = "Sari", "Sosiaalityöntekijä"
    unit_member.save()
    journey = Journey(page(language))
    visit(journey.page, "/")
    journey.click(f"main a[href='{reverse('account_login')}?next={reverse('engagements:request-create')}']")
    journey.fill("main input[name=login]", unit_member.email)
    journey.fill("main input[name=password]", PASSWORD)
    journey.press_enter("main input[name=password]")
    journey.at(reverse("engagements:request-create"))

    fill_the_request(journey)
    journey.click(f"main form[action='{reverse('engagements:request-create')}'] button[name=send]")

    obj = Request.objects.get(created_by=unit_member)
    journey.at(reverse("engagements:unit-request", args=[obj.pk]))
    assert obj.status == Request.Status.SUBMITTED
    assert journey.count <= 12, journey.steps


# 3. The coordinator ---------------------------------------------------------------------------------


def test_coordinator_from_a_new_request_to_offers_sent(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    coordinator: User,
    expert: ExpertProfile,
    make_request: Callable[..., Request],
) -> None:
    ready_expert(expert, role="visitor")
    obj = make_request(type="visit", title="Vierailu tiimiin")
    tab = page(language)
    sign_in(tab, live_server, coordinator.email, PASSWORD, totp=True)
    journey = Journey(tab)
    journey.at(reverse("engagements:coordinator-home"))

    journey.click(f"main a[href='{reverse('engagements:coordinator-request', args=[obj.pk])}']")
    journey.click(f"main form[action='{reverse('engagements:take', args=[obj.pk])}'] button")
    journey.at(reverse("engagements:matching", args=[obj.pk]))
    journey.click(f"main #cand-{expert.pk}", navigates=False)
    journey.click(f"main form[action='{reverse('engagements:make-offers', args=[obj.pk])}'] button[type=submit]")

    assert Assignment.objects.get(request=obj).expert == expert
    assert journey.count <= 5, journey.steps


# 4. The expert on a phone ----------------------------------------------------------------------------


def test_expert_from_the_offer_email_to_an_accepted_offer(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    coordinator: User,
    expert: ExpertProfile,
    make_request: Callable[..., Request],
) -> None:
    ready_expert(expert)
    first, second = make_request(title="Paneeli 1"), make_request(title="Paneeli 2")
    for obj in (first, second):
        obj.take_into_matching(coordinator)
    answer_by = timezone.now() + dt.timedelta(days=2)
    (offer,) = first.make_offers([expert], by=coordinator, answer_by=answer_by)

    # The phone has no session: the e-mail's link opens the offer, one tap accepts it.
    journey = Journey(page(language))
    journey.open_link(link_in_mail(expert.user.email))
    journey.click("main form[action$='/accept/'] button")
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.ACCEPTED
    assert journey.count <= 2, journey.steps
    assert translated(language, "Thank you! The coordinator will confirm the engagement.") in (
        journey.page.locator("main").inner_text()
    )

    # On their own phone the expert stays signed in ("keep me signed in"): the next offer is one
    # tap on their home page.
    phone = journey.page
    visit(phone, reverse("account_login"))
    phone.fill("main input[name=login]", expert.user.email)
    phone.fill("main input[name=password]", PASSWORD)
    phone.check("main input[name=remember]")
    with phone.expect_navigation():
        phone.locator("main input[name=password]").press("Enter")
    (session,) = [c for c in phone.context.cookies() if c["name"] == "sessionid"]
    assert session["expires"] - timezone.now().timestamp() > 29 * 24 * 3600
    (next_offer,) = second.make_offers([expert], by=coordinator, answer_by=answer_by)
    again = Journey(phone)
    visit(phone, reverse("engagements:expert-home"))
    again.click(f"main form[action='{reverse('engagements:offer-accept', args=[next_offer.pk])}'] button")
    next_offer.refresh_from_db()
    assert next_offer.status == Assignment.Status.ACCEPTED
    assert again.count == 1
