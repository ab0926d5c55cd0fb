from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from registry.models import AuditEvent, Municipality, Organisation, Region, StaffRole, Unit, UnitMembership, User

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
class UserAdmin(DjangoUserAdmin):
    # A plain multiple select instead of the script-built filter boxes (see GroupAdmin below).
    filter_horizontal = ()
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "preferred_language", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "preferred_language", "staff_roles__role"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [UnitMembershipInline, StaffRoleInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "preferred_language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


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

    list_display = ["at", "actor", "action", "object_type", "object_id", "detail"]
    list_filter = ["action", "object_type", "at"]
    search_fields = ["actor__email", "object_id", "detail"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


# Django's own group admin uses the script-built filter boxes for permissions, whose search icons
# carry ARIA that axe rejects (aria-prohibited-attr); a plain labelled multiple select passes.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    filter_horizontal = ()
