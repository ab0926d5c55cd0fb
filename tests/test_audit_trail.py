"""Every view or export of an expert's personal data leaves an audit event under that expert, so
that "who has seen my data" has an answer (the expert's own data export lists them)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from engagements.models import Assignment, ExpenseClaim, ExpertFeedback, Request
from experts.models import EngagementRole, ExpertProfile
from registry.models import AuditEvent, User
from tests.conftest import ready_expert

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def trail(expert: ExpertProfile) -> list[tuple[str | None, str, str]]:
    events = AuditEvent.objects.filter(object_type="experts.expertprofile", object_id=str(expert.pk)).order_by("pk")
    with translation.override("en"):
        return [(event.actor_email or None, event.action, event.detail_label) for event in events]


def engaged(req: Request, expert: ExpertProfile, status: str, **extra: Any) -> Assignment:
    return Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=status,
        offer_expires_at=timezone.now() + dt.timedelta(days=1),
        **extra,
    )


def jpeg() -> ContentFile[bytes]:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    return ContentFile(buffer.getvalue())


def past(make_request: Any, **extra: Any) -> Request:
    start = timezone.now() - dt.timedelta(days=5)
    return make_request(starts_at=start, ends_at=start + dt.timedelta(hours=2), **extra)


def test_payroll_export_is_audited_under_each_payee(
    make_request: Any, make_expert: Any, expert: ExpertProfile, coordinator: User
) -> None:
    other = make_expert()
    req = past(make_request, status="completed")
    engaged(req, expert, "attended", fee=Decimal("120"))
    claim_of = engaged(req, other, "attended")
    ExpenseClaim.objects.create(assignment=claim_of, kind="ticket", amount=Decimal("9.90"), status="approved")
    response = signed_in(coordinator).get(reverse("engagements:payments-export"))
    assert response.status_code == 200
    assert trail(expert) == [(coordinator.email, "export", "payroll CSV")]
    assert trail(other) == [(coordinator.email, "export", "payroll CSV")]


def test_coordinator_opening_a_receipt_is_audited(make_request: Any, expert: ExpertProfile, coordinator: User) -> None:
    claim = ExpenseClaim(assignment=engaged(past(make_request), expert, "attended"), kind="ticket", amount=Decimal(5))
    claim.receipt.save("r", jpeg(), save=False)
    claim.receipt_type = "image/jpeg"
    claim.save()
    assert signed_in(coordinator).get(reverse("engagements:expense-receipt", args=[claim.pk])).status_code == 200
    assert trail(expert) == [(coordinator.email, "view", f"expense receipt {claim.pk}")]
    # The expert opening their own receipt is not someone else seeing their data.
    assert signed_in(expert.user).get(reverse("engagements:receipt", args=[claim.pk])).status_code == 200
    assert len(trail(expert)) == 1


def test_photo_views_by_others_are_audited_and_the_experts_own_are_not(
    make_request: Any, expert: ExpertProfile, coordinator: User, unit_member: User
) -> None:
    ready_expert(expert).give_consent("photo")
    expert.photo.save("p.jpg", jpeg())
    engaged(make_request(status="confirmed"), expert, "confirmed")
    url = reverse("engagements:expert-photo", args=[expert.pk])
    for user in (expert.user, coordinator, unit_member):
        assert signed_in(user).get(url).status_code == 200
    assert trail(expert)[-2:] == [(coordinator.email, "view", "photo"), (unit_member.email, "view", "photo")]
    assert not [event for event in trail(expert) if event[0] == expert.user.email and event[2] == "photo"]


def test_matching_pages_audit_every_expert_they_show(
    make_request: Any, make_expert: Any, expert: ExpertProfile, coordinator: User
) -> None:
    shown = ready_expert(expert)
    excluded = make_expert()  # no consents: excluded, and listed with the reason
    req = make_request(status="matching")
    client = signed_in(coordinator)
    assert client.get(reverse("engagements:matching", args=[req.pk])).status_code == 200
    assert trail(shown) == [(coordinator.email, "view", f"matching for request {req.pk}")]
    assert client.get(reverse("engagements:excluded", args=[req.pk])).status_code == 200
    assert trail(excluded) == [(coordinator.email, "view", f"excluded from matching for request {req.pk}")]


def test_unit_reading_a_confirmed_experts_introduction_is_audited(
    make_request: Any, make_expert: Any, expert: ExpertProfile, unit_member: User
) -> None:
    req = make_request(status="confirmed")
    engaged(req, expert, "confirmed")
    only_offered = make_expert()
    engaged(req, only_offered, "offered")
    assert signed_in(unit_member).get(reverse("engagements:unit-request", args=[req.pk])).status_code == 200
    assert trail(expert) == [(unit_member.email, "view", f"introduction on request {req.pk}")]
    assert trail(only_offered) == []  # the unit never sees an expert who is only offered


def test_coordinator_reading_an_experts_own_feedback_is_audited(
    make_request: Any, expert: ExpertProfile, coordinator: User
) -> None:
    req = past(make_request, status="completed")
    assignment = engaged(req, expert, "attended")
    ExpertFeedback.objects.create(assignment=assignment, how_it_went=4, heard=5, respected=5, preparation=3)
    assert signed_in(coordinator).get(reverse("engagements:coordinator-request", args=[req.pk])).status_code == 200
    assert trail(expert) == [(coordinator.email, "view", f"own feedback on request {req.pk}")]


def test_matching_page_audit_is_one_query_however_many_experts_it_shows(
    make_request: Any, make_expert: Any, coordinator: User, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        ready_expert(make_expert())
    req = make_request(status="matching")
    client = signed_in(coordinator)
    with django_assert_max_num_queries(60) as few:
        client.get(reverse("engagements:matching", args=[req.pk]))
    for _ in range(12):
        ready_expert(make_expert())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("engagements:matching", args=[req.pk]))


def test_details_with_values_are_shown_in_the_readers_language(expert: ExpertProfile, coordinator: User) -> None:
    from experts.models import ConsentPurpose

    AuditEvent.record(
        coordinator,
        AuditEvent.Action.CONSENT,
        expert,
        "guardian consent withdrawn: %(purpose)s",
        {"purpose": AuditEvent.in_languages(ConsentPurpose.REGISTRY.label)},
    )
    AuditEvent.record_many(
        coordinator,
        AuditEvent.Action.VIEW,
        ExpertProfile,
        [expert.pk],
        "matching for request %(request)s",
        {"request": 7},
    )
    events = list(AuditEvent.objects.filter(object_id=str(expert.pk)).order_by("pk"))
    shown = {}
    for language in ("fi", "sv", "en"):
        with translation.override(language):
            shown[language] = [event.detail_label for event in events]
    with translation.override("en"):
        assert shown["en"] == [f"guardian consent withdrawn: {ConsentPurpose.REGISTRY.label}", "matching for request 7"]
    with translation.override("fi"):
        assert shown["fi"][0].endswith(str(ConsentPurpose.REGISTRY.label))
    assert shown["fi"][1] != shown["en"][1] and shown["fi"][1].endswith("7")
    assert shown["sv"][1] != shown["en"][1] and shown["sv"][1].endswith("7")
    assert "guardian" not in shown["fi"][0] and "guardian" not in shown["sv"][0]
