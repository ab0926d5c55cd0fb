from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from experts.models import EngagementRole, ExpertProfile, Language, PartOfDay, Theme
from registry.models import Region


class ExpertFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="display_name", lookup_expr="icontains", label=_("Display name"))
    kind = django_filters.ChoiceFilter(choices=ExpertProfile.Kind.choices, label=_("Kind"))
    region = django_filters.ModelChoiceFilter(
        field_name="home_region", queryset=Region.objects.all(), label=_("Home region")
    )
    role = django_filters.ModelChoiceFilter(
        field_name="roles", queryset=EngagementRole.objects.all(), label=_("Role"), distinct=True
    )
    theme = django_filters.ModelChoiceFilter(
        field_name="themes", queryset=Theme.objects.all(), label=_("Theme"), distinct=True
    )
    language = django_filters.ModelChoiceFilter(
        field_name="languages", queryset=Language.objects.all(), label=_("Language"), distinct=True
    )
    status = django_filters.ChoiceFilter(choices=ExpertProfile.Status.choices, label=_("Status"))
    consent = django_filters.ChoiceFilter(
        method="filter_consent",
        label=_("Consent"),
        choices=[("current", _("Consents current")), ("missing", _("Consent missing or expired"))],
    )
    available_on = django_filters.DateFilter(
        method="filter_available", label=_("Available on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    part = django_filters.ChoiceFilter(
        method="filter_noop", choices=PartOfDay.choices, label=_("Part of day"), empty_label=_("Any part of day")
    )
    minors = django_filters.BooleanFilter(method="filter_minors", label=_("Under 18 only"), widget=forms.CheckboxInput)
    ordering = django_filters.OrderingFilter(
        fields=(("display_name", "name"), ("created_at", "created"), ("birth_year", "birth_year")),
        field_labels={"display_name": _("Name"), "created_at": _("Added"), "birth_year": _("Birth year")},
        label=_("Sort by"),
    )

    class Meta:
        model = ExpertProfile
        fields: list[str] = []

    def filter_consent(self, queryset: QuerySet[ExpertProfile], name: str, value: str) -> QuerySet[ExpertProfile]:
        current = ExpertProfile.objects.consent_current().values("pk")
        if value == "current":
            return queryset.filter(pk__in=current)
        if value == "missing":
            return queryset.exclude(pk__in=current)
        return queryset

    def filter_available(
        self, queryset: QuerySet[ExpertProfile], name: str, value: dt.date | None
    ) -> QuerySet[ExpertProfile]:
        if not value:
            return queryset
        part = self.form.cleaned_data.get("part")
        available = ExpertProfile.objects.available_on(value, int(part) if part not in (None, "") else None)
        return queryset.filter(pk__in=available.values("pk"))

    def filter_noop(self, queryset: QuerySet[ExpertProfile], name: str, value: str) -> QuerySet[ExpertProfile]:
        # Used together with `available_on`.
        return queryset

    def filter_minors(self, queryset: QuerySet[ExpertProfile], name: str, value: bool) -> QuerySet[ExpertProfile]:
        return queryset.filter(pk__in=ExpertProfile.objects.minors().values("pk")) if value else queryset
