"""The read API under /api/v1/ (docs/api.md): the manager's statistics, the coordinator's payments
for payroll, the vocabularies. Each view is a plain function behind `token_required`, which has
already checked the token, its scope and its rate limit; the scope of regions is the owner's today.

The API shows what the pages show and nothing more: the statistics are the dashboard's, with the
same small-cell suppression; the payments are the payroll CSV's rows (payroll must know whom to
pay), and taking them leaves the same trace in each payee's audit trail as the CSV does.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from api.auth import error, token_required
from api.openapi import SCHEMAS, schema
from engagements.models import RequestType
from engagements.payments import Payment, mark_paid, payment_page
from engagements.statistics import Period, Table, dashboard, is_small_cell, suppress_small
from engagements.statistics_views import StatisticsForm
from experts.models import EngagementRole, ExpertProfile, Theme
from registry.models import ApiScope, ApiToken, AuditEvent, Region, StaffRole, Unit, regions_in_scope

LANGUAGES = [code for code, _name in settings.LANGUAGES]
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
MAX_MARK_PAID = 1000


def _bad_request(form: forms.Form) -> JsonResponse:
    fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
    return error(400, "invalid_parameters", "Some parameters are not valid.", fields=fields)


def _unknown_parameters(request: HttpRequest, allowed: set[str]) -> JsonResponse | None:
    # A misspelt filter must not quietly widen the answer ("regoin=…" would give the whole scope).
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        return error(400, "unknown_parameters", "Unknown parameters.", parameters=[p[:40] for p in unknown[:20]])
    return None


def _number(value: Any) -> Any:
    """Money as a string with two decimals (exact), averages with one decimal, counts as they are."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return round(value, 1)
    return value


class ApiStatisticsForm(StatisticsForm):
    """The dashboard's own form (same periods, filters, checks and scope), with the area given by
    its code and a language for the labels."""

    lang = forms.ChoiceField(choices=settings.LANGUAGES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.to_field_name = "code"


def _period(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": str(period.label)}


def _table(table: Table) -> dict[str, Any]:
    rows = [
        [
            suppress_small(cell) if i in table.people_columns and is_small_cell(cell) else _number(cell)
            for i, cell in enumerate(row)
        ]
        for row in table.rows
    ]
    return {"key": table.key, "title": str(table.title), "columns": [str(c) for c in table.columns], "rows": rows}


@token_required(ApiScope.STATISTICS)
def statistics(request: HttpRequest, token: ApiToken) -> JsonResponse:
    form = ApiStatisticsForm(request.GET, regions=regions_in_scope(token.user, StaffRole.Kind.MANAGER))
    unknown = _unknown_parameters(request, set(form.fields))
    if unknown:
        return unknown
    if not form.is_valid():
        return _bad_request(form)
    with translation.override(form.cleaned_data.get("lang") or translation.get_language()):
        period, scope = form.period_and_scope()
        data = dashboard(period, scope)
        region = form.cleaned_data.get("region")
        body = {
            "period": _period(data.period),
            "previous_period": _period(data.previous_period),
            "scope": {
                "region": region.code if region else None,
                "sector": scope.sector or None,
                "type": scope.type or None,
            },
            "suppression": {"below": 3, "shown_as": suppress_small(1)},
            "figures": [
                {
                    "key": f.key,
                    "label": str(f.label),
                    "unit": f.unit or None,
                    "counts_people": f.people,
                    # The same rule as the page: a small count of people is "<3", never the number.
                    "value": suppress_small(f.value) if f.people and is_small_cell(f.value) else _number(f.value),
                    "previous": (
                        suppress_small(f.previous) if f.people and is_small_cell(f.previous) else _number(f.previous)
                    ),
                }
                for f in data.figures
            ],
            # "figures" is already above, as numbers.
            "tables": [_table(t) for t in data.tables if t.key != "figures"],
        }
    return JsonResponse(body)


class PageForm(forms.Form):
    limit = forms.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)
    offset = forms.IntegerField(min_value=0, max_value=10**9, required=False)


def _payment(row: Payment) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "payee": row.payee,
        "payee_email": row.payee_email,
        "engagement_date": row.engagement_date.isoformat() if row.engagement_date else None,
        "engagement": row.engagement,
        "unit": row.unit,
        "details": row.details,
        "amount_eur": f"{row.amount:.2f}",
    }


