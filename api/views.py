"""The read API under /api/v1/ (docs/api.md): the manager's statistics, the coordinator's payments
for payroll, the vocabularies. Each operation is a typed django-ninja function: its parameters and
answers are the schemas in api/schemas.py, from which ninja writes the OpenAPI description, and
its `TokenAuth` has already checked the token, its scope and its rate limit; the scope of regions
is the owner's today.

The API shows what the pages show and nothing more: the statistics are the dashboard's, with the
same small-cell suppression; the payments are the payroll CSV's rows (payroll must know whom to
pay), and taking them leaves the same trace in each payee's audit trail as the CSV does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.functional import Promise
from django.utils.translation import gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from ninja import NinjaAPI, Query
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from api.auth import MISSING_TOKEN, ApiError, TokenAuth, error, token_of
from api.schemas import (
    Error,
    MarkedPaid,
    MarkPaid,
    PageQuery,
    PaymentPage,
    Statistics,
    StatisticsQuery,
    Vocabularies,
)
from engagements.models import RequestType
from engagements.payments import Payment, mark_paid, payment_page
from engagements.statistics import Period, Table, dashboard, is_small_cell, suppress_small
from engagements.statistics_views import StatisticsForm
from experts.models import EngagementRole, ExpertProfile, Theme
from registry.models import ApiScope, ApiToken, AuditEvent, Region, StaffRole, Unit, regions_in_scope

LANGUAGES = [code for code, _name in settings.LANGUAGES]


class UnsupportedMediaType(Exception):
    pass


class JsonOnly(Parser):
    """A body is JSON and says so; anything else is a 415, not a guess. An empty query parameter
    (`?region=`, as the dashboard's form sends its blank filters) counts as not given."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise UnsupportedMediaType
        return super().parse_body(request)

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        return {key: value for key, value in super().parse_querydict(data, list_fields, request).items() if value != ""}


api = NinjaAPI(
    title="Experts by experience: read API",
    version="1",
    urls_namespace="api",
    # The description and the page to read are served by `openapi` and `docs` below: ninja's own
    # page loads Swagger UI from a CDN, which the site's CSP (rightly) refuses.
    openapi_url=None,
    docs_url=None,
    parser=JsonOnly(),
)


# Refusals: one shape for all ---------------------------------------------------------------------


@api.exception_handler(ApiError)
def _refused(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error(exc.status, exc.code, exc.message, exc.headers, **exc.extra)


@api.exception_handler(AuthenticationError)
def _no_token(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    # TokenAuth raises its own refusals; this is ninja's fallback when no credentials were given.
    return error(401, "missing_token", MISSING_TOKEN, {"WWW-Authenticate": 'Bearer realm="api", error="missing_token"'})


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """ninja's 422 becomes the API's 400, with each parameter's errors under its name."""
    fields: dict[str, list[str]] = {}
    for problem in exc.errors:
        # ("query", "filters", "year", "int") or ("body", "body", "payments", 3): the source, the
        # operation's schema parameter, the field, then an index or the branch of a union.
        loc = [str(part) for part in problem.get("loc", ())]
        where = loc[2:] or loc[1:] or ["body"]
        name = ".".join(where[:2]) if len(where) > 1 and where[1].isdigit() else where[0]
        fields.setdefault(name[:60], []).append(str(problem.get("msg", "")))
    return error(400, "invalid_parameters", "Some parameters are not valid.", fields=fields)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, UnsupportedMediaType):
        return error(415, "unsupported_media_type", "Send JSON: Content-Type: application/json.")
    if exc.status_code == 400:  # the body could not be parsed
        return error(400, "invalid_json", "The body is not JSON.")
    return error(exc.status_code, "error", str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error(413, "too_large", "The body is too large.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(404, "not_found", "Not found.")


def audited(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Record every use of a valid token in the audit log with its outcome (refusals included),
    and keep every answer out of caches. Wraps the whole operation, authentication included."""

    @wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        status = 500
        try:
            response = run(request, *args, **kwargs)
            status = response.status_code
        finally:
            token = token_of(request)
            if token is not None:
                action = AuditEvent.Action.CHANGE if request.method == "POST" else AuditEvent.Action.VIEW
                AuditEvent.record(
                    token.user,
                    action,
                    token,
                    gettext_noop("API %(method)s %(path)s %(status)s"),
                    {"method": request.method, "path": request.path[:120], "status": status},
                )
        response["Cache-Control"] = "no-store"
        return response

    return wrapped


api.add_decorator(audited, mode="view")

REFUSALS = {
    401: "No token, or an unknown, revoked or expired one.",
    403: "The token lacks the scope, or its owner no longer has the role it needs.",
    429: "Too many requests with this token in this minute; see Retry-After.",
}


def answers(ok: type, described: str, refusals: dict[int, str]) -> dict[str, Any]:
    """The responses of an operation: its answer and every refusal, each with its schema and words."""
    statuses = dict(sorted((refusals | REFUSALS).items()))
    return {
        "response": {200: ok} | dict.fromkeys(statuses, Error),
        "openapi_extra": {
            "responses": {200: {"description": described}}
            | {status: {"description": text} for status, text in statuses.items()}
        },
    }


def _token(request: HttpRequest) -> ApiToken:
    token = token_of(request)
    assert token is not None  # TokenAuth has run
    return token


def _reject_unknown(request: HttpRequest, allowed: set[str]) -> None:
    # A misspelt filter must not quietly widen the answer ("regoin=…" would give the whole scope).
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        raise ApiError(400, "unknown_parameters", "Unknown parameters.", parameters=[p[:40] for p in unknown[:20]])


def _reject_invalid(form: forms.Form) -> None:
    if not form.is_valid():
        fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        raise ApiError(400, "invalid_parameters", "Some parameters are not valid.", fields=fields)


def _number(value: Any) -> Any:
    """Money as a string with two decimals (exact), averages with one decimal, counts as they are,
    and a row's translated label ("Total") as text in the language of the answer."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return round(value, 1)
    return value


# Statistics -------------------------------------------------------------------------------------


class ApiStatisticsForm(StatisticsForm):
    """The dashboard's own form (same periods, filters, checks and scope), with the area given by
    its code and a language for the labels: the API cannot accept what the page refuses."""

    lang = forms.ChoiceField(choices=settings.LANGUAGES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.to_field_name = "code"


def _period(period: Period) -> dict[str, Any]:
    return {"start": period.start, "end": period.end, "label": str(period.label)}


def _table(table: Table) -> dict[str, Any]:
    rows = [
        [
            suppress_small(cell) if i in table.people_columns and is_small_cell(cell) else _number(cell)
            for i, cell in enumerate(row)
        ]
        for row in table.rows
    ]
    return {"key": table.key, "title": str(table.title), "columns": [str(c) for c in table.columns], "rows": rows}


@api.get(
    "/statistics/",
    auth=TokenAuth(ApiScope.STATISTICS),
    url_name="statistics",
    operation_id="statistics",
    summary="The manager's statistics for one period and scope (scope: statistics)",
    **answers(
        Statistics,
        'The dashboard\'s figures and tables, small counts of people as "<3".',
        {400: "A parameter is not valid or not known."},
    ),
)
def statistics(request: HttpRequest, filters: Query[StatisticsQuery]) -> dict[str, Any]:
    token = _token(request)
    _reject_unknown(request, set(StatisticsQuery.model_fields))
    form = ApiStatisticsForm(
        filters.model_dump(exclude_none=True), regions=regions_in_scope(token.user, StaffRole.Kind.MANAGER)
    )
    _reject_invalid(form)
    with translation.override(form.cleaned_data.get("lang") or translation.get_language()):
        period, scope = form.period_and_scope()
        data = dashboard(period, scope)
        region = form.cleaned_data.get("region")
        return {
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


# Payments ---------------------------------------------------------------------------------------


def _payment(row: Payment) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "payee": row.payee,
        "payee_email": row.payee_email,
        "engagement_date": row.engagement_date,
        "engagement": row.engagement,
        "unit": row.unit,
        "details": row.details,
        "amount_eur": f"{row.amount:.2f}",
    }


@api.get(
    "/payments/",
    auth=TokenAuth(ApiScope.PAYMENTS),
    url_name="payments",
    operation_id="payments",
    summary="Unpaid fees and approved expenses, as the payroll CSV (scope: payments)",
    **answers(
        PaymentPage,
        "One page of payments, fees first, then expenses.",
        {400: "A parameter is not valid or not known."},
    ),
)
def payments(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    token = _token(request)
    _reject_unknown(request, set(PageQuery.model_fields))
    limit, offset = page.limit, page.offset
    total, rows = payment_page(regions_in_scope(token.user, StaffRole.Kind.COORDINATOR), offset, limit)
    # Names and addresses leave the service, as with the CSV: each payee's trail shows who took them.
    AuditEvent.record_many(
        token.user, AuditEvent.Action.EXPORT, ExpertProfile, [p.expert_id for p in rows], "payroll API"
    )
    following = offset + limit
    return {
        "count": total,
        "limit": limit,
        "offset": offset,
        "next": f"{request.path}?limit={limit}&offset={following}" if following < total else None,
        "results": [_payment(row) for row in rows],
    }


@api.post(
    "/payments/paid/",
    auth=TokenAuth(ApiScope.PAYMENTS_WRITE),
    url_name="payments-paid",
    operation_id="markPaymentsPaid",
    summary="Mark the listed payments paid (scope: payments:write)",
    **answers(
        MarkedPaid,
        "How many were marked paid now (others were paid already or out of scope).",
        {400: "The body is not the expected JSON.", 413: "The body is too large.", 415: "The body is not JSON."},
    ),
)
def payments_paid(request: HttpRequest, body: MarkPaid) -> dict[str, Any]:
    token = _token(request)
    # The same step as the payments page: only listed, unpaid payments in scope, each once.
    count = mark_paid(body.payments, regions_in_scope(token.user, StaffRole.Kind.COORDINATOR), by=token.user)
    return {"marked_paid": count}


# Vocabularies -----------------------------------------------------------------------------------


def _names(label: Any) -> dict[str, str]:
    names = {}
    for language in LANGUAGES:
        with translation.override(language):
            names[language] = str(label)
    return names


@api.get(
    "/vocabularies/",
    auth=TokenAuth(ApiScope.VOCABULARIES),
    url_name="vocabularies",
    operation_id="vocabularies",
    summary="Themes, roles, areas, sectors and request types in fi, sv, en (scope: vocabularies)",
    **answers(Vocabularies, "Every vocabulary with its codes and names.", {400: "A parameter is not known."}),
)
def vocabularies(request: HttpRequest) -> dict[str, Any]:
    _reject_unknown(request, set())
    themes = Theme.objects.values_list("code", flat=True)
    roles = EngagementRole.objects.values_list("code", flat=True)
    theme_labels, role_labels = dict(Theme.Code.choices), dict(EngagementRole.Code.choices)
    return {
        "themes": [{"code": code, "name": _names(theme_labels.get(code, code))} for code in themes],
        "roles": [{"code": code, "name": _names(role_labels.get(code, code))} for code in roles],
        "regions": [
            {"code": r.code, "name": {"fi": r.name, "sv": r.name_sv or r.name, "en": r.name_en or r.name}}
            for r in Region.objects.order_by("code")
        ],
        "sectors": [{"code": code, "name": _names(label)} for code, label in Unit.Sector.choices],
        "types": [{"code": code, "name": _names(label)} for code, label in RequestType.choices],
    }


# The description ---------------------------------------------------------------------------------


def describe(request: HttpRequest) -> dict[str, Any]:
    """ninja's OpenAPI description of the operations above, with the address they are served at."""
    described = dict(api.get_openapi_schema(path_prefix=""))
    with translation.override("en"):
        scopes = ", ".join(f"`{value}`: {label}" for value, label in ApiScope.choices)
    described["info"] = {
        **described["info"],
        "description": (
            "For a wellbeing area's own reporting and payroll systems. Authenticate with a personal "
            "access token made on the service's API tokens page: `Authorization: Bearer <token>`. "
            f"Scopes: {scopes}. See docs/api.md."
        ),
    }
    described["servers"] = [{"url": request.build_absolute_uri("/api/v1")}]
    # As JSON has it (ninja keys the responses by number), so that what is checked is what is served.
    return json.loads(json.dumps(described, cls=DjangoJSONEncoder))


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 description of this API; public: it describes, it holds no data."""
    return JsonResponse(describe(request))


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """The same description as a page to read, without script (so within the site's CSP)."""
    described = describe(request)
    operations = [
        {"path": path, "method": method.upper(), **operation}
        for path, methods in described["paths"].items()
        for method, operation in methods.items()
    ]
    schemas = {
        name: json.dumps(body, indent=2, ensure_ascii=False)
        for name, body in described["components"]["schemas"].items()
    }
    context = {
        "info": described["info"],
        "server": described["servers"][0]["url"],
        "operations": operations,
        "schemas": schemas,
    }
    return render(request, "api/docs.html", context)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error(404, "not_found", "No such endpoint; see /api/v1/openapi.json.")
