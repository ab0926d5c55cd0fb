"""Every kind of personal data has a retention period that the nightly `apply_retention` enforces,
and no file outlives its row. (The experts' own erasure is in test_my_data.py.)"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from engagements.models import (
    Assignment,
    Attachment,
    Debrief,
    ExpenseClaim,
    ExpertFeedback,
    ImpactNote,
    Request,
    UnitFeedback,
)
from engagements.notifications import Notification
from experts.models import EngagementRole, ExpertProfile
from registry.models import AuditEvent, UnitMembership, User
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

CHILD = "Matti V. (8 v)"


def run() -> str:
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    return out.getvalue()


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def age_files(seconds: int = 7200) -> None:
    """Files older than the sweep's grace (an upload in progress is never taken for an orphan)."""
    old = timezone.now().timestamp() - seconds
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))


def pdf() -> ContentFile[bytes]:
    return ContentFile(b"%PDF-1.4\n% test\n", name="Matti_V_huostaanotto.pdf")


@pytest.fixture
def closed_request(
    make_request: Callable[..., Request], expert: ExpertProfile, unit_member: User
) -> tuple[Request, Assignment]:
    """A request closed long ago, with a free text naming a child everywhere one can be written."""
    start = days_ago(settings.REQUEST_TEXT_RETENTION_DAYS + 40)
    req = make_request(
        status="closed",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        purpose=f"Haluamme puhua {CHILD} tilanteesta.",
        task=f"Kerro kokemuksesi; {CHILD} on paikalla.",
        audience=f"{CHILD} perhe",
        place="Kotikatu 1, Kuopio",
        contact_phone="040 111 2222",
        status_reason=CHILD,
    )
    Request.objects.filter(pk=req.pk).update(closed_at=days_ago(settings.REQUEST_TEXT_RETENTION_DAYS + 1))
    req.refresh_from_db()
    assignment = Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="attended",
        offer_expires_at=start,
        fee=100,
        decline_reason=CHILD,
    )
    Attachment.objects.create(
        request=req,
        file=pdf(),
        original_name="Matti_V_huostaanotto.pdf",
        content_type="application/pdf",
        size=16,
        uploaded_by=unit_member,
    )
    UnitFeedback.objects.create(
        request=req, participants=25, usefulness=4, take_forward=CHILD, free_text=CHILD, given_by=unit_member
    )
    ImpactNote.objects.create(request=req, text=f"{CHILD} sai uuden sijoituksen.", written_by=unit_member)
    ExpertFeedback.objects.create(
        assignment=assignment, how_it_went=5, heard=5, respected=5, preparation=4, free_text=CHILD
    )
    Debrief.objects.create(assignment=assignment, reason="requested", note=CHILD)
    ExpenseClaim.objects.create(assignment=assignment, kind="ticket", amount=10, description=CHILD)
    return req, assignment


# Requests' free texts and files -------------------------------------------------------------------


def test_request_texts_and_files_are_erased_after_the_period_and_the_figures_stay(
    closed_request: tuple[Request, Assignment], django_capture_on_commit_callbacks: Any
) -> None:
    req, assignment = closed_request
    assert any(name.startswith("attachments/") for name in media_files())

    # Files go once the erasure has committed.
    with django_capture_on_commit_callbacks(execute=True):
        output = run()

    assert "1 requests' texts" in output
    req.refresh_from_db()
    assert req.texts_erased_at is not None
    for name in ("purpose", "task", "audience", "place", "contact_name", "contact_phone", "contact_email"):
        assert getattr(req, name) == "", name
    assert req.status_reason == ""
    assert req.title == "Paneelikeskustelu"
    assert not Attachment.objects.exists()
    assert media_files() == []
    feedback = UnitFeedback.objects.get()
    assert (feedback.take_forward, feedback.free_text, feedback.participants, feedback.usefulness) == ("", "", 25, 4)
    assert ImpactNote.objects.get().text == ""
    assert ExpertFeedback.objects.get().free_text == ""
    assert ExpertFeedback.objects.get().how_it_went == 5
    assert Debrief.objects.get().note == ""
    assert ExpenseClaim.objects.get().description == ""
    assignment.refresh_from_db()
    assert (assignment.decline_reason, assignment.fee, assignment.status) == ("", 100, "attended")
    # Nothing anywhere still names the child.
    for model in (Request, Assignment, UnitFeedback, ImpactNote, ExpertFeedback, Debrief, ExpenseClaim):
        for row in model.objects.values():
            assert not any(isinstance(v, str) and "Matti" in v for v in row.values()), model
    # The statistics still count it.
    assert Request.objects.filter(status="closed", ends_at__isnull=False).count() == 1


