"""Text messages: the expert's number and its verification, the choice per kind of message, what a
text message says, and that it goes through the same kept rows, retries and reports as e-mail.

Texts land in registry.sms.outbox (the in-memory backend, set for every test in conftest). The
provider's HTTP API is tested in tests/test_sms_provider.py against a local fake server."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements import answerlinks, notifications
from engagements.models import Assignment, Request
from experts.models import ExpertProfile, MessageChannels
from registry import sms, textmessages
from registry.mail import deliver_message, retry_due, send_text_message
from registry.models import AuditEvent, MobileVerification, OutgoingMessage, User
from tests.conftest import ready_expert

pytestmark = pytest.mark.django_db

NUMBER = "+358401234567"


def expert_client(expert: ExpertProfile, language: str = "fi") -> Client:
    client = Client()
    client.force_login(expert.user)
    client.cookies["django_language"] = language
    return client


def code_in_outbox() -> str:
    text = sms.outbox[-1]["text"]
    return next(word for word in text.replace(".", " ").split() if word.isdigit() and len(word) == 6)


@pytest.fixture
def start(django_capture_on_commit_callbacks: Any) -> Any:
    """textmessages.start, with the code's text message sent as after a commit."""

    def run(user: User, number: str, now: dt.datetime | None = None) -> MobileVerification:
        with django_capture_on_commit_callbacks(execute=True):
            return textmessages.start(user, number, now=now)

    return run


def verified(expert: ExpertProfile, number: str = NUMBER, **channels: str) -> ExpertProfile:
    """A verified number, set as the verification would set it, and the given channel choices."""
    User.objects.filter(pk=expert.user_id).update(mobile_number=number, mobile_verified_at=timezone.now())
    for name, value in channels.items():
        setattr(expert, name, value)
    expert.save()
    expert.user.refresh_from_db()
    return expert


# Numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["040 123 4567", "0401234567", "040-123 45 67", "+358 40 1234567", "+358401234567", "00358 40 123 4567"],
)
def test_finnish_mobile_numbers_are_accepted_as_people_write_them(written: str) -> None:
    assert sms.normalise_mobile(written) == NUMBER


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("09 1234 5678", "landline"),  # Helsinki landline: no text messages
        ("040 123", "invalid"),
        ("not a number", "invalid"),
        ("", "invalid"),
        ("+358 40 " + "1" * 40, "invalid"),
    ],
)
def test_landlines_and_garbage_are_refused(written: str, why: str) -> None:
    with pytest.raises(ValidationError) as error:
        sms.normalise_mobile(written)
    assert error.value.code == why


def test_a_swedish_mobile_number_is_accepted_in_international_form() -> None:
    assert sms.normalise_mobile("+46 70 123 45 67") == "+46701234567"


def test_parts_count_gsm7_and_unicode() -> None:
    assert sms.segments("a" * 160) == 1
    assert sms.segments("a" * 161) == 2
    assert sms.segments("ä" * 160) == 1  # ä and ö are in GSM-7
    assert sms.segments("€" * 80) == 1  # two septets each
    assert sms.segments("š" * 70) == 1  # outside GSM-7: UCS-2, 70 a part
    assert sms.segments("š" * 71) == 2


# Who may reach the pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["experts:mobile-number", "experts:mobile-verify", "experts:mobile-remove"])
def test_only_experts_reach_the_number_steps(
    name: str, client: Client, unit_member: User, coordinator: User, expert: ExpertProfile
) -> None:
    url = reverse(name)
    assert client.post(url, {"mobile": "0401234567", "code": "123456"}).status_code == 302  # to sign-in
    for user in (unit_member, coordinator):
        client.force_login(user)
        assert client.post(url, {"mobile": "0401234567", "code": "123456"}).status_code == 403
    assert not MobileVerification.objects.exists()
    assert not sms.outbox


