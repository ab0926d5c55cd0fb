"""The project's URLs plus the bare page, for the benchmark servers only (see settings)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from registry.urls import urlpatterns as project_urlpatterns

BARE_PATH = "/bench/bare/"


@login_required
@require_GET
def bare(request: HttpRequest) -> HttpResponse:
    # The site's layout with nothing in it: what every signed-in page pays before its own work
    # (middleware, session, user, the navigation's unread count), the yardstick for "≤ 5× bare".
    return render(request, "base.html")


urlpatterns = [path(BARE_PATH.strip("/") + "/", bare, name="bench-bare"), *project_urlpatterns]