def test_request_texts_stay_until_the_period_is_over(closed_request: tuple[Request, Assignment], settings: Any) -> None:
    req, _assignment = closed_request
    settings.REQUEST_TEXT_RETENTION_DAYS += 10
    run()
    req.refresh_from_db()
    assert CHILD in req.purpose
    assert Attachment.objects.count() == 1


def test_open_requests_keep_their_texts(make_request: Callable[..., Request]) -> None:
    req = make_request(status="confirmed", purpose=CHILD)
    Request.objects.filter(pk=req.pk).update(created_at=days_ago(3000))
    run()
    req.refresh_from_db()
    assert req.purpose == CHILD


def test_retention_runs_twice_without_changing_anything_more(closed_request: tuple[Request, Assignment]) -> None:
    run()
    req, _ = closed_request
    req.refresh_from_db()
    erased_at = req.texts_erased_at
    assert "0 requests' texts" in run()
    req.refresh_from_db()
    assert req.texts_erased_at == erased_at


# Files ---------------------------------------------------------------------------------------------


def test_deleting_an_attachment_row_removes_its_file(
    make_request: Callable[..., Request], unit_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    attachment = Attachment.objects.create(
        request=make_request(),
        file=pdf(),
        original_name="a.pdf",
        content_type="application/pdf",
        size=16,
        uploaded_by=unit_member,
    )
    assert len(media_files()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        attachment.delete()
    assert media_files() == []


def test_files_whose_rows_went_in_bulk_are_swept(make_request: Callable[..., Request], unit_member: User) -> None:
    req = make_request()
    Attachment.objects.create(
        request=req, file=pdf(), original_name="a.pdf", content_type="application/pdf", size=16, uploaded_by=unit_member
    )
    kept = make_request()
    Attachment.objects.create(
        request=kept,
        file=pdf(),
        original_name="b.pdf",
        content_type="application/pdf",
        size=16,
        uploaded_by=unit_member,
    )
    Attachment.objects.filter(request=req).delete()  # a bulk delete: no model delete() runs
    age_files()
    assert len(media_files()) == 2

    assert "1 orphan files" in run()

    assert media_files() == [Attachment.objects.get().file.name]


def test_a_fresh_upload_is_never_taken_for_an_orphan(db: None) -> None:
    from django.core.files.storage import default_storage

    default_storage.save("attachments/1/in-progress", ContentFile(b"x"))
    run()
    assert media_files() == ["attachments/1/in-progress"]


def test_receipts_are_removed_after_the_period_once_paid_and_the_amount_stays(
    expert: ExpertProfile, make_request: Callable[..., Request]
) -> None:
    assignment = Assignment.objects.create(
        request=make_request(status="completed"),
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="attended",
        offer_expires_at=timezone.now(),
    )
    old = ExpenseClaim(assignment=assignment, kind="ticket", amount=12, status="paid")
    old.paid_at = days_ago(settings.RECEIPT_RETENTION_DAYS + 1)
    old.receipt.save("r.pdf", pdf(), save=False)
    old.receipt_type = "application/pdf"
    old.save()
    waiting = ExpenseClaim(assignment=assignment, kind="ticket", amount=8, status="submitted")
    waiting.receipt.save("w.pdf", pdf(), save=False)
    waiting.save()

    assert "1 receipts" in run()

    old.refresh_from_db()
    waiting.refresh_from_db()
    assert not old.receipt and old.amount == 12
    assert waiting.receipt
    assert media_files() == [waiting.receipt.name]


# Applications, notifications, logs, sessions, task results -----------------------------------------


def test_notifications_are_removed_after_the_period(
    expert: ExpertProfile, make_request: Callable[..., Request]
) -> None:
    req = make_request()
    Notification.objects.create(user=expert.user, kind="offer_made", request=req, url="/", created_at=days_ago(200))
    recent = Notification.objects.create(user=expert.user, kind="offer_made", request=req, url="/")
    assert "1 notifications" in run()
    assert list(Notification.objects.all()) == [recent]


def test_the_audit_log_is_removed_only_after_its_period(expert: ExpertProfile) -> None:
    old = AuditEvent.record(None, AuditEvent.Action.VIEW, expert)
    new = AuditEvent.record(None, AuditEvent.Action.VIEW, expert)
    # The only way an event's time can be moved in a test: through the database directly.
    from django.db import connection

    with connection.cursor() as cursor:
        table = AuditEvent._meta.db_table
        cursor.execute(
            f"UPDATE {table} SET at = %s WHERE id = %s", [days_ago(settings.AUDIT_LOG_RETENTION_DAYS + 1), old.pk]
        )
    assert "1 audit events" in run()
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [new.pk]


def test_expired_sessions_and_their_sign_in_records_are_removed(expert: ExpertProfile) -> None:
    browser = Client(REMOTE_ADDR="198.51.100.9")
    assert browser.post(reverse("account_login"), {"login": expert.user.email, "password": PASSWORD}).status_code == 302
    assert UserSession.objects.count() == 1
    Session.objects.update(expire_date=days_ago(1))
    run()
    assert not Session.objects.exists()
    assert not UserSession.objects.exists()


def test_finished_background_tasks_are_removed_but_waiting_ones_stay(db: None) -> None:
    from django_tasks import TaskResultStatus

    def make(status: str, finished: dt.datetime | None) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=status,
            task_path="registry.mail.deliver_email",
            args_kwargs={"args": [], "kwargs": {"recipients": ["tuuli@example.test"], "text": CHILD}},
            queue_name="email",
            backend_name="default",
            finished_at=finished,
        )

    old = make(TaskResultStatus.SUCCESSFUL, days_ago(settings.TASK_RESULT_RETENTION_DAYS + 1))
    waiting = make(TaskResultStatus.READY, None)
    recent = make(TaskResultStatus.FAILED, days_ago(1))
    assert "1 task results" in run()
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not DBTaskResult.objects.filter(pk=old.pk).exists()


def test_past_times_away_are_removed(expert: ExpertProfile) -> None:
    from experts.models import AvailabilityException

    today = timezone.localdate()
    AvailabilityException.objects.create(
        expert=expert, start_date=today - dt.timedelta(days=9), end_date=today - dt.timedelta(days=2), note="Mummolla"
    )
    coming = AvailabilityException.objects.create(
        expert=expert, start_date=today, end_date=today + dt.timedelta(days=3)
    )
    assert "1 away periods" in run()
    assert list(AvailabilityException.objects.all()) == [coming]


# Unit members who no longer use the service ----------------------------------------------------------


def test_unit_members_unused_for_the_period_are_erased_in_place(
    unit_member: User, make_request: Callable[..., Request], unit: Any
) -> None:
    req = make_request(status="closed", contact_name="Sari Virtanen", contact_phone="040 555 6666")
    User.objects.filter(pk=unit_member.pk).update(last_login=days_ago(settings.INACTIVE_ACCOUNT_RETENTION_DAYS + 1))
    email = unit_member.email

    assert "1 accounts" in run()

    unit_member.refresh_from_db()
    assert unit_member.erased_at is not None
    assert email not in unit_member.email and not unit_member.is_active
    assert unit_member.first_name == unit_member.last_name == ""
    assert not UnitMembership.objects.filter(user=unit_member).exists()
    req.refresh_from_db()
    # The request stays the unit's (created_by is PROTECT): only the person's details go.
    assert req.created_by_id == unit_member.pk
    assert (req.contact_name, req.contact_phone, req.contact_email) == ("", "", "")
    assert Client().login(email=email, password=PASSWORD) is False
    assert AuditEvent.objects.filter(action="erase", object_id=str(unit_member.pk)).exists()


def test_recent_members_staff_experts_and_members_with_open_requests_are_kept(
    unit_member: User,
    other_unit_member: User,
    coordinator: User,
    expert: ExpertProfile,
    make_request: Callable[..., Request],
) -> None:
    long_ago = days_ago(settings.INACTIVE_ACCOUNT_RETENTION_DAYS + 1)
    make_request(status="matching")  # unit_member's request still in progress
    User.objects.filter(pk__in=[unit_member.pk, coordinator.pk, expert.user.pk]).update(last_login=long_ago)
    never = make_user("never-signed-in@example.test")
    User.objects.filter(pk=never.pk).update(date_joined=long_ago)

    assert "1 accounts" in run()

    assert User.objects.get(pk=never.pk).erased_at is not None
    for kept in (unit_member, other_unit_member, coordinator, expert.user):
        kept.refresh_from_db()
        assert kept.erased_at is None and kept.is_active, kept


def test_admin_can_erase_a_unit_member_whose_requests_stay(
    client: Client, admin_user: User, unit_member: User, make_request: Callable[..., Request]
) -> None:
    req = make_request(status="closed")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:registry_user_changelist"),
        {"action": "erase_personal_data", "_selected_action": [unit_member.pk]},
    )
    assert response.status_code == 302
    unit_member.refresh_from_db()
    assert unit_member.erased_at is not None
    assert Request.objects.filter(pk=req.pk, created_by=unit_member).exists()
    event = AuditEvent.objects.get(action="erase", object_id=str(unit_member.pk))
    assert event.actor_email == admin_user.email


def test_every_kind_of_personal_data_has_a_rule_and_the_media_folder_ends_empty(
    closed_request: tuple[Request, Assignment], expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    """After the periods pass and the expert is erased, no upload is left anywhere."""
    expert.photo.save("p.jpg", ContentFile(b"\xff\xd8\xff"), save=True)
    expert.request_erasure()
    ExpertProfile.objects.filter(pk=expert.pk).update(erase_after=days_ago(1))
    with django_capture_on_commit_callbacks(execute=True):
        run()
    assert media_files() == []
