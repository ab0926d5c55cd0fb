"""Personal access tokens on the API: who is asking, whether they may, how often.

Only the `Authorization: Bearer …` header counts. A browser's session cookie is ignored, so the API
needs no CSRF protection and a page can never be turned into an API call on a signed-in person's
behalf.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from registry.models import ApiScope, ApiToken, AuditEvent, InvalidToken, RateLimited

ApiView = Callable[..., HttpResponse]


def error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    """Every refusal has the same shape: {"error": code, "message": words for a developer}."""
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def _unauthorized(message: str, code: str = "invalid_token") -> JsonResponse:
    response = error(401, code, message)
    response["WWW-Authenticate"] = f'Bearer realm="api", error="{code}"'
    return response


def token_required(scope: ApiScope, methods: tuple[str, ...] = ("GET",)) -> Callable[[ApiView], ApiView]:
    """Authenticate the token, count the request against its rate limit, check the scope against
    the owner's roles today, and record the use in the audit log with its outcome."""

    def decorator(view: ApiView) -> ApiView:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response: HttpResponse = error(405, "method_not_allowed", f"Use {' or '.join(methods)}.")
                response["Allow"] = ", ".join(methods)
                return response
            kind, _sep, raw = request.headers.get("Authorization", "").partition(" ")
            if kind.lower() != "bearer" or not raw.strip():
                return _unauthorized("Send a personal access token: Authorization: Bearer <token>.", "missing_token")
            try:
                token = ApiToken.authenticate(raw.strip())
            except InvalidToken:
                return _unauthorized("The token is unknown, revoked or expired.")
            # Counted before the scope is checked: a token probing what it may reach is limited too.
            try:
                token.take_use(settings.API_RATE_LIMIT_PER_MINUTE)
            except RateLimited as limited:
                response = error(429, "rate_limited", "Too many requests with this token; try again later.")
                response["Retry-After"] = str(limited.retry_after)
                return response
            # The request acts as the token's owner (never as whoever holds the session cookie).
            request.user = token.user
            status = 500
            try:
                if scope not in token.effective_scopes():
                    response = error(403, "insufficient_scope", f"The token does not allow '{scope}'.")
                    response["WWW-Authenticate"] = f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'
                else:
                    response = view(request, token, *args, **kwargs)
                status = response.status_code
            finally:
                action = AuditEvent.Action.CHANGE if request.method == "POST" else AuditEvent.Action.VIEW
                AuditEvent.record(token.user, action, token, f"API {request.method} {request.path[:120]} {status}")
            response["Cache-Control"] = "no-store"
            return response

        return wrapped

    return decorator
