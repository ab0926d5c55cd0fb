"""What the API takes and gives, as typed schemas: django-ninja builds /api/v1/openapi.json from
them and checks every answer against them before it leaves (an answer that strays from its
description is an error here, not a surprise for the area's systems)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StringConstraints
from pydantic.json_schema import SkipJsonSchema

from engagements.models import RequestType
from registry.models import Unit

# A count of people below the threshold is the string "<3"; other values are numbers or null.
Cell = int | float | str | None


# `| Omitted` leaves "or null" out of the description: a parameter or a part of a refusal is
# there or it is not, never null.
Omitted = SkipJsonSchema[None]


class Error(Schema):
    """Every refusal has this shape: a code for programs and words for a developer."""

    error: str
    message: str
    fields: dict[str, list[str]] | Omitted = Field(None, description="Each invalid parameter's errors")
    parameters: list[str] | Omitted = Field(None, description="The parameters that are not known")


class Query(Schema):
    """Query parameters: each optional (an empty one counts as not given: api.views.JsonOnly).
    None is the default but never a value a client sends, so it stays out of the description."""


def one_of(codes: list[str]) -> dict[str, Any]:
    """Described as an enum; checked by the dashboard's form, so the two cannot disagree."""
    return {"enum": codes}


class StatisticsQuery(Query):
    period: Literal["year", "spring", "autumn", "custom"] | Omitted = Field(
        None, description="year (default), spring, autumn or custom"
    )
    year: Annotated[int, Field(ge=2000, le=2100)] | Omitted = Field(
        None, description="The year of a year or term period (default: this year)"
    )
    start: dt.date | Omitted = Field(None, description="First day of a custom period")
    end: dt.date | Omitted = Field(None, description="Last day of a custom period (at most five years after start)")
    region: Annotated[str, Field(max_length=200)] | Omitted = Field(
        None, description="A wellbeing area's code, within the token's scope"
    )
    sector: str | Omitted = Field(
        None, description="A unit sector's code (see /vocabularies/)", json_schema_extra=one_of(Unit.Sector.values)
    )
    type: str | Omitted = Field(
        None, description="A request type's code (see /vocabularies/)", json_schema_extra=one_of(RequestType.values)
    )
    lang: Literal["fi", "sv", "en"] | Omitted = Field(
        None, description="Language of the labels: fi, sv or en (default: Accept-Language)"
    )


class Period(Schema):
    start: dt.date
    end: dt.date
    label: str


class StatisticsScope(Schema):
    region: str | None
    sector: str | None
    type: str | None


class Suppression(Schema):
    below: int
    shown_as: str


class Figure(Schema):
    key: str
    label: str
    unit: str | None
    counts_people: bool
    value: Cell
    previous: Cell


class Table(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]


class Statistics(Schema):
    period: Period
    previous_period: Period
    scope: StatisticsScope
    suppression: Suppression
    figures: list[Figure]
    tables: list[Table]


class PageQuery(Query):
    limit: int = Field(100, ge=1, le=500, description="Rows per page (default 100)")
    offset: int = Field(0, ge=0, le=10**9, description="Rows to skip (default 0)")


class Payment(Schema):
    id: str = Field(pattern=r"^(fee|expense)-[1-9][0-9]*$")
    kind: Literal["fee", "expense"]
    payee: str
    payee_email: str
    engagement_date: dt.date | None
    engagement: str
    unit: str
    details: str
    amount_eur: str = Field(pattern=r"^-?[0-9]+\.[0-9]{2}$")


class PaymentPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None = Field(description="The path of the next page, or null on the last")
    results: list[Payment]


class MarkPaid(Schema):
    payments: list[Annotated[str, StringConstraints(max_length=40)]] = Field(max_length=1000)


class MarkedPaid(Schema):
    marked_paid: int = Field(description="How many were marked paid now")


class Names(Schema):
    fi: str
    sv: str
    en: str


class Term(Schema):
    code: str
    name: Names


class Vocabularies(Schema):
    themes: list[Term]
    roles: list[Term]
    regions: list[Term]
    sectors: list[Term]
    types: list[Term]
