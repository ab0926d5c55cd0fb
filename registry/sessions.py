"""Signed-in sessions end after a time without activity, not at a fixed time after sign-in.

WCAG 2.2.1 (timing adjustable): the time limit is an idle timeout (SESSION_IDLE_SECONDS), every
request moves it forward, every page shows when it runs out, and "Continue" (a plain form, so it
works without JavaScript) extends it. With JavaScript a warning appears shortly before the end
(SESSION_WARNING_SECONDS) and the button extends the session without leaving the page, so nothing
typed into a form is lost.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.middleware import Handler

EXPIRES_KEY = "idle_expires_at"
# Moving the end forward is a database write; do it at most once a minute per session.
REFRESH_SECONDS = 60


def session_expires_at(request: HttpRequest) -> dt.datetime | None:
    value = request.session.get(EXPIRES_KEY)
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def extend_session(request: HttpRequest, *, force: bool = False) -> dt.datetime:
    """Move the end of the session SESSION_IDLE_SECONDS from now (unless it was moved within the
    last minute and `force` is off) and return it."""
    now = timezone.now()
    idle = dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS)
    # (A very short idle time, as in tests, is moved on every request.)
    refresh = dt.timedelta(seconds=min(REFRESH_SECONDS, settings.SESSION_IDLE_SECONDS // 10))
    current = session_expires_at(request)
    if not force and current is not None and current - now > idle - refresh:
        return current
    expires = now + idle
    # Changing the session saves it, and saving moves the end of the database row and the cookie
    # SESSION_COOKIE_AGE (= SESSION_IDLE_SECONDS) ahead. A session that ends when the browser is
    # closed ("remember me" not ticked) keeps doing so.
    request.session[EXPIRES_KEY] = expires.isoformat()
    return expires


class IdleSessionMiddleware:
    """Every request of a signed-in user moves the end of their session forward."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            extend_session(request)
        return self.get_response(request)


def session_context(request: HttpRequest) -> dict[str, object]:
    """What the page shows about the session's end (for the base template)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    expires = session_expires_at(request)
    if expires is None:
        return {}
    return {
        "session_expires_at": expires,
        # Seconds rather than a clock time for the script: the device's clock may be wrong.
        "session_seconds_left": max(0, int((expires - timezone.now()).total_seconds())),
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
    }


def _display_time(moment: dt.datetime) -> str:
    return formats.time_format(timezone.localtime(moment), "TIME_FORMAT")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def continue_session(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    # Only a path on this site: anything else ("0", a view name, another host) goes home, and
    # redirect() is never asked to resolve what the browser sent as a view name.
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    if not request.user.is_authenticated:
        # Too late: the session has already ended. Sign in again and go back to the same page.
        if _wants_json(request):
            return JsonResponse({"signed_in": False}, status=401)
        return redirect_to_login(target)
    expires = extend_session(request, force=True)
    if _wants_json(request):
        # site.js asks this way and stays on the page.
        return JsonResponse(
            {"seconds_left": settings.SESSION_IDLE_SECONDS, "time": _display_time(expires)},
            headers={"Cache-Control": "no-store"},
        )
    messages.success(
        request,
        _("You stay signed in. If you do nothing, you will be signed out at %(time)s.")
        % {"time": _display_time(expires)},
    )
    return HttpResponseRedirect(target)
