"""Material reviews inside the service: the reviewer's numbered comments (drafts until submitted) or
commented document, the unit's reading under the reviewer's display name, one clarifying question
per comment, "what was adopted" back to the reviewer, the downloads, the coordinator's progress,
reminders, and who may see what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from docx import Document

from engagements import models as engagement_models
from engagements.models import (
    Adoption,
    Assignment,
    FeeSchedule,
    InvalidTransition,
    Request,
    Review,
    ReviewComment,
    engagement_hours,
    fee_for_assignment,
)
from engagements.notifications import Notification
from experts.models import EngagementRole, ExpertProfile
from registry.models import User
from tests.conftest import ready_expert
from tests.test_attachments import docx_bytes

pytestmark = pytest.mark.django_db

SECRET_PHONE = "+358 40 123 4567"
COMMENT = "Toimintakortin kolmas kohta on vaikea ymmärtää: 'arviointi' kuulostaa tuomitsevalta."
ANCHOR = "Sivu 2, kohta 3"


@pytest.fixture
def review_request(make_request: Any) -> Request:
    """A confirmed material review for two reviewers, due in a week, three hours of work."""
    return make_request(
        status="confirmed",
        type="material_review",
        title="Arvioinnin toimintakortit selkokielelle",
        task="Onko kieli ymmärrettävää nuorelle? Mikä kohta hämmentää?",
        starts_at=None,
        ends_at=None,
        deadline=timezone.localdate() + dt.timedelta(days=7),
        estimated_hours=Decimal("3"),
        format="remote",
        place="",
        experts_needed=2,
    )


def confirm(request: Request, expert: ExpertProfile) -> Assignment:
    ready_expert(expert, role="material_reviewer")
    return Assignment.objects.create(
        request=request,
        expert=expert,
        role=EngagementRole.objects.get(code="material_reviewer"),
        status="confirmed",
        offer_expires_at=timezone.now(),
        confirmed_at=timezone.now(),
    )


@pytest.fixture
def reviewer(review_request: Request, expert: ExpertProfile) -> Assignment:
    expert.phone = SECRET_PHONE
    expert.save()
    expert.give_consent("direct_contact")
    return confirm(review_request, expert)


@pytest.fixture
def second_reviewer(review_request: Request, other_expert: ExpertProfile) -> Assignment:
    return confirm(review_request, other_expert)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def write(assignment: Assignment, text: str = COMMENT, anchor: str = ANCHOR) -> ReviewComment:
    comment = ReviewComment(text=text, anchor=anchor)
    assignment.add_review_comment(comment, by=assignment.expert.user)
    return comment


def submitted(assignment: Assignment, *texts: str) -> Assignment:
    for text in texts or (COMMENT,):
        write(assignment, text)
    assignment.submit_review(assignment.expert.user)
    return assignment


def kinds(user: User) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


# The reviewer's work space -------------------------------------------------------------------------


def test_reviewer_writes_numbered_draft_comments_that_the_unit_does_not_see(
    reviewer: Assignment, unit_member: User
) -> None:
    client = signed_in(reviewer.expert.user)
    url = reverse("engagements:review", args=[reviewer.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Onko kieli ymmärrettävää nuorelle?" in page.content.decode()  # the unit's questions
    for text in ("Ensimmäinen huomio", "Toinen huomio"):
        response = client.post(url, {"anchor": ANCHOR, "text": text})
        assert response.status_code == 302
    assert list(reviewer.review_comments.values_list("number", "text")) == [
        (1, "Ensimmäinen huomio"),
        (2, "Toinen huomio"),
    ]
    unit_page = signed_in(unit_member).get(reverse("engagements:unit-review", args=[reviewer.request_id]))
    assert unit_page.status_code == 200
    assert "Ensimmäinen huomio" not in unit_page.content.decode()


def test_a_failed_comment_keeps_every_word(reviewer: Assignment) -> None:
    client = signed_in(reviewer.expert.user)
    long_text = "Sana " * 700  # 3,500 characters: allowed
    response = client.post(reverse("engagements:review", args=[reviewer.pk]), {"anchor": "x" * 201, "text": long_text})
    assert response.status_code == 400
    assert long_text.strip() in response.content.decode()
    assert not reviewer.review_comments.exists()


def test_a_failed_submit_keeps_the_drafts(reviewer: Assignment) -> None:
    client = signed_in(reviewer.expert.user)
    empty = client.post(reverse("engagements:review-submit", args=[reviewer.pk]))
    assert empty.status_code == 302
    assert not Review.objects.filter(assignment=reviewer, submitted_at__isnull=False).exists()
    write(reviewer)
    # The review is closed by the coordinator meanwhile: submitting fails, the draft stays.
    Assignment.objects.filter(pk=reviewer.pk).update(status="attended")
    client.post(reverse("engagements:review-submit", args=[reviewer.pk]))
    assert reviewer.review_comments.get().text == COMMENT
    assert escape(COMMENT) in client.get(reverse("engagements:review", args=[reviewer.pk])).content.decode()


def test_comments_can_be_edited_and_removed_without_gaps_until_submitted(reviewer: Assignment) -> None:
    client = signed_in(reviewer.expert.user)
    first, second, third = write(reviewer, "yksi"), write(reviewer, "kaksi"), write(reviewer, "kolme")
    edit = reverse("engagements:review-comment", args=[reviewer.pk, second.pk])
    assert client.post(edit, {"anchor": "Luku 1", "text": "kaksi, tarkennettu"}).status_code == 302
    client.post(reverse("engagements:review-comment-delete", args=[reviewer.pk, first.pk]))
    assert list(reviewer.review_comments.values_list("number", "text")) == [(1, "kaksi, tarkennettu"), (2, "kolme")]
    reviewer.submit_review(reviewer.expert.user)
    client.post(edit, {"anchor": "", "text": "muutettu jälkikäteen"})
    client.post(reverse("engagements:review-comment-delete", args=[reviewer.pk, third.pk]))
    assert list(reviewer.review_comments.values_list("text", flat=True)) == ["kaksi, tarkennettu", "kolme"]


def test_the_number_of_comments_is_bounded(reviewer: Assignment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engagement_models, "MAX_REVIEW_COMMENTS", 2)
    write(reviewer), write(reviewer)
    with pytest.raises(InvalidTransition):
        write(reviewer)


def test_commented_document_goes_through_the_upload_checks(reviewer: Assignment, unit_member: User) -> None:
    client = signed_in(reviewer.expert.user)
    url = reverse("engagements:review-document", args=[reviewer.pk])
    hostile = SimpleUploadedFile("kommentit.docx", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
    assert client.post(url, {"file": hostile}).status_code == 400
    assert not Review.objects.filter(assignment=reviewer).exclude(document="").exists()
    good = SimpleUploadedFile("kommentit.docx", docx_bytes(), content_type="application/octet-stream")
    assert client.post(url, {"file": good}).status_code == 302
    download = reverse("engagements:review-document-download", args=[reviewer.pk])
    assert client.get(download).status_code == 200
    unit = signed_in(unit_member)
    assert unit.get(download).status_code == 404  # not before it is submitted
    reviewer.submit_review(reviewer.expert.user)
    response = unit.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


def test_submitting_tells_the_unit_and_the_coordinators_once(
    reviewer: Assignment, unit_member: User, coordinator: User
) -> None:
    submitted(reviewer)
    assert kinds(unit_member) == ["review_submitted"]
    assert kinds(coordinator) == ["review_submitted"]
    with pytest.raises(InvalidTransition):
        reviewer.submit_review(reviewer.expert.user)
    assert kinds(unit_member) == ["review_submitted"]


def test_late_submission_is_possible_until_the_coordinator_closes_the_review(
    reviewer: Assignment, coordinator: User
) -> None:
    Request.objects.filter(pk=reviewer.request_id).update(
        deadline=timezone.localdate() - dt.timedelta(days=2), ends_at=timezone.now() - dt.timedelta(days=1)
    )
    write(reviewer)
    reviewer.submit_review(reviewer.expert.user)
    assert reviewer.review.submitted_at is not None
    # Another reviewer, late and then closed by attendance: no more writing.
    reviewer.mark_attendance(attended=True, by=coordinator)
    with pytest.raises(InvalidTransition):
        write(reviewer)


# The unit's side -------------------------------------------------------------------------------------


def test_unit_reads_comments_under_the_pseudonym_without_contact_details(
    reviewer: Assignment, unit_member: User
) -> None:
    submitted(reviewer)
    page = signed_in(unit_member).get(reverse("engagements:unit-review", args=[reviewer.request_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert escape(COMMENT) in html
    assert reviewer.expert.display_name in html
    # The expert consented to direct contact; still, this flow never shows it.
    assert reviewer.expert.user.email not in html
    assert SECRET_PHONE not in html


def test_question_and_answer_go_through_the_service_with_notifications_both_ways(
    reviewer: Assignment, unit_member: User
) -> None:
    submitted(reviewer)
    comment = reviewer.review_comments.get()
    unit = signed_in(unit_member)
    question_url = reverse("engagements:review-question", args=[comment.pk])
    assert unit.post(question_url, {f"q{comment.pk}-question": "Mitä sanaa ehdottaisit?"}).status_code == 302
    assert kinds(reviewer.expert.user) == ["review_question"]
    # One question per comment.
    unit.post(question_url, {f"q{comment.pk}-question": "Toinen kysymys"})
    comment.refresh_from_db()
    assert comment.question == "Mitä sanaa ehdottaisit?"
    expert = signed_in(reviewer.expert.user)
    answer_url = reverse("engagements:review-answer", args=[reviewer.pk, comment.pk])
    assert expert.post(answer_url, {f"a{comment.pk}-answer": ""}).status_code == 400
    assert expert.post(answer_url, {f"a{comment.pk}-answer": "Vaikkapa 'yhdessä katsominen'."}).status_code == 302
    comment.refresh_from_db()
    assert comment.answer == "Vaikkapa 'yhdessä katsominen'."
    assert "review_answer" in kinds(unit_member)


def test_no_question_or_answer_once_the_request_is_closed(reviewer: Assignment, unit_member: User) -> None:
    submitted(reviewer, "yksi", "kaksi")
    first, second = reviewer.review_comments.order_by("number")
    first.ask("Mitä tarkoitit?", by=unit_member, language="fi")
    Request.objects.filter(pk=reviewer.request_id).update(status=Request.Status.CLOSED)
    with pytest.raises(InvalidTransition):
        first.give_answer("Myöhään", by=reviewer.expert.user, language="fi")
    with pytest.raises(InvalidTransition):
        second.ask("Vielä?", by=unit_member, language="fi")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.answer == "" and second.question == ""


def test_no_question_on_a_draft(reviewer: Assignment, unit_member: User) -> None:
    comment = write(reviewer)
    response = signed_in(unit_member).post(
        reverse("engagements:review-question", args=[comment.pk]), {f"q{comment.pk}-question": "?"}
    )
    assert response.status_code == 404


def test_what_was_adopted_reaches_the_reviewer(reviewer: Assignment, unit_member: User) -> None:
    submitted(reviewer, "yksi", "kaksi", "kolme")
    unit = signed_in(unit_member)
    outcomes = [Adoption.ADOPTED, Adoption.PARTLY, Adoption.NOT_ADOPTED]
    for comment, outcome in zip(reviewer.review_comments.order_by("number"), outcomes, strict=True):
        data = {f"d{comment.pk}-adoption": outcome, f"d{comment.pk}-adoption_note": "Käytössä maaliskuusta"}
        assert unit.post(reverse("engagements:review-adoption", args=[comment.pk]), data).status_code == 302
    assert kinds(reviewer.expert.user) == ["review_outcome"]  # once, when all are marked
    page = signed_in(reviewer.expert.user).get(reverse("engagements:review", args=[reviewer.pk]))
    assert "Käytössä maaliskuusta" in page.content.decode()
    assert page.context["summary"] == {"given": 3, "marked": 3, "adopted": 1, "partly": 1}


def test_adoption_needs_a_choice(reviewer: Assignment, unit_member: User) -> None:
    submitted(reviewer)
    comment = reviewer.review_comments.get()
    response = signed_in(unit_member).post(
        reverse("engagements:review-adoption", args=[comment.pk]), {f"d{comment.pk}-adoption": "everything"}
    )
    assert response.status_code == 400
    comment.refresh_from_db()
    assert comment.adoption == ""


def test_unmarked_comments_keep_the_request_open_and_are_reminded_with_the_impact_note(
    reviewer: Assignment, unit_member: User, coordinator: User, settings: Any
) -> None:
    submitted(reviewer)
    Request.objects.filter(pk=reviewer.request_id).update(
        deadline=timezone.localdate() - dt.timedelta(weeks=settings.IMPACT_NOTE_WEEKS + 1),
        ends_at=timezone.now() - dt.timedelta(weeks=settings.IMPACT_NOTE_WEEKS + 1),
    )
    reviewer.mark_attendance(attended=True, by=coordinator)
    request = Request.objects.get(pk=reviewer.request_id)
    assert request.status == Request.Status.COMPLETED
    assert "adoption" in request.missing_after_engagement()
    request.follow_up(timezone.now())
    assert "adoption_requested" in kinds(unit_member)


def test_downloads_open_with_real_parsers_and_hold_no_contact_details(
    reviewer: Assignment, second_reviewer: Assignment, unit_member: User
) -> None:
    submitted(reviewer, COMMENT, '=HYPERLINK("http://x")')
    submitted(second_reviewer, "Hyvä kokonaisuus.")
    unit = signed_in(unit_member)
    docx = unit.get(reverse("engagements:unit-review-docx", args=[reviewer.request_id]))
    assert docx.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert COMMENT in text and "Hyvä kokonaisuus." in text
    assert reviewer.expert.display_name in text and second_reviewer.expert.display_name in text
    assert reviewer.expert.user.email not in text and SECRET_PHONE not in text
    response = unit.get(reverse("engagements:unit-review-csv", args=[reviewer.request_id]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 4  # header and three comments
    assert all(not cell.startswith("=") for row in rows for cell in row)  # no formulas
    assert reviewer.expert.user.email not in response.content.decode("utf-8-sig")


# Who sees what ---------------------------------------------------------------------------------------


def test_each_reviewer_sees_only_their_own_comments_until_the_deadline(
    reviewer: Assignment, second_reviewer: Assignment
) -> None:
    submitted(reviewer, "Tuulin huomio")
    other = signed_in(second_reviewer.expert.user)
    page = other.get(reverse("engagements:review", args=[second_reviewer.pk]))
    assert "Tuulin huomio" not in page.content.decode()
    assert other.get(reverse("engagements:review", args=[reviewer.pk])).status_code == 404
    comment = reviewer.review_comments.get()
    assert other.get(reverse("engagements:review-comment", args=[reviewer.pk, comment.pk])).status_code == 404
    Request.objects.filter(pk=reviewer.request_id).update(ends_at=timezone.now() - dt.timedelta(hours=1))
    page = other.get(reverse("engagements:review", args=[second_reviewer.pk]))
    assert "Tuulin huomio" in page.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("expert", 403),
        ("other_expert", 403),
        ("unit_member", 200),
        ("other_unit_member", 404),
        ("coordinator", 200),
        ("manager", 403),
    ],
)
def test_who_reaches_the_unit_review_page_and_downloads(
    reviewer: Assignment, personas: dict[str, Any], persona: str, expected: int
) -> None:
    submitted(reviewer)
    client = Client()
    if personas[persona] is not None:
        client.force_login(personas[persona])
    for name in ("engagements:unit-review", "engagements:unit-review-csv", "engagements:unit-review-docx"):
        response = client.get(reverse(name, args=[reviewer.request_id]))
        assert response.status_code == expected, (name, persona)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("expert", 200),
        ("other_expert", 404),
        ("unit_member", 403),
        ("other_unit_member", 403),
        ("coordinator", 403),
        ("manager", 403),
    ],
)
def test_who_reaches_the_reviewers_work_space(
    reviewer: Assignment, personas: dict[str, Any], persona: str, expected: int
) -> None:
    comment = write(reviewer)
    client = Client()
    if personas[persona] is not None:
        client.force_login(personas[persona])
    for url in (
        reverse("engagements:review", args=[reviewer.pk]),
        reverse("engagements:review-comment", args=[reviewer.pk, comment.pk]),
    ):
        assert client.get(url).status_code == expected, (url, persona)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("other_unit_member", 404), ("coordinator", 403), ("expert", 403), ("manager", 403), ("anonymous", 302)],
)
def test_only_the_units_members_ask_and_mark(
    reviewer: Assignment, personas: dict[str, Any], persona: str, expected: int
) -> None:
    submitted(reviewer)
    comment = reviewer.review_comments.get()
    client = Client()
    if personas[persona] is not None:
        client.force_login(personas[persona])
    ask = client.post(reverse("engagements:review-question", args=[comment.pk]), {f"q{comment.pk}-question": "?"})
    mark = client.post(
        reverse("engagements:review-adoption", args=[comment.pk]), {f"d{comment.pk}-adoption": "adopted"}
    )
    assert (ask.status_code, mark.status_code) == (expected, expected)
    comment.refresh_from_db()
    assert (comment.question, comment.adoption) == ("", "")


def test_other_reviewers_posts_reach_nothing(reviewer: Assignment, second_reviewer: Assignment) -> None:
    comment = write(reviewer)
    other = signed_in(second_reviewer.expert.user)
    for name in ("engagements:review-comment-delete", "engagements:review-answer"):
        assert other.post(reverse(name, args=[reviewer.pk, comment.pk])).status_code == 404
    for name in ("engagements:review-submit", "engagements:review-document"):
        assert other.post(reverse(name, args=[reviewer.pk])).status_code == 404
    assert reviewer.review_comments.count() == 1


def test_the_unit_page_needs_the_same_queries_however_many_reviewers(
    review_request: Request, make_expert: Any, unit_member: User
) -> None:
    Request.objects.filter(pk=review_request.pk).update(experts_needed=5)
    client = signed_in(unit_member)
    url = reverse("engagements:unit-review", args=[review_request.pk])
    client.get(url)  # the first request of a session fills caches
    counts = []
    for reviewers in (1, 4):
        while review_request.assignments.count() < reviewers:
            submitted(confirm(review_request, make_expert()), *[f"huomio {n}" for n in range(6)])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 14


def test_the_work_space_needs_a_bounded_number_of_queries(
    reviewer: Assignment, django_assert_max_num_queries: Any
) -> None:
    for n in range(20):
        write(reviewer, f"huomio {n}")
    client = signed_in(reviewer.expert.user)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("engagements:review", args=[reviewer.pk])).status_code == 200


# Coordinator, reminders, fee, history, retention -----------------------------------------------------


def test_coordinator_sees_review_progress_on_the_overview(
    reviewer: Assignment, second_reviewer: Assignment, coordinator: User
) -> None:
    submitted(reviewer)
    response = signed_in(coordinator).get(reverse("engagements:overview"))
    items = {assignment.pk: progress for assignment, progress, _label in response.context["sections"]["reviews"].items}
    assert items == {reviewer.pk: "submitted", second_reviewer.pk: "not_started"}
    write(second_reviewer)
    Request.objects.filter(pk=reviewer.request_id).update(ends_at=timezone.now() - dt.timedelta(hours=1))
    response = signed_in(coordinator).get(reverse("engagements:overview"))
    items = {assignment.pk: progress for assignment, progress, _label in response.context["sections"]["reviews"].items}
    assert items == {reviewer.pk: "submitted", second_reviewer.pk: "late"}


def test_reviewers_are_reminded_once_before_the_deadline_unless_submitted(
    reviewer: Assignment, second_reviewer: Assignment, settings: Any
) -> None:
    Request.objects.filter(pk=reviewer.request_id).update(
        ends_at=timezone.now() + dt.timedelta(days=settings.EVENT_REMINDER_DAYS) - dt.timedelta(hours=1)
    )
    submitted(second_reviewer)
    call_command("send_reminders", stdout=io.StringIO())
    call_command("send_reminders", stdout=io.StringIO())
    assert kinds(reviewer.expert.user) == ["review_deadline"]
    assert "review_deadline" not in kinds(second_reviewer.expert.user)


def test_the_fee_follows_the_estimated_hours(reviewer: Assignment) -> None:
    assert engagement_hours(reviewer.request) == Decimal("3")
    today = timezone.localdate()
    assert fee_for_assignment(reviewer, today) == FeeSchedule.fee_for("material_review", Decimal("3"), today)
    assert fee_for_assignment(reviewer, today) == Decimal("90")  # the 2–4 hours bracket


def test_history_tells_what_came_of_the_comments(reviewer: Assignment, unit_member: User, coordinator: User) -> None:
    submitted(reviewer, "yksi", "kaksi")
    for comment, outcome in zip(reviewer.review_comments.all(), ["adopted", "not_adopted"], strict=True):
        comment.mark_adoption(outcome, "", by=unit_member, language="fi")
    response = signed_in(reviewer.expert.user).get(reverse("engagements:history"))
    (shown,) = [a for a in response.context["assignments"] if a.pk == reviewer.pk]
    assert shown.review_summary == {"given": 2, "marked": 2, "adopted": 1, "partly": 0}


def test_retention_erases_the_comments_and_the_document(reviewer: Assignment) -> None:
    reviewer.attach_review_document(
        "kommentit.docx",
        __import__("registry.uploads", fromlist=["clean_upload"]).clean_upload(
            SimpleUploadedFile("k.docx", docx_bytes()), allow=("docx",), wrong_type="x"
        ),
        by=reviewer.expert.user,
    )
    submitted(reviewer)
    reviewer.request.erase_texts()
    assert list(ReviewComment.objects.filter(assignment=reviewer).values_list("text", flat=True)) == [""]
    assert not Review.objects.get(assignment=reviewer).document


# Statistics ------------------------------------------------------------------------------------------


def test_statistics_count_reviews_comments_and_adoption_per_period_region_and_theme(
    reviewer: Assignment, second_reviewer: Assignment, make_expert: Any, unit_member: User, other_region: Any
) -> None:
    from engagements.statistics import Scope, dashboard, year_period
    from experts.models import Theme

    review_request = reviewer.request
    review_request.themes.set(Theme.objects.filter(code="foster_care"))
    Request.objects.filter(pk=review_request.pk).update(experts_needed=3)
    third = confirm(review_request, make_expert())
    for assignment, texts in ((reviewer, ("a", "b")), (second_reviewer, ("c",)), (third, ("d",))):
        submitted(assignment, *texts)
    for comment, outcome in zip(
        ReviewComment.objects.order_by("pk"), ["adopted", "partly", "not_adopted", ""], strict=True
    ):
        if outcome:
            comment.mark_adoption(outcome, "", by=unit_member, language="fi")
    this_year = year_period(timezone.localdate().year)
    data = dashboard(this_year, Scope())
    figures = {f.key: f for f in data.figures}
    assert figures["reviews_done"].value == 3
    assert figures["review_comments"].value == 4
    assert figures["adoption_rate"].value == pytest.approx(66.7)  # 2 of the 3 marked
    (row,) = {t.key: t for t in data.tables}["reviews_by_theme"].display_rows()
    assert row[1:3] == ["3", "4"]
    # Another region, and last year, have none.
    elsewhere = {
        f.key: f
        for f in dashboard(this_year, Scope(regions=type(other_region).objects.filter(pk=other_region.pk))).figures
    }
    assert elsewhere["reviews_done"].value == 0
    last_year = {f.key: f for f in dashboard(year_period(this_year.start.year - 1), Scope()).figures}
    assert last_year["reviews_done"].value == 0


def test_few_reviews_are_a_small_cell(reviewer: Assignment) -> None:
    from engagements.statistics import Scope, dashboard, year_period

    submitted(reviewer)
    data = dashboard(year_period(timezone.localdate().year), Scope())
    assert {f.key: f for f in data.figures}["reviews_done"].display == "<3"
    (row,) = {t.key: t for t in data.tables}["reviews_by_theme"].display_rows()
    assert row[1] == "<3"
