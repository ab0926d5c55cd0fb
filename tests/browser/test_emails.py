"""Every e-mail's HTML part, rendered in each language, passes axe (WCAG 2.1 A and AA) and fits a
360 px screen, as opened in a phone's mail app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from engagements.models import Assignment
from experts.models import EngagementRole
from registry.mail import render_message
from tests.browser.conftest import LANGUAGES, MOBILE_VIEWPORT, PageFactory, assert_accessible, sideways_scrolling
from tests.email_samples import all_prefixes, sample_context

if TYPE_CHECKING:
    from experts.models import ExpertProfile

pytestmark = pytest.mark.browser

# The request-flow notice has a few shapes: with an offer's answer-by time, with a reason, with
# the unit's impact note.
NOTICE_KINDS = ["offer_made", "request_declined", "impact_note_written"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_passes_axe_at_360_px(
    page: PageFactory, language: str, make_request: Any, expert: ExpertProfile
) -> None:
    request = make_request(status="declined", status_reason="Ei sopivaa asiantuntijaa", text_language="fi")
    assignment = Assignment.objects.create(
        request=request,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="offered",
        offer_expires_at=timezone.now(),
    )
    tab = page(language, viewport=MOBILE_VIEWPORT)
    rendered = 0
    for prefix in all_prefixes():
        kinds = NOTICE_KINDS if prefix == "engagements/email/notice" else ["offer_made"]
        for kind in kinds:
            context = sample_context(request, assignment, expert.user, kind)
            _subject, _text, html = render_message(prefix, context, language)
            tab.set_content(html)
            assert_accessible(tab)
            assert not sideways_scrolling(tab), f"{prefix} ({language}) scrolls sideways at 360 px"
            rendered += 1
    assert rendered >= 18
