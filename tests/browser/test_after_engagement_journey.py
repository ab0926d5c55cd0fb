"""After the engagement, in a real browser at 360 px: attendance, feedback from both sides, the
impact note, a debrief and an expense claim.

1. The coordinator finds the ended request with the "needs action" filter and marks the expert
   attended; the request becomes completed.
2. The unit member gives feedback and writes the impact note; the expert is e-mailed.
3. The expert reads both on the history page and says how it went, asking for a debrief; with
   all three in, the request closes.
4. The coordinator records the debrief.
5. The money pages: the expert claims kilometres, the coordinator sees the claim and the fee.

Every page is opened with `visit`, `submit` or `follow`, so each one is checked with axe, for
sideways scrolling and for a single <h1>.

The live server needs real commits, so the test runs in a transactional database that is flushed
afterwards; the flush also empties the rows data migrations created (languages, roles, the fee
schedule, the kilometre rate), so `_vocabularies` puts them back first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db.models import TextChoices
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import formats, timezone, translation

from engagements.models import (
    Assignment,
    Debrief,
    ExpenseClaim,
    ExpertFeedback,
    ImpactNote,
    KilometreRate,
    Request,
    UnitFeedback,
)
from engagements.notifications import EMAIL_HEADLINES
from experts.models import EngagementRole
from tests.browser.conftest import (
    PageFactory,
    follow,
    form_for,
    sign_in,
    submit,
    translated,
    visit,
)
from tests.conftest import PASSWORD, ready_expert

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.core.mail import EmailMessage
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from experts.models import ExpertProfile
    from registry.models import User

pytestmark = pytest.mark.browser

HELSINKI = ZoneInfo("Europe/Helsinki")
TITLE = "Nuorten ääni sijaishuollossa"
FEE = Decimal("80.00")
PARTICIPANTS = 37
TAKE_FORWARD = "Kysymme jatkossa nuorilta itseltään ennen sijoituspaikan valintaa."
IMPACT = (
    "Päätimme muuttaa sijoitusten aloituskäytäntöä: nuori tapaa uuden sijaisperheen ennen muuttoa.\n"
    'Ohje "Nuoren ääni & sijoitus" päivitetään kevään aikana.'
)
DEBRIEF_NOTE = "Soitin ja kävimme tilaisuuden läpi. Sovimme uudesta tapaamisesta."
KILOMETRES = 40


# Helpers ------------------------------------------------------------------------------------------


def link_to(url_name: str, *args: object) -> str:
    return f"a[href='{reverse(url_name, args=args)}']"


def label(language: str, choice: TextChoices) -> str:
    """A model choice's label in `language`."""
    with translation.override(language):
        return str(choice.label)


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


