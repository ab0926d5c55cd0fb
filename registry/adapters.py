from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from registry.mail import send_templated_mail
from registry.models import AuditEvent


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by invitation only: experts through an accepted application,
        # unit members through a verified request or a colleague's invitation.
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        # Every sign-in is in the audit log (with the address), so a person's access log shows it.
        super().login(request, user)
        AuditEvent.record(user, AuditEvent.Action.LOGIN, user)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # allauth's messages (verification, password reset) go through the same queue as ours,
        # so a failing e-mail provider delays them instead of losing them.
        user = context.get("user")
        language = getattr(user, "preferred_language", None) if user is not None else None
        context = {**context, "current_site": context.get("current_site")}
        send_templated_mail(template_prefix, [email], context, language=language, urgent=True)
