from __future__ import annotations

from django.http import HttpRequest

from registry.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """For type checkers: views behind login_required always have a real User."""

    user: User
