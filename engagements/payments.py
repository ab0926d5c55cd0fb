"""Approved fees and expenses for payroll: one row per payment, exported as CSV and marked paid."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from engagements.models import Assignment, ExpenseClaim
from registry.models import AuditEvent

PAYMENT_ID = re.compile(r"(?P<kind>fee|expense)-(?P<pk>[1-9][0-9]{0,17})")

CSV_COLUMNS = [
    "payment_id",
    "kind",
    "payee",
    "payee_email",
    "engagement_date",
    "engagement",
    "unit",
    "details",
    "amount_eur",
]


@dataclass(frozen=True)
class Payment:
    id: str  # "fee-<assignment>" or "expense-<claim>"
    kind: str
    expert_id: int
    payee: str
    payee_email: str
    engagement_date: dt.date | None
    engagement: str
    unit: str
    details: str
    amount: Decimal


def _date(assignment: Assignment) -> dt.date | None:
    end = assignment.request.end_time()
    return timezone.localdate(end) if end else None


def unpaid_fees(regions: Any) -> QuerySet[Assignment]:
    """Fees of attended engagements not paid yet, in scope (None: the whole area)."""
    fees = Assignment.objects.filter(status=Assignment.Status.ATTENDED, fee__gt=0, fee_paid_at__isnull=True)
    if regions is not None:
        fees = fees.filter(request__unit__region__in=regions)
    return fees.select_related("expert__user", "request__unit", "role").order_by("pk")


def unpaid_claims(regions: Any) -> QuerySet[ExpenseClaim]:
    """Approved expense claims not paid yet, in scope (None: the whole area)."""
    claims = ExpenseClaim.objects.filter(status=ExpenseClaim.Status.APPROVED)
    if regions is not None:
        claims = claims.in_regions(regions)
    return claims.select_related("assignment__expert__user", "assignment__request__unit").order_by("pk")


def _fee_payment(a: Assignment) -> Payment:
    assert a.fee is not None  # unpaid_fees() asks for fee__gt=0
    return Payment(
        id=f"fee-{a.pk}",
        kind="fee",
        expert_id=a.expert_id,
        payee=a.expert.user.get_full_name() or a.expert.display_name,
        payee_email=a.expert.user.email,
        engagement_date=_date(a),
        engagement=a.request.title,
        unit=a.request.unit.name,
        details=str(a.role),
        amount=a.fee,
    )


def _claim_payment(c: ExpenseClaim) -> Payment:
    return Payment(
        id=f"expense-{c.pk}",
        kind="expense",
        expert_id=c.assignment.expert_id,
        payee=c.assignment.expert.user.get_full_name() or c.assignment.expert.display_name,
        payee_email=c.assignment.expert.user.email,
        engagement_date=_date(c.assignment),
        engagement=c.assignment.request.title,
        unit=c.assignment.request.unit.name,
        details=_claim_details(c),
        amount=c.amount,
    )


def unpaid_payments(regions: Any) -> list[Payment]:
    """Fees of attended engagements and approved expense claims that are not paid yet."""
    return [*map(_fee_payment, unpaid_fees(regions)), *map(_claim_payment, unpaid_claims(regions))]


def payment_page(regions: Any, offset: int, limit: int) -> tuple[int, list[Payment]]:
    """One page of the same rows in the same order (fees, then expenses), and the total: four
    queries at most, whatever the number of payments (the API pages through them)."""
    fees, claims = unpaid_fees(regions), unpaid_claims(regions)
    fee_count, claim_count = fees.count(), claims.count()
    rows = [_fee_payment(a) for a in fees[offset : offset + limit]] if offset < fee_count else []
    if len(rows) < limit and offset + limit > fee_count:
        start = max(offset - fee_count, 0)
        rows += [_claim_payment(c) for c in claims[start : start + limit - len(rows)]]
    return fee_count + claim_count, rows


def _claim_details(claim: ExpenseClaim) -> str:
    parts = [str(claim.get_kind_display())]
    if claim.kilometres:
        parts.append(f"{claim.kilometres} km × {claim.km_rate} €")
    if claim.description:
        parts.append(claim.description)
    return ", ".join(parts)


def payments_rows(rows: list[Payment]) -> list[list[str]]:
    """ISO dates and decimal commas: amounts open as numbers in a Finnish spreadsheet."""
    return [
        [
            row.id,
            row.kind,
            row.payee,
            row.payee_email,
            row.engagement_date.isoformat() if row.engagement_date else "",
            row.engagement,
            row.unit,
            row.details,
            f"{row.amount:.2f}".replace(".", ","),
        ]
        for row in rows
    ]


@transaction.atomic
def mark_paid(payment_ids: list[str], regions: Any, *, by: Any) -> int:
    """Mark exactly the listed payments paid (those the coordinator exported), within scope, once:
    the rows are locked and re-checked, so two coordinators marking the same list at once mark
    each payment once, and the audit log says who did."""
    fee_ids: list[int] = []
    claim_ids: list[int] = []
    for payment_id in payment_ids:
        # Only ids this page rendered: "fee-12" or "expense-7" in ASCII digits that fit a database
        # id. Anything else ("fee-²", "expense-٣", 400 digits) names no payment and is ignored.
        match = PAYMENT_ID.fullmatch(payment_id)
        if match:
            (fee_ids if match["kind"] == "fee" else claim_ids).append(int(match["pk"]))
    now = timezone.now()
    fees = Assignment.objects.filter(pk__in=fee_ids, status=Assignment.Status.ATTENDED, fee_paid_at__isnull=True)
    claims = ExpenseClaim.objects.filter(pk__in=claim_ids, status=ExpenseClaim.Status.APPROVED)
    if regions is not None:
        fees = fees.filter(request__unit__region__in=regions)
        claims = claims.in_regions(regions)
    fee_ids = list(fees.select_for_update(no_key=True, of=("self",)).values_list("pk", flat=True))
    claim_ids = list(claims.select_for_update(no_key=True, of=("self",)).values_list("pk", flat=True))
    Assignment.objects.filter(pk__in=fee_ids).update(fee_paid_at=now)
    ExpenseClaim.objects.filter(pk__in=claim_ids).update(status=ExpenseClaim.Status.PAID, paid_at=now)
    AuditEvent.record_many(by, AuditEvent.Action.CHANGE, Assignment, fee_ids, "fee paid")
    AuditEvent.record_many(by, AuditEvent.Action.CHANGE, ExpenseClaim, claim_ids, "expenses paid")
    return len(fee_ids) + len(claim_ids)
