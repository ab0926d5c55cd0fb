"""Recruitment: the public application, the coordinator's queue, invitation and first sign-in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from experts.models import Application, EngagementRole, ExpertProfile, Language
from registry.models import StaffRole, User
from tests.conftest import make_user, with_totp

pytestmark = pytest.mark.django_db


def form_data(region: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Emilia Esimerkki",
        "email": "Emilia@Example.test",
        "phone": "040 123 4567",
        "kind": "youth",
        "birth_year": str(timezone.localdate().year - 19),
        "birth_month": "3",
        "region": str(region.pk),
        "languages": [str(Language.objects.get(code="fi").pk)],
        "roles": [str(EngagementRole.objects.get(code="speaker").pk)],
        "message": "Haluan auttaa.",
        "privacy": "on",
        "website": "",
    }
    data.update(overrides)
    return data


def make_application(region: Any, **extra: Any) -> Application:
    defaults = {
        "name": "Teemu Testaaja",
        "email": "teemu@example.test",
        "kind": "youth",
        "birth_year": 2004,
        "region": region,
        "privacy_acknowledged_at": timezone.now(),
        "language": "sv",
    }
    defaults.update(extra)
    application = Application.objects.create(**defaults)
    application.languages.set(Language.objects.filter(code="fi"))
    return application


def test_anyone_can_apply_and_coordinator_is_told(
    client: Client, region: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("experts:apply"), form_data(region))
    assert response.status_code == 302
    assert response["Location"] == reverse("experts:apply-thanks")
    application = Application.objects.get()
    assert application.email == "emilia@example.test"
    assert application.status == Application.Status.NEW
    assert application.privacy_acknowledged_at is not None
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert reverse("experts:application", args=[application.pk]) in mail.outbox[0].body
    # The message names no applicant details: e-mail is not a safe place for them.
    assert "Emilia" not in mail.outbox[0].body


def test_regional_coordinator_of_another_region_is_not_told(
    client: Client, region: Any, other_region: Any, django_capture_on_commit_callbacks: Any
) -> None:
    other = with_totp(make_user("other-coord@example.test"))
    StaffRole.objects.create(user=other, role=StaffRole.Kind.COORDINATOR, region=other_region)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("experts:apply"), form_data(region))
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("privacy", ""),
        ("birth_year", "1800"),
        ("birth_year", str(timezone.localdate().year - 5)),
        ("birth_month", ""),
        ("birth_month", "13"),
        ("languages", []),
        ("kind", "cat"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_writes_nothing(client: Client, region: Any, field: str, value: Any) -> None:
    response = client.post(reverse("experts:apply"), form_data(region, **{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Emilia Esimerkki" in response.content.decode()
    assert Application.objects.count() == 0


def test_error_messages_are_translated(client: Client, region: Any) -> None:
    client.cookies["django_language"] = "fi"
    response = client.post(reverse("experts:apply"), form_data(region, privacy=""))
    assert "tietosuojaseloste" in str(response.context["form"].errors["privacy"]).lower()


def test_honeypot_stops_bots(client: Client, region: Any) -> None:
    response = client.post(reverse("experts:apply"), form_data(region, website="http://spam.example"))
    assert response.status_code == 400
    assert Application.objects.count() == 0


def test_applications_are_rate_limited_per_ip(client: Client, region: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "expert_application": "2/h/ip"}
    for i in range(2):
        assert client.post(reverse("experts:apply"), form_data(region, email=f"a{i}@example.test")).status_code == 302
    response = client.post(reverse("experts:apply"), form_data(region, email="a3@example.test"))
    assert response.status_code == 429
    assert Application.objects.count() == 2


def test_coordinator_sees_waiting_applications(client: Client, coordinator: User, region: Any) -> None:
    application = make_application(region)
    client.force_login(coordinator)
    response = client.get(reverse("experts:applications"))
    assert application.name in response.content.decode()
    response = client.get(reverse("experts:application", args=[application.pk]))
    assert response.status_code == 200
    assert application.email in response.content.decode()


def test_reading_an_application_is_audited(client: Client, coordinator: User, region: Any) -> None:
    from registry.models import AuditEvent

    application = make_application(region)
    client.force_login(coordinator)
    client.get(reverse("experts:application", args=[application.pk]))
    assert AuditEvent.objects.filter(action="view", object_type="experts.application", actor=coordinator).exists()


def test_coordinator_of_another_region_gets_404(client: Client, region: Any, other_region: Any) -> None:
    application = make_application(region)
    other = with_totp(make_user("other-coord@example.test"))
    StaffRole.objects.create(user=other, role=StaffRole.Kind.COORDINATOR, region=other_region)
    client.force_login(other)
    assert client.get(reverse("experts:application", args=[application.pk])).status_code == 404
    assert client.post(reverse("experts:application-accept", args=[application.pk])).status_code == 404
    application.refresh_from_db()
    assert application.status == Application.Status.NEW


def test_coordinator_adds_a_note(client: Client, coordinator: User, region: Any) -> None:
    application = make_application(region)
    client.force_login(coordinator)
    response = client.post(
        reverse("experts:application-note", args=[application.pk]), {"coordinator_note": "Soitin, kuulosti hyvältä."}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.coordinator_note == "Soitin, kuulosti hyvältä."


def test_reject_sends_a_kind_message_in_applicants_language(
    client: Client, coordinator: User, region: Any, django_capture_on_commit_callbacks: Any
) -> None:
    application = make_application(region, language="sv")
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("experts:application-reject", args=[application.pk]), {"message": "Välkommen tillbaka!"}
        )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    assert application.decided_by == coordinator
    assert mail.outbox[0].to == ["teemu@example.test"]
    assert "Tack" in mail.outbox[0].body
    assert "Välkommen tillbaka!" in mail.outbox[0].body
    assert not User.objects.filter(email="teemu@example.test").exists()


def test_accept_creates_applicant_and_sends_one_time_invitation(
    client: Client, coordinator: User, region: Any, django_capture_on_commit_callbacks: Any
) -> None:
    application = make_application(region, language="fi")
    application.roles.set(EngagementRole.objects.filter(code="panellist"))
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("experts:application-accept", args=[application.pk]))
    application.refresh_from_db()
    profile = application.profile
    assert response["Location"] == reverse("experts:expert", args=[profile.pk])
    assert profile.status == ExpertProfile.Status.APPLICANT
    assert profile.home_region == region
    assert [r.code for r in profile.roles.all()] == ["panellist"]
    assert not profile.user.has_usable_password()
    message = mail.outbox[0]
    assert message.to == ["teemu@example.test"]
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", message.body).group(0)

    # The invitee sets a password through allauth's form and signs in.
    invitee = Client()
    path = link.split("8000", 1)[-1] if "8000" in link else link[link.index("/accounts") :]
    response = invitee.get(path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = invitee.post(form_url, {"password1": "Oma-Salasana-2026", "password2": "Oma-Salasana-2026"})
    assert response.status_code == 302
    assert invitee.login(email="teemu@example.test", password="Oma-Salasana-2026")
    assert invitee.get(reverse("home"))["Location"] == reverse("engagements:expert-home")

    # The link worked once.
    again = Client().get(path, follow=True)
    assert "form" not in again.context or again.context.get("token_fail")


def test_invitation_link_expires(
    client: Client, coordinator: User, region: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    application = make_application(region)
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("experts:application-accept", args=[application.pk]))
    link = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = Client().get(link, follow=True)
    assert response.context.get("token_fail")


def test_accepting_twice_is_refused(client: Client, coordinator: User, region: Any) -> None:
    application = make_application(region)
    client.force_login(coordinator)
    client.post(reverse("experts:application-accept", args=[application.pk]))
    client.post(reverse("experts:application-accept", args=[application.pk]))
    assert ExpertProfile.objects.count() == 1
    assert User.objects.filter(email="teemu@example.test").count() == 1


def test_existing_account_gets_an_expert_profile_without_new_user(
    client: Client, coordinator: User, unit_member: User, region: Any, django_capture_on_commit_callbacks: Any
) -> None:
    application = make_application(region, email=unit_member.email)
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("experts:application-accept", args=[application.pk]))
    unit_member.refresh_from_db()
    assert unit_member.has_usable_password()
    assert hasattr(unit_member, "expert_profile")
    assert "/accounts/password/reset/key/" not in mail.outbox[0].body
