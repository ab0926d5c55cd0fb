"""Sign-in through allauth: e-mail login, verification, MFA for staff, invitation-only accounts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from registry.models import StaffRole, UnitMembership, User
from tests.conftest import PASSWORD, make_user, totp_code

pytestmark = pytest.mark.django_db


def login(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_expert_signs_in_and_lands_on_expert_home(client: Client, expert: Any) -> None:
    response = login(client, expert.user.email)
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == reverse("engagements:expert-home")
    assert client.get(reverse("engagements:expert-home")).status_code == 200


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("unit_member", "engagements:unit-home"),
        ("coordinator", "engagements:coordinator-home"),
        ("manager", "engagements:manager-home"),
    ],
)
def test_each_role_lands_on_its_own_home(client: Client, personas: dict[str, User], persona: str, home: str) -> None:
    client.force_login(personas[persona])
    response = client.get(reverse("home"))
    assert response["Location"] == reverse(home)


def test_admin_lands_on_django_admin(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    assert client.get(reverse("home"))["Location"] == reverse("admin:index")


def test_wrong_password_shows_error_and_keeps_email(client: Client, expert: Any) -> None:
    response = login(client, expert.user.email, "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert expert.user.email in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_mail_waits_for_commit(client: Client, db: None) -> None:
    make_user("waits@example.test")
    client.post(reverse("account_reset_password"), {"email": "waits@example.test"})
    # The test transaction never commits, so nothing may have been sent.
    assert mail.outbox == []


def test_repeated_failed_logins_are_rate_limited(client: Client, expert: Any) -> None:
    for _ in range(5):
        login(client, expert.user.email, "wrong-password")
    # Even the right password is refused until the window has passed.
    response = login(client, expert.user.email, PASSWORD)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_unverified_email_gets_verification_mail_not_a_session(
    client: Client, db: None, django_capture_on_commit_callbacks: Any
) -> None:
    user = User.objects.create_user(email="new@example.test", password=PASSWORD, preferred_language="sv")
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.test"]


def test_coordinator_needs_totp_code_after_password(client: Client, coordinator: User) -> None:
    response = login(client, coordinator.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(coordinator.pk)
    assert client.get(reverse("home"))["Location"] == reverse("engagements:coordinator-home")


def test_staff_without_mfa_reach_only_mfa_setup(client: Client, db: None) -> None:
    user = make_user("new-coordinator@example.test")
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR)
    client.force_login(user)
    for name in ["home", "engagements:coordinator-home", "account_email", "front"]:
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302


def test_admin_without_mfa_cannot_open_django_admin(client: Client, db: None) -> None:
    user = make_user("new-admin@example.test", is_staff=True, is_superuser=True)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response["Location"] == reverse("mfa_activate_totp")


def test_expert_does_not_need_mfa(client: Client, expert: Any) -> None:
    client.force_login(expert.user)
    assert client.get(reverse("engagements:expert-home")).status_code == 200


def test_signup_is_closed(client: Client, db: None) -> None:
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    assert "account/signup_closed" in response.templates[0].name
    client.post(
        reverse("account_signup"),
        {"email": "intruder@example.test", "password1": "Pass-word-1234", "password2": "Pass-word-1234"},
    )
    assert not User.objects.filter(email="intruder@example.test").exists()


def test_password_reset_mail_is_in_users_language(
    client: Client, db: None, django_capture_on_commit_callbacks: Any
) -> None:
    make_user("ruotsi@example.test", language="sv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "ruotsi@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "lösenord" in (message.subject + message.body).lower()


def test_user_with_two_roles_can_switch(client: Client, expert: Any, unit: Any) -> None:
    from django.utils import timezone

    UnitMembership.objects.create(user=expert.user, unit=unit, approved_at=timezone.now())
    client.force_login(expert.user)
    assert client.get(reverse("home"))["Location"] == reverse("engagements:expert-home")
    page = client.get(reverse("engagements:expert-home")).content.decode()
    assert reverse("switch-role") in page
    response = client.post(reverse("switch-role"), {"role": "unit"})
    assert response["Location"] == reverse("engagements:unit-home")
    assert client.get(reverse("home"))["Location"] == reverse("engagements:unit-home")


def test_switching_to_a_role_you_do_not_have_is_refused(client: Client, expert: Any) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("switch-role"), {"role": "coordinator"})
    assert response.status_code == 400
    assert client.get(reverse("engagements:coordinator-home")).status_code == 403


def test_pending_unit_member_lands_on_unit_home_with_a_notice(client: Client, unit: Any) -> None:
    user = make_user("pending@example.test")
    UnitMembership.objects.create(user=user, unit=unit)
    client.force_login(user)
    assert client.get(reverse("home"))["Location"] == reverse("engagements:unit-home")
    response = client.get(reverse("engagements:unit-home"))
    assert response.status_code == 200
    assert not response.context["memberships"][0].approved_at


def test_user_without_any_role_sees_a_welcome_page(client: Client, db: None) -> None:
    client.force_login(make_user("nobody@example.test"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "registry/no_role.html" in [t.name for t in response.templates]


def test_language_choice_is_saved_for_signed_in_user(client: Client, expert: Any) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("set_language"), {"language": "sv", "next": "/home/"})
    assert response.status_code == 302
    expert.user.refresh_from_db()
    assert expert.user.preferred_language == "sv"


def test_saved_language_is_used_on_a_new_device(client: Client, expert: Any) -> None:
    expert.user.preferred_language = "sv"
    expert.user.save()
    client.force_login(expert.user)
    response = client.get(reverse("engagements:expert-home"))
    assert '<html lang="sv">' in response.content.decode()


# Keeping an expert signed in, and the ways in -----------------------------------------------------


def test_keep_me_signed_in_lasts_a_month_for_experts_only(
    client: Client, expert: Any, coordinator: User, settings: Any
) -> None:
    response = client.post(
        reverse("account_login"), {"login": expert.user.email, "password": PASSWORD, "remember": "on"}
    )
    assert response.status_code == 302
    assert client.session.get_expiry_age() == settings.REMEMBER_ME_DAYS * 24 * 3600
    assert not client.session.get_expire_at_browser_close()

    other = Client()
    other.post(reverse("account_login"), {"login": expert.user.email, "password": PASSWORD})
    assert other.session.get_expire_at_browser_close()  # not ticked: ends with the browser

    staff = Client()
    staff.post(reverse("account_login"), {"login": coordinator.email, "password": PASSWORD, "remember": "on"})
    # Staff who see many people's data keep the normal length, even when they tick the box.
    assert staff.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE


def test_login_page_points_to_the_two_real_ways_in(client: Client, db: None) -> None:
    page = client.get(reverse("account_login")).content.decode()
    assert reverse("become-expert") in page
    assert reverse("engagements:join") in page
    assert reverse("account_signup") not in page  # "sign up first" led to "sign-up is closed"
    closed = client.get(reverse("account_signup")).content.decode()
    assert reverse("become-expert") in closed and reverse("engagements:join") in closed


def test_login_page_says_why_when_a_page_asked_for_it(client: Client, db: None) -> None:
    plain = client.get(reverse("account_login")).content.decode()
    asked = client.get(reverse("account_login"), {"next": "/me/offers/1/"}).content.decode()
    assert "offer e-mail" not in plain and "tarjoussähköpostin" not in plain
    assert "tarjoussähköpostin linkistä" in asked


def test_password_pages_are_valid_html_without_lists_inside_paragraphs(client: Client, expert: Any) -> None:
    """The password field's help is a list; inside a <p> it left the paragraph unclosed."""
    import re

    client.force_login(expert.user)
    for name in ("account_change_password",):
        page = client.get(reverse(name)).content.decode()
        main = page[page.index("<main") :]
        for paragraph in re.findall(r"<p[ >].*?</p>", main, flags=re.S):
            assert "<ul" not in paragraph and "<div" not in paragraph, paragraph
