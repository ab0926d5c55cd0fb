"""A request's whole journey in a real browser at 360 px, from the unit's request to the calendar file.

1. A unit member writes a request and sends it to the coordinator (one step).
2. The coordinator takes it into matching and offers it to the one ready expert.
3. The expert accepts the offer on a phone.
4. The coordinator confirms the expert.
5. The unit member sees the confirmed expert and downloads the engagement as an .ics file.
6. The pages around the journey: notifications, calendar subscription, excluded experts, the unit's
   request list, and the public pages for requesting an expert.

Every page is opened with `visit`, `submit` or `follow`, so each one is checked with axe, for
sideways scrolling and for a single <h1>.

The live server needs real commits, so the test runs in a transactional database that is flushed
afterwards; the flush also empties the vocabularies a data migration created (languages, roles, …),
so `_vocabularies` puts them back first.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db.models import TextChoices
from django.urls import reverse
from django.utils import formats, timezone, translation
from icalendar import Calendar

from engagements.models import Assignment, Request, RequestType
from experts.models import Language
from tests.browser.conftest import (
    PageFactory,
    follow,
    form_for,
    open_menu,
    sign_in,
    submit,
    translated,
    visit,
)
from tests.conftest import PASSWORD, ready_expert

if TYPE_CHECKING:
    from django.core.mail import EmailMessage
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from experts.models import ExpertProfile
    from registry.models import Unit, User

pytestmark = pytest.mark.browser

HELSINKI = ZoneInfo("Europe/Helsinki")
TITLE = "Nuorten ääni sijaishuollossa"
PURPOSE = "Haluamme kuulla, miltä sijaishuolto tuntui nuoresta itsestään, ja muuttaa omia käytäntöjämme."
TASK = "Kerro paneelissa omasta kokemuksestasi ja vastaa yleisön kysymyksiin."
AUDIENCE = "Sosiaalityöntekijät ja perhehoitajat"
PLACE = "Kuopion kaupungintalo, Suokatu 42"
CONTACT_NAME = "Sari Esimerkki"


# Helpers ------------------------------------------------------------------------------------------


def link_to(url_name: str, *args: object) -> str:
    return f"a[href='{reverse(url_name, args=args)}']"


def label(language: str, choice: TextChoices) -> str:
    """A model choice's label in `language`."""
    with translation.override(language):
        return str(choice.label)


def assert_at(page: Page, live_server: LiveServer, path: str, language: str) -> None:
    assert page.url == f"{live_server.url}{path}", f"expected {path}, got {page.url}"
    assert page.locator("html").get_attribute("lang") == language


def main_text(page: Page) -> str:
    return page.locator("main").inner_text()


def messages_text(page: Page) -> str:
    return page.locator("main .messages").inner_text()