@token_required(ApiScope.PAYMENTS)
def payments(request: HttpRequest, token: ApiToken) -> JsonResponse:
    form = PageForm(request.GET)
    unknown = _unknown_parameters(request, set(form.fields))
    if unknown:
        return unknown
    if not form.is_valid():
        return _bad_request(form)
    limit = form.cleaned_data["limit"] or DEFAULT_PAGE_SIZE
    offset = form.cleaned_data["offset"] or 0
    total, rows = payment_page(regions_in_scope(token.user, StaffRole.Kind.COORDINATOR), offset, limit)
    # Names and addresses leave the service, as with the CSV: each payee's trail shows who took them.
    AuditEvent.record_many(
        token.user, AuditEvent.Action.EXPORT, ExpertProfile, [p.expert_id for p in rows], "payroll API"
    )
    following = offset + limit
    return JsonResponse(
        {
            "count": total,
            "limit": limit,
            "offset": offset,
            "next": f"{request.path}?limit={limit}&offset={following}" if following < total else None,
            "results": [_payment(row) for row in rows],
        }
    )


@token_required(ApiScope.PAYMENTS_WRITE, methods=("POST",))
def payments_paid(request: HttpRequest, token: ApiToken) -> JsonResponse:
    if request.content_type != "application/json":
        return error(415, "unsupported_media_type", "Send JSON: Content-Type: application/json.")
    try:
        body = json.loads(request.body)
    except RequestDataTooBig:
        return error(413, "too_large", "The body is too large.")
    except (ValueError, UnicodeDecodeError):
        return error(400, "invalid_json", "The body is not JSON.")
    ids = body.get("payments") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) and len(i) <= 40 for i in ids):
        return error(400, "invalid_parameters", 'Send {"payments": ["fee-12", "expense-7", …]}.')
    if len(ids) > MAX_MARK_PAID:
        return error(400, "invalid_parameters", f"At most {MAX_MARK_PAID} payments at a time.")
    # The same step as the payments page: only listed, unpaid payments in scope, each once.
    count = mark_paid(ids, regions_in_scope(token.user, StaffRole.Kind.COORDINATOR), by=token.user)
    return JsonResponse({"marked_paid": count})


def _names(label: Any) -> dict[str, str]:
    names = {}
    for language in LANGUAGES:
        with translation.override(language):
            names[language] = str(label)
    return names


@token_required(ApiScope.VOCABULARIES)
def vocabularies(request: HttpRequest, token: ApiToken) -> JsonResponse:
    unknown = _unknown_parameters(request, set())
    if unknown:
        return unknown
    themes = Theme.objects.values_list("code", flat=True)
    roles = EngagementRole.objects.values_list("code", flat=True)
    theme_labels, role_labels = dict(Theme.Code.choices), dict(EngagementRole.Code.choices)
    return JsonResponse(
        {
            "themes": [{"code": code, "name": _names(theme_labels.get(code, code))} for code in themes],
            "roles": [{"code": code, "name": _names(role_labels.get(code, code))} for code in roles],
            "regions": [
                {"code": r.code, "name": {"fi": r.name, "sv": r.name_sv or r.name, "en": r.name_en or r.name}}
                for r in Region.objects.order_by("code")
            ],
            "sectors": [{"code": code, "name": _names(label)} for code, label in Unit.Sector.choices],
            "types": [{"code": code, "name": _names(label)} for code, label in RequestType.choices],
        }
    )


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3 description of this API; public: it describes, it holds no data."""
    return JsonResponse(schema(request.build_absolute_uri("/api/v1")))


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """The same description as a page to read: endpoints, parameters, answers, schemas."""
    described = schema(request.build_absolute_uri("/api/v1"))
    operations = [
        {"path": path, "method": method.upper(), **operation}
        for path, methods in described["paths"].items()
        for method, operation in methods.items()
    ]
    schemas = {name: json.dumps(body, indent=2, ensure_ascii=False) for name, body in SCHEMAS.items()}
    context = {
        "info": described["info"],
        "server": described["servers"][0]["url"],
        "operations": operations,
        "schemas": schemas,
    }
    return render(request, "api/docs.html", context)


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    return error(404, "not_found", "No such endpoint; see /api/v1/openapi.json.")
