"""Calendar files: one engagement as .ics, and a private feed per user with a revocable token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from engagements.models import Assignment, CalendarFeed, Request
from registry.models import User

FEED_HISTORY_DAYS = 60


def _calendar() -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Kokemusasiantuntijarekisteri//FI")
    cal.add("version", "2.0")
    return cal


def _event(uid: str, request: Request, summary: str) -> Event | None:
    window = request.busy_window()
    if window is None:
        return None
    event = Event()
    event.add("uid", f"{uid}@{settings.SITE_URL.split('//')[-1]}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", window[0])
    event.add("dtend", window[1])
    event.add("summary", summary)
    event.add("location", request.place or request.get_format_display())
    event.add("description", request.task)
    return event


def ics_for(assignments: Iterable[Assignment]) -> bytes:
    cal = _calendar()
    for assignment in assignments:
        event = _event(f"assignment-{assignment.pk}", assignment.request, assignment.request.title)
        if event is not None:
            cal.add_component(event)
    return cal.to_ical()


def feed_for(user: User) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def feed_path(feed: CalendarFeed) -> str:
    return reverse("engagements:calendar-feed", args=[feed.token])


def feed_body(token: str) -> bytes | None:
    feed = CalendarFeed.objects.filter(token=token).select_related("user").first()
    if feed is None or not feed.user.is_active:
        return None
    user = feed.user
    since = timezone.now() - dt.timedelta(days=FEED_HISTORY_DAYS)
    cal = _calendar()
    mine = Assignment.objects.confirmed().filter(expert__user=user, request__starts_at__gte=since)
    for assignment in mine.select_related("request"):
        event = _event(f"assignment-{assignment.pk}", assignment.request, assignment.request.title)
        if event is not None:
            cal.add_component(event)
    requests = Request.objects.visible_to(user).filter(status=Request.Status.CONFIRMED, starts_at__gte=since)
    for request in requests:
        event = _event(f"request-{request.pk}", request, request.title)
        if event is not None:
            cal.add_component(event)
    return cal.to_ical()
