from __future__ import annotations

from django.contrib import admin

from experts.models import ExpertProfile


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "kind", "status", "home_region", "birth_year", "created_at"]
    list_filter = ["kind", "status", "home_region"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["home_region"]
    autocomplete_fields = ["user"]