def test_an_expert_sees_only_their_own_number(expert: ExpertProfile, other_expert: ExpertProfile) -> None:
    verified(other_expert, "+358409999999")
    page = expert_client(expert, "en").get(reverse("experts:text-messages")).content.decode()
    assert "040 9999999" not in page
    assert "You have no mobile number" in page


def test_page_queries_are_bounded(expert: ExpertProfile, django_assert_max_num_queries: Any) -> None:
    client = expert_client(expert)
    verified(expert)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("experts:text-messages")).status_code == 200


# Verification --------------------------------------------------------------------------------------


def test_verifying_a_number_sends_a_code_and_the_right_code_makes_it_the_experts(
    expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    client = expert_client(expert, "en")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("experts:mobile-number"), {"mobile": "040 123 4567"})
    assert response.status_code == 302
    assert sms.outbox[-1]["to"] == NUMBER
    text = sms.outbox[-1]["text"]
    # The code and nothing else: no name, no address.
    assert expert.user.email not in text and expert.display_name not in text
    assert sms.segments(text) == 1
    expert.user.refresh_from_db()
    assert expert.user.mobile_number == ""  # not theirs until the code comes back
    row = OutgoingMessage.objects.get(channel="text")
    assert row.template == "registry/sms/verification" and code_in_outbox() not in row.subject

    response = client.post(reverse("experts:mobile-verify"), {"code": f" {code_in_outbox()} "}, follow=True)
    assert response.status_code == 200
    expert.user.refresh_from_db()
    assert expert.user.mobile_number == NUMBER
    assert expert.user.mobile_verified_at is not None
    assert "040 1234567" in response.content.decode()
    assert AuditEvent.objects.filter(actor=expert.user, detail="mobile number verified").count() == 1


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fi", "Tämä ei ole matkapuhelinnumero"),
        ("sv", "Det här är inte ett mobilnummer"),
        ("en", "This is not a mobile number"),
    ],
)
def test_a_landline_gets_a_clear_translated_error_and_nothing_is_written(
    expert: ExpertProfile, language: str, expected: str
) -> None:
    response = expert_client(expert, language).post(reverse("experts:mobile-number"), {"mobile": "09 1234 5678"})
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not MobileVerification.objects.exists()
    assert not OutgoingMessage.objects.exists()
    assert not sms.outbox


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567", "12 34 56"])
def test_a_malformed_code_is_a_form_error_and_uses_no_try(expert: ExpertProfile, code: str, start: Any) -> None:
    start(expert.user, NUMBER)
    response = expert_client(expert, "en").post(reverse("experts:mobile-verify"), {"code": code})
    assert response.status_code == 400
    assert "six digits" in response.content.decode() or "required" in response.content.decode()
    assert MobileVerification.objects.get().attempts == 0


def test_wrong_codes_are_bounded_and_then_even_the_right_one_is_refused(expert: ExpertProfile, start: Any) -> None:
    start(expert.user, NUMBER)
    right = code_in_outbox()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    client = expert_client(expert, "en")
    for left in range(textmessages.MAX_ATTEMPTS - 1, 0, -1):
        page = client.post(reverse("experts:mobile-verify"), {"code": wrong}).content.decode()
        assert f"You have {left} tries left" in page
    client.post(reverse("experts:mobile-verify"), {"code": wrong})
    response = client.post(reverse("experts:mobile-verify"), {"code": right})
    assert response.status_code == 400
    assert "Too many wrong tries" in response.content.decode()
    assert MobileVerification.objects.get().attempts == textmessages.MAX_ATTEMPTS
    expert.user.refresh_from_db()
    assert expert.user.mobile_number == ""


def test_a_code_expires(expert: ExpertProfile, start: Any) -> None:
    t0 = timezone.now()
    start(expert.user, NUMBER, now=t0)
    with pytest.raises(textmessages.VerificationError, match="expired"):
        textmessages.confirm(expert.user, code_in_outbox(), now=t0 + textmessages.CODE_LIFETIME)
    expert.user.refresh_from_db()
    assert expert.user.mobile_number == ""


