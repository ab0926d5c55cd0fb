"""The one CSV writer of the service: every export (payroll, statistics) goes through it.

Semicolon-separated, every field quoted, CRLF line ends: it opens as columns in a Finnish
spreadsheet, and a comma inside a text never splits a column. A text cell that a spreadsheet would
run as a formula (CSV injection) is neutralised with a leading apostrophe; numbers are left alone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_STARTS and not NUMBER.match(text):
        return "'" + text
    return text


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([csv_cell(column) for column in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return output.getvalue()


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
