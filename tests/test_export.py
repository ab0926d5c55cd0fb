"""The expert's own export covers the whole engagement history, built from the inventory of personal
data, and its readable page is written for a person, in their language (GDPR art. 15 and 20)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagements import notifications
from engagements.models import (
    Assignment,
    CalendarFeed,
    Debrief,
    ExpenseClaim,
    ExpertFeedback,
    ImpactNote,
    Request,
    UnitFeedback,
)
from experts.models import EngagementRole, ExpertProfile, availability_bit
from registry.models import AuditEvent, User
from registry.privacy import inventory

pytestmark = pytest.mark.django_db


def make_engagement(make_request: Callable[..., Request], expert: ExpertProfile, **request_extra: Any) -> Assignment:
    start = timezone.now() - dt.timedelta(days=10)
    req = make_request(status="completed", starts_at=start, ends_at=start + dt.timedelta(hours=2), **request_extra)
    return Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="attended",
        offer_expires_at=start,
        fee=120,
        confirmed_at=start - dt.timedelta(days=3),
    )


@pytest.fixture
def history(
    expert: ExpertProfile,
    other_expert: ExpertProfile,
    make_request: Callable[..., Request],
    unit_member: User,
    coordinator: User,
) -> Assignment:
    ExpertProfile.objects.filter(pk=expert.pk).update(weekly_availability=availability_bit(0, 0))
    assignment = make_engagement(make_request, expert, title="Sijaishuollon paneeli")
    Assignment.objects.create(
        request=make_request(status="matching", title="Kieltäydyin"),
        expert=expert,
        role=EngagementRole.objects.get(code="speaker"),
        status="declined",
        offer_expires_at=timezone.now(),
        decline_reason="Koeviikko",
    )
    ExpertFeedback.objects.create(
        assignment=assignment, how_it_went=4, heard=5, respected=5, preparation=3, free_text="Jännitti aluksi"
    )
    Debrief.objects.create(assignment=assignment, reason="requested", note="Puhuimme jännityksestä")
    claim = ExpenseClaim(assignment=assignment, kind="ticket", amount=15, description="Bussilippu")
    claim.receipt.save("r.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    claim.receipt_type = "application/pdf"
    claim.save()
    UnitFeedback.objects.create(
        request=assignment.request,
        participants=40,
        usefulness=5,
        take_forward="Otamme mallin käyttöön",
        free_text="Sisäinen huomio",
        share_with_experts=True,
        given_by=unit_member,
    )
    ImpactNote.objects.create(request=assignment.request, text="Käytäntö muuttui", written_by=unit_member)
    notifications.impact_note_written(assignment.request)
    CalendarFeed.objects.create(user=expert.user)
    AuditEvent.record(coordinator, AuditEvent.Action.CHANGE, assignment, "confirmed")
    # Someone else's engagement in the same request must not show.
    Assignment.objects.create(
        request=assignment.request,
        expert=other_expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="attended",
        offer_expires_at=timezone.now(),
        decline_reason="Toisen syy",
    )
    return assignment


def test_the_file_has_the_whole_engagement_history(client: Client, expert: ExpertProfile, history: Assignment) -> None:
    client.force_login(expert.user)
    data = json.loads(client.get(reverse("experts:export-json")).content)
    statuses = sorted(row["status"] for row in data["engagements"])
    assert statuses == ["attended", "declined"]
    declined = next(row for row in data["engagements"] if row["status"] == "declined")
    assert declined["decline_reason"] == "Koeviikko"
    attended = next(row for row in data["engagements"] if row["status"] == "attended")
    assert attended["fee"] == "120.00" and attended["role"] == "Panelisti"
    assert data["your_feedback"][0]["free_text"] == "Jännitti aluksi"
    assert data["debriefs"][0]["note"] == "Puhuimme jännityksestä"
    assert data["expense_claims"][0]["receipt"].startswith("receipts/")
    # What the unit shared with the experts who took part: the score and what they take forward only.
    assert data["unit_feedback"] == [
        {"request": history.request.title, "usefulness": 5, "take_forward": "Otamme mallin käyttöön"}
    ]
    assert data["impact_notes"][0]["text"] == "Käytäntö muuttui"
    assert data["notifications"] and data["notifications"][0]["url"]
    assert data["calendar"] and "token" not in data["calendar"][0]
    assert any(event["object_type"] == "engagements.assignment" for event in data["audit_log"])
    body = json.dumps(data, ensure_ascii=False)
    assert "Toisen syy" not in body and "Sisäinen huomio" not in body


def test_feedback_not_shared_with_experts_is_not_in_their_export(
    client: Client, expert: ExpertProfile, history: Assignment
) -> None:
    UnitFeedback.objects.update(share_with_experts=False)
    client.force_login(expert.user)
    data = json.loads(client.get(reverse("experts:export-json")).content)
    assert data["unit_feedback"] == []


def test_the_readable_page_is_written_for_a_person(client: Client, expert: ExpertProfile, history: Assignment) -> None:
    client.force_login(expert.user)
    response = client.get(reverse("experts:export-html"))
    assert response.status_code == 200
    page = response.content.decode()
    text = re.sub(r"<[^>]+>", " ", page)
    # Labels and values a person understands, not field names, codes or ids.
    for raw in ("decline_reason", "weekly_availability", "given_by", ">fee<", "attended", "kotialue 4", "panellist"):
        assert raw not in page, raw
    assert str(expert.home_region) in text
    assert "Maanantai aamupäivä" in text
    assert "Osallistui" in text and "Panelisti" in text
    assert "120,00" in text
    assert "Sijaishuollon paneeli" in text
    assert reverse("engagements:receipt", args=[ExpenseClaim.objects.get().pk]) in page
    for heading in (
        "Tarjouksesi ja tehtäväsi",
        "Palautteesi",
        "Kulukorvaushakemuksesi",
        "Kuka on käsitellyt tietojasi",
    ):
        assert heading in text


def test_the_readable_page_is_in_swedish_for_a_swedish_speaker(
    client: Client, expert: ExpertProfile, history: Assignment
) -> None:
    client.cookies["django_language"] = "sv"
    client.force_login(expert.user)
    text = client.get(reverse("experts:export-html")).content.decode()
    assert "Dina erbjudanden och uppdrag" in text and "Deltog" in text and "Måndag förmiddag" in text


def test_the_readable_page_needs_a_bounded_number_of_queries(
    client: Client,
    expert: ExpertProfile,
    history: Assignment,
    make_request: Callable[..., Request],
) -> None:
    client.force_login(expert.user)
    client.get(reverse("experts:export-html"))  # the session's first-page writes
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("experts:export-html"))
    for _ in range(15):
        make_engagement(make_request, expert)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("experts:export-html"))
    # The same whatever the history: a few queries per model of the inventory (its rows and their
    # relations), so the number grows only when the inventory does.
    assert len(many) == len(few)
    assert len(few) <= 4 * len(inventory())
