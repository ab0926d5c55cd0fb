"""E-mail says what happened and links into the service; the content stays behind sign-in. Mailboxes
are shared and read on lock screens, so no subject or text names the request, the unit, the place,
a reason or an impact note, or reveals a child-protection context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from engagements import notifications
from engagements.models import Assignment, Request
from experts.models import EngagementRole, ExpertProfile
from registry.models import User
from tests.conftest import ready_expert

pytestmark = pytest.mark.django_db

SECRETS = ["Matti V", "Kotikatu 1", "huostaanotto", "Sijoituksen purku"]
CONTEXT_WORDS = ["lastensuojel", "child protection", "child-protection", "barnskydd"]


@pytest.fixture
def sensitive(make_request: Callable[..., Request], expert: ExpertProfile) -> Assignment:
    req = make_request(
        status="confirmed",
        title="Matti V:n huostaanotto – paneeli",
        place="Kotikatu 1, Kuopio",
        status_reason="Sijoituksen purku",
    )
    from engagements.models import ImpactNote

    ImpactNote.objects.create(request=req, text="Matti V sai uuden kodin.")
    return Assignment.objects.create(
        request=req,
        expert=ready_expert(expert),
        role=EngagementRole.objects.get(code="panellist"),
        status="attended",
        offer_expires_at=timezone.now(),
        cancel_reason="Sijoituksen purku",
    )


def every_notice(assignment: Assignment, coordinator: User) -> None:
    req = assignment.request
    notifications.request_submitted(req)
    notifications.request_in_matching(req)
    notifications.request_declined(req)
    notifications.request_cancelled(req, coordinator, [assignment])
    notifications.offer_made(assignment)
    notifications.offer_answered(assignment)
    notifications.assignment_confirmed(assignment)
    notifications.assignment_cancelled(assignment, coordinator, True)
    notifications.assignment_cancelled(assignment, assignment.expert.user, True)
    notifications.offer_reminder(assignment)
    notifications.event_reminder(assignment)
    notifications.feedback_requested(req)
    notifications.impact_note_requested(req)
    notifications.impact_note_written(req)
    notifications.debrief_requested(assignment)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_no_notice_names_the_request_unit_place_reason_or_impact_note(
    sensitive: Assignment,
    coordinator: User,
    unit_member: User,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    User.objects.update(preferred_language=language)
    sensitive.expert.user.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        every_notice(sensitive, coordinator)
    assert len(mail.outbox) >= 15
    unit_name = sensitive.request.unit.name
    for message in mail.outbox:
        html = "".join(str(content) for content, _type in message.alternatives)
        everything = f"{message.subject}\n{message.body}\n{html}"
        for secret in [*SECRETS, unit_name]:
            assert secret not in everything, (secret, message.subject)
        for word in CONTEXT_WORDS:
            assert word not in message.subject.lower(), message.subject
        # The way in is there.
        assert "http" in message.body


def test_the_in_app_notification_still_names_the_request_behind_sign_in(
    sensitive: Assignment, django_capture_on_commit_callbacks: Any
) -> None:
    from engagements.notifications import Notification, message_for

    notifications.offer_made(sensitive)
    item = Notification.objects.get(user=sensitive.expert.user)
    assert sensitive.request.title in message_for(item.kind, sensitive.request.title)


def test_no_expert_email_subject_reveals_the_context(
    region: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    from experts.models import Application

    application = Application.objects.create(
        name="Emilia Esimerkki",
        email="emilia@example.test",
        kind="youth",
        birth_year=2000,
        region=region,
        privacy_acknowledged_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        application.reject(by=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        Application.objects.create(
            name="Toinen",
            email="toinen@example.test",
            kind="youth",
            birth_year=2000,
            region=region,
            privacy_acknowledged_at=timezone.now(),
        ).accept(by=coordinator)
    subjects = [message.subject.lower() for message in mail.outbox]
    assert len(subjects) == 2
    for subject in subjects:
        assert "kokemusasiantuntij" not in subject and "lastensuojel" not in subject