def test_a_new_code_ends_the_old_one(expert: ExpertProfile, start: Any) -> None:
    t0 = timezone.now()
    start(expert.user, NUMBER, now=t0)
    old = code_in_outbox()
    start(expert.user, "+358501234567", now=t0 + dt.timedelta(minutes=2))
    new = code_in_outbox()
    if old != new:
        with pytest.raises(textmessages.VerificationError):
            textmessages.confirm(expert.user, old, now=t0 + dt.timedelta(minutes=3))
    assert textmessages.confirm(expert.user, new, now=t0 + dt.timedelta(minutes=3)) == "+358501234567"


def test_codes_are_rate_limited_per_person_and_per_number(
    expert: ExpertProfile, other_expert: ExpertProfile, start: Any
) -> None:
    t0 = timezone.now()
    start(expert.user, NUMBER, now=t0)
    with pytest.raises(textmessages.TooManyCodes, match="Wait a minute"):
        start(expert.user, NUMBER, now=t0 + dt.timedelta(seconds=30))
    for i in range(1, textmessages.MAX_CODES_PER_DAY):
        start(expert.user, f"+35840123450{i}", now=t0 + dt.timedelta(minutes=2 * i))
    with pytest.raises(textmessages.TooManyCodes, match="too many codes today"):
        start(expert.user, "+358401234509", now=t0 + dt.timedelta(hours=1))
    # Someone else typing the same number again and again cannot flood its owner either.
    for _ in range(textmessages.MAX_CODES_PER_NUMBER_PER_DAY - 1):
        MobileVerification.objects.create(
            user=other_expert.user, number=NUMBER, code_hash="x", created_at=t0, expires_at=t0
        )
    with pytest.raises(textmessages.TooManyCodes, match="this number today"):
        start(other_expert.user, NUMBER, now=t0 + dt.timedelta(hours=1))
    # A day later the person may try again.
    start(expert.user, "+358401234509", now=t0 + dt.timedelta(days=1, minutes=30))


def test_too_many_codes_over_the_page_is_a_429_with_a_translated_message(expert: ExpertProfile) -> None:
    client = expert_client(expert, "fi")
    assert client.post(reverse("experts:mobile-number"), {"mobile": "040 123 4567"}).status_code == 302
    response = client.post(reverse("experts:mobile-number"), {"mobile": "040 123 4567"})
    assert response.status_code == 429
    assert "Odota minuutti" in response.content.decode()
    assert MobileVerification.objects.count() == 1


