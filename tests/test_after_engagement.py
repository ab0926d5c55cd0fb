"""After the engagement: attendance, feedback from both sides, debriefs, "what happened next",
reminders with their limits, and who may see what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements.models import (
    Assignment,
    Debrief,
    ExpertFeedback,
    ImpactNote,
    Request,
    UnitFeedback,
)
from engagements.notifications import Notification
from experts.models import EngagementRole, ExpertProfile
from registry.models import User
from tests.conftest import ready_expert

pytestmark = pytest.mark.django_db

EXPERT_FEEDBACK = {
    "how_it_went": "4",
    "heard": "5",
    "respected": "5",
    "preparation": "4",
    "free_text": "Salainen huomio vain koordinaattorille",
}
UNIT_FEEDBACK = {
    "participants": "42",
    "usefulness": "5",
    "take_forward": "Muutamme tapaamisten käytäntöä.",
    "invite_again": "on",
    "free_text": "",
    "share_with_experts": "on",
}


@pytest.fixture
def past(make_request: Any, expert: ExpertProfile) -> tuple[Request, Assignment]:
    """A confirmed engagement that ended yesterday, with the expert confirmed."""
    start = timezone.now() - dt.timedelta(days=1, hours=3)
    req = make_request(status="confirmed", starts_at=start, ends_at=start + dt.timedelta(hours=2))
    assignment = Assignment.objects.create(
        request=req,
        expert=ready_expert(expert),
        role=EngagementRole.objects.get(code="panellist"),
        status="confirmed",
        offer_expires_at=start,
        confirmed_at=start - dt.timedelta(days=5),
    )
    return req, assignment


def completed(past: tuple[Request, Assignment], coordinator: User) -> tuple[Request, Assignment]:
    req, assignment = past
    assignment.mark_attendance(attended=True, by=coordinator)
    req.refresh_from_db()
    assignment.refresh_from_db()
    return req, assignment


# Attendance and completion ------------------------------------------------------------------------


def test_ended_request_needs_action(past: tuple[Request, Assignment]) -> None:
    req, _ = past
    assert Request.objects.needs_action().filter(pk=req.pk).exists()


def test_coordinator_marks_attended_and_both_sides_are_asked_for_feedback(
    client: Client,
    coordinator: User,
    past: tuple[Request, Assignment],
    unit_member: User,
    expert: ExpertProfile,
    django_capture_on_commit_callbacks: Any,
) -> None:
    req, assignment = past
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("engagements:attendance", args=[assignment.pk]), {"attended": "yes"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    req.refresh_from_db()
    assert assignment.status == Assignment.Status.ATTENDED
    assert req.status == Request.Status.COMPLETED
    assert sorted(m.to[0] for m in mail.outbox) == sorted([unit_member.email, expert.user.email])
    assert not Request.objects.needs_action().filter(pk=req.pk).exists()


def test_attendance_cannot_be_marked_before_the_end(
    client: Client, coordinator: User, make_request: Any, expert: ExpertProfile
) -> None:
    req = make_request(status="confirmed")
    assignment = Assignment.objects.create(
        request=req,
        expert=ready_expert(expert),
        role=EngagementRole.objects.get(code="panellist"),
        status="confirmed",
        offer_expires_at=timezone.now(),
    )
    client.force_login(coordinator)
    client.post(reverse("engagements:attendance", args=[assignment.pk]), {"attended": "yes"})
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CONFIRMED


def test_no_show_is_recorded_and_gets_no_feedback_request(
    coordinator: User, past: tuple[Request, Assignment], unit_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    req, assignment = past
    with django_capture_on_commit_callbacks(execute=True):
        assignment.mark_attendance(attended=False, by=coordinator)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.NO_SHOW
    assert [m.to[0] for m in mail.outbox] == [unit_member.email]


def test_only_coordinators_mark_attendance(client: Client, unit_member: User, past: tuple[Request, Assignment]) -> None:
    _req, assignment = past
    client.force_login(unit_member)
    assert client.post(reverse("engagements:attendance", args=[assignment.pk]), {"attended": "yes"}).status_code == 403


# Feedback ---------------------------------------------------------------------------------------


def test_unit_gives_feedback_with_participants(
    client: Client, unit_member: User, past: tuple[Request, Assignment], coordinator: User
) -> None:
    req, _ = completed(past, coordinator)
    client.force_login(unit_member)
    response = client.post(reverse("engagements:unit-feedback", args=[req.pk]), {**UNIT_FEEDBACK, "participants": ""})
    assert response.status_code == 400
    assert "Muutamme" in response.content.decode()
    assert not UnitFeedback.objects.exists()
    assert client.post(reverse("engagements:unit-feedback", args=[req.pk]), UNIT_FEEDBACK).status_code == 302
    feedback = UnitFeedback.objects.get()
    assert feedback.participants == 42
    assert feedback.given_by == unit_member
    # Only once.
    response = client.get(reverse("engagements:unit-feedback", args=[req.pk]))
    assert response.status_code == 302


def test_other_units_member_cannot_give_feedback(
    client: Client, other_unit_member: User, past: tuple[Request, Assignment], coordinator: User
) -> None:
    req, _ = completed(past, coordinator)
    client.force_login(other_unit_member)
    assert client.post(reverse("engagements:unit-feedback", args=[req.pk]), UNIT_FEEDBACK).status_code == 404
    assert not UnitFeedback.objects.exists()


def test_feedback_is_not_asked_before_completion(
    client: Client, unit_member: User, past: tuple[Request, Assignment]
) -> None:
    req, _ = past
    client.force_login(unit_member)
    assert client.post(reverse("engagements:unit-feedback", args=[req.pk]), UNIT_FEEDBACK).status_code == 302
    assert not UnitFeedback.objects.exists()


def test_expert_gives_feedback_visible_to_coordinator_only(
    client: Client,
    expert: ExpertProfile,
    unit_member: User,
    coordinator: User,
    past: tuple[Request, Assignment],
    django_capture_on_commit_callbacks: Any,
) -> None:
    req, assignment = completed(past, coordinator)
    client.force_login(expert.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("engagements:expert-feedback", args=[assignment.pk]), EXPERT_FEEDBACK)
    assert response.status_code == 302
    assert ExpertFeedback.objects.get().heard == 5
    secret = EXPERT_FEEDBACK["free_text"]
    # The unit never sees it: not on its pages, not in any e-mail to it.
    unit = Client()
    unit.force_login(unit_member)
    for url in [reverse("engagements:unit-request", args=[req.pk]), reverse("engagements:unit-requests")]:
        assert secret not in unit.get(url).content.decode()
    assert all(secret not in m.body for m in mail.outbox if unit_member.email in m.to)
    coordinator_client = Client()
    coordinator_client.force_login(coordinator)
    assert secret in coordinator_client.get(reverse("engagements:coordinator-request", args=[req.pk])).content.decode()


def test_other_expert_cannot_give_feedback_for_me(
    client: Client, other_expert: ExpertProfile, coordinator: User, past: tuple[Request, Assignment]
) -> None:
    _req, assignment = completed(past, coordinator)
    client.force_login(other_expert.user)
    assert client.post(reverse("engagements:expert-feedback", args=[assignment.pk]), EXPERT_FEEDBACK).status_code == 404


@pytest.mark.parametrize(
    ("data", "reason"),
    [({"wants_debrief": "on"}, "requested"), ({"respected": "2"}, "low_score"), ({"preparation": "1"}, "low_score")],
)
def test_debrief_request_or_low_score_creates_a_follow_up(
    client: Client,
    expert: ExpertProfile,
    coordinator: User,
    past: tuple[Request, Assignment],
    data: dict[str, str],
    reason: str,
) -> None:
    _req, assignment = completed(past, coordinator)
    client.force_login(expert.user)
    client.post(reverse("engagements:expert-feedback", args=[assignment.pk]), {**EXPERT_FEEDBACK, **data})
    debrief = Debrief.objects.get()
    assert debrief.reason == reason
    assert Notification.objects.filter(user=coordinator, kind="debrief_requested").exists()


def test_good_scores_create_no_follow_up(
    client: Client, expert: ExpertProfile, coordinator: User, past: tuple[Request, Assignment]
) -> None:
    _req, assignment = completed(past, coordinator)
    client.force_login(expert.user)
    client.post(reverse("engagements:expert-feedback", args=[assignment.pk]), EXPERT_FEEDBACK)
    assert not Debrief.objects.exists()


def test_debrief_stays_until_recorded(
    client: Client, coordinator: User, expert: ExpertProfile, past: tuple[Request, Assignment]
) -> None:
    _req, assignment = completed(past, coordinator)
    debrief = Debrief.objects.create(assignment=assignment, reason="requested")
    client.force_login(coordinator)
    assert expert.display_name in client.get(reverse("engagements:debriefs")).content.decode()
    prefix = f"d{debrief.pk}"
    response = client.post(reverse("engagements:record-debrief", args=[debrief.pk]), {f"{prefix}-note": "Puhuttiin"})
    assert response.status_code == 400
    assert "Puhuttiin" in response.content.decode()
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("engagements:record-debrief", args=[debrief.pk]),
        {f"{prefix}-held_on": today, f"{prefix}-note": "Puhuttiin puhelimessa"},
    )
    assert response.status_code == 302
    debrief.refresh_from_db()
    assert debrief.held_on.isoformat() == today
    assert debrief.recorded_by == coordinator
    assert not Debrief.objects.open().exists()


# Impact note and closing -------------------------------------------------------------------------


def test_impact_note_reaches_every_attended_expert_in_their_language(
    client: Client,
    unit_member: User,
    coordinator: User,
    past: tuple[Request, Assignment],
    other_expert: ExpertProfile,
    django_capture_on_commit_callbacks: Any,
) -> None:
    req, assignment = past
    other_expert.user.preferred_language = "sv"
    other_expert.user.save()
    Assignment.objects.create(
        request=req,
        expert=ready_expert(other_expert),
        role=EngagementRole.objects.get(code="panellist"),
        status="confirmed",
        offer_expires_at=timezone.now(),
    )
    for each in req.assignments.all():
        each.mark_attendance(attended=True, by=coordinator)
    client.force_login(unit_member)
    mail.outbox.clear()
    text = "Päätimme muuttaa sijoitusten aloituskäytäntöä."
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("engagements:impact", args=[req.pk]), {"text": text})
    assert response.status_code == 302
    assert ImpactNote.objects.get().text == text
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {assignment.expert.user.email, other_expert.user.email}
    assert by_recipient[other_expert.user.email].subject.startswith(_sv_prefix())
    # The note itself stays behind sign-in: e-mail only says that it was written.
    assert all(text not in m.body and text not in m.subject for m in mail.outbox)
    assert all(text not in str(m.alternatives) for m in mail.outbox)
    # The expert sees it on their history page.
    expert_client = Client()
    expert_client.force_login(assignment.expert.user)
    assert text in expert_client.get(reverse("engagements:history")).content.decode()


def _sv_prefix() -> str:
    from django.utils import translation

    from engagements.notifications import EMAIL_HEADLINES

    with translation.override("sv"):
        return str(EMAIL_HEADLINES["impact_note_written"])[:10]


def test_request_closes_when_everything_is_in(
    client: Client, unit_member: User, expert: ExpertProfile, coordinator: User, past: tuple[Request, Assignment]
) -> None:
    req, assignment = completed(past, coordinator)
    unit = Client()
    unit.force_login(unit_member)
    unit.post(reverse("engagements:unit-feedback", args=[req.pk]), UNIT_FEEDBACK)
    unit.post(reverse("engagements:impact", args=[req.pk]), {"text": "Jotain muuttui."})
    req.refresh_from_db()
    assert req.status == Request.Status.COMPLETED
    client.force_login(expert.user)
    client.post(reverse("engagements:expert-feedback", args=[assignment.pk]), EXPERT_FEEDBACK)
    req.refresh_from_db()
    assert req.status == Request.Status.CLOSED
    assert not req.closed_incomplete


def test_reminders_stop_at_three_and_the_request_closes_when_time_runs_out(
    coordinator: User,
    past: tuple[Request, Assignment],
    unit_member: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    req, assignment = past
    with django_capture_on_commit_callbacks(execute=True):
        assignment.mark_attendance(attended=True, by=coordinator)  # message 1 to the unit and to the expert
    req.refresh_from_db()
    interval = dt.timedelta(days=settings.FOLLOW_UP_INTERVAL_DAYS)

    def run_at(moment: dt.datetime) -> None:
        # Move the clock by moving the history back instead.
        shift = moment - timezone.now()
        Request.objects.filter(pk=req.pk).update(
            completed_at=req.completed_at - shift,
            starts_at=req.starts_at - shift,
            ends_at=req.ends_at - shift,
        )
        Assignment.objects.filter(pk=assignment.pk).update(attendance_marked_at=assignment.attendance_marked_at - shift)
        with django_capture_on_commit_callbacks(execute=True):
            call_command("follow_up", verbosity=0)
        call_command("follow_up", verbosity=0)

    for week in range(1, 12):
        run_at(timezone.now() + week * interval)
    unit_feedback_mails = Notification.objects.filter(user=unit_member, kind="unit_feedback_requested").count()
    expert_feedback_mails = Notification.objects.filter(
        user=assignment.expert.user, kind="expert_feedback_requested"
    ).count()
    impact_mails = Notification.objects.filter(user=unit_member, kind="impact_note_requested").count()
    assert unit_feedback_mails == settings.FOLLOW_UP_MESSAGES
    assert expert_feedback_mails == settings.FOLLOW_UP_MESSAGES
    assert impact_mails == settings.FOLLOW_UP_MESSAGES
    req.refresh_from_db()
    assert req.status == Request.Status.CLOSED
    assert req.closed_incomplete


def test_reminders_are_not_sent_once_feedback_is_given(
    coordinator: User, past: tuple[Request, Assignment], unit_member: User, settings: Any
) -> None:
    req, _assignment = completed(past, coordinator)
    UnitFeedback.objects.create(request=req, participants=3, usefulness=4, take_forward="x", given_by=unit_member)
    Request.objects.filter(pk=req.pk).update(completed_at=timezone.now() - dt.timedelta(days=30))
    call_command("follow_up", verbosity=0)
    assert not Notification.objects.filter(user=unit_member, kind="unit_feedback_requested").count() > 1


def test_unit_sees_impact_and_feedback_links_only_after_completion(
    client: Client, unit_member: User, coordinator: User, past: tuple[Request, Assignment]
) -> None:
    req, _ = past
    client.force_login(unit_member)
    page = client.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()
    assert reverse("engagements:unit-feedback", args=[req.pk]) not in page
    completed(past, coordinator)
    page = client.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()
    assert reverse("engagements:unit-feedback", args=[req.pk]) in page
    assert reverse("engagements:impact", args=[req.pk]) in page


def test_radio_scales_have_no_blank_choice() -> None:
    """Django adds a "---------" choice to a model field with choices and no default; a radio list
    showed it (checked) as if it were an answer."""
    from engagements.forms import ExpenseClaimForm, ExpertFeedbackForm, UnitFeedbackForm
    from experts.forms import ApplicationForm, ProfileForm

    forms_ = [
        UnitFeedbackForm(),
        ExpertFeedbackForm(),
        ExpenseClaimForm(km_rate=None),
        ApplicationForm(),
        ProfileForm(),
    ]
    for form in forms_:
        for name, field in form.fields.items():
            if field.widget.__class__.__name__ == "RadioSelect":
                assert "" not in [value for value, _label in field.choices], (form.__class__.__name__, name)
                assert "---------" not in str(form[name]), (form.__class__.__name__, name)
