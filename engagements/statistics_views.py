"""The manager's statistics dashboard and its CSV exports; only aggregates, small cells suppressed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from engagements.charts import bar_chart, line_chart
from engagements.models import RequestType
from engagements.statistics import Dashboard, Period, Scope, dashboard, term_period, year_period
from registry.access import role_required
from registry.csvexport import csv_response
from registry.http import AuthenticatedHttpRequest
from registry.models import Region, Role, StaffRole, Unit, regions_in_scope


class StatisticsForm(forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            ("year", gettext_lazy("Year")),
            ("spring", gettext_lazy("Spring term (January–June)")),
            ("autumn", gettext_lazy("Autumn term (July–December)")),
            ("custom", gettext_lazy("Custom range")),
        ],
        required=False,
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), required=False, min_value=2000, max_value=2100)
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.ModelChoiceField(
        label=gettext_lazy("Wellbeing area"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=gettext_lazy("All in your scope"),
    )
    sector = forms.ChoiceField(label=gettext_lazy("Sector"), choices=[("", "–"), *Unit.Sector.choices], required=False)
    type = forms.ChoiceField(
        label=gettext_lazy("Type of engagement"), choices=[("", "–"), *RequestType.choices], required=False
    )

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope_regions = regions
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = Region.objects.all() if regions is None else regions

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start:
                self.add_error("start", _("Give the first day."))
            if not end:
                self.add_error("end", _("Give the last day."))
            if start and end and end < start:
                self.add_error("end", _("The last day is before the first day."))
            if start and end and (end - start).days > 366 * 5:
                self.add_error("end", _("A range can be at most five years."))
        return data

    def period_and_scope(self) -> tuple[Period, Scope]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        today = timezone.localdate()
        year = data.get("year") or today.year
        kind = data.get("period") or "year"
        if kind == "spring":
            period = term_period(year, autumn=False)
        elif kind == "autumn":
            period = term_period(year, autumn=True)
        elif kind == "custom" and data.get("start") and data.get("end"):
            label = (
                f"{date_format(data['start'], 'SHORT_DATE_FORMAT')} – {date_format(data['end'], 'SHORT_DATE_FORMAT')}"
            )
            period = Period(data["start"], data["end"], label)
        else:
            period = year_period(year)
        region = data.get("region")
        regions = Region.objects.filter(pk=region.pk) if region else self.scope_regions
        return period, Scope(regions=regions, sector=data.get("sector") or "", type=data.get("type") or "")


def _dashboard_for(request: AuthenticatedHttpRequest) -> tuple[StatisticsForm, Dashboard]:
    form = StatisticsForm(request.GET or None, regions=regions_in_scope(request.user, StaffRole.Kind.MANAGER))
    if form.is_bound and not form.is_valid():
        form_for_period = StatisticsForm(regions=form.scope_regions)
        period, scope = form_for_period.period_and_scope()
    else:
        period, scope = form.period_and_scope()
    return form, dashboard(period, scope)


def summary(data: Dashboard) -> list[str]:
    """A few sentences that say what the charts show, for everyone and for screen readers."""
    figures = {f.key: f for f in data.figures}
    lines = [
        _(
            "In %(period)s, %(held)s engagements were held and %(received)s requests were received "
            "(%(before)s in %(previous)s)."
        )
        % {
            "period": data.period.label,
            "held": figures["held"].display,
            "received": figures["received"].display,
            "before": figures["received"].previous_display,
            "previous": data.previous_period.label,
        }
    ]
    by_type = [row for row in data.by_type_chart if row[1]]
    if by_type:
        top = max(by_type, key=lambda row: row[1])
        lines.append(_("The most common type was %(type)s (%(count)s).") % {"type": top[0], "count": top[1]})
    return lines


@role_required(Role.MANAGER)
@require_GET
def statistics(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, data = _dashboard_for(request)
    context = {
        "form": form,
        "data": data,
        "summary": summary(data),
        "by_type_chart": bar_chart(data.by_type_chart),
        "terms_chart": line_chart(data.terms_chart),
        "query": request.GET.urlencode(),
    }
    return render(request, "engagements/manager/statistics.html", context, status=400 if form.errors else 200)


@role_required(Role.MANAGER)
@require_GET
def statistics_csv(request: AuthenticatedHttpRequest, table: str) -> HttpResponse:
    _form, data = _dashboard_for(request)
    found = next((t for t in data.tables if t.key == table), None)
    if found is None:
        raise Http404
    stamp = timezone.localdate().isoformat()
    return csv_response(f"{table}-{stamp}.csv", [str(column) for column in found.columns], found.display_rows())