def test_a_code_that_could_not_go_in_time_is_not_kept_trying(
    expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    # Asked for before an outage that lasted past the code's ten minutes: when the worker gets to
    # it, the code is dropped, not sent.
    with django_capture_on_commit_callbacks(execute=True):
        textmessages.start(expert.user, NUMBER, now=timezone.now() - textmessages.CODE_LIFETIME)
    assert not OutgoingMessage.objects.filter(channel="text").exists()
    assert not sms.outbox


def test_removing_the_number_stops_texts_and_pending_ones_are_not_sent(
    expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    verified(expert, offer_channel=MessageChannels.TEXT)
    # Kept for after the quiet hours, say; then the expert removes the number.
    message = send_text_message(expert.user, "x", template="t", subject="s")
    assert message is not None
    response = expert_client(expert, "en").post(reverse("experts:mobile-remove"), follow=True)
    assert "Your mobile number was removed" in response.content.decode()
    expert.user.refresh_from_db()
    assert expert.user.mobile_number == "" and expert.user.text_number() == ""
    assert deliver_message.call(message.pk) == "undeliverable"
    message.refresh_from_db()
    assert message.last_error == "number-changed"
    assert not sms.outbox
    # And every kind falls back to e-mail.
    expert.refresh_from_db()
    assert expert.channels_for("offer") == (True, False)


# Channel choices ----------------------------------------------------------------------------------


def test_text_cannot_be_chosen_without_a_verified_number(expert: ExpertProfile) -> None:
    data = {"offer_channel": "text", "reminder_channel": "email", "change_channel": "both"}
    response = expert_client(expert, "en").post(reverse("experts:text-messages"), data)
    assert response.status_code == 400
    assert "Add and verify a mobile number first" in response.content.decode()
    expert.refresh_from_db()
    assert (expert.offer_channel, expert.change_channel) == ("email", "email")


def test_choices_are_saved_per_kind(expert: ExpertProfile) -> None:
    verified(expert)
    data = {"offer_channel": "text", "reminder_channel": "email", "change_channel": "both"}
    response = expert_client(expert, "en").post(reverse("experts:text-messages"), data)
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.channels_for("offer") == (False, True)
    assert expert.channels_for("reminder") == (True, False)
    assert expert.channels_for("change") == (True, True)


def test_a_bad_choice_is_refused(expert: ExpertProfile) -> None:
    verified(expert)
    data = {"offer_channel": "pigeon", "reminder_channel": "email", "change_channel": "email"}
    assert expert_client(expert, "en").post(reverse("experts:text-messages"), data).status_code == 400
    expert.refresh_from_db()
    assert expert.offer_channel == "email"


# What is sent, and how ------------------------------------------------------------------------------


@pytest.fixture
def offered(
    expert: ExpertProfile, make_request: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> Any:
    def offer(**channels: str) -> Assignment:
        ready_expert(expert)
        verified(expert, **channels)
        req: Request = make_request(status="matching", title="Lastensuojelun sijaishuolto, Tampere")
        with django_capture_on_commit_callbacks(execute=True):
            (assignment,) = req.make_offers([expert], by=coordinator, answer_by=timezone.now() + dt.timedelta(days=2))
        return assignment

    return offer


def test_an_offer_by_text_only_carries_the_signed_link_and_nothing_personal(
    offered: Any, expert: ExpertProfile
) -> None:
    mail.outbox.clear()
    assignment = offered(offer_channel=MessageChannels.TEXT)
    (text,) = [m for m in sms.outbox if m["to"] == NUMBER]
    assert text["text"].endswith(answerlinks.short_url(assignment.pk, assignment.answer_nonce))
    assert ".." not in text["text"]
    for secret in ("Lastensuojelu", "Tampere", assignment.request.unit.name, expert.display_name):
        assert secret not in text["text"]
    assert "Sinulla on uusi tarjous" in text["text"]  # in the expert's language (fi)
    assert not [m for m in mail.outbox if expert.user.email in m.to]  # text only, as chosen
    row = OutgoingMessage.objects.get(channel="text", user=expert.user)
    assert row.status == "sent" and row.segments >= 1
    assert "http" not in row.subject  # the coordinator's lists never show the single-use link


def test_an_offer_by_both_sends_both_and_by_email_sends_no_text(offered: Any, expert: ExpertProfile) -> None:
    offered(offer_channel=MessageChannels.BOTH)
    assert len([m for m in sms.outbox if m["to"] == NUMBER]) == 1
    assert [m for m in mail.outbox if expert.user.email in m.to]


def test_email_is_the_default(offered: Any) -> None:
    offered()
    assert not sms.outbox


def test_texts_fit_one_part_in_finnish_swedish_and_english(offered: Any, expert: ExpertProfile, settings: Any) -> None:
    settings.SITE_URL = "https://kokemus.fi"
    assignment = offered(offer_channel=MessageChannels.TEXT)
    for language in ("fi", "sv", "en"):
        for kind in ("offer_made", "offer_reminder", "event_reminder", "assignment_cancelled"):
            text = notifications.text_for(kind, assignment, "https://kokemus.fi/o/x", language)
            assert sms.segments(text) == 1, (language, kind, len(text))
    # With the real short link, too.
    link = answerlinks.short_url(assignment.pk, assignment.answer_nonce)
    for language in ("fi", "sv", "en"):
        assert sms.segments(notifications.text_for("offer_made", assignment, link, language)) == 1


def test_the_short_link_leads_to_the_signed_offer_page_while_the_offer_is_open(
    offered: Any, expert: ExpertProfile, client: Client
) -> None:
    assignment = offered(offer_channel=MessageChannels.TEXT)
    short = reverse("engagements:offer-short-link", args=[assignment.pk, assignment.answer_nonce])
    response = client.get(short)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "engagements:offer-link", args=[answerlinks.sign(assignment.pk, assignment.answer_nonce)]
    )
    assert client.get(response["Location"]).status_code == 200
    wrong = reverse("engagements:offer-short-link", args=[assignment.pk, "x" + assignment.answer_nonce[1:]])
    assert client.get(wrong).status_code == 404
    # Answered in the service: the link leads to the page that says it no longer works.
    assignment.accept(expert.user)
    page = client.get(short, follow=True).content.decode()
    assert assignment.request.title not in page
    # Answered with the link itself: the nonce is spent and the short link is gone.
    Assignment.objects.filter(pk=assignment.pk).update(answer_nonce="")
    assert client.get(short).status_code == 404


def test_the_request_page_shows_how_each_experts_offer_went(
    offered: Any,
    expert: ExpertProfile,
    coordinator: User,
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    settings.SMS_WEBHOOK_SECRET = SECRET
    assignment = offered(offer_channel=MessageChannels.BOTH)
    text = OutgoingMessage.objects.get(channel="text", user=expert.user)
    assert text.reference == f"assignment:{assignment.pk}"
    assert signed_post(Client(), status_event(text, "DELIVERED")).status_code == 204
    client = Client()
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    url = reverse("engagements:coordinator-request", args=[assignment.request_id])
    with django_assert_max_num_queries(40):
        page = client.get(url).content.decode()
    assert "Text message: arrived" in page
    assert "E-mail: sent, no delivery report yet" in page


def test_a_number_that_fails_falls_back_to_email_until_it_changes(offered: Any, expert: ExpertProfile) -> None:
    verified(expert, offer_channel=MessageChannels.TEXT)
    User.objects.filter(pk=expert.user_id).update(
        mobile_undeliverable_at=timezone.now(), mobile_undeliverable_reason="undeliverable"
    )
    expert.user.refresh_from_db()
    assert expert.channels_for("offer") == (True, False)
    user = expert.user
    user.mobile_number = "+358501234567"
    user.save(update_fields=["mobile_number"])
    assert user.mobile_undeliverable_at is None  # a new number gets a fresh start


def test_quiet_hours_hold_texts_but_not_a_change_on_the_day(
    offered: Any, expert: ExpertProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry import mail as mail_module

    monkeypatch.setattr(type(deliver_message.get_backend()), "supports_defer", True, raising=False)
    held: list[Any] = []
    monkeypatch.setattr(mail_module, "_enqueue_on_commit", lambda pk, run_after=None: held.append(run_after))
    verified(expert)
    late = timezone.localtime().replace(hour=22, minute=30)
    send_text_message(expert.user, "x", template="t", subject="s", now=late)
    send_text_message(expert.user, "x", template="t", subject="s", now=late, urgent=True)
    assert held[0] is not None and timezone.localtime(held[0]).hour == 8
    assert held[1] is None


# Outage, retries and reports ----------------------------------------------------------------------


class Down(sms.BaseBackend):
    def send(self, to: str, text: str, reference: str) -> str:
        raise sms.TextMessageError("HTTP 503")


def test_a_provider_outage_loses_nothing_and_the_coordinator_sees_it(
    expert: ExpertProfile, coordinator: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    verified(expert)
    settings.SMS_BACKEND = f"{__name__}.Down"
    settings.EMAIL_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        message = send_text_message(expert.user, "Muistutus", template="t", subject="Muistutus")
    assert message is not None
    message.refresh_from_db()
    # The immediate backend ran the retries one after the other: all failed, so it is failing.
    assert message.status == "failing"
    assert message.attempts == 3
    assert message.last_error == "HTTP 503"

    client = Client()
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("engagements:overview")).content.decode()
    assert "The text message service did not accept it (HTTP 503)" in page
    assert "Text message" in page
    detail = client.get(reverse("experts:expert", args=[expert.pk])).content.decode()
    assert "Messages sent" in detail and "The text message service did not accept it" in detail

    assert "Text messages sent in the last 30 days: 0 (0 parts" in page

    # The provider is back: the scheduled retry sends it, once.
    settings.SMS_BACKEND = "registry.sms.LocmemBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_due(timezone.now() + dt.timedelta(hours=1)) == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert [m["to"] for m in sms.outbox] == [NUMBER]
    page = client.get(reverse("engagements:overview")).content.decode()
    assert "Text messages sent in the last 30 days: 1 (1 parts" in page


def test_the_coordinator_can_send_a_refused_text_again_to_the_current_number(
    expert: ExpertProfile, coordinator: User, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    verified(expert)
    settings.SMS_BACKEND = f"{__name__}.Down"
    settings.EMAIL_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        message = send_text_message(expert.user, "x", template="t", subject="s")
    settings.SMS_BACKEND = "registry.sms.LocmemBackend"
    client = Client()
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("engagements:resend-mail", args=[message.pk]))
    message.refresh_from_db()
    assert message.status == "sent"
    assert AuditEvent.objects.filter(actor=coordinator, detail="text message sent again").count() == 1


def test_a_text_cannot_be_sent_again_once_the_number_is_gone(
    expert: ExpertProfile, coordinator: User, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    verified(expert)
    settings.SMS_BACKEND = f"{__name__}.Down"
    settings.EMAIL_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        message = send_text_message(expert.user, "x", template="t", subject="s")
    textmessages.remove(expert.user)
    client = Client()
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("engagements:resend-mail", args=[message.pk]), follow=True)
    assert "no longer has a verified mobile number" in response.content.decode()
    message.refresh_from_db()
    assert message.status == "failing"


SECRET = "gatewayapi-webhook-key"


def signed_post(client: Client, body: dict[str, Any], secret: str = SECRET) -> Any:
    raw = json.dumps(body).encode()
    signature = "v1=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        reverse("sms-delivery-report"), raw, content_type="application/json", headers={"Signature": signature}
    )


def status_event(message: OutgoingMessage, status: str) -> dict[str, Any]:
    return {
        "event_id": "09c829a2-a77b-422d-8562-2f88e784dfb5",
        "timestamp": "2026-04-01T11:50:12.003029+00:00",
        "event_type": "message.status.sms",
        "event": {"msg_id": message.esp_message_id, "reference": str(message.pk), "status": status},
    }


@pytest.fixture
def sent_text(expert: ExpertProfile, django_capture_on_commit_callbacks: Any, settings: Any) -> OutgoingMessage:
    settings.SMS_WEBHOOK_SECRET = SECRET
    verified(expert)
    with django_capture_on_commit_callbacks(execute=True):
        message = send_text_message(expert.user, "x", template="t", subject="s")
    assert message is not None
    message.refresh_from_db()
    return message


def test_delivery_report_without_or_with_a_wrong_signature_is_refused(
    client: Client, sent_text: OutgoingMessage, settings: Any
) -> None:
    assert signed_post(client, status_event(sent_text, "DELIVERED"), secret="guess").status_code == 403
    raw = json.dumps(status_event(sent_text, "DELIVERED"))
    assert client.post(reverse("sms-delivery-report"), raw, content_type="application/json").status_code == 403
    settings.SMS_WEBHOOK_SECRET = ""
    assert signed_post(client, status_event(sent_text, "DELIVERED"), secret="").status_code == 403
    sent_text.refresh_from_db()
    assert sent_text.delivered_at is None


def test_a_delivered_report_shows_the_text_arrived(
    client: Client, sent_text: OutgoingMessage, coordinator: User, expert: ExpertProfile
) -> None:
    assert signed_post(client, status_event(sent_text, "DELIVERED")).status_code == 204
    sent_text.refresh_from_db()
    assert sent_text.delivered_at is not None
    coordinator_client = Client()
    coordinator_client.force_login(coordinator)
    coordinator_client.cookies["django_language"] = "en"
    detail = coordinator_client.get(reverse("experts:expert", args=[expert.pk])).content.decode()
    assert "Yes, " in detail and "Text message" in detail


def test_an_undeliverable_report_marks_the_number_and_later_texts_are_kept_not_sent(
    client: Client, sent_text: OutgoingMessage, expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    assert signed_post(client, status_event(sent_text, "UNDELIVERABLE")).status_code == 204
    sent_text.refresh_from_db()
    expert.user.refresh_from_db()
    assert sent_text.status == "undeliverable"
    assert expert.user.mobile_undeliverable_at is not None
    assert expert.user.text_number() == ""
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        held = send_text_message(expert.user, "y", template="t", subject="s")
    assert held is not None and held.status == "undeliverable"
    assert not sms.outbox


def test_a_refused_number_can_be_verified_again(
    client: Client, sent_text: OutgoingMessage, expert: ExpertProfile, start: Any
) -> None:
    signed_post(client, status_event(sent_text, "UNDELIVERABLE"))
    expert.user.refresh_from_db()
    sms.outbox.clear()
    start(expert.user, NUMBER)
    assert sms.outbox[-1]["to"] == NUMBER  # the code goes, though the number is marked
    assert textmessages.confirm(expert.user, code_in_outbox()) == NUMBER
    expert.user.refresh_from_db()
    assert expert.user.mobile_undeliverable_at is None
    assert expert.user.text_number() == NUMBER


def test_an_expired_report_does_not_mark_the_number(
    client: Client, sent_text: OutgoingMessage, expert: ExpertProfile
) -> None:
    assert signed_post(client, status_event(sent_text, "EXPIRED")).status_code == 204
    sent_text.refresh_from_db()
    expert.user.refresh_from_db()
    assert sent_text.status == "undeliverable" and sent_text.last_error == "expired"
    assert expert.user.mobile_undeliverable_at is None


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"event": 3}'])
def test_a_malformed_report_is_a_400(client: Client, sent_text: OutgoingMessage, body: bytes) -> None:
    signature = "v1=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        reverse("sms-delivery-report"), body, content_type="application/json", headers={"Signature": signature}
    )
    assert response.status_code == 400


def test_a_report_never_touches_an_email_row(client: Client, sent_text: OutgoingMessage, expert: ExpertProfile) -> None:
    email = OutgoingMessage.objects.create(user=expert.user, to=expert.user.email, template="t", subject="s", text="t")
    event = status_event(sent_text, "UNDELIVERABLE")
    event["event"] = {"msg_id": "", "reference": str(email.pk), "status": "UNDELIVERABLE"}
    signed_post(client, event)
    email.refresh_from_db()
    assert email.status == "pending"


def test_retention_forgets_old_verifications(expert: ExpertProfile, start: Any) -> None:
    old = timezone.now() - dt.timedelta(days=40)
    MobileVerification.objects.create(user=expert.user, number=NUMBER, code_hash="x", created_at=old, expires_at=old)
    start(expert.user, NUMBER)
    call_command("apply_retention", verbosity=0)
    assert MobileVerification.objects.count() == 1


def test_erasure_forgets_the_number_its_codes_and_its_texts(
    expert: ExpertProfile, start: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from registry.privacy import erase_person

    start(expert.user, NUMBER)
    textmessages.confirm(expert.user, code_in_outbox())
    with django_capture_on_commit_callbacks(execute=True):
        send_text_message(expert.user, "x", template="t", subject="s")
    erase_person(expert.user)
    expert.user.refresh_from_db()
    assert (expert.user.mobile_number, expert.user.mobile_verified_at) == ("", None)
    assert not MobileVerification.objects.exists()
    assert not OutgoingMessage.objects.filter(to=NUMBER).exists()
