from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from experts.models import (
    Application,
    AvailabilityException,
    ConsentRecord,
    ConsentText,
    EngagementRole,
    ExpertProfile,
    Language,
    Theme,
    Training,
)
from registry.admin import AuditedViewMixin


class AvailabilityExceptionInline(admin.StackedInline):
    model = AvailabilityException
    extra = 0


CONSENT_RECORD_FIELDS = ("at", "purpose", "action", "given_by", "text", "expires_at", "guardian_name", "guardian_email")


class ConsentRecordInline(admin.TabularInline):
    """Read-only: consent history is append-only; decisions are made on the expert's and coordinator's pages."""

    model = ConsentRecord
    extra = 0
    fields = CONSENT_RECORD_FIELDS
    readonly_fields = CONSENT_RECORD_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ExpertProfile)
class ExpertProfileAdmin(AuditedViewMixin, admin.ModelAdmin):
    list_display = ["display_name", "kind", "status", "home_region", "birth_year", "created_at", "erased_at"]
    list_filter = ["kind", "status", "home_region", "remote_ok", "roles", "themes"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["home_region"]
    autocomplete_fields = ["user"]
    # Plain checkbox lists rather than the admin's script-built filter boxes, whose search icons
    # carry ARIA that axe rejects (aria-prohibited-attr). Coordinators edit these in the service.
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    readonly_fields = ["erasure_requested_at", "erase_after", "erased_at", "renewal_requested_at"]
    inlines = [ConsentRecordInline, AvailabilityExceptionInline]


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ["purpose", "version", "valid_from"]
    list_filter = ["purpose"]


@admin.register(Application)
class ApplicationAdmin(AuditedViewMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "region", "status", "created_at", "decided_at"]
    list_filter = ["status", "kind", "region"]
    search_fields = ["name", "email"]
    list_select_related = ["region"]
    readonly_fields = ["privacy_acknowledged_at", "decided_at", "decided_by", "profile"]


for model in (Theme, EngagementRole, Language, Training):
    admin.site.register(model)
