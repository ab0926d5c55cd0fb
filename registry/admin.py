from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext

from registry.models import (
    ApiToken,
    AuditEvent,
    Municipality,
    Organisation,
    OutgoingMessage,
    Region,
    ScheduledJobRun,
    StaffRole,
    Unit,
    UnitMembership,
    User,
)
from registry.privacy import erase_person


class AuditedViewMixin:
    """Opening a person's record in the admin is recorded like a coordinator's view."""

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]  # a mixin: the ModelAdmin it joins has change_view
        # The admin's own page context holds the object it showed (absent on redirects and errors).
        obj = (getattr(response, "context_data", None) or {}).get("original")
        if request.method == "GET" and obj is not None:
            assert isinstance(request.user, User)  # the admin lets in only signed-in staff
            AuditEvent.record(request.user, AuditEvent.Action.VIEW, obj, gettext_noop("opened in the admin"))
        return response


# The admin is for vocabularies and repairs; routine work is in the service.
admin.site.site_header = _("Experts by experience: administration")
admin.site.site_title = _("Experts by experience: administration")
admin.site.index_title = _("Vocabularies and repairs")


# Inlines are stacked: a tabular inline's inputs have only a column heading, no label (axe: label).
class UnitMembershipInline(admin.StackedInline):
    model = UnitMembership
    extra = 0
    autocomplete_fields = ["unit"]


class StaffRoleInline(admin.StackedInline):
    model = StaffRole
    extra = 0


@admin.register(User)
class UserAdmin(AuditedViewMixin, DjangoUserAdmin):
    # A plain multiple select instead of the script-built filter boxes (see GroupAdmin below).
    filter_horizontal = ()
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "preferred_language", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "preferred_language", "staff_roles__role"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [UnitMembershipInline, StaffRoleInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal info"),
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "preferred_language",
                    "email_undeliverable_at",
                    "email_undeliverable_reason",
                    "mobile_number",
                    "mobile_verified_at",
                    "mobile_undeliverable_at",
                    "mobile_undeliverable_reason",
                )
            },
        ),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    # A mobile number is only ever set by its owner typing back a code (registry.textmessages).
    readonly_fields = ["erased_at", "mobile_number", "mobile_verified_at"]
    actions = ["erase_personal_data"]

    @admin.action(description=_("Erase the personal data of the selected accounts"))
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """A person's right to erasure, for unit members and staff too. The account row stays,
        emptied (see User.anonymise), because requests and logs point to it."""
        assert isinstance(request.user, User)  # the admin lets in only signed-in staff
        erased = 0
        for user in queryset.filter(erased_at__isnull=True):
            with transaction.atomic():
                erase_person(user)
                AuditEvent.record(
                    request.user, AuditEvent.Action.ERASE, user, gettext_noop("erased by an administrator")
                )
            erased += 1
        message = ngettext("%(count)d account was erased.", "%(count)d accounts were erased.", erased)
        self.message_user(request, message % {"count": erased}, messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Removing a row would break the records that point to it; erase the person instead.
        return False


class MunicipalityInline(admin.StackedInline):
    model = Municipality
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "name_sv", "name_en", "code"]
    search_fields = ["name", "name_sv", "name_en", "code"]
    inlines = [MunicipalityInline]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "name_sv", "region"]
    list_filter = ["region"]
    search_fields = ["name", "name_sv"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["name"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "sector", "region", "municipality", "is_active"]
    list_filter = ["sector", "region", "is_active", "organisation__kind"]
    search_fields = ["name", "organisation__name", "municipality__name"]
    list_select_related = ["organisation", "region", "municipality"]
    autocomplete_fields = ["organisation", "municipality"]


@admin.register(UnitMembership)
class UnitMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "title", "created_at", "approved_at"]
    list_filter = ["unit__region", "unit__sector", ("approved_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "unit__name", "unit__organisation__name"]
    list_select_related = ["user", "unit__organisation"]
    autocomplete_fields = ["user", "unit"]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region"]
    list_filter = ["role", "region"]
    search_fields = ["user__email"]
    list_select_related = ["user", "region"]
    autocomplete_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, even for admins."""

    list_display = ["at", "actor_name", "actor_email", "action", "object_type", "object_id", "detail", "ip"]
    list_filter = ["action", "object_type", "at"]
    search_fields = ["actor_email", "actor_name", "object_id", "detail"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


@admin.register(ScheduledJobRun)
class ScheduledJobRunAdmin(admin.ModelAdmin):
    """Read-only: the scheduler and the worker keep these rows (registry/scheduler.py)."""

    list_display = ["name", "last_status", "last_slot", "last_enqueued_at", "last_finished_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ScheduledJobRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ScheduledJobRun | None = None) -> bool:
        return False


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    """Read-only delivery state. The text is left out: it can hold one-time links (invitations,
    password resets) that are the recipient's alone."""

    list_display = [
        "created_at",
        "channel",
        "to",
        "subject",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "delivered_at",
    ]
    list_filter = ["channel", "status", "created_at"]
    search_fields = ["to", "esp_message_id"]
    fields = [
        "user",
        "channel",
        "to",
        "segments",
        "template",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "delivered_at",
        "esp_message_id",
    ]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutgoingMessage | None = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by their owners in the service (with a fresh two-factor sign-in) and shown
    once; here an administrator sees them and revokes them. The hash of the secret is left out."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "prefix", "user__email"]
    fields = ["user", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["view"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        assert isinstance(request.user, User)  # the admin lets in only signed-in staff
        count = sum(token.revoke(by=request.user) for token in queryset)
        self.message_user(
            request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
        )


# Django's own group admin uses the script-built filter boxes for permissions, whose search icons
# carry ARIA that axe rejects (aria-prohibited-attr); a plain labelled multiple select passes.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    filter_horizontal = ()
