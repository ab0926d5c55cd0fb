"""Calendar files: one confirmed engagement as .ics, and a private per-user feed behind a revocable token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from engagements.models import Assignment, CalendarFeed, Request
from experts.models import EngagementRole, ExpertProfile
from registry.models import Unit, UnitMembership, User

pytestmark = pytest.mark.django_db


def make_assignment(req: Request, expert: ExpertProfile, status: str = "confirmed") -> Assignment:
    return Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=status,
        offer_expires_at=timezone.now() + timedelta(days=1),
    )


def events_of(body: bytes) -> list[Any]:
    return Calendar.from_ical(body).walk("VEVENT")


def summaries(body: bytes) -> set[str]:
    return {str(event["SUMMARY"]) for event in events_of(body)}


def ics_url(assignment: Assignment) -> str:
    return reverse("engagements:assignment-ics", args=[assignment.pk])


def feed_url_for(client: Client) -> str:
    """The feed address shown on the calendar settings page, as a path."""
    response = client.get(reverse("engagements:calendar"))
    assert response.status_code == 200
    url = response.context["feed_url"]
    assert url in response.content.decode()
    return urlsplit(url).path


@pytest.fixture
def req(make_request: Callable[..., Request]) -> Request:
    return make_request(status="confirmed", title="Sijaishuollon paneeli", place="Kuopion kaupungintalo")


@pytest.fixture
def confirmed(req: Request, expert: ExpertProfile) -> Assignment:
    return make_assignment(req, expert)


# One engagement as .ics ----------------------------------------------------------------------------


def test_expert_gets_one_event_with_the_requests_times_and_title(
    client: Client, expert: ExpertProfile, confirmed: Assignment, req: Request
) -> None:
    client.force_login(expert.user)
    response = client.get(ics_url(confirmed))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].startswith("attachment")
    events = events_of(response.content)
    assert len(events) == 1
    event = events[0]
    assert event.decoded("DTSTART") == req.starts_at
    assert event.decoded("DTEND") == req.ends_at
    assert str(event["SUMMARY"]) == req.title
    assert str(event["LOCATION"]) == req.place
    assert str(event["UID"])


def test_unit_member_gets_the_ics(client: Client, unit_member: User, confirmed: Assignment) -> None:
    client.force_login(unit_member)
    response = client.get(ics_url(confirmed))
    assert response.status_code == 200
    assert len(events_of(response.content)) == 1


def test_coordinator_gets_the_ics(client: Client, coordinator: User, confirmed: Assignment) -> None:
    client.force_login(coordinator)
    assert client.get(ics_url(confirmed)).status_code == 200


def test_other_expert_gets_404(client: Client, other_expert: ExpertProfile, confirmed: Assignment) -> None:
    client.force_login(other_expert.user)
    assert client.get(ics_url(confirmed)).status_code == 404


def test_other_units_member_gets_404(client: Client, other_unit_member: User, confirmed: Assignment) -> None:
    client.force_login(other_unit_member)
    assert client.get(ics_url(confirmed)).status_code == 404


@pytest.mark.parametrize("status", ["offered", "accepted", "declined", "cancelled"])
def test_assignment_that_is_not_confirmed_has_no_ics(
    client: Client, expert: ExpertProfile, req: Request, status: str
) -> None:
    assignment = make_assignment(req, expert, status=status)
    client.force_login(expert.user)
    assert client.get(ics_url(assignment)).status_code == 404


def test_material_review_without_a_time_has_no_ics(
    client: Client, expert: ExpertProfile, make_request: Callable[..., Request]
) -> None:
    review = make_request(
        status="confirmed",
        type="material_review",
        starts_at=None,
        ends_at=None,
        deadline=timezone.localdate() + timedelta(days=14),
        estimated_hours=3,
    )
    assignment = make_assignment(review, expert)
    client.force_login(expert.user)
    assert client.get(ics_url(assignment)).status_code == 404


def test_anonymous_ics_goes_to_login(client: Client, confirmed: Assignment) -> None:
    response = client.get(ics_url(confirmed))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# The private feed ----------------------------------------------------------------------------------


def test_settings_page_shows_a_feed_url_that_works_without_login(
    client: Client, expert: ExpertProfile, confirmed: Assignment, req: Request
) -> None:
    client.force_login(expert.user)
    path = feed_url_for(client)
    assert CalendarFeed.objects.get(user=expert.user).token in path

    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    events = events_of(response.content)
    assert [str(e["SUMMARY"]) for e in events] == [req.title]
    assert events[0].decoded("DTSTART") == req.starts_at
    assert events[0].decoded("DTEND") == req.ends_at


def test_settings_page_shows_the_same_address_until_rotated(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    assert feed_url_for(client) == feed_url_for(client)
    assert CalendarFeed.objects.filter(user=expert.user).count() == 1


def test_feed_lists_only_the_experts_own_confirmed_engagements(
    client: Client,
    expert: ExpertProfile,
    other_expert: ExpertProfile,
    make_request: Callable[..., Request],
) -> None:
    mine = make_request(title="Oma vahvistettu")
    offered = make_request(title="Vain tarjottu")
    others = make_request(title="Toisen vahvistettu")
    make_assignment(mine, expert)
    make_assignment(offered, expert, status="offered")
    make_assignment(others, other_expert)
    client.force_login(expert.user)
    response = Client().get(feed_url_for(client))
    assert response.status_code == 200
    assert summaries(response.content) == {"Oma vahvistettu"}


def test_rotating_gives_a_new_address_and_the_old_one_stops_working(
    client: Client, expert: ExpertProfile, confirmed: Assignment
) -> None:
    client.force_login(expert.user)
    old_path = feed_url_for(client)
    response = client.post(reverse("engagements:calendar-rotate"))
    assert response.status_code == 302
    assert response["Location"] == reverse("engagements:calendar")
    new_path = feed_url_for(client)
    assert new_path != old_path
    anonymous = Client()
    assert anonymous.get(old_path).status_code == 404
    assert anonymous.get(new_path).status_code == 200


def test_rotate_needs_post_and_login(client: Client, expert: ExpertProfile) -> None:
    assert client.post(reverse("engagements:calendar-rotate"))["Location"].startswith(reverse("account_login"))
    client.force_login(expert.user)
    assert client.get(reverse("engagements:calendar-rotate")).status_code == 405


def test_feed_of_an_inactive_user_is_404(client: Client, expert: ExpertProfile, confirmed: Assignment) -> None:
    client.force_login(expert.user)
    path = feed_url_for(client)
    User.objects.filter(pk=expert.user.pk).update(is_active=False)
    assert Client().get(path).status_code == 404


def test_unknown_token_is_404(db: None) -> None:
    assert Client().get(reverse("engagements:calendar-feed", args=["not-a-real-token"])).status_code == 404


def test_unit_members_feed_has_their_units_confirmed_requests_only(
    client: Client,
    unit_member: User,
    other_unit_member: User,
    other_unit: Unit,
    make_request: Callable[..., Request],
) -> None:
    make_request(status="confirmed", title="Oman yksikön paneeli")
    make_request(status="matching", title="Vielä haussa")
    make_request(status="confirmed", title="Toisen yksikön paneeli", unit=other_unit, created_by=other_unit_member)
    client.force_login(unit_member)
    response = Client().get(feed_url_for(client))
    assert response.status_code == 200
    assert summaries(response.content) == {"Oman yksikön paneeli"}


def test_feed_of_a_former_unit_member_no_longer_lists_the_units_requests(
    client: Client, unit_member: User, make_request: Callable[..., Request]
) -> None:
    make_request(status="confirmed", title="Oman yksikön paneeli")
    client.force_login(unit_member)
    path = feed_url_for(client)
    assert summaries(Client().get(path).content) == {"Oman yksikön paneeli"}
    UnitMembership.objects.filter(user=unit_member).delete()
    assert summaries(Client().get(path).content) == set()


def test_feed_leaves_out_engagements_long_past(
    client: Client, expert: ExpertProfile, make_request: Callable[..., Request]
) -> None:
    long_ago = timezone.now() - timedelta(days=400)
    recent = timezone.now() - timedelta(days=3)
    make_assignment(
        make_request(title="Kauan sitten", starts_at=long_ago, ends_at=long_ago + timedelta(hours=1)), expert
    )
    make_assignment(make_request(title="Äskettäin", starts_at=recent, ends_at=recent + timedelta(hours=1)), expert)
    client.force_login(expert.user)
    assert summaries(Client().get(feed_url_for(client)).content) == {"Äskettäin"}


def test_calendar_settings_need_login(client: Client, db: None) -> None:
    response = client.get(reverse("engagements:calendar"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# The confirmation e-mail ----------------------------------------------------------------------------


def test_confirmation_email_carries_the_ics_file_as_well_as_the_link(
    make_request: Callable[..., Request],
    expert: ExpertProfile,
    coordinator: User,
    unit_member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core import mail

    from tests.conftest import ready_expert

    ready_expert(expert)
    req = make_request(status="offered", title="Paneeli kalenteriin")
    assignment = make_assignment(req, expert, status="accepted")
    with django_capture_on_commit_callbacks(execute=True):
        assignment.confirm(by=coordinator)
    for address, link in [
        (expert.user.email, reverse("engagements:offer", args=[assignment.pk])),
        (unit_member.email, reverse("engagements:unit-request", args=[req.pk])),
    ]:
        (message,) = [m for m in mail.outbox if address in m.to]
        assert link in message.body
        (attachment,) = message.attachments
        filename, content, mimetype = attachment
        assert (filename, mimetype) == ("engagement.ics", "text/calendar")
        (event,) = events_of(content.encode() if isinstance(content, str) else content)
        assert (event.decoded("DTSTART"), event.decoded("DTEND"), str(event["SUMMARY"])) == (
            req.starts_at,
            req.ends_at,
            "Paneeli kalenteriin",
        )
