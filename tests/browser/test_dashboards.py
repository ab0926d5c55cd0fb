"""The dashboards, in a real browser at 360 px: the manager's statistics and the coordinator's
overview, payments, expenses and debriefs, and the expert's history as printed.

1. The manager signs in, opens the statistics, narrows them to a term, makes a bad custom range
   and downloads a table as CSV.
2. The coordinator sees the action counts on the home page, opens the full list and follows a row.
3. The coordinator marks a fee paid, approves a kilometre claim and opens the debriefs.
4. The expert's history hides the site header and navigation when printed.

Every page is opened with `visit`, `submit` or `follow` (or, for the one page that answers 400,
checked with `check_page` directly), so each one is checked with axe, for sideways scrolling and
for a single <h1>.

The live server needs real commits, so the tests run in a transactional database that is flushed
afterwards; the flush also empties the rows data migrations created (languages, roles, the fee
schedule, the kilometre rate), so `_vocabularies` puts them back first.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone, translation

from engagements.models import Assignment, Debrief, ExpenseClaim, Request, UnitFeedback
from engagements.statistics import term_period, year_period
from experts.models import EngagementRole, ExpertProfile
from tests.browser.conftest import (
    PageFactory,
    check_page,
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
    from collections.abc import Callable

    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from registry.models import User

pytestmark = pytest.mark.browser

HELSINKI = ZoneInfo("Europe/Helsinki")
FEE = Decimal("80.00")
KILOMETRES = 40
KM_RATE = Decimal("0.59")


# Helpers ------------------------------------------------------------------------------------------


def link_to(url_name: str, *args: object) -> str:
    return f"a[href='{reverse(url_name, args=args)}']"


def localised(language: str, function: Callable[[], str]) -> str:
    with translation.override(language):
        return function()


def assert_at(page: Page, live_server: LiveServer, path: str, language: str) -> None:
    assert page.url.split("?")[0] == f"{live_server.url}{path}", f"expected {path}, got {page.url}"
    assert page.locator("html").get_attribute("lang") == language


def main_text(page: Page) -> str:
    return page.locator("main").inner_text()


def messages_text(page: Page) -> str:
    return page.locator("main .messages").inner_text()


def figure(page: Page, language: str, label: str) -> str:
    """The value shown for one figure of the statistics (without its "before" line)."""
    box = page.locator("main dl.figures > div").filter(has=page.get_by_text(translated(language, label), exact=True))
    return box.locator("dd").inner_text().split()[0]


def at(day: dt.date, hour: int = 13) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=HELSINKI)


def held_request(
    make_request: Callable[..., Request], day: dt.date, *, status: str = Request.Status.CLOSED, **extra: object
) -> Request:
    """A request that took place on `day` 13–15, submitted a month and confirmed three weeks before."""
    starts = at(day)
    extra.setdefault("completed_at", starts + dt.timedelta(hours=3))
    return make_request(
        status=status,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        submitted_at=starts - dt.timedelta(days=30),
        confirmed_at=starts - dt.timedelta(days=21),
        **extra,
    )


def assign(request: Request, expert: ExpertProfile, status: str, **extra: object) -> Assignment:
    starts = request.starts_at or timezone.now()
    return Assignment.objects.create(
        request=request,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=status,
        offer_expires_at=extra.pop("offer_expires_at", starts - dt.timedelta(days=25)),
        **extra,
    )


# 1. The manager's statistics ----------------------------------------------------------------------


@pytest.fixture
def held_this_year(make_request: Callable[..., Request], expert: ExpertProfile, unit_member: User) -> list[Request]:
    """Three engagements held this year (two in the spring term, one in the autumn term), all done
    by the one young expert; the unit gave feedback on the first. (The statistics count a closed
    request by its end date, so the dates need not be over yet when the suite runs early in a year.)"""
    year = timezone.localdate().year
    spring_panel = held_request(make_request, dt.date(year, 3, 10), type="panel", audience_size=40)
    spring_talk = held_request(make_request, dt.date(year, 5, 20), type="speaker", audience_size=25)
    autumn_panel = held_request(make_request, dt.date(year, 9, 15), type="panel", audience_size=60)
    requests = [spring_panel, spring_talk, autumn_panel]
    for obj in requests:
        assign(obj, expert, Assignment.Status.ATTENDED, fee=FEE)
    UnitFeedback.objects.create(
        request=spring_panel, participants=35, usefulness=4, take_forward="Kysymme nuorilta.", given_by=unit_member
    )
    return requests


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_manager_statistics(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    manager: User,
    held_this_year: list[Request],
) -> None:
    year = timezone.localdate().year
    statistics = reverse("engagements:statistics")

    desk = page(language)
    sign_in(desk, live_server, manager.email, PASSWORD, totp=True)
    assert_at(desk, live_server, reverse("engagements:manager-home"), language)
    follow(desk, link_to("engagements:statistics"))
    assert_at(desk, live_server, statistics, language)

    # The whole current year by default.
    heading = desk.locator("main details.filters + h2")
    this_year, last_year = year_period(year), year_period(year - 1)
    assert this_year.label in heading.inner_text() and last_year.label in heading.inner_text()

    # Both charts are images with a name, the figures stand in tables beside them.
    for title in ("Engagements held by type", "Engagements held per term"):
        assert desk.get_by_role("img", name=translated(language, title), exact=True).count() == 1
    bars = desk.locator("main svg rect.chart-bar")
    widths = [float(bars.nth(i).get_attribute("width") or 0) for i in range(bars.count())]
    assert sorted(widths, reverse=True)[:2] == [270.0, 135.0], widths  # panels 2, talks 1 (of the 3 held)
    tables = desk.locator("main table")
    # the programme's report, by type, by theme, per term, reviews by theme, all figures
    assert tables.count() == 6
    for i in range(tables.count()):
        table = tables.nth(i)
        assert table.locator("caption").inner_text(), f"table {i} has no caption"
        assert table.locator("thead th[scope=col]").count() >= 2
    assert figure(desk, language, "Engagements held") == "3"
    assert figure(desk, language, "Young experts engaged") == "<3"
    report = desk.locator("main section[aria-labelledby=table-programme]")
    assert translated(language, "Systemic practice") in report.locator("thead").inner_text()
    assert report.locator("tbody tr").count() == 7  # six terms and the total

    # Narrow it to the spring term of this year.
    desk.locator("main details.filters > summary").click()
    desk.select_option("main #id_period", "spring")
    desk.fill("main #id_year", str(year))
    submit(desk, "form.filter-form")
    assert_at(desk, live_server, statistics, language)
    assert "period=spring" in desk.url
    spring, autumn_before = (
        localised(language, lambda: term_period(year, autumn=False).label),
        localised(language, lambda: term_period(year - 1, autumn=True).label),
    )
    heading_text = desk.locator("main details.filters + h2").inner_text()
    assert spring in heading_text and autumn_before in heading_text, heading_text
    assert desk.locator("main details.filters").get_attribute("open") is not None
    assert desk.locator("main #id_period").input_value() == "spring"
    assert figure(desk, language, "Engagements held") == "2"

    # Download the figures of the spring term: semicolon-separated, small people counts suppressed.
    with desk.expect_download() as download_info:
        desk.locator(f"main a[href^='{reverse('engagements:statistics-csv', args=['figures'])}?']").click()
    download = download_info.value
    assert download.suggested_filename == f"figures-{timezone.localdate().isoformat()}.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = {row[0]: row[1:] for row in csv.reader(text.splitlines(), delimiter=";")}
    assert rows[translated(language, "Young experts engaged")] == ["<3", "0"]
    assert rows[translated(language, "Engagements held")] == ["2", "0"]
    assert rows[translated(language, "Figure")] == [spring, autumn_before]

    # A custom range that ends before it starts: an error, and the typed dates stay.
    desk.select_option("main #id_period", "custom")
    desk.fill("main #id_start", f"{year}-06-30")
    desk.fill("main #id_end", f"{year}-01-01")
    with desk.expect_navigation() as navigation:
        desk.locator("main form.filter-form button[type=submit]").click()
    response = navigation.value
    assert response is not None and response.status == 400, response and response.status
    check_page(desk)
    assert translated(language, "The last day is before the first day.") in main_text(desk)
    assert translated(language, "Please check the fields marked below.") in main_text(desk)
    assert desk.locator("main details.filters").get_attribute("open") is not None
    assert desk.locator("main #id_period").input_value() == "custom"
    assert desk.locator("main #id_start").input_value() == f"{year}-06-30"
    assert desk.locator("main #id_end").input_value() == f"{year}-01-01"
    # The figures fall back to the current year.
    heading_text = desk.locator("main details.filters + h2").inner_text()
    assert this_year.label in heading_text and last_year.label in heading_text and spring not in heading_text


# 2. The coordinator's overview --------------------------------------------------------------------


@pytest.fixture
def needs_action(
    make_request: Callable[..., Request], expert: ExpertProfile, other_expert: ExpertProfile
) -> dict[str, Request]:
    """One request for each of several overview sections, and an open debrief."""
    now = timezone.now()
    unmatched = make_request(title="Ilman asiantuntijaa", submitted_at=now - dt.timedelta(days=2))
    offered = make_request(
        status=Request.Status.OFFERED, title="Tarjous vanhenee", submitted_at=now - dt.timedelta(days=5)
    )
    assign(offered, ready_expert(other_expert), Assignment.Status.OFFERED, offer_expires_at=now + dt.timedelta(hours=5))
    attendance = held_request(
        make_request,
        timezone.localdate() - dt.timedelta(days=1),
        status=Request.Status.CONFIRMED,
        title="Eilinen paneeli",
        completed_at=None,
    )
    assign(attendance, ready_expert(expert), Assignment.Status.CONFIRMED, fee_proposed=FEE, fee=FEE)
    debriefed = held_request(make_request, timezone.localdate() - dt.timedelta(days=20), title="Raskas paneeli")
    Debrief.objects.create(
        assignment=assign(debriefed, expert, Assignment.Status.ATTENDED, fee=FEE), reason=Debrief.Reason.REQUESTED
    )
    return {"unmatched": unmatched, "offered": offered, "attendance": attendance, "debriefed": debriefed}


def count_of(page: Page, href: str) -> str:
    return page.locator(f"main ul.alerts a[href='{href}'] strong").inner_text()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_coordinator_overview(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    coordinator: User,
    needs_action: dict[str, Request],
) -> None:
    overview = reverse("engagements:overview")
    office = page(language)
    sign_in(office, live_server, coordinator.email, PASSWORD, totp=True)
    assert_at(office, live_server, reverse("engagements:coordinator-home"), language)

    counts = {
        f"{overview}#unmatched": "1",
        f"{overview}#expiring_offers": "1",
        f"{overview}#short_of_experts": "0",
        f"{overview}#attendance": "1",
        f"{overview}#feedback_overdue": "0",
        f"{overview}#impact_overdue": "0",
        reverse("engagements:debriefs"): "1",
    }
    for href, count in counts.items():
        assert count_of(office, href) == count, href
    assert translated(language, "Attendance to mark") in office.locator("main ul.alerts").inner_text()

    follow(office, link_to("engagements:overview"))
    assert_at(office, live_server, overview, language)
    assert office.locator("main h1").inner_text() == translated(language, "What needs action")
    for href, count in counts.items():  # the same counts head the full list
        assert count_of(office, href) == count, href

    def section(key: str) -> str:
        return office.locator(f"main section#{key}").inner_text()

    assert needs_action["unmatched"].title in section("unmatched")
    expiring = section("expiring_offers")
    assert needs_action["offered"].title in expiring
    assert "Kaisla" in expiring  # the expert the offer went to
    assert needs_action["attendance"].title in section("attendance")
    for key in ("short_of_experts", "feedback_overdue", "impact_overdue"):
        assert section(key).strip().endswith(translated(language, "Nothing.")), key

    attendance = needs_action["attendance"]
    follow(office, link_to("engagements:coordinator-request", attendance.pk), within="main section#attendance")
    assert_at(office, live_server, reverse("engagements:coordinator-request", args=[attendance.pk]), language)
    assert office.locator("main h1").inner_text() == attendance.title
    assert office.locator(f"main {form_for('engagements:attendance', attendance.assignments.get().pk)}").count() == 1


# 3. The coordinator's money pages and debriefs ----------------------------------------------------


@pytest.fixture
def money(make_request: Callable[..., Request], expert: ExpertProfile) -> dict[str, object]:
    """An attended engagement with an unpaid fee, a kilometre claim waiting for approval and an open debrief."""
    obj = held_request(
        make_request, timezone.localdate() - dt.timedelta(days=3), status=Request.Status.COMPLETED, title="Syyspaneeli"
    )
    assignment = assign(
        obj,
        ready_expert(expert),
        Assignment.Status.ATTENDED,
        fee_proposed=FEE,
        fee=FEE,
        attendance_marked_at=timezone.now(),
    )
    claim = ExpenseClaim.objects.create(
        assignment=assignment,
        kind=ExpenseClaim.Kind.KILOMETRES,
        kilometres=KILOMETRES,
        km_rate=KM_RATE,
        amount=KILOMETRES * KM_RATE,
    )
    debrief = Debrief.objects.create(assignment=assignment, reason=Debrief.Reason.LOW_SCORE)
    return {"request": obj, "assignment": assignment, "claim": claim, "debrief": debrief}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_coordinator_money_and_debriefs(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    coordinator: User,
    expert: ExpertProfile,
    money: dict[str, object],
) -> None:
    obj = money["request"]
    assignment = money["assignment"]
    claim = money["claim"]
    debrief = money["debrief"]
    assert isinstance(obj, Request) and isinstance(assignment, Assignment)
    assert isinstance(claim, ExpenseClaim) and isinstance(debrief, Debrief)
    payments = reverse("engagements:payments")
    expenses = reverse("engagements:expenses")

    office = page(language)
    sign_in(office, live_server, coordinator.email, PASSWORD, totp=True)

    # The fee is waiting for payroll; mark it paid.
    follow(office, f"nav {link_to('engagements:expenses')}")
    follow(office, link_to("engagements:payments"))
    assert_at(office, live_server, payments, language)
    rows = office.locator("main tbody tr").all_inner_texts()
    assert len(rows) == 1, rows  # the fee; the claim is not approved yet
    assert obj.title in rows[0]
    assert translated(language, "Fee") in rows[0]
    assert office.locator("main input[name=payment]").get_attribute("value") == f"fee-{assignment.pk}"
    submit(office, form_for("engagements:payments-paid"))
    assert_at(office, live_server, payments, language)
    assert translated(language, "%(count)s payments were marked paid.") % {"count": 1} in messages_text(office)
    rows = office.locator("main tbody tr").all_inner_texts()
    assert rows == [translated(language, "Nothing to pay.")], rows
    assert office.locator("main input[name=payment]").count() == 0
    assignment.refresh_from_db()
    assert assignment.fee_paid_at is not None

    # The kilometre claim: approve it.
    follow(office, f"nav {link_to('engagements:expenses')}")
    assert_at(office, live_server, expenses, language)
    card = office.locator("main article.card", has=office.locator(f"#claim-{claim.pk}"))
    card_text = card.inner_text()
    assert expert.display_name in card_text
    assert f"{localised(language, lambda: floatformat(claim.amount, 2))} €" in card_text
    assert obj.title in card_text
    submit(office, form_for("engagements:approve-expense", claim.pk))
    assert_at(office, live_server, expenses, language)
    assert translated(language, "The claim was approved.") in messages_text(office)
    assert office.locator("main article.card").count() == 0
    assert translated(language, "No claims are waiting.") in main_text(office)
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.APPROVED
    assert claim.decided_at is not None

    # The approved claim is now the one payment waiting.
    follow(office, link_to("engagements:payments"))
    rows = office.locator("main tbody tr").all_inner_texts()
    assert len(rows) == 1 and translated(language, "Expenses") in rows[0], rows
    assert office.locator("main input[name=payment]").get_attribute("value") == f"expense-{claim.pk}"

    # The debrief waits to be held.
    follow(office, f"nav {link_to('engagements:debriefs')}")
    assert_at(office, live_server, reverse("engagements:debriefs"), language)
    waiting = office.locator("main section[aria-labelledby=open-heading]")
    debrief_card = waiting.locator("article.card", has=office.locator(f"#debrief-{debrief.pk}")).inner_text()
    assert expert.display_name in debrief_card and obj.title in debrief_card
    with translation.override(language):
        assert str(Debrief.Reason.LOW_SCORE.label) in debrief_card
    assert office.locator(f"main {form_for('engagements:record-debrief', debrief.pk)}").count() == 1


# 4. The expert's history, printed -----------------------------------------------------------------


def test_history_prints_without_the_header(
    page: PageFactory,
    live_server: LiveServer,
    make_request: Callable[..., Request],
    expert: ExpertProfile,
) -> None:
    obj = held_request(make_request, timezone.localdate() - dt.timedelta(days=10), title="Kevään paneeli")
    assignment = assign(obj, ready_expert(expert), Assignment.Status.ATTENDED, fee=FEE)

    phone = page("fi")
    sign_in(phone, live_server, expert.user.email, PASSWORD)
    visit(phone, reverse("engagements:history"))
    header = phone.locator("header.site-header")
    engagement = phone.locator(f"main #engagement-{assignment.pk}")
    intro = phone.locator("main p.print-only")
    assert header.is_visible()
    open_menu(phone)
    assert phone.locator("nav.site-nav").is_visible()
    assert phone.locator("main nav.sub-nav").is_visible()
    assert not intro.is_visible()

    phone.emulate_media(media="print")
    assert header.is_hidden()
    assert phone.locator("nav.site-nav").is_hidden()
    assert phone.locator("main nav.sub-nav").is_hidden()
    assert phone.locator("footer.site-footer").is_hidden()
    assert phone.locator(f"main a[href='{reverse('engagements:expense-claim', args=[assignment.pk])}']").is_hidden()
    assert engagement.is_visible() and obj.title in engagement.inner_text()
    assert intro.is_visible() and expert.display_name in intro.inner_text()

    phone.emulate_media(media="screen")
    assert header.is_visible()
