"""Signing out after a time without activity (WCAG 2.2.1): an idle timeout that every page moves
forward, shown on every page, and extended with "Continue session" with or without JavaScript."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from registry.sessions import EXPIRES_KEY, REFRESH_SECONDS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def session_row(client: Any) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def set_expiry(client: Any, moment: dt.datetime) -> None:
    session = client.session
    session[EXPIRES_KEY] = moment.isoformat()
    session.save()


def test_the_time_limit_is_an_idle_timeout_not_twelve_hours() -> None:
    assert settings.SESSION_IDLE_SECONDS == 60 * 60
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_SECONDS


def test_every_page_moves_the_end_of_the_session_forward(client: Any, expert: Any) -> None:
    client.force_login(expert.user)
    client.get(reverse("experts:profile"))
    first = session_row(client).expire_date
    assert abs((first - timezone.now()).total_seconds() - settings.SESSION_IDLE_SECONDS) < 30

    # Ten minutes later (the stored end is ten minutes nearer), the next page moves it again.
    set_expiry(client, timezone.now() + dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS - 600))
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=first - dt.timedelta(minutes=10))
    client.get(reverse("experts:profile"))
    assert abs((session_row(client).expire_date - timezone.now()).total_seconds() - settings.SESSION_IDLE_SECONDS) < 30


def test_pages_within_a_minute_do_not_write_the_session(client: Any, expert: Any) -> None:
    client.force_login(expert.user)
    client.get(reverse("experts:profile"))
    before = session_row(client).expire_date
    client.get(reverse("experts:profile"))
    assert session_row(client).expire_date == before
    assert REFRESH_SECONDS <= 60


def test_an_idle_session_ends(client: Any, expert: Any) -> None:
    client.force_login(expert.user)
    client.get(reverse("experts:profile"))
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get(reverse("experts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_every_page_shows_when_the_session_ends_and_offers_to_continue(client: Any, expert: Any) -> None:
    client.cookies["django_language"] = "en"
    client.force_login(expert.user)
    client.get(reverse("experts:profile"))
    html = client.get(reverse("experts:consents")).content.decode()
    ends = timezone.localtime(timezone.now() + dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS))
    assert 'id="session-timer"' in html
    assert "you will be signed out at" in html
    assert ends.strftime("%-I:%M") in html or ends.strftime("%H:%M") in html
    assert f'action="{reverse("continue-session")}"' in html
    assert 'name="next" value="/me/consents/"' in html
    # The warning for the script is in the page, hidden.
    assert 'id="session-warning" class="session-warning" role="alert" hidden' in html


def test_anonymous_pages_show_no_session_timer(client: Any) -> None:
    html = client.get(reverse("front")).content.decode()
    assert "session-timer" not in html and "session-warning" not in html


def test_continue_without_javascript_goes_back_with_a_message(client: Any, expert: Any) -> None:
    client.force_login(expert.user)
    client.get(reverse("experts:profile"))
    set_expiry(client, timezone.now() + dt.timedelta(minutes=2))
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=2)
    )
    response = client.post(reverse("continue-session"), {"next": reverse("experts:availability")}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("experts:availability")
    assert "You stay signed in" in response.content.decode() or "Pysyt kirjautuneena" in response.content.decode()
    assert (session_row(client).expire_date - timezone.now()).total_seconds() > settings.SESSION_IDLE_SECONDS - 30


def test_continue_with_javascript_answers_json(client: Any, expert: Any) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("continue-session"), {"next": "/me/profile/"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    data = response.json()
    assert data["seconds_left"] == settings.SESSION_IDLE_SECONDS
    assert ":" in data["time"] or "." in data["time"]


def test_continue_does_not_redirect_elsewhere(client: Any, expert: Any) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("continue-session"), {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.url == reverse("home")


@pytest.mark.parametrize("target", ["0", "-1", "home", "engagements:inbox", "//evil.example/"])
def test_continue_with_a_next_that_is_not_a_path_goes_home(client: Any, expert: Any, target: str) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("continue-session"), {"next": target})
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_continue_after_the_end_asks_to_sign_in_again(client: Any) -> None:
    response = client.post(reverse("continue-session"), {"next": "/me/profile/"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    response = client.post(reverse("continue-session"), {"next": "/me/profile/"})
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=/me/profile/"


def test_a_real_sign_in_starts_an_idle_session(client: Any, expert: Any) -> None:
    response = client.post(reverse("account_login"), {"login": expert.user.email, "password": PASSWORD})
    assert response.status_code == 302
    client.get(response.url)
    assert EXPIRES_KEY in client.session
    assert abs((session_row(client).expire_date - timezone.now()).total_seconds() - settings.SESSION_IDLE_SECONDS) < 30
