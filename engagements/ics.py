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


def event_file(uid: str, request: Request, url: str) -> str | None:
    """The .ics text of the engagement, or None when it has no fixed time (a material review).

    Like the calendar feed, it carries only the time, the type and a link into the service: a
    mailbox (and the calendar it is added to) may not be private, so the title, the task and the
    place stay behind sign-in (docs/privacy.md)."""
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
    event.add("summary", str(request.get_type_display()))
    event.add("url", url)
    event.add("description", url)
    cal.add_component(event)
    return cal.to_ical().decode()
