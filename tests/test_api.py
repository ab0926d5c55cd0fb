"""The read API (/api/v1/, docs/api.md): personal access tokens, scopes, the owner's regions, the
dashboard's suppression, the payroll rows, bounded queries, rate limits, the audit trail, and
hostile parameters that get 400, never 500. Every 200 and every refusal matches the OpenAPI schema
ninja generates, and schemathesis tries every operation with input generated from it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, resolve, reverse
from django.utils import timezone, translation
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.schemas import StatisticsQuery
from api.views import describe
from engagements.models import Assignment, ExpenseClaim, Request
from engagements.payments import unpaid_payments
from experts.models import ExpertProfile
from registry.models import ApiScope, ApiToken, AuditEvent, RateLimited, Region, StaffRole, User
from tests.conftest import make_user, with_totp

# The same data as the page tests use, so that the API is checked against what the pages show.
from tests.test_fees_and_expenses import engaged, past_request
from tests.test_fees_and_expenses import payroll as payroll_data  # noqa: F401 (a fixture, used by name)
from tests.test_statistics import data as statistics_data  # noqa: F401 (a fixture, used by name)

pytestmark = pytest.mark.django_db

ALL_SCOPES = list(ApiScope.values)
ENDPOINTS = {
    "statistics": ("get", ApiScope.STATISTICS),
    "payments": ("get", ApiScope.PAYMENTS),
    "payments-paid": ("post", ApiScope.PAYMENTS_WRITE),
    "vocabularies": ("get", ApiScope.VOCABULARIES),
}
SCHEMA = describe(RequestFactory().get("/"))


def issue(user: User, scopes: list[str] | None = None, *, days: int = 30) -> str:
    scopes = scopes if scopes is not None else ApiScope.allowed_for(user)
    _token, raw = ApiToken.issue(user, name="BI", scopes=scopes, expires_at=timezone.now() + dt.timedelta(days=days))
    return raw


def call(name: str, raw: str | None = None, *, client: Client | None = None, body: Any = None, **params: Any) -> Any:
    client = client or Client()
    headers = {"Authorization": f"Bearer {raw}"} if raw is not None else {}
    method, _scope = ENDPOINTS.get(name, ("get", None))
    url = reverse(f"api:{name}")
    if method == "post":
        return client.post(
            url, body if body is not None else {"payments": []}, content_type="application/json", headers=headers
        )
    return client.get(url, params, headers=headers)


def regional(kind: StaffRole.Kind, region: Region) -> User:
    user = with_totp(make_user(f"{kind}-{region.code}@example.test"))
    StaffRole.objects.create(user=user, role=kind, region=region)
    return user


# A small validator for the part of JSON Schema the API's schema uses: enough to notice a response
# that does not match its description (type, required, properties, items, enum, pattern, $ref,
# anyOf). The generated tests at the end check with schemathesis's full validator as well.
def validate(value: Any, spec: dict[str, Any], path: str = "$") -> None:
    if "$ref" in spec:
        spec = SCHEMA["components"]["schemas"][spec["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in spec:
        misses = []
        for option in spec["anyOf"]:
            try:
                return validate(value, option, path)
            except AssertionError as miss:
                misses.append(str(miss))
        raise AssertionError(f"{path}: {value!r} matches none of {misses}")
    types = spec.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
        }
        assert any(checks[n](value) for n in names), f"{path}: {value!r} is not {names}"
    if "enum" in spec:
        assert value in spec["enum"], f"{path}: {value!r} not in {spec['enum']}"
    if "pattern" in spec and isinstance(value, str):
        assert re.search(spec["pattern"], value), f"{path}: {value!r} does not match {spec['pattern']}"
    if isinstance(value, dict):
        for key in spec.get("required", []):
            assert key in value, f"{path}: {key} missing"
        for key, item in value.items():
            if key in spec.get("properties", {}):
                validate(item, spec["properties"][key], f"{path}.{key}")
            elif "additionalProperties" in spec:
                validate(item, spec["additionalProperties"], f"{path}.{key}")
    if isinstance(value, list) and "items" in spec:
        for i, item in enumerate(value):
            validate(item, spec["items"], f"{path}[{i}]")


def test_the_schema_check_notices_a_wrong_answer() -> None:
    error = {"$ref": "#/components/schemas/Error"}
    validate({"error": "x", "message": "y"}, error)
    for wrong in ({"error": "x"}, {"error": 1, "message": "y"}, []):
        with pytest.raises(AssertionError):
            validate(wrong, error)
    with pytest.raises(AssertionError):
        validate({"id": "fee-01", "kind": "fee"}, {"$ref": "#/components/schemas/Payment"})
    with pytest.raises(AssertionError):  # a unit is text or null, never a number
        validate(
            {"key": "k", "label": "l", "unit": 1, "counts_people": True, "value": 1, "previous": None},
            {"$ref": "#/components/schemas/Figure"},
        )


def matches_schema(name: str, response: Any) -> None:
    path = reverse(f"api:{name}").removeprefix("/api/v1")
    operation = next(iter(SCHEMA["paths"][path].values()))
    described = operation["responses"].get(str(response.status_code))
    assert described is not None, f"{name} answered {response.status_code}, which the schema does not describe"
    assert response["Content-Type"].split(";")[0] == "application/json"
    validate(response.json(), described["content"]["application/json"]["schema"])


# Authentication -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENDPOINTS)
def test_no_token_is_401_even_with_a_signed_in_session(name: str, client: Client, manager: User) -> None:
    client.force_login(manager)  # a session cookie is not a token: the API ignores it
    response = call(name, client=client)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    matches_schema(name, response)


@pytest.mark.parametrize(
    "header",
    ["Basic Zm9vOmJhcg==", "Bearer", "Bearer ", "Token abc", "Bearer kok_00000000_" + "A" * 43, "Bearer ' OR 1=1 --"],
)
def test_malformed_or_unknown_tokens_are_401(header: str, manager: User) -> None:
    issue(manager)
    response = Client().get(reverse("api:vocabularies"), headers={"Authorization": header})
    assert response.status_code == 401


def test_a_token_with_a_known_prefix_and_a_wrong_secret_is_401(manager: User) -> None:
    raw = issue(manager)
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert call("vocabularies", forged).status_code == 401
    assert call("vocabularies", raw).status_code == 200


def test_revoked_token_is_401(manager: User) -> None:
    raw = issue(manager)
    token = ApiToken.objects.get()
    assert token.revoke(by=manager) is True
    assert token.revoke(by=manager) is False  # once
    response = call("statistics", raw)
    assert response.status_code == 401
    matches_schema("statistics", response)


def test_expired_token_is_401(manager: User) -> None:
    raw = issue(manager)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert call("statistics", raw).status_code == 401


def test_token_of_a_deactivated_account_is_401(manager: User) -> None:
    raw = issue(manager)
    User.objects.filter(pk=manager.pk).update(is_active=False)
    assert call("statistics", raw).status_code == 401


def test_the_secret_is_stored_only_as_a_hash(manager: User) -> None:
    raw = issue(manager)
    token = ApiToken.objects.get()
    assert raw not in {token.secret_hash, token.prefix, token.name}
    assert token.secret_hash == ApiToken.hash_secret(raw)
    assert ApiToken.FORMAT.fullmatch(raw)


# Scopes and roles -----------------------------------------------------------------------------


def test_a_token_can_only_have_its_owners_scopes_and_at_most_a_year(coordinator: User, manager: User) -> None:
    assert set(ApiScope.allowed_for(coordinator)) == {"payments", "payments:write", "vocabularies"}
    assert set(ApiScope.allowed_for(manager)) == {"statistics", "vocabularies"}
    with pytest.raises(ValueError):
        issue(coordinator, ["statistics"])
    with pytest.raises(ValueError):
        issue(manager, [])
    with pytest.raises(ValueError):
        issue(manager, ["vocabularies"], days=400)


# endpoint: expected status for a token with exactly one scope, in ALL_SCOPES order
MATRIX = {
    "statistics": [200, 403, 403, 403],
    "payments": [403, 200, 403, 403],
    "payments-paid": [403, 403, 200, 403],
    "vocabularies": [403, 403, 403, 200],
}


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("scope", ALL_SCOPES)
def test_every_endpoint_by_every_scope(name: str, scope: str, manager: User, coordinator: User) -> None:
    # One person with both roles, so that any single scope can be given.
    StaffRole.objects.create(user=coordinator, role=StaffRole.Kind.MANAGER, region=None)
    raw = issue(User.objects.get(pk=coordinator.pk), [scope])
    response = call(name, raw)
    assert response.status_code == MATRIX[name][ALL_SCOPES.index(scope)]
    matches_schema(name, response)


# endpoint: expected status for a token with every scope its owner may give, per role
ROLE_MATRIX = {
    "statistics": {"coordinator": 403, "manager": 200},
    "payments": {"coordinator": 200, "manager": 403},
    "payments-paid": {"coordinator": 200, "manager": 403},
    "vocabularies": {"coordinator": 200, "manager": 200},
}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_endpoint_by_every_role(name: str, coordinator: User, manager: User) -> None:
    # Experts, unit members and administrators have no scope to give a token (test_api_tokens.py).
    for role, user in (("coordinator", coordinator), ("manager", manager)):
        response = call(name, issue(user))
        assert response.status_code == ROLE_MATRIX[name][role], role
        matches_schema(name, response)


def test_a_token_loses_what_its_owner_loses(manager: User) -> None:
    raw = issue(manager, ["statistics"])
    assert call("statistics", raw).status_code == 200
    StaffRole.objects.filter(user=manager).delete()
    response = call("statistics", raw)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_every_api_url_is_in_the_schema_and_every_described_one_answers() -> None:
    documented = {f"/api/v1{path}": set(methods) for path, methods in SCHEMA["paths"].items()}
    for name, (method, _scope) in ENDPOINTS.items():
        assert documented[reverse(f"api:{name}")] == {method}
    for path in documented:
        assert resolve(path).url_name in ENDPOINTS


def test_the_documentation_page_shows_every_endpoint(client: Client) -> None:
    page = client.get(reverse("api:docs")).content.decode()
    for path, methods in SCHEMA["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}" in page


def test_schema_and_unknown_paths_answer_in_json(client: Client) -> None:
    response = client.get(reverse("api:openapi"))
    assert response.status_code == 200
    assert response.json() == SCHEMA  # what the generated tests below read
    assert response.json()["openapi"].startswith("3.1")
    missing = client.get("/api/v1/nothing-here/")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    assert get_resolver()  # the root URLconf includes the API


# Statistics: the dashboard's figures, scope and suppression ---------------------------------


def figures_of(response: Any) -> dict[str, Any]:
    return {f["key"]: f for f in response.json()["figures"]}


@pytest.mark.usefixtures("statistics_data")
def test_statistics_suppress_small_counts_of_people_as_the_page_does(manager: User) -> None:
    response = call("statistics", issue(manager), period="year", year="2025", lang="en")
    assert response.status_code == 200
    matches_schema("statistics", response)
    f = figures_of(response)
    assert f["received"]["value"] == 6
    assert f["received"]["previous"] == 1
    assert f["experts_youth"]["value"] == "<3"  # 2 young experts: the page shows "<3", so does the API
    assert f["experts_parents"]["value"] == "<3"
    assert f["participants"]["value"] == 80
    assert f["debriefs_asked"]["value"] == 0
    assert f["received"]["label"] == "Requests received"
    for table in response.json()["tables"]:
        for row in table["rows"]:
            for cell in row:
                assert not (isinstance(cell, int) and 0 < cell < 3 and table["key"] == "participants_by_theme")
    body = response.content.decode()
    for expert in ExpertProfile.objects.all():
        assert expert.user.email not in body
    assert (
        f["received"]["label"]
        != figures_of(call("statistics", issue(manager), year="2025", lang="fi"))["received"]["label"]
    )


@pytest.mark.usefixtures("statistics_data")
def test_regional_manager_token_sees_only_their_region(other_region: Region) -> None:
    user = regional(StaffRole.Kind.MANAGER, other_region)
    raw = issue(user)
    response = call("statistics", raw, period="year", year="2025")
    assert figures_of(response)["received"]["value"] == 1  # r6 only
    assert call("statistics", raw, year="2025", region=other_region.code).status_code == 200
    elsewhere = Region.objects.exclude(pk=other_region.pk).get()
    refused = call("statistics", raw, year="2025", region=elsewhere.code)
    assert refused.status_code == 400
    assert "region" in refused.json()["fields"]


@pytest.mark.usefixtures("statistics_data")
def test_statistics_queries_do_not_grow_with_the_data(
    manager: User, make_request: Callable[..., Request], make_expert: Any
) -> None:
    raw = issue(manager)
    with CaptureQueriesContext(connection) as small:
        call("statistics", raw, year="2025")
    for _i in range(20):
        r = make_request(status="closed", submitted_at=timezone.now(), ends_at=timezone.now())
        Assignment.objects.create(
            request=r,
            expert=make_expert(),
            role=Assignment.objects.first().role,
            status="attended",
            offer_expires_at=timezone.now(),
        )
    with CaptureQueriesContext(connection) as large:
        call("statistics", raw, year="2025")
    assert len(large) == len(small)


# Payments: the CSV's rows, scope, paging, marking paid -------------------------------------------


@pytest.mark.usefixtures("payroll_data")
def test_payments_are_the_csvs_rows_and_each_payee_sees_who_took_them(coordinator: User) -> None:
    raw = issue(coordinator)
    response = call("payments", raw)
    assert response.status_code == 200
    matches_schema("payments", response)
    body = response.json()
    assert [r["id"] for r in body["results"]] == [p.id for p in unpaid_payments(None)]
    assert body["count"] == 4 and body["next"] is None
    assert {r["amount_eur"] for r in body["results"]} >= {"80.00", "120.50", "24.78"}
    exported = AuditEvent.objects.filter(action="export", object_type="experts.expertprofile", detail="payroll API")
    assert set(exported.values_list("object_id", flat=True)) == {str(p.expert_id) for p in unpaid_payments(None)}


@pytest.mark.usefixtures("payroll_data")
def test_payments_page_through_fees_then_expenses(coordinator: User) -> None:
    raw = issue(coordinator)
    seen = []
    url: str | None = reverse("api:payments") + "?limit=3"
    while url:
        page = Client().get(url, headers={"Authorization": f"Bearer {raw}"}).json()
        assert len(page["results"]) <= 3
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert seen == [p.id for p in unpaid_payments(None)]
    assert call("payments", raw, limit="2", offset="3").json()["results"] == [
        call("payments", raw).json()["results"][3]
    ]
    assert call("payments", raw, offset="99").json()["results"] == []


@pytest.mark.usefixtures("payroll_data")
def test_another_regions_coordinator_sees_and_marks_none(other_region: Region) -> None:
    raw = issue(regional(StaffRole.Kind.COORDINATOR, other_region))
    assert call("payments", raw).json() == {"count": 0, "limit": 100, "offset": 0, "next": None, "results": []}
    ids = [p.id for p in unpaid_payments(None)]
    assert call("payments-paid", raw, body={"payments": ids}).json() == {"marked_paid": 0}
    assert len(unpaid_payments(None)) == len(ids)


@pytest.mark.usefixtures("payroll_data")
def test_marking_paid_through_the_api_marks_each_once(coordinator: User) -> None:
    raw = issue(coordinator)
    ids = [p.id for p in unpaid_payments(None)]
    response = call("payments-paid", raw, body={"payments": [*ids, "fee-999999", "bogus"]})
    assert response.status_code == 200
    matches_schema("payments-paid", response)
    assert response.json() == {"marked_paid": 4}
    assert call("payments-paid", raw, body={"payments": ids}).json() == {"marked_paid": 0}
    assert unpaid_payments(None) == []
    assert ExpenseClaim.objects.filter(status="paid", paid_at__isnull=False).count() == 3
    assert AuditEvent.objects.filter(action="change", detail="fee paid", actor=coordinator).count() == 2


@pytest.mark.usefixtures("payroll_data")
def test_a_read_only_payments_token_cannot_mark_paid(coordinator: User) -> None:
    raw = issue(coordinator, ["payments"])
    assert call("payments-paid", raw, body={"payments": [p.id for p in unpaid_payments(None)]}).status_code == 403
    assert len(unpaid_payments(None)) == 4


@pytest.mark.usefixtures("payroll_data")
def test_payments_queries_do_not_grow_with_the_rows(coordinator: User, make_request: Any, make_expert: Any) -> None:
    raw = issue(coordinator)
    with CaptureQueriesContext(connection) as small:
        call("payments", raw)
    day = timezone.localdate() - dt.timedelta(days=5)
    for _i in range(30):
        engaged(past_request(make_request, day=day), make_expert(), status="attended", fee="50")
    with CaptureQueriesContext(connection) as large:
        response = call("payments", raw)
    assert response.json()["count"] == 34
    assert len(large) == len(small)


def test_vocabularies_in_three_languages_in_bounded_queries(coordinator: User, region: Region) -> None:
    raw = issue(coordinator, ["vocabularies"])
    with CaptureQueriesContext(connection) as queries:
        response = call("vocabularies", raw)
    assert response.status_code == 200
    matches_schema("vocabularies", response)
    body = response.json()
    assert len(queries) <= 15
    themes = {t["code"]: t["name"] for t in body["themes"]}
    assert themes["foster_care"]["en"] == "Foster care"
    assert themes["foster_care"]["fi"] != "Foster care"
    assert {r["code"] for r in body["regions"]} >= {region.code}
    assert {"child_protection", "other"} <= {s["code"] for s in body["sectors"]}


# Hostile input: 400, never 500 ------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"period": "decade"},
        {"year": "abc"},
        {"year": "9" * 40},
        {"year": "-1"},
        {"period": "custom", "start": "2025-02-30", "end": "2025-03-01"},
        {"period": "custom", "start": "2025-05-01", "end": "2025-03-01"},
        {"period": "custom", "start": "1900-01-01", "end": "2099-12-31"},
        {"region": "'; DROP TABLE registry_region; --"},
        {"region": "x" * 5000},
        {"sector": "\x00"},
        {"type": "<script>"},
        {"lang": "de"},
        {"regoin": "pohjois-savo"},
    ],
)
def test_hostile_statistics_parameters_get_400(params: dict[str, str], manager: User, region: Region) -> None:
    response = call("statistics", issue(manager), **params)
    assert response.status_code == 400, response.content
    matches_schema("statistics", response)
    # Each error under the parameter's own name, as a developer would look for it.
    assert set(response.json().get("fields", {})) <= set(StatisticsQuery.model_fields)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "501"},
        {"limit": "x"},
        {"limit": "9" * 100},
        {"offset": "-1"},
        {"offset": "1e9"},
        {"page": "2"},
        {"limit": "\x00"},
    ],
)
def test_hostile_paging_parameters_get_400(params: dict[str, str], coordinator: User) -> None:
    response = call("payments", issue(coordinator), **params)
    assert response.status_code == 400
    matches_schema("payments", response)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"payments": "fee-1"}',
        b'{"payments": [1, 2]}',
        b'{"payments": [{"a": 1}]}',
        b'{"payments": ["' + b"x" * 100 + b'"]}',
        b"\xff\xfe",
        b'{"payments": [' + b'"fee-1",' * 1000 + b'"fee-2"]}',
        b'{"payments": ["fee-' + b"9" * 30 + b'", "fee-\xd9\xa3"]}',
    ],
)
def test_hostile_mark_paid_bodies_get_400_or_change_nothing(body: bytes, coordinator: User) -> None:
    raw = issue(coordinator)
    response = Client().post(
        reverse("api:payments-paid"), body, content_type="application/json", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json() == {"marked_paid": 0}
    for name in response.json().get("fields", {}):
        assert re.fullmatch(r"body|payments(\.[0-9]+)?", name), name
    matches_schema("payments-paid", response)


def test_mark_paid_wants_json_and_post(coordinator: User) -> None:
    raw = issue(coordinator)
    headers = {"Authorization": f"Bearer {raw}"}
    assert Client().post(reverse("api:payments-paid"), {"payments": "fee-1"}, headers=headers).status_code == 415
    response = Client().get(reverse("api:payments-paid"), headers=headers)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"  # JSON, as every refusal
    assert response["Cache-Control"] == "no-store"


def test_a_body_over_the_upload_limit_is_413(coordinator: User, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"payments": ["fee-1"] * 200}
    response = call("payments-paid", issue(coordinator), body=body)
    assert response.status_code == 413
    matches_schema("payments-paid", response)


@pytest.mark.usefixtures("statistics_data")
def test_blank_parameters_count_as_not_given_as_on_the_page(manager: User) -> None:
    # The dashboard's form sends its empty filters; a URL copied from it must work.
    raw = issue(manager)
    blank = call("statistics", raw, year="2025", period="", region="", sector="", type="", lang="")
    assert blank.status_code == 200, blank.content
    assert blank.json() == call("statistics", raw, year="2025").json()


# Rate limit and audit -------------------------------------------------------------------------


def test_rate_limit_per_token_with_retry_after(settings: Any, manager: User) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    raw, other = issue(manager), issue(manager)
    assert call("vocabularies", raw).status_code == 200
    assert call("vocabularies", raw).status_code == 200
    limited = call("vocabularies", raw)
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    matches_schema("vocabularies", limited)
    assert call("vocabularies", other).status_code == 200  # per token, not per person
    token = ApiToken.objects.get(prefix=ApiToken.FORMAT.fullmatch(raw)["prefix"])
    token.take_use(2, now=timezone.now() + dt.timedelta(minutes=1))  # a new minute, a new count


def test_every_use_is_audited_with_its_outcome_and_last_use_shown(manager: User) -> None:
    raw = issue(manager, ["vocabularies"])
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    call("vocabularies", raw)
    call("vocabularies", raw, lang="fi")
    call("statistics", raw)
    uses = AuditEvent.objects.filter(object_type="registry.apitoken", object_id=str(token.pk), action="view")
    with translation.override("en"):
        details = sorted(event.detail_label for event in uses)
    assert details == [
        "API GET /api/v1/statistics/ 403",
        "API GET /api/v1/vocabularies/ 200",
        "API GET /api/v1/vocabularies/ 400",
    ]
    assert set(uses.values_list("actor", flat=True)) == {manager.pk}
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent updates need PostgreSQL")
def test_two_requests_at_once_cannot_both_take_the_last_one_of_the_minute(manager: User) -> None:
    import threading

    issue(manager, ["vocabularies"])
    token = ApiToken.objects.get()
    now = timezone.now().replace(second=1)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def use() -> None:
        barrier.wait()
        try:
            ApiToken.objects.get(pk=token.pk).take_use(3, now=now)
            outcomes.append("ok")
        except RateLimited:
            outcomes.append("limited")
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=use) for _i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["limited", "ok", "ok", "ok"]


# Generated requests: schemathesis reads the served description and tries every operation ---------
#
# Valid and invalid query strings and bodies, from each operation's parameters and body schema, sent
# with a token that has every scope through the WSGI application; every answer must be below 500,
# have a status the description lists for the operation, and match that status's schema.


@pytest.fixture
def wsgi(settings: Any) -> Iterator[Any]:
    """The site as a WSGI application, in the test's database transaction."""
    settings.API_RATE_LIMIT_PER_MINUTE = 10**6
    # The WSGI handler would close the test's database connection after each request (as it does
    # between real requests); Django's test client disconnects the same signals.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# The description as /api/v1/openapi.json serves it (test_schema_and_unknown_paths_answer_in_json).
generated = schemathesis.openapi.from_dict(SCHEMA)


@pytest.fixture
def every_scope(coordinator: User) -> str:
    """A token with every scope: one person with both roles."""
    StaffRole.objects.create(user=coordinator, role=StaffRole.Kind.MANAGER, region=None)
    return issue(User.objects.get(pk=coordinator.pk), ALL_SCOPES)


@pytest.mark.slow
@pytest.mark.usefixtures("payroll_data", "statistics_data")
@generated.parametrize()
@hypothesis.settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)
def test_generated_requests_never_fail_and_always_match_the_schema(
    case: schemathesis.Case, every_scope: str, wsgi: Any
) -> None:
    case.call_and_validate(
        app=wsgi,
        headers={"Authorization": f"Bearer {every_scope}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
