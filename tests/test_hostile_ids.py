"""Ids a form never rendered (400 digits, "²", "٣") are a form error or no match, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements.models import Assignment, ExpenseClaim, Request
from engagements.payments import mark_paid
from experts.models import EngagementRole, ExpertProfile, Language, Theme
from registry.models import Unit, User

pytestmark = pytest.mark.django_db

HUGE = "9" * 400
BAD_IDS = [HUGE, str(2**63), "-" + HUGE, "²", "¹", "٣", "１", " 1", "1_0", "1.0", "0x1"]


@pytest.mark.parametrize("value", BAD_IDS)
def test_in_lookup_with_an_id_no_column_holds_matches_nothing_or_is_refused(value: str) -> None:
    theme = Theme.objects.order_by("pk").first()
    assert theme is not None
    try:
        found = list(Theme.objects.filter(pk__in=[value, theme.pk]))
    except ValueError:
        return  # not a number: refused like "abc" (forms show "Select a valid choice")
    assert found == [theme]


@pytest.mark.parametrize("value", [str(10**30), str(-(10**30)), str(2**63)])
def test_in_lookup_with_only_out_of_range_numbers_is_empty(value: str) -> None:
    assert list(Theme.objects.filter(pk__in=[value])) == []
    assert list(Theme.objects.filter(pk__in=[int(value)])) == []


def test_unicode_digit_does_not_select_the_row_with_that_number() -> None:
    theme = Theme.objects.get(pk=3) if Theme.objects.filter(pk=3).exists() else Theme.objects.first()
    assert theme is not None
    arabic = str(theme.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with pytest.raises(ValueError):
        Theme.objects.get(pk=arabic)
    assert Theme.objects.get(pk=str(theme.pk)) == theme


@pytest.mark.parametrize("value", BAD_IDS)
@pytest.mark.parametrize("field", ["languages", "home_region"])
def test_profile_with_a_bad_id_in_a_choice_field_is_a_form_error(
    client: Client, expert: ExpertProfile, field: str, value: str
) -> None:
    client.force_login(expert.user)
    page = client.get(reverse("experts:profile")).context["form"]
    data = {name: page[name].value() for name in page.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["languages"] = [str(Language.objects.get(code="fi").pk)]
    data[field] = [value]
    response = client.post(reverse("experts:profile"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    before = ExpertProfile.objects.get(pk=expert.pk)
    assert before.display_name == expert.display_name


@pytest.mark.parametrize("value", BAD_IDS)
@pytest.mark.parametrize("field", ["unit", "themes"])
def test_request_edit_with_a_bad_id_is_a_form_error(
    client: Client, unit_member: User, make_request: Callable[..., Request], field: str, value: str
) -> None:
    req = make_request(status="draft")
    client.force_login(unit_member)
    form = client.get(reverse("engagements:request-edit", args=[req.pk])).context["form"]
    data: dict[str, Any] = {}
    for name in form.fields:
        bound = form[name].value()
        data[name] = "" if bound is None else bound
    data["starts_at"] = timezone.localtime(req.starts_at).strftime("%Y-%m-%dT%H:%M")
    data["ends_at"] = timezone.localtime(req.ends_at).strftime("%Y-%m-%dT%H:%M")
    data[field] = [value]
    response = client.post(reverse("engagements:request-edit", args=[req.pk]), data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    req.refresh_from_db()
    assert req.unit == Unit.objects.get(pk=req.unit_id)


@pytest.mark.parametrize(
    "payment_id", ["fee-²", "expense-¹", "fee-٣", f"fee-{HUGE}", f"expense-{HUGE}", "fee-1_0", "fee- 1", "fee-0"]
)
def test_mark_paid_ignores_malformed_ids(coordinator: User, client: Client, payment_id: str) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("engagements:payments-paid"), {"payment": [payment_id]})
    assert response.status_code == 302


def test_mark_paid_pays_well_formed_ids_next_to_malformed_ones(
    make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    req = make_request(status="completed")
    assignment = Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=Assignment.Status.ATTENDED,
        offer_expires_at=timezone.now(),
        fee=Decimal("100"),
    )
    claim = ExpenseClaim.objects.create(
        assignment=assignment, kind="ticket", amount=Decimal("12"), status=ExpenseClaim.Status.APPROVED
    )
    ids = ["fee-²", f"fee-{HUGE}", f"fee-{assignment.pk}", f"expense-{claim.pk}", f"expense-{claim.pk}٣"]
    assert mark_paid(ids, None, by=None) == 2
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.PAID
