"""The OpenAPI 3.1 description of /api/v1/, written beside the views it describes.

tests/test_api.py checks every response of its access matrix against these schemas, and that every
URL of the API is described here, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

from registry.models import ApiScope

NULLABLE_STRING = {"type": ["string", "null"]}
# A count of people below the threshold is the string "<3"; other values are numbers or null.
CELL = {"type": ["integer", "number", "string", "null"]}
NAMES = {
    "type": "object",
    "properties": {"fi": {"type": "string"}, "sv": {"type": "string"}, "en": {"type": "string"}},
    "required": ["fi", "sv", "en"],
}
TERM = {"type": "object", "properties": {"code": {"type": "string"}, "name": NAMES}, "required": ["code", "name"]}
PERIOD = {
    "type": "object",
    "properties": {
        "start": {"type": "string", "format": "date"},
        "end": {"type": "string", "format": "date"},
        "label": {"type": "string"},
    },
    "required": ["start", "end", "label"],
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "parameters": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["error", "message"],
    },
    "Statistics": {
        "type": "object",
        "properties": {
            "period": PERIOD,
            "previous_period": PERIOD,
            "scope": {
                "type": "object",
                "properties": {"region": NULLABLE_STRING, "sector": NULLABLE_STRING, "type": NULLABLE_STRING},
                "required": ["region", "sector", "type"],
            },
            "suppression": {
                "type": "object",
                "properties": {"below": {"type": "integer"}, "shown_as": {"type": "string"}},
                "required": ["below", "shown_as"],
            },
            "figures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "label": {"type": "string"},
                        "unit": NULLABLE_STRING,
                        "counts_people": {"type": "boolean"},
                        "value": CELL,
                        "previous": CELL,
                    },
                    "required": ["key", "label", "unit", "counts_people", "value", "previous"],
                },
            },
            "tables": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "title": {"type": "string"},
                        "columns": {"type": "array", "items": {"type": "string"}},
                        "rows": {"type": "array", "items": {"type": "array", "items": CELL}},
                    },
                    "required": ["key", "title", "columns", "rows"],
                },
            },
        },
        "required": ["period", "previous_period", "scope", "suppression", "figures", "tables"],
    },
    "Payment": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": "^(fee|expense)-[1-9][0-9]*$"},
            "kind": {"type": "string", "enum": ["fee", "expense"]},
            "payee": {"type": "string"},
            "payee_email": {"type": "string"},
            "engagement_date": {"type": ["string", "null"], "format": "date"},
            "engagement": {"type": "string"},
            "unit": {"type": "string"},
            "details": {"type": "string"},
            "amount_eur": {"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$"},
        },
        "required": [
            "id",
            "kind",
            "payee",
            "payee_email",
            "engagement_date",
            "engagement",
            "unit",
            "details",
            "amount_eur",
        ],
    },
    "PaymentPage": {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next": NULLABLE_STRING,
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Payment"}},
        },
        "required": ["count", "limit", "offset", "next", "results"],
    },
    "MarkPaid": {
        "type": "object",
        "properties": {"payments": {"type": "array", "maxItems": 1000, "items": {"type": "string", "maxLength": 40}}},
        "required": ["payments"],
    },
    "MarkedPaid": {
        "type": "object",
        "properties": {"marked_paid": {"type": "integer"}},
        "required": ["marked_paid"],
    },
    "Vocabularies": {
        "type": "object",
        "properties": {
            name: {"type": "array", "items": TERM} for name in ("themes", "roles", "regions", "sectors", "types")
        },
        "required": ["themes", "roles", "regions", "sectors", "types"],
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(description: str, ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


REFUSALS = {
    "401": _error("No token, or an unknown, revoked or expired one."),
    "403": _error("The token lacks the scope, or its owner no longer has the role it needs."),
    "429": _error("Too many requests with this token in this minute; see Retry-After."),
}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


STATISTICS_PARAMETERS = [
    _query("period", "year (default), spring, autumn or custom", {"enum": ["year", "spring", "autumn", "custom"]}),
    _query(
        "year",
        "The year of a year or term period (default: this year)",
        {"type": "integer", "minimum": 2000, "maximum": 2100},
    ),
    _query("start", "First day of a custom period", {"type": "string", "format": "date"}),
    _query("end", "Last day of a custom period (at most five years after start)", {"type": "string", "format": "date"}),
    _query("region", "A wellbeing area's code, within the token owner's scope", {"type": "string"}),
    _query("sector", "A unit sector's code (see /vocabularies/)", {"type": "string"}),
    _query("type", "A request type's code (see /vocabularies/)", {"type": "string"}),
    _query("lang", "Language of the labels: fi, sv or en (default: Accept-Language)", {"enum": ["fi", "sv", "en"]}),
]


def schema(server: str) -> dict[str, Any]:
    scope_text = ", ".join(f"`{value}`: {label}" for value, label in ApiScope.choices)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Experts by experience: read API",
            "version": "1",
            "description": (
                "For a wellbeing area's own reporting and payroll systems. Authenticate with a personal "
                "access token made on the service's API tokens page: `Authorization: Bearer <token>`. "
                f"Scopes: {scope_text}. See docs/api.md."
            ),
        },
        "servers": [{"url": server}],
        "security": [{"token": []}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": {
            "/statistics/": {
                "get": {
                    "operationId": "statistics",
                    "summary": "The manager's statistics for one period and scope (scope: statistics)",
                    "parameters": STATISTICS_PARAMETERS,
                    "responses": {
                        "200": _ok(
                            'The dashboard\'s figures and tables, small counts of people as "<3".', "Statistics"
                        ),
                        "400": _error("A parameter is not valid or not known."),
                        **REFUSALS,
                    },
                }
            },
            "/payments/": {
                "get": {
                    "operationId": "payments",
                    "summary": "Unpaid fees and approved expenses, as the payroll CSV (scope: payments)",
                    "parameters": [
                        _query(
                            "limit", "Rows per page (default 100)", {"type": "integer", "minimum": 1, "maximum": 500}
                        ),
                        _query("offset", "Rows to skip", {"type": "integer", "minimum": 0, "maximum": 1000000000}),
                    ],
                    "responses": {
                        "200": _ok("One page of payments, fees first, then expenses.", "PaymentPage"),
                        "400": _error("A parameter is not valid or not known."),
                        **REFUSALS,
                    },
                }
            },
            "/payments/paid/": {
                "post": {
                    "operationId": "markPaymentsPaid",
                    "summary": "Mark the listed payments paid (scope: payments:write)",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MarkPaid"}}},
                    },
                    "responses": {
                        "200": _ok(
                            "How many were marked paid now (others were paid already or out of scope).", "MarkedPaid"
                        ),
                        "400": _error("The body is not the expected JSON."),
                        "413": _error("The body is too large."),
                        "415": _error("The body is not JSON."),
                        **REFUSALS,
                    },
                }
            },
            "/vocabularies/": {
                "get": {
                    "operationId": "vocabularies",
                    "summary": "Themes, roles, areas, sectors and request types in fi, sv, en (scope: vocabularies)",
                    "responses": {
                        "200": _ok("Every vocabulary with its codes and names.", "Vocabularies"),
                        "400": _error("A parameter is not known."),
                        **REFUSALS,
                    },
                }
            },
        },
    }
