"""Coordinators' and managers' roles and scopes, kept in the service by an administrator or a
coordinator of the whole area (the Django admin is for vocabularies and repairs)."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from registry.access import staff_manager_required
from registry.forms import StaffRoleForm
from registry.http import AuthenticatedHttpRequest
from registry.mail import send_templated_mail
from registry.models import AuditEvent, Region, StaffRole, User


def _page(request: AuthenticatedHttpRequest, form: StaffRoleForm, status: int = 200) -> HttpResponse:
    roles = StaffRole.objects.select_related("user", "region").order_by("role", "region__name", "user__email")
    return render(request, "registry/staff_roles.html", {"roles": roles, "form": form}, status=status)


@staff_manager_required
@require_http_methods(["GET", "POST"])
def staff_roles(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StaffRoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                role = grant_staff_role(data["email"], data["role"], data["region"], by=request.user)
        except IntegrityError:
            form.add_error(None, _("This person already has that role there."))
            return _page(request, form, 400)
        messages.success(
            request,
            _("%(email)s is now %(role)s: %(scope)s.")
            % {"email": role.user.email, "role": role.get_role_display().lower(), "scope": _scope(role)},
        )
        return redirect("staff-roles")
    return _page(request, form, 400 if form.errors else 200)


@staff_manager_required
@require_POST
def staff_role_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    role = get_object_or_404(StaffRole.objects.select_related("user", "region"), pk=pk)
    if role.user_id == request.user.pk:
        # Nobody locks themselves out; another manager of staff can do it.
        messages.error(request, _("You cannot remove your own role."))
        return redirect("staff-roles")
    with transaction.atomic():
        AuditEvent.record(
            request.user,
            AuditEvent.Action.CHANGE,
            role,
            gettext_noop("staff role removed: %(role)s"),
            {"role": AuditEvent.in_languages(StaffRole.Kind(role.role).label)},
        )
        role.delete()
    messages.success(request, _("The role was removed."))
    return redirect("staff-roles")


def _scope(role: StaffRole) -> str:
    return role.region.localized_name if role.region else _("the whole cooperation area")


def grant_staff_role(email: str, kind: str, region: Region | None, *, by: User) -> StaffRole:
    """Give the role (creating the account with a set-password link if there is none). Staff sign
    in with two-factor authentication, which the service asks them to set up at once."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        key = default_token_generator.make_token(user)
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})
        send_templated_mail(
            "registry/email/staff_invitation",
            [user.email],
            {
                "link": f"{settings.SITE_URL}{path}?{urlencode({'next': reverse('home')})}",
                "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
            },
            language=user.preferred_language,
            urgent=True,
        )
    role = StaffRole.objects.create(user=user, role=kind, region=region)
    AuditEvent.record(
        by,
        AuditEvent.Action.CHANGE,
        role,
        gettext_noop("staff role given: %(role)s"),
        {"role": AuditEvent.in_languages(StaffRole.Kind(kind).label)},
    )
    return role
