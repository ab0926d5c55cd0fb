"""Integer lookups that hostile input cannot turn into a server error.

Every choice field of a form (ModelChoiceField, ModelMultipleChoiceField), and any view that filters
by ids from a request, ends in an `exact` or `in` lookup on an integer column with a string the
client sent. Django 5.2 guards `exact`, `gt`, `lt`… against numbers outside the column's range
(ticket #27397), but not `in`: `Theme.objects.filter(pk__in=["9" * 400])` raises OverflowError on
SQLite ("Python int too large to convert to SQLite INTEGER") and makes PostgreSQL compare as numeric,
which cannot use the index. And `int()` reads any Unicode digit ("٣" is 3), so an id that no form
rendered could still select a row. Registered for every integer field in RegistryConfig.ready(), so
the fix holds for every form and query at once: a string id must be plain ASCII digits, or the
lookup raises ValueError like any other non-number (forms turn that into "Select a valid choice"),
and numbers outside the column's range match nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.db.models.lookups import In, IntegerFieldExact

_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


def _check_ascii(field: models.Field[Any, Any], value: Any) -> None:
    if isinstance(value, str) and not _ASCII_INTEGER.fullmatch(value):
        raise ValueError(f"Field '{field.name}' expected a number but got {value!r}.")


def _column_range(field: models.Field[Any, Any], connection: Any) -> tuple[int | None, int | None]:
    while field.is_relation and (target := getattr(field, "target_field", None)) is not None:
        field = target  # a foreign key stores its target's integer
    return connection.ops.integer_field_ranges.get(field.get_internal_type(), (None, None))


class StrictIntegerExact(IntegerFieldExact):
    def get_prep_lookup(self) -> Any:
        _check_ascii(self.lhs.output_field, self.rhs)
        return super().get_prep_lookup()


class StrictIntegerIn(In):
    def get_prep_lookup(self) -> Any:
        if self.rhs_is_direct_value():
            for value in self.rhs:
                _check_ascii(self.lhs.output_field, value)
        return super().get_prep_lookup()

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            low, high = _column_range(self.lhs.output_field, connection)
            # A number the column cannot hold matches no row; an empty list raises EmptyResultSet.
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int) or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


def register() -> None:
    models.IntegerField.register_lookup(StrictIntegerExact)
    models.IntegerField.register_lookup(StrictIntegerIn)
