from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, include, path

from api import views
from api.auth import error

app_name = "api"


def _json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a wrong method in plain text; the API answers everything in JSON."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return error(405, "method_not_allowed", f"Use {allowed}.", {"Allow": allowed, "Cache-Control": "no-store"})
        return response

    return wrapped


def _operations() -> list[URLPattern]:
    patterns, _app, _namespace = views.api.urls
    return [
        path(str(pattern.pattern), _json_405(pattern.callback), name=pattern.name)
        for pattern in patterns
        # ninja's root view answers 404 in HTML; the catch-all below answers it in JSON.
        if isinstance(pattern, URLPattern) and pattern.name != "api-root"
    ]


urlpatterns = [
    path("v1/", include(_operations())),
    path("v1/openapi.json", views.openapi, name="openapi"),
    path("v1/docs/", views.docs, name="docs"),
    # Anything else under the API answers in JSON too, not with an HTML page.
    path("<path:rest>", views.not_found, name="not-found"),
]
