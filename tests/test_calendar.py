"""Calendar files: one confirmed engagement as .ics, and a private per-user feed behind a revocable token.

Calendar files leave the service (synced to providers, shown on lock screens): events carry the
time, the type and a link, never a title, task or other free text; the place only where chosen."""

from __future__ import annotations

import io
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


def uids(body: bytes) -> set[str]:
    """Which engagements ("assignment-<pk>") and requests ("request-<pk>") a calendar lists."""
    return {str(event["UID"]).split("@")[0] for event in events_of(body)}


def ics_url(assignment: Assignment) -> str:
    return reverse("engagements:assignment-ics", args=[assignment.pk])


def feed_url_for(client: Client, *, include_requests: bool = False) -> str:
    """The feed address shown on the calendar settings page (turned on first), as a path."""
    assert client.post(reverse("engagements:calendar-turn-on")).status_code == 302
    if include_requests:
        assert client.post(reverse("engagements:calendar"), {"include_requests": "on"}).status_code == 302
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


def test_expert_gets_one_event_with_the_time_type_place_and_a_link_but_no_free_text(
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
    assert str(event["SUMMARY"]) == "Paneelikeskustelu"  # the type, in the expert's language
    assert str(event["LOCATION"]) == req.place  # downloaded on purpose, to find the way
    assert reverse("engagements:offer", args=[confirmed.pk]) in str(event["DESCRIPTION"])
    assert str(event["UID"])
    body = response.content.decode()
    assert req.title not in body and req.task not in body and req.purpose not in body


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
    assert [str(e["SUMMARY"]) for e in events] == ["Paneelikeskustelu"]
    assert uids(response.content) == {f"assignment-{confirmed.pk}"}
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
    mine = make_assignment(make_request(title="Oma vahvistettu"), expert)
    make_assignment(make_request(title="Vain tarjottu"), expert, status="offered")
    make_assignment(make_request(title="Toisen vahvistettu"), other_expert)
    client.force_login(expert.user)
    response = Client().get(feed_url_for(client))
    assert response.status_code == 200
    assert uids(response.content) == {f"assignment-{mine.pk}"}


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
    own = make_request(status="confirmed", title="Oman yksikön paneeli")
    make_request(status="matching", title="Vielä haussa")
    make_request(status="confirmed", title="Toisen yksikön paneeli", unit=other_unit, created_by=other_unit_member)
    client.force_login(unit_member)
    response = Client().get(feed_url_for(client, include_requests=True))
    assert response.status_code == 200
    assert uids(response.content) == {f"request-{own.pk}"}


def test_feed_of_a_former_unit_member_no_longer_lists_the_units_requests(
    client: Client, unit_member: User, make_request: Callable[..., Request]
) -> None:
    own = make_request(status="confirmed", title="Oman yksikön paneeli")
    client.force_login(unit_member)
    path = feed_url_for(client, include_requests=True)
    assert uids(Client().get(path).content) == {f"request-{own.pk}"}
    UnitMembership.objects.filter(user=unit_member).delete()
    assert uids(Client().get(path).content) == set()


def test_feed_leaves_out_engagements_long_past(
    client: Client, expert: ExpertProfile, make_request: Callable[..., Request]
) -> None:
    long_ago = timezone.now() - timedelta(days=400)
    recent = timezone.now() - timedelta(days=3)
    make_assignment(
        make_request(title="Kauan sitten", starts_at=long_ago, ends_at=long_ago + timedelta(hours=1)), expert
    )
    recently = make_assignment(
        make_request(title="Äskettäin", starts_at=recent, ends_at=recent + timedelta(hours=1)), expert
    )
    client.force_login(expert.user)
    assert uids(Client().get(feed_url_for(client)).content) == {f"assignment-{recently.pk}"}


def test_calendar_settings_need_login(client: Client, db: None) -> None:
    response = client.get(reverse("engagements:calendar"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# Privacy of the feed ---------------------------------------------------------------------------------


def test_feed_carries_no_title_task_or_place_unless_the_owner_chooses_the_place(
    client: Client, expert: ExpertProfile, confirmed: Assignment, req: Request
) -> None:
    client.force_login(expert.user)
    path = feed_url_for(client)
    body = Client().get(path).content.decode()
    for secret in (req.title, req.task, req.purpose, req.place, req.unit.name):
        assert secret not in body
    assert reverse("engagements:offer", args=[confirmed.pk]) in body

    assert client.post(reverse("engagements:calendar"), {"include_place": "on"}).status_code == 302
    event = events_of(Client().get(path).content)[0]
    assert str(event["LOCATION"]) == req.place


def test_no_feed_exists_until_the_owner_turns_it_on(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    response = client.get(reverse("engagements:calendar"))
    assert response.status_code == 200
    assert response.context["feed_url"] is None
    assert not CalendarFeed.objects.exists()


def test_turning_the_feed_off_stops_it_at_once(client: Client, expert: ExpertProfile, confirmed: Assignment) -> None:
    client.force_login(expert.user)
    path = feed_url_for(client)
    assert Client().get(path).status_code == 200
    response = client.post(reverse("engagements:calendar-turn-off"))
    assert response.status_code == 302
    assert Client().get(path).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_coordinators_feed_lists_requests_in_scope_only_when_turned_on(
    client: Client, coordinator: User, make_request: Callable[..., Request]
) -> None:
    req = make_request(status="confirmed")
    client.force_login(coordinator)
    path = feed_url_for(client)
    assert uids(Client().get(path).content) == set()
    assert client.post(reverse("engagements:calendar"), {"include_requests": "on"}).status_code == 302
    body = Client().get(path).content
    assert uids(body) == {f"request-{req.pk}"}
    assert reverse("engagements:coordinator-request", args=[req.pk]) in body.decode()


def test_experts_cannot_turn_on_other_requests(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    feed_url_for(client)
    assert "include_requests" not in client.get(reverse("engagements:calendar")).context["form"].fields
    client.post(reverse("engagements:calendar"), {"include_requests": "on"})
    assert CalendarFeed.objects.get(user=expert.user).include_requests is False


def test_each_read_updates_last_used_and_is_logged_at_most_hourly(
    client: Client, expert: ExpertProfile, confirmed: Assignment
) -> None:
    from registry.models import AuditEvent

    client.force_login(expert.user)
    path = feed_url_for(client)
    reader = Client(REMOTE_ADDR="203.0.113.9")
    assert reader.get(path).status_code == 200
    feed = CalendarFeed.objects.get(user=expert.user)
    first_read = feed.last_used_at
    assert first_read is not None
    assert reader.get(path).status_code == 200
    feed.refresh_from_db()
    assert feed.last_used_at >= first_read
    events = AuditEvent.objects.filter(detail__startswith="calendar feed read")
    assert events.count() == 1
    assert (events.get().object_id, events.get().ip) == (str(expert.user.pk), "203.0.113.9")
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now() - timedelta(hours=2))
    reader.get(path)
    assert events.count() == 2


def test_feed_unused_for_the_set_time_stops_working_and_is_removed(
    client: Client, expert: ExpertProfile, confirmed: Assignment, settings: Any
) -> None:
    from django.core.management import call_command

    client.force_login(expert.user)
    path = feed_url_for(client)
    assert Client().get(path).status_code == 200
    long_ago = timezone.now() - timedelta(days=settings.CALENDAR_FEED_UNUSED_DAYS + 1)
    CalendarFeed.objects.filter(user=expert.user).update(last_used_at=long_ago)
    assert Client().get(path).status_code == 404
    call_command("apply_retention", stdout=io.StringIO())
    assert not CalendarFeed.objects.exists()


def test_rotating_starts_the_unused_time_again(client: Client, expert: ExpertProfile, settings: Any) -> None:
    client.force_login(expert.user)
    feed_url_for(client)
    long_ago = timezone.now() - timedelta(days=settings.CALENDAR_FEED_UNUSED_DAYS + 1)
    CalendarFeed.objects.filter(user=expert.user).update(last_used_at=long_ago, created_at=long_ago)
    client.post(reverse("engagements:calendar-rotate"))
    assert Client().get(feed_url_for(client)).status_code == 200


@pytest.mark.parametrize("name", ["engagements:calendar-turn-on", "engagements:calendar-turn-off"])
def test_turning_on_and_off_need_post_and_login(client: Client, expert: ExpertProfile, name: str) -> None:
    assert client.post(reverse(name))["Location"].startswith(reverse("account_login"))
    client.force_login(expert.user)
    assert client.get(reverse(name)).status_code == 405


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
        assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (req.starts_at, req.ends_at)
        # Only the time, the type and a link: the mailbox may not be private (docs/privacy.md).
        assert str(event["SUMMARY"]) == str(req.get_type_display())
        assert link in str(event["URL"])
        for secret in (req.title, req.task, req.place):
            assert secret not in content
