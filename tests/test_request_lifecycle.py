"""Every transition of a request and its assignments, the forbidden ones, and who is told."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements.models import Assignment, InvalidTransition, Request
from engagements.notifications import Notification
from experts.models import EngagementRole, ExpertProfile, Language
from registry.models import User
from tests.conftest import ready_expert

pytestmark = pytest.mark.django_db


def offer_to(req: Request, expert: ExpertProfile, hours: int = 48, status: str = "offered") -> Assignment:
    return Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=status,
        offer_expires_at=timezone.now() + dt.timedelta(hours=hours),
    )


def request_form_data(unit: Any, **overrides: Any) -> dict[str, Any]:
    start = timezone.localtime() + dt.timedelta(days=20)
    start = start.replace(hour=13, minute=0, second=0, microsecond=0)
    data = {
        "unit": str(unit.pk),
        "type": "panel",
        "title": "Sijaishuollon paneeli",
        "purpose": "Haluamme ymmärtää, miltä sijoitus tuntuu nuoresta.",
        "task": "Kerro kokemuksestasi paneelissa.",
        "audience": "Sosiaalityöntekijät",
        "audience_size": "30",
        "wished_kind": "youth",
        "experts_needed": "1",
        "languages": [str(Language.objects.get(code="fi").pk)],
        "format": "in_person",
        "place": "Kuopio, kaupungintalo",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "deadline": "",
        "estimated_hours": "",
        "fee_basis": "schedule",
        "contact_name": "Sari",
        "contact_email": "sari@example.test",
    }
    data.update(overrides)
    return data


# Unit member ---------------------------------------------------------------------------------


def test_unit_member_sends_a_request_in_one_step(
    client: Client, unit_member: User, unit: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(unit_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("engagements:request-create"), {**request_form_data(unit), "send": "1"})
    assert response.status_code == 302
    req = Request.objects.get()
    assert response["Location"] == reverse("engagements:unit-request", args=[req.pk])
    assert req.status == Request.Status.SUBMITTED
    assert req.submitted_at is not None
    assert req.created_by == unit_member
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert Notification.objects.filter(user=coordinator, kind="request_submitted").exists()


def test_request_form_is_prefilled_with_what_is_known(client: Client, unit_member: User, unit: Any) -> None:
    from registry.models import Municipality

    unit.municipality = Municipality.objects.create(region=unit.region, name="Kuopio")
    unit.save()
    unit_member.preferred_language = "sv"
    unit_member.save()
    client.force_login(unit_member)
    form = client.get(reverse("engagements:request-create")).context["form"]
    assert form.initial["languages"] == [Language.objects.get(code="sv").pk]
    assert form.initial["place"] == f"{unit.name}, Kuopio"
    assert form.initial["contact_email"] == unit_member.email
    assert form["unit"].value() == unit.pk


def test_end_time_left_empty_books_two_hours(client: Client, unit_member: User, unit: Any) -> None:
    client.force_login(unit_member)
    response = client.post(reverse("engagements:request-create"), request_form_data(unit, ends_at=""))
    assert response.status_code == 302
    req = Request.objects.get()
    assert req.ends_at - req.starts_at == dt.timedelta(hours=2)


def test_unit_member_saves_a_draft_and_submits_it(
    client: Client, unit_member: User, unit: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(unit_member)
    response = client.post(reverse("engagements:request-create"), {**request_form_data(unit), "draft": "1"})
    assert response.status_code == 302
    req = Request.objects.get()
    assert req.status == Request.Status.DRAFT
    assert req.created_by == unit_member
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("engagements:request-submit", args=[req.pk]))
    req.refresh_from_db()
    assert req.status == Request.Status.SUBMITTED
    assert req.submitted_at is not None
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert Notification.objects.filter(user=coordinator, kind="request_submitted").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_at": "2001-01-01T10:00", "ends_at": "2001-01-01T12:00"}, "starts_at"),
        ({"ends_at": "2001-01-01T12:00"}, "ends_at"),
        ({"experts_needed": "9"}, "experts_needed"),
        ({"experts_needed": "0"}, "experts_needed"),
        ({"purpose": ""}, "purpose"),
        ({"place": ""}, "place"),
        ({"languages": []}, "languages"),
        ({"type": "material_review", "starts_at": "", "ends_at": ""}, "deadline"),
        ({"type": "material_review", "deadline": "2001-01-01", "estimated_hours": "3"}, "deadline"),
        # Year 9999 once overflowed "start plus two hours" into a 500.
        ({"starts_at": "9999-12-31T23:00", "ends_at": ""}, "starts_at"),
        ({"type": "material_review", "starts_at": "", "ends_at": "", "deadline": "9999-12-31"}, "deadline"),
    ],
)
def test_mistakes_get_clear_errors_and_keep_what_was_typed(
    client: Client, unit_member: User, unit: Any, overrides: dict[str, Any], field: str
) -> None:
    client.force_login(unit_member)
    response = client.post(reverse("engagements:request-create"), request_form_data(unit, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Sijaishuollon paneeli" in response.content.decode()
    assert not Request.objects.exists()


def test_material_review_needs_deadline_and_hours_not_a_time(client: Client, unit_member: User, unit: Any) -> None:
    client.force_login(unit_member)
    deadline = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    data = request_form_data(
        unit, type="material_review", starts_at="", ends_at="", deadline=deadline, estimated_hours="4", format="remote"
    )
    assert client.post(reverse("engagements:request-create"), data).status_code == 302
    assert Request.objects.get().is_review


def test_unit_member_cannot_create_for_another_unit(client: Client, unit_member: User, other_unit: Any) -> None:
    client.force_login(unit_member)
    response = client.post(reverse("engagements:request-create"), request_form_data(other_unit))
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors


def test_other_units_member_gets_404(client: Client, other_unit_member: User, make_request: Any) -> None:
    req = make_request()
    client.force_login(other_unit_member)
    for name in ["unit-request", "request-edit"]:
        assert client.get(reverse(f"engagements:{name}", args=[req.pk])).status_code == 404
    assert client.post(reverse("engagements:request-cancel", args=[req.pk]), {"reason": "x"}).status_code == 404
    req.refresh_from_db()
    assert req.status == Request.Status.SUBMITTED


def test_confirmed_request_can_no_longer_be_edited(client: Client, unit_member: User, make_request: Any) -> None:
    req = make_request(status="confirmed")
    client.force_login(unit_member)
    response = client.get(reverse("engagements:request-edit", args=[req.pk]))
    assert response.status_code == 302


def test_unit_cancels_with_reason_and_everyone_is_told(
    client: Client,
    unit_member: User,
    make_request: Any,
    expert: ExpertProfile,
    coordinator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    req = make_request(status="offered")
    assignment = offer_to(req, ready_expert(expert))
    client.force_login(unit_member)
    response = client.post(reverse("engagements:request-cancel", args=[req.pk]), {"reason": ""})
    req.refresh_from_db()
    assert req.status == Request.Status.OFFERED  # no reason, no cancellation
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("engagements:request-cancel", args=[req.pk]), {"reason": "Tilaisuus peruttu"})
    assert response.status_code == 302
    req.refresh_from_db()
    assignment.refresh_from_db()
    assert req.status == Request.Status.CANCELLED
    assert req.status_reason == "Tilaisuus peruttu"
    assert assignment.status == Assignment.Status.CANCELLED
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([expert.user.email, coordinator.email])


# Coordinator triage ---------------------------------------------------------------------------


def test_coordinator_takes_into_matching_and_unit_is_told(
    client: Client, coordinator: User, make_request: Any, unit_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    req = make_request()
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("engagements:take", args=[req.pk]))
    assert response["Location"] == reverse("engagements:matching", args=[req.pk])
    req.refresh_from_db()
    assert req.status == Request.Status.MATCHING
    assert [m.to for m in mail.outbox] == [[unit_member.email]]


def test_coordinator_declines_with_reason_the_unit_sees(
    client: Client, coordinator: User, make_request: Any, unit_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    req = make_request()
    client.force_login(coordinator)
    response = client.post(reverse("engagements:decline", args=[req.pk]), {"reason": ""})
    assert response.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("engagements:decline", args=[req.pk]), {"reason": "Ei sopivaa asiantuntijaa"})
    req.refresh_from_db()
    assert req.status == Request.Status.DECLINED
    # The e-mail says what happened; the reason stays behind sign-in.
    assert [m.to for m in mail.outbox] == [[unit_member.email]]
    assert "Ei sopivaa asiantuntijaa" not in mail.outbox[0].body
    assert reverse("engagements:unit-request", args=[req.pk]) in mail.outbox[0].body
    client.force_login(unit_member)
    assert "Ei sopivaa asiantuntijaa" in client.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()


def test_draft_cannot_be_taken_into_matching(make_request: Any, coordinator: User) -> None:
    req = make_request(status="draft")
    with pytest.raises(InvalidTransition):
        req.take_into_matching(coordinator)


def test_coordinator_of_another_region_gets_404(client: Client, make_request: Any, other_region: Any) -> None:
    from registry.models import StaffRole
    from tests.conftest import make_user, with_totp

    req = make_request()
    user = with_totp(make_user("far@example.test"))
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=other_region)
    client.force_login(user)
    assert client.get(reverse("engagements:coordinator-request", args=[req.pk])).status_code == 404
    assert client.post(reverse("engagements:take", args=[req.pk])).status_code == 404


# Offers, answers, confirmation ------------------------------------------------------------------


def test_coordinator_offers_and_expert_accepts_and_is_confirmed(
    client: Client,
    coordinator: User,
    make_request: Any,
    expert: ExpertProfile,
    unit_member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    req = make_request(status="matching")
    ready_expert(expert)
    client.force_login(coordinator)
    page = client.get(reverse("engagements:matching", args=[req.pk]))
    assert [c.expert for c in page.context["candidates"]] == [expert]
    answer_by = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("engagements:make-offers", args=[req.pk]), {"experts": [str(expert.pk)], "answer_by": answer_by}
        )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    req.refresh_from_db()
    assert req.status == Request.Status.OFFERED
    assert mail.outbox[-1].to == [expert.user.email]

    expert_client = Client()
    expert_client.force_login(expert.user)
    offer_page = expert_client.get(reverse("engagements:offer", args=[assignment.pk])).content.decode()
    assert req.purpose in offer_page and req.audience in offer_page
    expert_client.post(reverse("engagements:offer-accept", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("engagements:confirm", args=[assignment.pk]))
    assignment.refresh_from_db()
    req.refresh_from_db()
    assert assignment.status == Assignment.Status.CONFIRMED
    assert req.status == Request.Status.CONFIRMED
    assert {m.to[0] for m in mail.outbox[-2:]} == {expert.user.email, unit_member.email}
    unit_page = Client()
    unit_page.force_login(unit_member)
    assert expert.display_name in unit_page.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()


def test_offer_answer_by_in_the_past_is_refused(
    client: Client, coordinator: User, make_request: Any, expert: Any
) -> None:
    req = make_request(status="matching")
    ready_expert(expert)
    client.force_login(coordinator)
    response = client.post(
        reverse("engagements:make-offers", args=[req.pk]),
        {"experts": [str(expert.pk)], "answer_by": "2001-01-01T10:00"},
    )
    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_cannot_offer_an_excluded_expert(client: Client, coordinator: User, make_request: Any, expert: Any) -> None:
    req = make_request(status="matching")  # the expert has no consents: excluded
    client.force_login(coordinator)
    answer_by = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("engagements:make-offers", args=[req.pk]), {"experts": [str(expert.pk)], "answer_by": answer_by}
    )
    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_expert_declines_own_offer(client: Client, expert: ExpertProfile, make_request: Any) -> None:
    req = make_request(status="offered")
    assignment = offer_to(req, ready_expert(expert))
    client.force_login(expert.user)
    response = client.post(reverse("engagements:offer-decline", args=[assignment.pk]), {"reason": "Exam week"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    req.refresh_from_db()
    assert assignment.status == Assignment.Status.DECLINED
    assert assignment.decline_reason == "Exam week"
    assert req.status == Request.Status.MATCHING


def test_other_expert_gets_404(client: Client, other_expert: Any, expert: ExpertProfile, make_request: Any) -> None:
    assignment = offer_to(make_request(status="offered"), ready_expert(expert))
    client.force_login(other_expert.user)
    assert client.get(reverse("engagements:offer", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("engagements:offer-accept", args=[assignment.pk])).status_code == 404
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.OFFERED


def test_accepting_an_expired_offer_is_refused(expert: ExpertProfile, make_request: Any) -> None:
    assignment = offer_to(make_request(status="offered"), ready_expert(expert), hours=-1)
    with pytest.raises(InvalidTransition):
        assignment.accept(expert.user)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.EXPIRED


def test_expired_offers_expire_by_themselves(expert: ExpertProfile, make_request: Any) -> None:
    from django.core.management import call_command

    req = make_request(status="offered")
    assignment = offer_to(req, ready_expert(expert), hours=-1)
    call_command("expire_offers", verbosity=0)
    call_command("expire_offers", verbosity=0)
    assignment.refresh_from_db()
    req.refresh_from_db()
    assert assignment.status == Assignment.Status.EXPIRED
    assert req.status == Request.Status.MATCHING


def test_confirming_without_consent_is_refused(expert: ExpertProfile, make_request: Any, coordinator: User) -> None:
    assignment = offer_to(make_request(status="offered"), ready_expert(expert), status="accepted")
    expert.withdraw_consent("contact")
    with pytest.raises(InvalidTransition):
        assignment.confirm(coordinator)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED


def test_accepting_without_consent_is_refused(expert: ExpertProfile, make_request: Any) -> None:
    assignment = offer_to(make_request(status="offered"), ready_expert(expert))
    expert.withdraw_consent("registry")
    with pytest.raises(InvalidTransition):
        assignment.accept(expert.user)


def test_minor_without_guardian_consent_cannot_be_confirmed(
    make_expert: Any, make_request: Any, coordinator: User
) -> None:
    minor = ready_expert(make_expert(birth_year=timezone.localdate().year - 15))
    assignment = offer_to(make_request(status="offered"), minor, status="accepted")
    with pytest.raises(InvalidTransition):
        assignment.confirm(coordinator)


def test_confirming_an_overlapping_engagement_is_refused(
    expert: ExpertProfile, make_request: Any, coordinator: User
) -> None:
    first = make_request(status="offered")
    second = make_request(
        status="offered",
        starts_at=first.starts_at + dt.timedelta(hours=1),
        ends_at=first.ends_at + dt.timedelta(hours=1),
    )
    ready_expert(expert)
    a1 = offer_to(first, expert, status="accepted")
    a2 = offer_to(second, expert, status="accepted")
    a1.confirm(coordinator)
    with pytest.raises(InvalidTransition):
        a2.confirm(coordinator)
    a2.refresh_from_db()
    assert a2.status == Assignment.Status.ACCEPTED


def test_request_is_confirmed_only_when_enough_experts_are(
    expert: ExpertProfile, other_expert: ExpertProfile, make_request: Any, coordinator: User
) -> None:
    req = make_request(status="offered", experts_needed=2)
    a1 = offer_to(req, ready_expert(expert), status="accepted")
    a2 = offer_to(req, ready_expert(other_expert), status="accepted")
    a1.confirm(coordinator)
    req.refresh_from_db()
    assert req.status == Request.Status.OFFERED
    a2.confirm(coordinator)
    req.refresh_from_db()
    assert req.status == Request.Status.CONFIRMED


def test_cancelled_slot_can_be_offered_again(
    expert: ExpertProfile,
    other_expert: ExpertProfile,
    make_request: Any,
    coordinator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    req = make_request(status="offered")
    assignment = offer_to(req, ready_expert(expert), status="accepted")
    assignment.confirm(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        assignment.cancel(expert.user, "Sairastuin")
    req.refresh_from_db()
    assert req.status == Request.Status.MATCHING
    assert coordinator.email in [m.to[0] for m in mail.outbox]
    again = offer_to(req, expert)  # the unique constraint allows a new live slot after cancellation
    assert again.status == Assignment.Status.OFFERED


def test_expert_cannot_cancel_after_start(expert: ExpertProfile, make_request: Any, coordinator: User) -> None:
    start = timezone.now() - dt.timedelta(hours=1)
    req = make_request(status="confirmed", starts_at=start, ends_at=start + dt.timedelta(hours=2))
    assignment = offer_to(req, ready_expert(expert), status="confirmed")
    with pytest.raises(InvalidTransition):
        assignment.cancel(expert.user, "late")


def test_withdrawing_registry_consent_cancels_open_offers(
    expert: ExpertProfile, make_request: Any, coordinator: User
) -> None:
    req = make_request(status="offered")
    assignment = offer_to(req, ready_expert(expert))
    expert.withdraw_consent("registry")
    assignment.refresh_from_db()
    req.refresh_from_db()
    assert assignment.status == Assignment.Status.CANCELLED
    assert req.status == Request.Status.MATCHING


# Notifications -------------------------------------------------------------------------------------


def test_emails_go_in_each_recipients_language(
    expert: ExpertProfile, make_request: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from engagements import notifications

    expert.user.preferred_language = "sv"
    expert.user.save()
    assignment = offer_to(make_request(status="offered", title="Paneeli"), ready_expert(expert))
    with django_capture_on_commit_callbacks(execute=True):
        notifications.offer_made(assignment)
    message = mail.outbox[0]
    assert message.subject.startswith("Du har")
    # The title may say more than a mailbox should: subject and text name no request.
    assert "Paneeli" not in message.subject and "Paneeli" not in message.body


def test_in_app_notifications_count_and_read(client: Client, expert: ExpertProfile, make_request: Any) -> None:
    from engagements import notifications

    assignment = offer_to(make_request(status="offered"), ready_expert(expert))
    notifications.offer_made(assignment)
    client.force_login(expert.user)
    assert client.get(reverse("engagements:expert-home")).context["unread_notifications"] == 1
    item = Notification.objects.get(user=expert.user)
    response = client.get(reverse("engagements:notification", args=[item.pk]))
    assert response["Location"] == reverse("engagements:offer", args=[assignment.pk])
    assert client.get(reverse("engagements:expert-home")).context["unread_notifications"] == 0


def test_reminders_are_sent_once(
    expert: ExpertProfile, make_request: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.management import call_command

    soon = timezone.now() + dt.timedelta(days=1)
    confirmed_req = make_request(status="confirmed", starts_at=soon, ends_at=soon + dt.timedelta(hours=1))
    offer_to(confirmed_req, ready_expert(expert), status="confirmed")
    offer_to(make_request(status="offered"), expert, hours=5)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", verbosity=0)
        call_command("send_reminders", verbosity=0)
    assert len(mail.outbox) == 2
    kinds = set(Notification.objects.filter(user=expert.user).values_list("kind", flat=True))
    assert kinds == {"offer_reminder", "event_reminder"}


def test_unit_sees_direct_contact_only_with_the_experts_consent(
    client: Client, unit_member: User, make_request: Any, expert: ExpertProfile
) -> None:
    req = make_request(status="confirmed")
    offer_to(req, ready_expert(expert), status="confirmed")
    client.force_login(unit_member)
    page = client.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()
    assert expert.display_name in page
    assert expert.user.email not in page
    expert.give_consent("direct_contact")
    page = client.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()
    assert f"mailto:{expert.user.email}" in page


def test_leaving_the_registry_keeps_an_offer_that_is_already_under_way(
    expert: ExpertProfile, make_request: Any
) -> None:
    start = timezone.now() - dt.timedelta(minutes=30)
    req = make_request(status="offered", starts_at=start, ends_at=start + dt.timedelta(hours=2))
    assignment = offer_to(req, ready_expert(expert))
    expert.withdraw_consent("registry")
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.OFFERED
    assert not expert.consent_states()["registry"].is_current


def test_the_request_form_warns_next_to_the_free_texts_not_to_write_client_details(
    client: Client, unit_member: User, make_request: Any
) -> None:
    import re

    client.force_login(unit_member)
    page = client.get(reverse("engagements:request-create")).content.decode()
    warning = "Älä kirjoita mitään, mistä asiakkaan voisi tunnistaa"
    for field in ("purpose", "task"):
        # The help text is tied to the field (aria-describedby), right next to it.
        assert f'aria-describedby="id_{field}_helptext"' in page, field
        help_text = re.search(rf'id="id_{field}_helptext">(.*?)</div>', page, re.S)
        assert help_text and warning in help_text.group(1), field
    assert "poistetaan 730 päivää" in page
    req = make_request(status="draft")
    attachment_form = client.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()
    assert "ei saa nimetä tai näyttää asiakasta" in attachment_form
