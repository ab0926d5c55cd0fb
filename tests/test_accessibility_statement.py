"""The accessibility statement (Act 306/2019) and its feedback channel.

The list of known problems lives in registry/accessibility.py; these tests keep the statement's
date honest about it, check what the statement must say, and follow feedback from the public form
to a coordinator marking it answered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation

from registry import accessibility
from registry.models import AccessibilityFeedback, AlreadyAnswered, StaffRole
from tests.conftest import make_user, with_totp

pytestmark = pytest.mark.django_db


# The known problems and the statement's date -------------------------------------------------------


def test_statement_date_is_not_older_than_the_newest_known_problem() -> None:
    newest = max(problem.noted for problem in accessibility.KNOWN_PROBLEMS)
    assert newest <= accessibility.STATEMENT_UPDATED, (
        f"A known problem was noted on {newest}, after the statement's date {accessibility.STATEMENT_UPDATED}: "
        "update STATEMENT_UPDATED in registry/accessibility.py"
    )


def test_known_problems_did_not_change_without_the_statement_date() -> None:
    # Any change to the list (a new problem, a fixed one removed, a new date) changes its
    # fingerprint; the fingerprint is recorded together with the date, so both move together.
    fingerprint = accessibility.known_problems_fingerprint()
    assert fingerprint == accessibility.KNOWN_PROBLEMS_FINGERPRINT, (
        "The list of known accessibility problems changed. Set STATEMENT_UPDATED in registry/accessibility.py "
        f"to the day of the change and KNOWN_PROBLEMS_FINGERPRINT to {fingerprint!r}."
    )


def test_the_fingerprint_notices_a_changed_problem() -> None:
    changed = [dataclasses.replace(accessibility.KNOWN_PROBLEMS[0], fix_by=dt.date(2030, 1, 1))]
    changed += accessibility.KNOWN_PROBLEMS[1:]
    assert accessibility.known_problems_fingerprint(changed) != accessibility.known_problems_fingerprint()
    assert accessibility.known_problems_fingerprint(accessibility.KNOWN_PROBLEMS[1:]) != (
        accessibility.known_problems_fingerprint()
    )


def test_no_planned_fix_date_has_passed() -> None:
    # A problem still listed after its planned fix date means the statement promises something
    # that did not happen: fix it, or give a new date (and update the statement).
    today = timezone.localdate()
    late = [problem.text for problem in accessibility.KNOWN_PROBLEMS if problem.fix_by < today]
    assert not late, f"planned fix dates have passed for: {late}"


def test_every_known_problem_names_wcag_criteria() -> None:
    for problem in accessibility.KNOWN_PROBLEMS:
        assert problem.criteria and all(c.count(".") == 2 for c in problem.criteria), problem.text
        assert problem.noted <= problem.fix_by


# The statement ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "status", "authority", "monitoring"),
    [
        ("fi", "osittain", "Etelä-Suomen aluehallintovirasto", "Saavutettavuuden valvonta"),
        ("sv", "delvis", "Regionförvaltningsverket i Södra Finland", "Tillgänglighetstillsynen"),
        ("en", "partially complies", "Regional State Administrative Agency for Southern Finland", "monitoring"),
    ],
)
def test_statement_gives_status_problems_feedback_channel_and_authority(
    client: Any, language: str, status: str, authority: str, monitoring: str
) -> None:
    client.cookies["django_language"] = language
    response = client.get(reverse("accessibility"))
    assert response.status_code == 200
    html = response.content.decode()
    assert status in html
    assert "designed to meet" not in html and "We know of no content" not in html
    with translation.override(language):
        for problem in accessibility.KNOWN_PROBLEMS:
            assert translation.gettext(problem.text).replace("'", "&#x27;") in html
            assert problem.fix_by.strftime("%Y") in html
    assert authority in html and monitoring in html
    assert "www.saavutettavuusvaatimukset.fi" in html
    assert 'href="mailto:saavutettavuus@avi.fi"' in html
    assert "0295 016 000" in html
    assert f'href="{reverse("accessibility-feedback")}"' in html
    assert "14" in html


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_statement_shows_its_dates(client: Any, language: str) -> None:
    client.cookies["django_language"] = language
    html = client.get(reverse("accessibility")).content.decode()
    with translation.override(language):
        for day in (accessibility.STATEMENT_PREPARED, accessibility.STATEMENT_UPDATED):
            assert formats.date_format(day, "DATE_FORMAT") in html


# The feedback form -----------------------------------------------------------------------------


@pytest.fixture
def coordinators(db: None, region: Any) -> list[Any]:
    area = with_totp(make_user("area-coordinator@example.test", language="sv"))
    StaffRole.objects.create(user=area, role=StaffRole.Kind.COORDINATOR, region=None)
    regional = with_totp(make_user("regional-coordinator@example.test"))
    StaffRole.objects.create(user=regional, role=StaffRole.Kind.COORDINATOR, region=region)
    return [area, regional]


def test_anyone_can_send_feedback_and_every_coordinator_hears_of_it(
    client: Any, coordinators: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client.cookies["django_language"] = "sv"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accessibility-feedback"),
            {"message": "Kalendern går inte med tangentbord.", "page": "/calendar/", "email": "a@example.test"},
        )
    assert response.status_code == 302
    assert response.url == reverse("accessibility-feedback-thanks")
    item = AccessibilityFeedback.objects.get()
    assert item.language == "sv"
    assert item.page == "/calendar/"
    assert item.answered_at is None
    assert item.answer_due == timezone.localdate() + dt.timedelta(days=14)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in coordinators)
    swedish = next(m for m in mail.outbox if m.to == ["area-coordinator@example.test"])
    assert "tillgänglighet" in swedish.subject.lower()
    assert reverse("accessibility-feedback-detail", args=[item.pk]) in swedish.body
    # What was written, and by whom, stays in the service.
    assert "tangentbord" not in swedish.body and "a@example.test" not in swedish.body


def test_feedback_form_takes_the_page_from_the_footer_link(client: Any) -> None:
    response = client.get(reverse("accessibility-feedback"), {"page": "/me/availability/"})
    assert 'value="/me/availability/"' in response.content.decode()
    response = client.get(reverse("accessibility-feedback"), {"page": "https://evil.example/"})
    assert 'value="https://evil.example/"' not in response.content.decode()


def test_empty_feedback_keeps_nothing_and_links_the_error_to_the_field(client: Any) -> None:
    response = client.post(reverse("accessibility-feedback"), {"message": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'href="#id_message"' in html
    assert not AccessibilityFeedback.objects.exists()


def test_filled_honeypot_keeps_nothing(client: Any) -> None:
    response = client.post(reverse("accessibility-feedback"), {"message": "Buy now", "website": "http://spam"})
    assert response.status_code == 400
    assert not AccessibilityFeedback.objects.exists()


def test_feedback_is_rate_limited(client: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "accessibility_feedback": "2/h/ip"}
    for _ in range(2):
        assert client.post(reverse("accessibility-feedback"), {"message": "Hei"}).status_code == 302
    response = client.post(reverse("accessibility-feedback"), {"message": "Hei"})
    assert response.status_code == 429
    assert AccessibilityFeedback.objects.count() == 2


# Coordinators answer ----------------------------------------------------------------------------


def make_feedback(days_ago: int = 0, **extra: Any) -> AccessibilityFeedback:
    return AccessibilityFeedback.objects.create(
        message="Lomakkeen virheitä ei lueta ääneen.",
        language="fi",
        received_at=timezone.now() - dt.timedelta(days=days_ago),
        **extra,
    )


def test_open_feedback_is_work_on_the_coordinators_overview(client: Any, coordinator: Any) -> None:
    late = make_feedback(days_ago=20)
    fresh = make_feedback(days_ago=1)
    make_feedback(days_ago=30, answered_at=timezone.now())
    client.force_login(coordinator)
    html = client.get(reverse("engagements:overview")).content.decode()
    assert 'id="accessibility_feedback"' in html
    for item in (late, fresh):
        assert reverse("accessibility-feedback-detail", args=[item.pk]) in html
    assert html.count("accessibility-feedback/") == 3  # two open items and the link to all of them
    assert late.is_overdue() and not fresh.is_overdue()
    home = client.get(reverse("engagements:coordinator-home")).content.decode()
    assert f"{reverse('engagements:overview')}#accessibility_feedback" in home


def test_coordinator_marks_feedback_answered(client: Any, coordinator: Any) -> None:
    item = make_feedback(email="a@example.test")
    client.force_login(coordinator)
    page = client.get(reverse("accessibility-feedback-detail", args=[item.pk]))
    assert page.status_code == 200 and "mailto:a@example.test" in page.content.decode()
    response = client.post(reverse("accessibility-feedback-detail", args=[item.pk]), {"note": "Vastattu 1.12."})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.answered_at is not None and item.answered_by == coordinator and item.answer_note == "Vastattu 1.12."
    assert not AccessibilityFeedback.objects.open().exists()
    # A second answer (another tab) changes nothing.
    client.post(reverse("accessibility-feedback-detail", args=[item.pk]), {"note": "Toinen"})
    item.refresh_from_db()
    assert item.answer_note == "Vastattu 1.12."
    with pytest.raises(AlreadyAnswered):
        item.mark_answered(coordinator, "Kolmas")


def test_answer_needs_a_note(client: Any, coordinator: Any) -> None:
    item = make_feedback()
    client.force_login(coordinator)
    response = client.post(reverse("accessibility-feedback-detail", args=[item.pk]), {"note": ""})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.answered_at is None


@pytest.mark.parametrize("persona", ["expert", "unit_member", "manager"])
def test_only_coordinators_read_feedback(client: Any, personas: dict[str, Any], persona: str) -> None:
    item = make_feedback()
    client.force_login(personas[persona])
    assert client.get(reverse("accessibility-feedback-list")).status_code == 403
    assert client.get(reverse("accessibility-feedback-detail", args=[item.pk])).status_code == 403
    response = client.post(reverse("accessibility-feedback-detail", args=[item.pk]), {"note": "x"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.answered_at is None


def test_feedback_list_queries_do_not_grow(client: Any, coordinator: Any, django_assert_max_num_queries: Any) -> None:
    client.force_login(coordinator)
    for _ in range(3):
        make_feedback()
    with django_assert_max_num_queries(13):
        assert client.get(reverse("accessibility-feedback-list")).status_code == 200
    for _ in range(30):
        make_feedback(days_ago=2, answered_at=timezone.now(), answered_by=coordinator)
        make_feedback()
    with django_assert_max_num_queries(13):
        assert client.get(reverse("accessibility-feedback-list")).status_code == 200
