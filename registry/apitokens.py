"""Personal access tokens in the product (docs/api.md): a coordinator or manager makes one for the
area's own systems, sees it once, sees when it was last used, and revokes it. An administrator or
a coordinator of the whole area sees everyone's tokens and can revoke any (someone leaves, a
secret leaks); nobody can see a secret again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.decorators import reauthentication_required
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry.access import can_manage_staff
from registry.forms import ApiTokenForm
from registry.http import AuthenticatedHttpRequest
from registry.models import ApiScope, ApiToken

View = Callable[..., HttpResponse]


def _may_have_tokens(user: Any) -> bool:
    return bool(ApiScope.allowed_for(user))


def token_owner_required(view: View) -> View:
    """Coordinators and managers (who may give a token a scope), and those who manage staff."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (_may_have_tokens(request.user) or can_manage_staff(request.user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def token_maker_required(view: View) -> View:
    """Those who may give a token a scope: coordinators and managers. Checked before the fresh
    sign-in is asked for, so nobody else is sent through it for nothing."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _may_have_tokens(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def tokens_visible_to(user: Any) -> QuerySet[ApiToken]:
    """One's own tokens; everyone's for an administrator or a coordinator of the whole area."""
    tokens = ApiToken.objects.select_related("user")
    return tokens if can_manage_staff(user) else tokens.filter(user=user)


@token_owner_required
@require_GET
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    tokens = tokens_visible_to(request.user).order_by("revoked_at", "-created_at")
    context = {
        "tokens": tokens,
        "may_create": _may_have_tokens(request.user),
        "sees_everyone": can_manage_staff(request.user),
        "now": timezone.now(),
    }
    return render(request, "registry/api_tokens.html", context)


@token_maker_required
@never_cache
@reauthentication_required
@require_http_methods(["GET", "POST"])
def api_token_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Making a credential that outlives the session asks for a fresh sign-in (with the second
    # factor, which every coordinator and manager has: RequireMFAMiddleware).
    if not Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
        raise PermissionDenied
    today = timezone.localdate()
    form = ApiTokenForm(request.POST or None, user=request.user, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires_at = dt.datetime.combine(
            data["expires_on"] + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
        )
        token, secret = ApiToken.issue(request.user, name=data["name"], scopes=data["scopes"], expires_at=expires_at)
        # Shown on this one response only, which no browser or proxy keeps (never_cache).
        return render(request, "registry/api_token_created.html", {"token": token, "secret": secret})
    return render(request, "registry/api_token_new.html", {"form": form}, status=400 if form.errors else 200)


@token_owner_required
@require_POST
def api_token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(tokens_visible_to(request.user), pk=pk)
    if token.revoke(by=request.user):
        messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    else:
        messages.info(request, _("The token “%(name)s” had already been revoked.") % {"name": token.name})
    return redirect("api-tokens")
