"""The offer e-mail's signed, single-use link: one offer, accept or decline, no password."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements import answerlinks
from engagements.models import Assignment, Request
from experts.models import ExpertProfile
from registry.models import AuditEvent, User
from tests.conftest import ready_expert

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://[^\s\"]+/offer/[^/\s\"]+/")


@pytest.fixture
def offer(
    expert: ExpertProfile,
    coordinator: User,
    make_request: Callable[..., Request],
    django_capture_on_commit_callbacks: Any,
) -> Assignment:
    ready_expert(expert)
    req = make_request(status="matching")
    with django_capture_on_commit_callbacks(execute=True):
        (assignment,) = req.make_offers([expert], by=coordinator, answer_by=timezone.now() + dt.timedelta(days=2))
    return assignment


def link_in_mail(to: str) -> str:
    (message,) = [m for m in mail.outbox if to in m.to]
    found = LINK.search(message.body)
    assert found, message.body
    html = message.alternatives[0][0] if message.alternatives else ""
    assert found.group(0) in html
    return urlsplit(found.group(0)).path


def test_offer_email_carries_a_signed_link_that_opens_the_offer_without_a_password(
    client: Client, offer: Assignment, expert: ExpertProfile
) -> None:
    path = link_in_mail(expert.user.email)
    response = client.get(path)
    assert response.status_code == 200
    assert response.context["usable"]
    page = response.content.decode()
    assert offer.request.title in page
    assert offer.request.purpose in page
    assert reverse("engagements:offer-link-accept", args=[response.context["token"]]) in page
    assert reverse("engagements:offer-link-decline", args=[response.context["token"]]) in page
    assert response["Referrer-Policy"] == "same-origin"  # the token never leaves for other sites
    assert "_auth_user_id" not in client.session  # the link signs nobody in


def test_accepting_with_the_link_works_once_and_is_audited(
    client: Client, offer: Assignment, expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    path = link_in_mail(expert.user.email)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{path}accept/", follow=True)
    assert response.redirect_chain[-1][0] == path
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.ACCEPTED
    assert offer.answer_nonce == ""
    # The link's use is recorded beside the step itself (which records who took it).
    event = AuditEvent.objects.get(
        object_type="engagements.assignment", object_id=str(offer.pk), detail__endswith="with the e-mail link"
    )
    assert (event.actor, event.action, event.detail) == (
        expert.user,
        AuditEvent.Action.CHANGE,
        "offer accepted with the e-mail link",
    )
    # The page now only says what happened; the offer's details are no longer behind the link.
    assert not response.context["usable"]
    assert offer.request.purpose not in response.content.decode()

    # A second tap (or someone with the forwarded e-mail) changes nothing.
    response = client.post(f"{path}decline/", follow=True)
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.ACCEPTED
    assert (
        AuditEvent.objects.filter(object_type="engagements.assignment", detail__endswith="with the e-mail link").count()
        == 1
    )
    assert "_auth_user_id" not in client.session


def test_declining_with_the_link_keeps_the_reason(client: Client, offer: Assignment, expert: ExpertProfile) -> None:
    path = link_in_mail(expert.user.email)
    assert client.post(f"{path}decline/", {"reason": "Tenttiviikko"}).status_code == 302
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason, offer.answer_nonce) == (Assignment.Status.DECLINED, "Tenttiviikko", "")


def test_the_link_opens_nothing_else(client: Client, offer: Assignment, expert: ExpertProfile) -> None:
    client.get(link_in_mail(expert.user.email))
    for name, args in [("engagements:my-offers", []), ("engagements:offer", [offer.pk]), ("experts:profile", [])]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        answerlinks.sign(1, "x") + "tampered",
        # A genuine signature for the right assignment but the wrong nonce.
        None,
    ],
)
def test_forged_or_wrong_links_do_not_work(client: Client, offer: Assignment, token: str | None) -> None:
    token = token or answerlinks.sign(offer.pk, "not-the-nonce")
    response = client.get(reverse("engagements:offer-link", args=[token]))
    if response.status_code == 200:
        assert not response.context["usable"]
    else:
        assert response.status_code == 404
    client.post(reverse("engagements:offer-link-accept", args=[token]))
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.OFFERED


def test_link_expires_with_the_offer(client: Client, offer: Assignment, expert: ExpertProfile) -> None:
    path = link_in_mail(expert.user.email)
    Assignment.objects.filter(pk=offer.pk).update(offer_expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert not client.get(path).context["usable"]
    client.post(f"{path}accept/")
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.OFFERED  # the expiry job marks it expired, not an accept


def test_link_stops_working_once_the_offer_is_answered_in_the_service(
    client: Client, offer: Assignment, expert: ExpertProfile
) -> None:
    path = link_in_mail(expert.user.email)
    offer.decline(offer.expert.user, reason="")
    assert not client.get(path).context["usable"]


def test_failed_accept_leaves_the_link_usable(client: Client, offer: Assignment, expert: ExpertProfile) -> None:
    path = link_in_mail(expert.user.email)
    expert.withdraw_consent("contact")
    response = client.post(f"{path}accept/", follow=True)
    assert "renew your consents" in response.content.decode() or response.context["messages"]
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.OFFERED
    assert offer.answer_nonce  # not spent


def test_reminder_carries_the_same_link(
    offer: Assignment, expert: ExpertProfile, django_capture_on_commit_callbacks: Any
) -> None:
    from engagements import notifications

    first = link_in_mail(expert.user.email)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.offer_reminder(offer)
    assert link_in_mail(expert.user.email) == first


def test_link_page_queries_are_bounded(
    client: Client, offer: Assignment, expert: ExpertProfile, django_assert_max_num_queries: Any
) -> None:
    path = link_in_mail(expert.user.email)
    with django_assert_max_num_queries(8):
        assert client.get(path).status_code == 200


# Signed-in experts -----------------------------------------------------------------------------------


def test_expert_home_puts_the_waiting_offer_first_with_one_tap_accept(
    client: Client, offer: Assignment, expert: ExpertProfile, django_assert_max_num_queries: Any
) -> None:
    client.force_login(expert.user)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("engagements:expert-home"))
    page = response.content.decode()
    assert response.context["offers"] == [offer]
    accept = reverse("engagements:offer-accept", args=[offer.pk])
    assert accept in page
    assert page.index(accept) < page.index('id="profile-heading"')
    client.post(accept)
    offer.refresh_from_db()
    assert offer.status == Assignment.Status.ACCEPTED
    response = client.get(reverse("engagements:expert-home"))
    assert response.context["offers"] == []
    assert response.context["coming"] == [offer]


def test_offer_page_shows_the_requests_languages(client: Client, offer: Assignment, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    response = client.get(reverse("engagements:offer", args=[offer.pk]))
    assert response.context["languages"] == list(offer.request.languages.all())
    shown = re.search(r"<dt>Kielet</dt><dd>([^<]*)</dd>", response.content.decode())
    assert shown and shown.group(1) == "suomi"