def messages_to(address: str) -> list[EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def engagement_day() -> dt.date:
    """A weekday about three weeks ahead."""
    day = timezone.localdate() + dt.timedelta(days=21)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


# The journey --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_request_from_draft_to_calendar(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    unit: Unit,
    unit_member: User,
    coordinator: User,
    expert: ExpertProfile,
    other_expert: ExpertProfile,
) -> None:
    ready_expert(expert)  # `other_expert` has given no consents: matching excludes them.
    finnish = Language.objects.get(code="fi")
    day = engagement_day()
    starts = dt.datetime.combine(day, dt.time(13, 0), tzinfo=HELSINKI)
    ends = dt.datetime.combine(day, dt.time(15, 0), tzinfo=HELSINKI)

    # 1. The unit member writes the request and sends it. ------------------------------------------
    desk = page(language)
    sign_in(desk, live_server, unit_member.email, PASSWORD)
    assert_at(desk, live_server, reverse("engagements:unit-home"), language)
    follow(desk, link_to("engagements:request-create"))
    assert_at(desk, live_server, reverse("engagements:request-create"), language)

    assert desk.input_value("main #id_unit") == str(unit.pk)
    desk.select_option("main #id_type", "panel")
    desk.fill("main #id_title", TITLE)
    desk.fill("main #id_purpose", PURPOSE)
    desk.fill("main #id_task", TASK)
    desk.fill("main #id_audience", AUDIENCE)
    desk.fill("main #id_audience_size", "40")
    desk.check(f"main input[name=wished_kind][value='{Request.WishedKind.EITHER}']")
    desk.fill("main #id_experts_needed", "1")
    desk.check(f"main input[name=languages][value='{finnish.pk}']")
    desk.check(f"main input[name=format][value='{Request.Format.IN_PERSON}']")
    desk.fill("main #id_place", PLACE)
    desk.fill("main #id_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    desk.fill("main #id_ends_at", ends.strftime("%Y-%m-%dT%H:%M"))
    desk.fill("main #id_contact_name", CONTACT_NAME)
    desk.fill("main #id_contact_email", unit_member.email)
    submit(desk, form_for("engagements:request-create"))  # "Send": one step, no draft

    obj = Request.objects.get(title=TITLE)
    assert_at(desk, live_server, reverse("engagements:unit-request", args=[obj.pk]), language)
    assert translated(language, "The request was sent to the coordinator.") in messages_text(desk)
    assert (obj.unit, obj.created_by, obj.type) == (unit, unit_member, "panel")
    assert (obj.purpose, obj.task, obj.audience, obj.audience_size) == (PURPOSE, TASK, AUDIENCE, 40)
    assert (obj.wished_kind, obj.experts_needed, obj.format, obj.place) == ("either", 1, "in_person", PLACE)
    assert (obj.starts_at, obj.ends_at) == (starts, ends)
    assert (obj.contact_name, obj.contact_email) == (CONTACT_NAME, unit_member.email)
    assert list(obj.languages.all()) == [finnish]
    assert label(language, Request.Status.SUBMITTED) in desk.locator("main .status-card").inner_text()
    assert desk.locator(f"main {form_for('engagements:request-submit', obj.pk)}").count() == 0
    assert obj.status == Request.Status.SUBMITTED
    assert obj.submitted_at is not None
    assert messages_to(coordinator.email), "the coordinator was not told about the request"

    # 2. The coordinator takes it into matching and offers it. --------------------------------------
    office = page(language)
    sign_in(office, live_server, coordinator.email, PASSWORD, totp=True)
    assert_at(office, live_server, reverse("engagements:coordinator-home"), language)
    follow(office, f"nav {link_to('engagements:inbox')}")
    assert_at(office, live_server, reverse("engagements:inbox"), language)
    follow(office, link_to("engagements:coordinator-request", obj.pk))
    assert_at(office, live_server, reverse("engagements:coordinator-request", args=[obj.pk]), language)
    assert PURPOSE in main_text(office)

    submit(office, form_for("engagements:take", obj.pk))
    assert_at(office, live_server, reverse("engagements:matching", args=[obj.pk]), language)
    assert translated(language, "The request is now in matching.") in messages_text(office)
    obj.refresh_from_db()
    assert obj.status == Request.Status.MATCHING

    candidates = office.locator("main ol.candidates > li")
    assert candidates.count() == 1
    assert expert.display_name in candidates.first.inner_text()
    assert other_expert.display_name not in main_text(office)
    answer_by = office.input_value("main #id_answer_by")
    assert answer_by, "the answer-by time has no default"
    office.check(f"main #cand-{expert.pk}")
    submit(office, form_for("engagements:make-offers", obj.pk))
    assert_at(office, live_server, reverse("engagements:coordinator-request", args=[obj.pk]), language)
    assert translated(language, "The offers were sent.") in messages_text(office)

    obj.refresh_from_db()
    assert obj.status == Request.Status.OFFERED
    assignment = Assignment.objects.get(request=obj)
    assert (assignment.expert, assignment.status, assignment.offered_by) == (expert, "offered", coordinator)
    assert assignment.role.code == "panellist"
    expected_answer_by = dt.datetime.strptime(answer_by, "%Y-%m-%dT%H:%M").replace(tzinfo=HELSINKI)
    assert assignment.offer_expires_at == expected_answer_by
    assert timezone.now() < assignment.offer_expires_at < starts
    assert messages_to(expert.user.email), "the expert was not told about the offer"

    # 3. The expert accepts on a phone. -------------------------------------------------------------
    phone = page(language)
    sign_in(phone, live_server, expert.user.email, PASSWORD)
    assert_at(phone, live_server, reverse("engagements:expert-home"), language)
    follow(phone, link_to("engagements:my-offers"))
    assert_at(phone, live_server, reverse("engagements:my-offers"), language)
    follow(phone, link_to("engagements:offer", assignment.pk))
    assert_at(phone, live_server, reverse("engagements:offer", args=[assignment.pk]), language)
    offer_text = main_text(phone)
    assert PURPOSE in offer_text
    assert AUDIENCE in offer_text
    assert TASK in offer_text

    submit(phone, form_for("engagements:offer-accept", assignment.pk))
    assert_at(phone, live_server, reverse("engagements:offer", args=[assignment.pk]), language)
    assert translated(language, "Thank you! The coordinator will confirm the engagement.") in messages_text(phone)
    assert label(language, Assignment.Status.ACCEPTED) in phone.locator("main p.card").inner_text()
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED
    assert assignment.answered_at is not None
    obj.refresh_from_db()
    assert obj.status == Request.Status.OFFERED

    # 4. The coordinator confirms the expert. -------------------------------------------------------
    visit(office, reverse("engagements:coordinator-request", args=[obj.pk]))
    confirm = form_for("engagements:confirm", assignment.pk)
    assert translated(language, "Confirm") in office.locator(f"main {confirm} button").inner_text()
    submit(office, confirm)
    assert_at(office, live_server, reverse("engagements:coordinator-request", args=[obj.pk]), language)
    assert translated(language, "The expert is confirmed and was told.") in messages_text(office)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CONFIRMED
    assert assignment.confirmed_at is not None
    obj.refresh_from_db()
    assert obj.status == Request.Status.CONFIRMED
    assert obj.confirmed_at is not None
    assert office.locator(f"main {confirm}").count() == 0

    # 5. The unit member sees the expert and takes the engagement into a calendar. ------------------
    visit(desk, reverse("engagements:unit-request", args=[obj.pk]))
    confirmed = desk.locator("main section[aria-labelledby=experts-heading]")
    assert expert.display_name in confirmed.inner_text()
    assert label(language, Request.Status.CONFIRMED) in desk.locator("main .status-card").inner_text()
    with desk.expect_download() as info:
        desk.locator(f"main {link_to('engagements:assignment-ics', assignment.pk)}").click()
    download = info.value
    assert download.suggested_filename == f"engagement-{assignment.pk}.ics"
    path = download.path()
    assert path is not None
    with open(path, "rb") as ics:
        calendar = Calendar.from_ical(ics.read())
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    # The type, not the title: calendar files leave the service.
    type_labels = {label(each, RequestType(obj.type)) for each in ("fi", "sv", "en")}
    assert str(event["SUMMARY"]) in type_labels
    assert TITLE not in calendar.to_ical().decode()
    assert event.decoded("DTSTART") == starts
    assert event.decoded("DTEND") == ends
    assert str(event["LOCATION"]) == PLACE

    # 6. The pages around the journey. --------------------------------------------------------------
    open_menu(phone)
    follow(phone, link_to("engagements:notifications"), within="header nav")
    assert_at(phone, live_server, reverse("engagements:notifications"), language)
    notices = phone.locator("main ul.notifications > li")
    assert notices.count() == 2  # the offer and the confirmation
    notice_text = "\n".join(notices.all_inner_texts())
    for kind in ("You have a new offer: %(title)s", "You are confirmed: %(title)s"):
        assert translated(language, kind) % {"title": TITLE} in notice_text

    visit(phone, reverse("engagements:my-offers"))
    # The confirmed engagement, with its time, and no stray space before the comma.
    with translation.override(language):
        when = formats.date_format(timezone.localtime(obj.starts_at), "SHORT_DATETIME_FORMAT")
    # What is seen: the date hidden for screen readers (it tells same-titled links apart) is left out.
    upcoming = phone.locator("main section[aria-labelledby=upcoming-heading] li").evaluate_all(
        """items => items.map(item => {
          const copy = item.cloneNode(true);
          copy.querySelectorAll('.visually-hidden').forEach(hidden => hidden.remove());
          return copy.textContent.replace(/\\s+/g, ' ').trim();
        })"""
    )
    assert upcoming == [f"{TITLE} – {label(language, Assignment.Status.CONFIRMED)}, {when}"]
    follow(phone, link_to("engagements:calendar"))
    assert_at(phone, live_server, reverse("engagements:calendar"), language)
    submit(phone, form_for("engagements:calendar-turn-on"))
    assert_at(phone, live_server, reverse("engagements:calendar"), language)
    feed_url = phone.input_value("main #feed-url")
    assert feed_url.startswith("http") and feed_url.endswith(".ics"), feed_url

    visit(office, reverse("engagements:matching", args=[obj.pk]))
    follow(office, link_to("engagements:excluded", obj.pk))
    assert_at(office, live_server, reverse("engagements:excluded", args=[obj.pk]), language)
    # The confirmed expert is excluded now too: they already have this request.
    excluded = {
        text.split(":", 1)[0]: text.split(":", 1)[1]
        for text in office.locator("main ul.plain > li.record").all_inner_texts()
    }
    assert sorted(excluded) == sorted([expert.display_name, other_expert.display_name])
    assert translated(language, "Consents are not current") in excluded[other_expert.display_name]
    assert translated(language, "Already offered this request") in excluded[expert.display_name]

    follow(desk, link_to("engagements:unit-requests"))
    assert_at(desk, live_server, reverse("engagements:unit-requests"), language)
    row = desk.locator("main tbody tr", has=desk.locator(link_to("engagements:unit-request", obj.pk)))
    assert row.count() == 1
    assert label(language, Request.Status.CONFIRMED) in row.inner_text()

    visitor = page(language)
    visit(visitor, reverse("request-expert"))
    assert_at(visitor, live_server, reverse("request-expert"), language)
    follow(visitor, link_to("engagements:join"))
    assert_at(visitor, live_server, reverse("engagements:join"), language)
    assert visitor.locator("main #id_email").count() == 1
