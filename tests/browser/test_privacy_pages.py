"""The privacy pages in a real browser at 360 px, each checked with axe: an expert's readable export
with a whole engagement history, in Finnish and Swedish; the pending erasure and changing one's
mind; the privacy notice in every language; a coordinator's access log for an expert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from engagements import notifications
from engagements.models import Assignment, CalendarFeed, ExpenseClaim, ExpertFeedback, ImpactNote, Request, UnitFeedback
from experts.models import ConsentPurpose, EngagementRole, ExpertProfile
from registry.models import AuditEvent, User
from tests.browser.conftest import PageFactory, follow, form_for, sign_in, submit, translated, visit
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def engaged(
    expert: ExpertProfile, make_request: Callable[..., Request], unit_member: User, coordinator: User
) -> ExpertProfile:
    expert.give_consent(ConsentPurpose.REGISTRY)
    expert.give_consent(ConsentPurpose.CONTACT)
    start = timezone.now() - dt.timedelta(days=8)
    req = make_request(
        status="completed", starts_at=start, ends_at=start + dt.timedelta(hours=2), title="Sijaishuollon paneeli"
    )
    assignment = Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="attended",
        offer_expires_at=start,
        fee=120,
    )
    ExpertFeedback.objects.create(
        assignment=assignment, how_it_went=4, heard=5, respected=5, preparation=4, free_text="Hyvä kokemus"
    )
    claim = ExpenseClaim(assignment=assignment, kind="ticket", amount=15, description="Bussilippu")
    claim.receipt.save("r.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    claim.receipt_type = "application/pdf"
    claim.save()
    UnitFeedback.objects.create(
        request=req, participants=30, usefulness=5, take_forward="Otamme mallin käyttöön", given_by=unit_member
    )
    ImpactNote.objects.create(request=req, text="Käytäntö muuttui", written_by=unit_member)
    notifications.impact_note_written(req)
    CalendarFeed.objects.create(user=expert.user)
    AuditEvent.record(coordinator, AuditEvent.Action.VIEW, expert)
    return expert


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_an_expert_reads_their_whole_export_and_can_change_their_mind_about_erasure(
    page: PageFactory, live_server: LiveServer, language: str, engaged: ExpertProfile
) -> None:
    tab = page(language)
    sign_in(tab, live_server, engaged.user.email, PASSWORD)
    visit(tab, reverse("experts:my-data"))
    follow(tab, f"a[href='{reverse('experts:export-html')}']")
    main = tab.locator("main").inner_text()
    for heading in (
        "Your offers and engagements",
        "Your feedback",
        "Your expense claims",
        "What happened next",
        "Who has handled your data",
    ):
        assert translated(language, heading) in main
    assert "Sijaishuollon paneeli" in main and "Käytäntö muuttui" in main and "Otamme mallin käyttöön" in main
    # The table of contents leads to each part.
    contents = tab.locator("main nav a")
    assert contents.count() >= 8
    follow(tab, f"a[href='{reverse('experts:my-data')}']")

    # Erasure: asked, signed out, back in during the grace period, and changed their mind.
    follow(tab, f"a[href='{reverse('experts:erase')}']")
    tab.check("main #id_confirm")
    submit(tab, form_for("experts:erase"))
    sign_in(tab, live_server, engaged.user.email, PASSWORD)
    visit(tab, reverse("engagements:expert-home"))
    assert translated(language, "Your data is waiting to be erased.") in tab.locator("main").inner_text()
    submit(tab, form_for("experts:cancel-erasure"))
    engaged.refresh_from_db()
    assert engaged.erasure_requested_at is None


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_privacy_notice_reads_well_in_every_language(
    page: PageFactory, live_server: LiveServer, language: str
) -> None:
    tab = page(language)
    visit(tab, reverse("privacy"))
    assert tab.locator("main h2").count() >= 8


def test_a_coordinator_reads_an_experts_access_log_by_month(
    page: PageFactory, live_server: LiveServer, coordinator: User, engaged: ExpertProfile
) -> None:
    tab = page("fi")
    sign_in(tab, live_server, coordinator.email, PASSWORD, totp=True)
    visit(tab, reverse("experts:expert", args=[engaged.pk]))
    follow(tab, f"a[href='{reverse('experts:access-log', args=[engaged.pk])}']")
    assert coordinator.email in tab.locator("main table").inner_text()
    month = timezone.localdate().strftime("%Y-%m")
    visit(tab, f"{reverse('experts:access-log', args=[engaged.pk])}?month={month}")
    assert tab.locator("main tbody tr").count() >= 2


def test_the_calendar_page_turns_the_address_on_and_off(
    page: PageFactory, live_server: LiveServer, expert: ExpertProfile
) -> None:
    tab = page("sv")
    sign_in(tab, live_server, expert.user.email, PASSWORD)
    visit(tab, reverse("engagements:calendar"))
    submit(tab, form_for("engagements:calendar-turn-on"))
    assert tab.input_value("main #feed-url").endswith(".ics")
    submit(tab, form_for("engagements:calendar-turn-off"))
    assert tab.locator("main #feed-url").count() == 0