def messages_to(address: str) -> list[EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def single_line(text: str) -> str:
    """Text as the browser lays it out in one line (line breaks of a <br> become spaces)."""
    return " ".join(text.split())


@pytest.fixture
def ended_yesterday(make_request: Callable[..., Request], expert: ExpertProfile) -> tuple[Request, Assignment]:
    """A confirmed request of the unit that took place yesterday 13–15, with the ready expert confirmed."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    starts = dt.datetime.combine(yesterday, dt.time(13, 0), tzinfo=HELSINKI)
    obj = make_request(
        status=Request.Status.CONFIRMED,
        title=TITLE,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        submitted_at=starts - dt.timedelta(days=30),
        confirmed_at=starts - dt.timedelta(days=20),
    )
    assignment = Assignment.objects.create(
        request=obj,
        expert=ready_expert(expert),
        role=EngagementRole.objects.get(code="panellist"),
        status=Assignment.Status.CONFIRMED,
        offer_expires_at=starts - dt.timedelta(days=25),
        confirmed_at=starts - dt.timedelta(days=20),
        fee_proposed=FEE,
        fee=FEE,
    )
    return obj, assignment


# The journey --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_after_the_engagement(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    unit_member: User,
    coordinator: User,
    expert: ExpertProfile,
    ended_yesterday: tuple[Request, Assignment],
) -> None:
    obj, assignment = ended_yesterday
    coordinator_request = reverse("engagements:coordinator-request", args=[obj.pk])
    unit_request = reverse("engagements:unit-request", args=[obj.pk])
    history = reverse("engagements:history")

    # 1. The coordinator finds the ended request and marks the expert attended. ---------------------
    office = page(language)
    sign_in(office, live_server, coordinator.email, PASSWORD, totp=True)
    assert_at(office, live_server, reverse("engagements:coordinator-home"), language)
    follow(office, f"nav {link_to('engagements:inbox')}")
    assert_at(office, live_server, reverse("engagements:inbox"), language)
    office.locator("main details.filters > summary").click()
    office.check("main input[name=needs_action]")
    submit(office, "form.filter-form")
    assert_at(office, live_server, reverse("engagements:inbox"), language)
    assert "needs_action=on" in office.url
    assert office.is_checked("main input[name=needs_action]")
    row = office.locator("main tbody tr", has=office.locator(link_to("engagements:coordinator-request", obj.pk)))
    assert row.count() == 1
    assert label(language, Request.Status.CONFIRMED) in row.inner_text()

    follow(office, link_to("engagements:coordinator-request", obj.pk))
    assert_at(office, live_server, coordinator_request, language)
    attendance = form_for("engagements:attendance", assignment.pk)
    legend = office.locator(f"main {attendance} legend").inner_text()
    assert expert.display_name in legend
    office.get_by_role("radio", name=translated(language, "Attended"), exact=True).check()
    submit(office, attendance)
    assert_at(office, live_server, coordinator_request, language)
    assert translated(language, "Attendance was recorded.") in messages_text(office)
    assert label(language, Request.Status.COMPLETED) in office.locator("main p.card").inner_text()
    experts_table = office.locator("main section[aria-labelledby=assignments-heading] tbody").inner_text()
    assert label(language, Assignment.Status.ATTENDED) in experts_table
    assert office.locator(f"main {attendance}").count() == 0
    after = office.locator("main section[aria-labelledby=after-heading]").inner_text()
    assert translated(language, "Not given yet.") in after
    assert translated(language, "Not written yet.") in after

    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ATTENDED
    assert assignment.attendance_marked_at is not None
    assert assignment.fee == FEE
    obj.refresh_from_db()
    assert obj.status == Request.Status.COMPLETED
    assert obj.completed_at is not None
    assert obj.missing_after_engagement() == ["unit_feedback", "expert_feedback", "impact_note"]
    assert messages_to(unit_member.email), "the unit was not asked for feedback"
    assert messages_to(expert.user.email), "the expert was not asked for feedback"

    # The request no longer needs the coordinator's action.
    visit(office, f"{reverse('engagements:inbox')}?needs_action=on")
    assert office.locator(f"main {link_to('engagements:coordinator-request', obj.pk)}").count() == 0

    # 2. The unit member gives feedback and writes the impact note. ---------------------------------
    desk = page(language)
    sign_in(desk, live_server, unit_member.email, PASSWORD)
    assert_at(desk, live_server, reverse("engagements:unit-home"), language)
    follow(desk, link_to("engagements:unit-requests"))
    follow(desk, link_to("engagements:unit-request", obj.pk))
    assert_at(desk, live_server, unit_request, language)
    assert label(language, Request.Status.COMPLETED) in desk.locator("main .status-card").inner_text()

    follow(desk, link_to("engagements:unit-feedback", obj.pk))
    assert_at(desk, live_server, reverse("engagements:unit-feedback", args=[obj.pk]), language)
    feedback_form = form_for("engagements:unit-feedback", obj.pk)
    desk.fill("main #id_participants", str(PARTICIPANTS))
    desk.check("main input[name=usefulness][value='4']")
    desk.fill("main #id_take_forward", TAKE_FORWARD)
    desk.check("main #id_share_with_experts")
    submit(desk, feedback_form)
    assert_at(desk, live_server, unit_request, language)
    assert translated(language, "Thank you for your feedback.") in messages_text(desk)

    feedback = UnitFeedback.objects.get(request=obj)
    assert (feedback.participants, feedback.usefulness, feedback.take_forward) == (PARTICIPANTS, 4, TAKE_FORWARD)
    assert feedback.share_with_experts is True
    assert feedback.invite_again is True  # the default, left as it was
    assert feedback.given_by == unit_member
    obj.refresh_from_db()
    assert obj.status == Request.Status.COMPLETED
    assert desk.locator(f"main {link_to('engagements:unit-feedback', obj.pk)}").count() == 0

    mail.outbox.clear()
    follow(desk, link_to("engagements:impact", obj.pk))
    assert_at(desk, live_server, reverse("engagements:impact", args=[obj.pk]), language)
    desk.fill("main #id_text", IMPACT)
    submit(desk, form_for("engagements:impact", obj.pk))
    assert_at(desk, live_server, unit_request, language)
    assert translated(language, "Thank you! The experts who took part will hear what happened next.") in (
        messages_text(desk)
    )
    note = ImpactNote.objects.get(request=obj)
    # The browser sends a textarea's line breaks as CRLF, as HTML specifies.
    assert (note.text.replace("\r\n", "\n"), note.written_by) == (IMPACT, unit_member)
    obj.refresh_from_db()
    assert obj.status == Request.Status.COMPLETED  # the expert's own feedback is still to come
    assert obj.missing_after_engagement() == ["expert_feedback"]

    after = desk.locator("main section[aria-labelledby=after-heading]")
    after_text = after.inner_text()
    assert str(PARTICIPANTS) in after_text
    assert "4/5" in after_text
    assert TAKE_FORWARD in after_text
    assert IMPACT.splitlines()[0] in after_text and IMPACT.splitlines()[1] in after_text
    assert after.locator(link_to("engagements:impact", obj.pk)).count() == 0

    impact_mails = messages_to(expert.user.email)
    assert len(impact_mails) == 1, [message.subject for message in mail.outbox]
    impact_mail = impact_mails[0]
    # The expert's own language (Finnish), whatever language the unit member uses.
    in_finnish = localised(expert.user.preferred_language, lambda: str(EMAIL_HEADLINES["impact_note_written"]))
    assert impact_mail.subject == in_finnish
    # The e-mail says that the unit wrote; the note itself stays behind sign-in (it may be sensitive).
    assert IMPACT.splitlines()[0] not in impact_mail.body and TITLE not in impact_mail.subject
    assert reverse("engagements:history") in impact_mail.body
    assert isinstance(impact_mail, EmailMultiAlternatives)
    html = str(impact_mail.alternatives[0].content)
    assert "Nuoren ääni" not in html

    # 3. The expert reads what happened next and says how it went. ---------------------------------
    phone = page(language)
    sign_in(phone, live_server, expert.user.email, PASSWORD)
    assert_at(phone, live_server, reverse("engagements:expert-home"), language)
    follow(phone, f"nav {link_to('engagements:history')}")
    assert_at(phone, live_server, history, language)
    engagement = phone.locator(f"main #engagement-{assignment.pk}")
    engagement_text = engagement.inner_text()
    assert TITLE in engagement_text
    assert single_line(IMPACT) in single_line(engagement_text)
    assert TAKE_FORWARD in engagement_text
    assert label(language, Assignment.Status.ATTENDED) in engagement_text
    totals = phone.locator("main section[aria-labelledby=totals-heading] tbody tr").all_inner_texts()
    assert len(totals) == 1
    assert localised(language, lambda: floatformat(FEE, 2)) in totals[0]

    follow(phone, link_to("engagements:expert-feedback", assignment.pk))
    assert_at(phone, live_server, reverse("engagements:expert-feedback", args=[assignment.pk]), language)
    phone.check("main input[name=how_it_went][value='4']")
    phone.check("main input[name=heard][value='3']")
    phone.check("main input[name=respected][value='2']")
    phone.check("main input[name=preparation][value='4']")
    phone.check("main #id_wants_debrief")
    mail.outbox.clear()
    submit(phone, form_for("engagements:expert-feedback", assignment.pk))
    assert_at(phone, live_server, history, language)
    assert translated(language, "Thank you. Only the coordinators read your feedback.") in messages_text(phone)
    engagement_text = phone.locator(f"main #engagement-{assignment.pk}").inner_text()
    assert translated(language, "You gave feedback. Thank you!") in engagement_text
    assert phone.locator(f"main {link_to('engagements:expert-feedback', assignment.pk)}").count() == 0

    expert_feedback = ExpertFeedback.objects.get(assignment=assignment)
    scores = (
        expert_feedback.how_it_went,
        expert_feedback.heard,
        expert_feedback.respected,
        expert_feedback.preparation,
    )
    assert scores == (4, 3, 2, 4)
    assert expert_feedback.wants_debrief is True
    debrief = Debrief.objects.get(assignment=assignment)
    assert debrief.reason == Debrief.Reason.REQUESTED
    assert debrief.held_on is None
    assert messages_to(coordinator.email), "the coordinator was not told that a debrief is needed"
    obj.refresh_from_db()
    assert obj.status == Request.Status.CLOSED
    assert obj.closed_at is not None
    assert obj.closed_incomplete is False

    visit(desk, unit_request)
    assert label(language, Request.Status.CLOSED) in desk.locator("main .status-card").inner_text()

    # 4. The coordinator reads the feedback and records the debrief. --------------------------------
    visit(office, coordinator_request)
    assert label(language, Request.Status.CLOSED) in office.locator("main p.card").inner_text()
    seen = office.locator("main section[aria-labelledby=expert-feedback-heading]").inner_text()
    assert expert.display_name in seen
    assert "2/5" in seen

    follow(office, f"nav {link_to('engagements:debriefs')}")
    assert_at(office, live_server, reverse("engagements:debriefs"), language)
    waiting = office.locator("main section[aria-labelledby=open-heading]")
    card = waiting.locator("article.card", has=office.locator(f"#debrief-{debrief.pk}"))
    card_text = card.inner_text()
    assert expert.display_name in card_text
    assert TITLE in card_text
    assert label(language, Debrief.Reason.REQUESTED) in card_text
    today = timezone.localdate()
    office.fill(f"main #id_d{debrief.pk}-held_on", today.isoformat())
    office.fill(f"main #id_d{debrief.pk}-note", DEBRIEF_NOTE)
    submit(office, form_for("engagements:record-debrief", debrief.pk))
    assert_at(office, live_server, reverse("engagements:debriefs"), language)
    assert translated(language, "The debrief was recorded.") in messages_text(office)
    waiting = office.locator("main section[aria-labelledby=open-heading]")
    assert waiting.locator("article").count() == 0
    assert translated(language, "No debriefs are waiting.") in waiting.inner_text()
    held = office.locator("main section[aria-labelledby=held-heading]").inner_text()
    assert expert.display_name in held and TITLE in held

    debrief.refresh_from_db()
    assert (debrief.held_on, debrief.note, debrief.recorded_by) == (today, DEBRIEF_NOTE, coordinator)
    assert not Debrief.objects.open().exists()

    # 5. Money: the expert claims kilometres; the coordinator sees the claim and the fee. -----------
    follow(phone, link_to("engagements:expense-claim", assignment.pk))
    assert_at(phone, live_server, reverse("engagements:expense-claim", args=[assignment.pk]), language)
    rate = KilometreRate.in_force(today)
    assert rate == Decimal("0.59")
    assert localised(language, lambda: formats.localize(rate)) in main_text(phone)
    phone.check(f"main input[name=kind][value='{ExpenseClaim.Kind.KILOMETRES}']")
    phone.fill("main #id_kilometres", str(KILOMETRES))
    submit(phone, form_for("engagements:expense-claim", assignment.pk))
    assert_at(phone, live_server, history, language)
    assert translated(language, "Your claim was sent to the coordinator.") in messages_text(phone)

    claim = ExpenseClaim.objects.get(assignment=assignment)
    amount = Decimal("23.60")
    assert (claim.kind, claim.kilometres, claim.km_rate, claim.amount) == ("km", KILOMETRES, rate, amount)
    assert claim.status == ExpenseClaim.Status.SUBMITTED
    claims = phone.locator(f"main #engagement-{assignment.pk} ul > li").all_inner_texts()
    shown_amount = localised(language, lambda: floatformat(amount, 2))
    assert claims == [
        f"{label(language, ExpenseClaim.Kind.KILOMETRES)}: {shown_amount} € – "
        f"{label(language, ExpenseClaim.Status.SUBMITTED)}"
    ]

    follow(office, f"nav {link_to('engagements:expenses')}")
    assert_at(office, live_server, reverse("engagements:expenses"), language)
    claim_card = office.locator("main article.card", has=office.locator(f"#claim-{claim.pk}")).inner_text()
    assert expert.display_name in claim_card
    assert f"{shown_amount} €" in claim_card
    assert TITLE in claim_card
    assert office.locator(f"main {form_for('engagements:approve-expense', claim.pk)}").count() == 1

    follow(office, link_to("engagements:payments"))
    assert_at(office, live_server, reverse("engagements:payments"), language)
    rows = office.locator("main tbody tr").all_inner_texts()
    assert len(rows) == 1, rows  # the fee; the claim is not approved yet
    assert TITLE in rows[0]
    assert translated(language, "Fee") in rows[0]
    assert localised(language, lambda: floatformat(FEE, 2)) in rows[0]
    assert office.locator("main input[name=payment]").get_attribute("value") == f"fee-{assignment.pk}"
