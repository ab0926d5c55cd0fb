"""Personal access tokens on the API: who is asking, whether they may, how often.

Only the `Authorization: Bearer …` header counts. A browser's session cookie is ignored, so the API
needs no CSRF protection and a page can never be turned into an API call on a signed-in person's
behalf.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.security import HttpBearer

from registry.models import ApiScope, ApiToken, InvalidToken, RateLimited


class ApiError(Exception):
    """A refusal, raised anywhere in a request and answered in the one shape by `error`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = extra


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any) -> HttpResponse:
    """Every refusal has the same shape: {"error": code, "message": words for a developer}."""
    response = JsonResponse({"error": code, "message": message, **extra}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def unauthorized(message: str, code: str = "invalid_token") -> ApiError:
    return ApiError(401, code, message, {"WWW-Authenticate": f'Bearer realm="api", error="{code}"'})


MISSING_TOKEN = "Send a personal access token: Authorization: Bearer <token>."


def token_of(request: HttpRequest) -> ApiToken | None:
    """The token a request was made with, once it is known to be valid (for the audit)."""
    token = getattr(request, "api_token", None)
    return token if isinstance(token, ApiToken) else None


class TokenAuth(HttpBearer):
    """Authenticate the token, count the request against its rate limit, and check the scope
    against the owner's roles today. Each operation has its own, with the scope it needs."""

    def __init__(self, scope: ApiScope) -> None:
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        kind, _sep, raw = request.headers.get("Authorization", "").partition(" ")
        if kind.lower() != "bearer" or not raw.strip():
            raise unauthorized(MISSING_TOKEN, "missing_token")
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        try:
            api_token = ApiToken.authenticate(token)
        except InvalidToken:
            raise unauthorized("The token is unknown, revoked or expired.") from None
        # Counted before the scope is checked: a token probing what it may reach is limited too.
        # A refusal here is not audited: a flood of them must not become a flood of audit rows.
        try:
            api_token.take_use(settings.API_RATE_LIMIT_PER_MINUTE)
        except RateLimited as limited:
            raise ApiError(
                429,
                "rate_limited",
                "Too many requests with this token; try again later.",
                {"Retry-After": str(limited.retry_after)},
            ) from None
        # From here on every outcome is recorded against the token (api.views.audited).
        request.api_token = api_token  # type: ignore[attr-defined]  # set as ninja sets request.auth
        # The request acts as the token's owner (never as whoever holds the session cookie).
        request.user = api_token.user
        if self.scope not in api_token.effective_scopes():
            raise ApiError(
                403,
                "insufficient_scope",
                f"The token does not allow '{self.scope}'.",
                {"WWW-Authenticate": f'Bearer realm="api", error="insufficient_scope", scope="{self.scope}"'},
            )
        return api_token
