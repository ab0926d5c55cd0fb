"""One engagement as an iCalendar file, for the confirmation e-mail's attachment.

It needs no models (the request is read through its own methods), so the notifications, which sit
below the workflow, can attach it. The UIDs match the calendar feed's (engagements/calendar.py), so
a calendar that has both keeps one event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

if TYPE_CHECKING:
    from engagements.models import Request


def event_file(uid: str, request: Request) -> str | None:
    """The .ics text of the engagement, or None when it has no fixed time (a material review)."""
    window = request.busy_window()
    if window is None:
        return None
    cal = Calendar()
    cal.add("prodid", "-//Kokemusasiantuntijarekisteri//FI")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{uid}@{settings.SITE_URL.split('//')[-1]}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", window[0])
    event.add("dtend", window[1])
    event.add("summary", request.title)
    event.add("location", request.place or request.get_format_display())
    event.add("description", request.task)
    cal.add_component(event)
    return cal.to_ical().decode()
