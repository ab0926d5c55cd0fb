"""What the e-mail provider reports back (Postmark's webhooks through anymail), what coordinators see
of undelivered e-mail, and sending it again.

The payloads are the shapes Postmark documents for its Bounce, SpamComplaint and Delivery webhooks,
posted with HTTP basic auth as Postmark sends them."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements import notifications
from experts.models import ExpertProfile
from registry.mail import deliver_message, retry_due, send_templated_mail, undelivered_count
from registry.models import AuditEvent, OutgoingMessage, StaffRole, User
from tests.conftest import make_user, with_totp

pytestmark = pytest.mark.django_db

SECRET = "postmark:Kokemus-webhook-2026"
WEBHOOK = "/anymail/postmark/tracking/"


@pytest.fixture(autouse=True)
def _webhook_secret(settings: Any) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


def basic_auth(credentials: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def post_report(payload: dict[str, Any], **headers: str) -> Any:
    return Client().post(WEBHOOK, data=json.dumps(payload), content_type="application/json", **headers)


def bounce(message: OutgoingMessage, record_type: str = "Bounce", kind: str = "HardBounce") -> dict[str, Any]:
    return {
        "RecordType": record_type,
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 512,
        "Name": "Hard bounce" if kind == "HardBounce" else "Spam complaint",
        "Tag": "",
        "MessageID": message.esp_message_id,
        "Metadata": {"outgoing_message": str(message.pk)},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": message.to,
        "From": "noreply@kokemus.example",
        "BouncedAt": "2026-03-04T10:28:10.2735393Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": message.subject,
    }


def delivery(message: OutgoingMessage) -> dict[str, Any]:
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message.esp_message_id,
        "Recipient": message.to,
        "Tag": "",
        "DeliveredAt": "2026-03-04T10:29:12Z",
        "Details": "Test delivery webhook details",
        "Metadata": {"outgoing_message": str(message.pk)},
    }


def notice_to(user: User, django_capture_on_commit_callbacks: Any) -> OutgoingMessage:
    """One message to the user as the request flow sends them, delivered by the worker."""
    with django_capture_on_commit_callbacks(execute=True):
        (message,) = send_templated_mail(
            "account/email/password_reset_key", [user.email], {"password_reset_url": "x", "user": user}, urgent=True
        )
    message.refresh_from_db()
    return message


# The webhook ---------------------------------------------------------------------------------------


def test_a_hard_bounce_marks_the_address_and_the_message(
    expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    message = notice_to(expert.user, django_capture_on_commit_callbacks)
    assert message.status == "sent" and message.esp_message_id
    assert post_report(bounce(message), **basic_auth()).status_code == 200
    message.refresh_from_db()
    expert.user.refresh_from_db()
    assert (message.status, message.last_error) == ("undeliverable", "bounced")
    assert expert.user.email_undeliverable_at is not None
    assert expert.user.email_undeliverable_reason == "bounced"
    assert undelivered_count() == 1


def test_a_spam_complaint_marks_the_address(expert: ExpertProfile, django_capture_on_commit_callbacks: Any) -> None:
    message = notice_to(expert.user, django_capture_on_commit_callbacks)
    assert post_report(bounce(message, "SpamComplaint", "SpamComplaint"), **basic_auth()).status_code == 200
    expert.user.refresh_from_db()
    assert expert.user.email_undeliverable_reason == "complained"


def test_a_delivery_report_is_recorded_and_changes_nothing_else(
    expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    message = notice_to(expert.user, django_capture_on_commit_callbacks)
    assert post_report(delivery(message), **basic_auth()).status_code == 200
    message.refresh_from_db()
    expert.user.refresh_from_db()
    assert message.status == "sent"
    assert message.delivered_at == dt.datetime(2026, 3, 4, 10, 29, 12, tzinfo=dt.UTC)
    assert expert.user.email_undeliverable_at is None


@pytest.mark.parametrize(
    "headers",
    [{}, basic_auth("postmark:wrong"), basic_auth("someone:Kokemus-webhook-2026"), {"HTTP_AUTHORIZATION": "Bearer x"}],
    ids=["none", "wrong password", "wrong user", "not basic"],
)
def test_reports_without_the_right_credentials_are_refused(
    headers: dict[str, str], expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    message = notice_to(expert.user, django_capture_on_commit_callbacks)
    assert post_report(bounce(message), **headers).status_code == 400
    expert.user.refresh_from_db()
    message.refresh_from_db()
    assert expert.user.email_undeliverable_at is None
    assert message.status == "sent"


def test_without_a_configured_secret_every_report_is_refused(
    settings: Any, expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ANYMAIL = {}
    message = notice_to(expert.user, django_capture_on_commit_callbacks)
    assert post_report(bounce(message)).status_code == 400
    assert post_report(bounce(message), **basic_auth()).status_code == 400
    expert.user.refresh_from_db()
    assert expert.user.email_undeliverable_at is None


# After a bounce ------------------------------------------------------------------------------------


def test_nothing_more_is_sent_to_an_undeliverable_address_until_it_changes(
    expert: ExpertProfile, make_request: Any, django_capture_on_commit_callbacks: Any
) -> None:
    message = notice_to(expert.user, django_capture_on_commit_callbacks)
    post_report(bounce(message), **basic_auth())
    sent_before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        (held,) = send_templated_mail("account/email/password_reset_key", [expert.user.email], {"user": expert.user})
    assert callbacks == []  # not even queued
    assert (held.status, held.last_error) == ("undeliverable", "bounced")
    assert len(mail.outbox) == sent_before

    # A new address: the mark goes, and mail goes again.
    user = User.objects.get(pk=expert.user.pk)
    user.email = "tuuli.uusi@example.test"
    user.save()
    assert user.email_undeliverable_at is None
    fresh = notice_to(user, django_capture_on_commit_callbacks)
    assert fresh.status == "sent"
    assert mail.outbox[-1].to == ["tuuli.uusi@example.test"]


def test_a_message_queued_before_the_bounce_is_not_sent_after_it(
    expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    first = notice_to(expert.user, django_capture_on_commit_callbacks)
    queued = OutgoingMessage.objects.create(user=expert.user, to=expert.user.email, template="t", subject="S", text="x")
    post_report(bounce(first), **basic_auth())
    assert deliver_message.call(queued.pk) == "undeliverable"
    queued.refresh_from_db()
    assert queued.status == "undeliverable"


# Coordinators --------------------------------------------------------------------------------------


def coordinator_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_coordinator_sees_the_undelivered_message_and_sends_it_again(
    expert: ExpertProfile, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    message = notice_to(expert.user, django_capture_on_commit_callbacks)
    post_report(bounce(message), **basic_auth())
    client = coordinator_client(coordinator)
    page = client.get(reverse("engagements:overview")).content.decode()
    for shown in (expert.user.email, message.subject, "The address bounced", "Undelivered e-mail"):
        assert shown in page
    home = client.get(reverse("engagements:coordinator-home")).content.decode()
    assert "Undelivered e-mail: <strong>1</strong>" in home
    detail = client.get(reverse("experts:expert", args=[expert.pk])).content.decode()
    assert "no e-mail is sent to it until it is changed" in detail

    sent_before = len(mail.outbox)
    url = reverse("engagements:resend-mail", args=[message.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["The message will be sent again."]
    assert len(mail.outbox) == sent_before + 1
    message.refresh_from_db()
    expert.user.refresh_from_db()
    assert message.status == "sent"
    assert expert.user.email_undeliverable_at is None
    assert AuditEvent.objects.filter(actor=coordinator, detail="e-mail sent again").count() == 1

    # A second click: a clear message, nothing sent again.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "This message is no longer waiting: it has already been sent again."
    ]
    assert len(mail.outbox) == sent_before + 1


def test_regional_coordinator_sees_only_mail_to_people_in_their_regions(
    make_expert: Any, other_region: Any, region: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    regional = with_totp(make_user("regional@example.test"))
    StaffRole.objects.create(user=regional, role=StaffRole.Kind.COORDINATOR, region=region)
    mine = make_expert("mine@example.test", home_region=region)
    theirs = make_expert("theirs@example.test", home_region=other_region)
    for user in (mine.user, theirs.user, coordinator):
        post_report(bounce(notice_to(user, django_capture_on_commit_callbacks)), **basic_auth())

    page = coordinator_client(regional).get(reverse("engagements:overview")).content.decode()
    assert "mine@example.test" in page
    assert "theirs@example.test" not in page
    assert coordinator.email not in page  # staff: the whole area's coordinators only
    hidden = OutgoingMessage.objects.get(to="theirs@example.test")
    assert coordinator_client(regional).post(reverse("engagements:resend-mail", args=[hidden.pk])).status_code == 404

    everything = coordinator_client(coordinator).get(reverse("engagements:overview")).content.decode()
    assert all(address in everything for address in ("mine@example.test", "theirs@example.test", coordinator.email))


def test_overview_queries_do_not_grow_with_undelivered_mail(
    coordinator: User, django_assert_max_num_queries: Any
) -> None:
    def undelivered(n: int) -> None:
        for i in range(n):
            user = make_user()
            OutgoingMessage.objects.create(
                user=user, to=user.email, template="t", subject=f"S{i}", text="x", status="failing", attempts=6
            )

    client = coordinator_client(coordinator)
    undelivered(2)
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("engagements:overview"))
    undelivered(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("engagements:overview"))


# The scheduled retry -------------------------------------------------------------------------------


def test_retry_mail_requeues_a_message_whose_task_was_lost(django_capture_on_commit_callbacks: Any) -> None:
    """A process that died between the commit and the enqueue: the row is there, its task is not."""
    lost = OutgoingMessage.objects.create(
        to="a@example.test", template="t", subject="S", text="x", next_attempt_at=timezone.now() - dt.timedelta(hours=1)
    )
    waiting = OutgoingMessage.objects.create(to="b@example.test", template="t", subject="T", text="x")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retry_mail", verbosity=0)
    # The tests' immediate task backend runs what was enqueued as soon as it is enqueued (after commit).
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert lost.status == "sent"
    assert waiting.status == "pending"  # its own task is still on its way


def test_retry_mail_picks_up_what_a_dead_worker_left_half_sent(django_capture_on_commit_callbacks: Any) -> None:
    stuck = OutgoingMessage.objects.create(
        to="a@example.test",
        template="t",
        subject="S",
        text="x",
        status="sending",
        claimed_at=timezone.now() - dt.timedelta(hours=1),
        next_attempt_at=timezone.now() - dt.timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_due() == 1
    stuck.refresh_from_db()
    assert stuck.status == "sent"
    assert len(mail.outbox) == 1


def test_old_sent_mail_is_forgotten() -> None:
    old = OutgoingMessage.objects.create(
        to="a@example.test",
        template="t",
        subject="S",
        text="x",
        status="sent",
        sent_at=timezone.now() - dt.timedelta(days=31),
    )
    recent = OutgoingMessage.objects.create(
        to="b@example.test",
        template="t",
        subject="S",
        text="x",
        status="sent",
        sent_at=timezone.now() - dt.timedelta(days=1),
    )
    failing = OutgoingMessage.objects.create(
        to="c@example.test",
        template="t",
        subject="S",
        text="x",
        status="failing",
        created_at=timezone.now() - dt.timedelta(days=90),
    )
    call_command("retry_mail", verbosity=0)
    assert set(OutgoingMessage.objects.values_list("pk", flat=True)) == {recent.pk, failing.pk}
    assert not OutgoingMessage.objects.filter(pk=old.pk).exists()


def test_notifications_keep_one_row_per_recipient(
    make_request: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    req = make_request(status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        notifications.request_submitted(req)
    (row,) = OutgoingMessage.objects.all()
    assert (row.user, row.to, row.template, row.status) == (
        coordinator,
        coordinator.email,
        "engagements/email/notice",
        "sent",
    )


def test_admin_sees_delivery_state_but_not_the_text(admin_user: User, expert: ExpertProfile) -> None:
    message = OutgoingMessage.objects.create(
        user=expert.user, to=expert.user.email, template="t", subject="Kutsu", text="https://example.test/one-time-key"
    )
    client = Client()
    client.force_login(admin_user)
    assert client.get(reverse("admin:registry_outgoingmessage_changelist")).status_code == 200
    page = client.get(reverse("admin:registry_outgoingmessage_change", args=[message.pk]))
    assert page.status_code == 200
    assert "Kutsu" in page.content.decode() and "one-time-key" not in page.content.decode()
    assert client.get(reverse("admin:registry_outgoingmessage_add")).status_code == 403
    assert client.get(reverse("admin:registry_user_change", args=[expert.user.pk])).status_code == 200
