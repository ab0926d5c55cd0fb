"""Calendar files: one engagement as .ics, and a private feed per user with a revocable token.

Calendar files leave the service: they are synced to calendar providers and shown on lock screens.
So an event carries only its time, its type and a link back into the service; no title, task or
other free text (which may name a client), and the place only where the owner chose it. The feed
works without signing in (calendar apps cannot sign in), so it expires when unused for
CALENDAR_FEED_UNUSED_DAYS, can be turned off or given a new address in one click, and each read
is logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop
from icalendar import Calendar, Event

from engagements.models import Assignment, CalendarFeed, Request
from registry.models import AuditEvent, User

FEED_HISTORY_DAYS = 60
# A calendar app reads the feed every few minutes; one audit event an hour says who read it when.
FEED_AUDIT_INTERVAL = dt.timedelta(hours=1)


def _calendar() -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Kokemusasiantuntijarekisteri//FI")
    cal.add("version", "2.0")
    return cal


def _event(uid: str, request: Request, path: str, *, with_place: bool) -> Event | None:
    window = request.busy_window()
    if window is None:
        return None
    event = Event()
    event.add("uid", f"{uid}@{settings.SITE_URL.split('//')[-1]}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", window[0])
    event.add("dtend", window[1])
    event.add("summary", str(request.get_type_display()))
    event.add("url", f"{settings.SITE_URL}{path}")
    event.add("description", f"{settings.SITE_URL}{path}")
    if with_place:
        event.add("location", request.place or request.get_format_display())
    return event


def ics_for(assignments: Iterable[Assignment], user: User) -> bytes:
    """One engagement, downloaded by a signed-in person who asked for it: with the place, so the
    calendar can show the way, but still without any free text."""
    cal = _calendar()
    with translation.override(user.preferred_language):
        for assignment in assignments:
            path = _path_for(assignment, user)
            event = _event(f"assignment-{assignment.pk}", assignment.request, path, with_place=True)
            if event is not None:
                cal.add_component(event)
    return cal.to_ical()


def _path_for(assignment: Assignment, user: User) -> str:
    if assignment.expert.user_id == user.pk:
        return reverse("engagements:offer", args=[assignment.pk])
    return reverse("engagements:unit-request", args=[assignment.request_id])


def feed_for(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def turn_on(user: User) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def feed_path(feed: CalendarFeed) -> str:
    return reverse("engagements:calendar-feed", args=[feed.token])


def feed_body(token: str, now: dt.datetime | None = None) -> bytes | None:
    """The feed's calendar, or None when the address is unknown, expired or its owner is gone.
    Each read updates `last_used_at`; reads are logged at most once an hour."""
    now = now or timezone.now()
    feed = CalendarFeed.objects.filter(token=token).select_related("user").first()
    if feed is None or not feed.user.is_active or feed.is_expired(now):
        return None
    user = feed.user
    if feed.last_used_at is None or feed.last_used_at < now - FEED_AUDIT_INTERVAL:
        AuditEvent.record(
            user, AuditEvent.Action.VIEW, user, gettext_noop("calendar feed read with the private address")
        )
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    since = now - dt.timedelta(days=FEED_HISTORY_DAYS)
    cal = _calendar()
    with translation.override(user.preferred_language):
        mine = Assignment.objects.confirmed().filter(expert__user=user, request__starts_at__gte=since)
        for assignment in mine.select_related("request"):
            path = reverse("engagements:offer", args=[assignment.pk])
            event = _event(f"assignment-{assignment.pk}", assignment.request, path, with_place=feed.include_place)
            if event is not None:
                cal.add_component(event)
        if feed.include_requests:
            # Opt-in: a coordinator's scope can be every request of the area.
            requests = Request.objects.visible_to(user).filter(status=Request.Status.CONFIRMED, starts_at__gte=since)
            own_units = set(Request.objects.visible_to_unit_member(user).values_list("pk", flat=True))
            for request in requests:
                page = "engagements:unit-request" if request.pk in own_units else "engagements:coordinator-request"
                path = reverse(page, args=[request.pk])
                event = _event(f"request-{request.pk}", request, path, with_place=feed.include_place)
                if event is not None:
                    cal.add_component(event)
    return cal.to_ical()
