from __future__ import annotations

from django.contrib import admin

from engagements.models import (
    Assignment,
    Attachment,
    Debrief,
    ExpenseClaim,
    ExpertFeedback,
    FeeSchedule,
    ImpactNote,
    KilometreRate,
    Request,
    UnitFeedback,
)


class AssignmentInline(admin.StackedInline):
    model = Assignment
    extra = 0
    fields = ["expert", "role", "status", "offer_expires_at", "fee_proposed", "fee"]
    raw_id_fields = ["expert"]


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "type", "status", "starts_at", "deadline", "created_at"]
    list_filter = ["status", "type", "unit__region", "unit__sector", "format"]
    search_fields = ["title", "unit__name", "unit__organisation__name"]
    list_select_related = ["unit"]
    date_hierarchy = "created_at"
    raw_id_fields = ["unit", "created_by"]
    inlines = [AssignmentInline]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["request", "expert", "role", "status", "offer_expires_at", "fee"]
    list_filter = ["status", "role"]
    search_fields = ["request__title", "expert__display_name"]
    list_select_related = ["request", "expert", "role"]
    raw_id_fields = ["request", "expert"]


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = ["request_type", "max_hours", "amount", "valid_from", "valid_until"]
    list_filter = ["request_type"]


@admin.register(KilometreRate)
class KilometreRateAdmin(admin.ModelAdmin):
    list_display = ["rate", "valid_from"]


@admin.register(ExpenseClaim)
class ExpenseClaimAdmin(admin.ModelAdmin):
    list_display = ["assignment", "kind", "amount", "status", "created_at", "paid_at"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["assignment"]


# The request or assignment is picked by id: a select of every assignment, each labelled from two
# more rows, made these pages take seconds to open.
@admin.register(UnitFeedback, ImpactNote, Attachment)
class RequestPartAdmin(admin.ModelAdmin):
    raw_id_fields = ["request"]
    list_select_related = ["request"]


@admin.register(ExpertFeedback, Debrief)
class AssignmentPartAdmin(admin.ModelAdmin):
    raw_id_fields = ["assignment"]
    list_select_related = ["assignment__expert", "assignment__request"]
