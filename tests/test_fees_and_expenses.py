"""Fees by the schedule, expense claims with clean receipts, their review, payroll export and the expert's history."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader, PdfWriter

from engagements.models import (
    Assignment,
    ExpenseClaim,
    ExpertFeedback,
    FeeSchedule,
    ImpactNote,
    KilometreRate,
    Request,
    UnitFeedback,
    fee_for_assignment,
)
from engagements.payments import unpaid_payments
from experts.models import EngagementRole, ExpertProfile
from registry.models import Region, StaffRole, User
from tests.conftest import make_user, ready_expert, with_totp

pytestmark = pytest.mark.django_db

SCHEDULE_START = dt.date(2026, 1, 1)
EXIF_GPS_IFD = 0x8825
EXIF_MAKE = 0x010F
CSV_HEADER = [
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


# Factories -------------------------------------------------------------------------------------


def engaged(
    req: Request, expert: ExpertProfile, status: str = "confirmed", fee: Decimal | str | None = None, **extra: Any
) -> Assignment:
    """An assignment in the given state, straight into the database."""
    return Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=status,
        offer_expires_at=timezone.now() + dt.timedelta(days=1),
        fee=Decimal(fee) if fee is not None else None,
        **extra,
    )


def at(day: dt.date, hour: int = 13) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def past_request(make_request: Callable[..., Request], day: dt.date | None = None, **extra: Any) -> Request:
    """A confirmed request that has already ended (13–15 on the day, by default ten days ago)."""
    day = day or timezone.localdate() - dt.timedelta(days=10)
    extra.setdefault("status", "confirmed")
    return make_request(starts_at=at(day, 13), ends_at=at(day, 15), **extra)


def claim(assignment: Assignment, amount: str, status: str = "submitted", **extra: Any) -> ExpenseClaim:
    return ExpenseClaim.objects.create(
        assignment=assignment, kind="ticket", amount=Decimal(amount), status=status, **extra
    )


def regional_coordinator(region: Region, email: str = "far-coordinator@example.test") -> User:
    user = make_user(email)
    StaffRole.objects.create(user=user, role=StaffRole.Kind.COORDINATOR, region=region)
    return with_totp(user)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response: HttpResponse) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def new_panel_schedule(valid_from: dt.date, short: str, long: str, longer: str) -> None:
    FeeSchedule.objects.bulk_create(
        FeeSchedule(request_type="panel", max_hours=hours, amount=Decimal(amount), valid_from=valid_from)
        for hours, amount in ((Decimal("2"), short), (Decimal("4"), long), (None, longer))
    )


def end_panel_schedule(valid_until: dt.date) -> None:
    FeeSchedule.objects.filter(request_type="panel", valid_until__isnull=True).update(valid_until=valid_until)


# Upload factories --------------------------------------------------------------------------------


def jpeg_with_gps() -> bytes:
    """What a phone writes: camera make and where the picture was taken."""
    exif = Image.Exif()
    exif[EXIF_MAKE] = "SecretCam"
    gps = exif.get_ifd(EXIF_GPS_IFD)
    gps[1] = "N"
    gps[2] = (62.0, 53.0, 31.0)
    gps[3] = "E"
    gps[4] = (27.0, 40.0, 43.0)
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (240, 240, 240)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def pdf_with_metadata() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "Tuuli Salanimi", "/Title": "Junalippu Kuopio"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def ticket(receipt: SimpleUploadedFile | None = None, amount: str = "23.40") -> dict[str, Any]:
    data: dict[str, Any] = {"kind": "ticket", "description": "Juna Kuopio–Iisalmi", "amount": amount}
    if receipt is not None:
        data["receipt"] = receipt
    return data


def stored_receipt(claim_obj: ExpenseClaim) -> bytes:
    assert claim_obj.receipt, "no receipt was stored"
    return Path(claim_obj.receipt.path).read_bytes()


def body_of(response: Any) -> bytes:
    # The test client closes a streamed response itself once it has been read.
    return b"".join(response.streaming_content)


# 1. Fee schedule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "fee"),
    [("1", "80"), ("2", "80"), ("2.5", "120"), ("3", "120"), ("4", "120"), ("4.5", "180"), ("6", "180")],
)
def test_fee_comes_from_the_smallest_bracket_that_covers_the_duration(hours: str, fee: str) -> None:
    assert FeeSchedule.fee_for("panel", Decimal(hours), dt.date(2026, 6, 1)) == Decimal(fee)


def test_fee_comes_from_the_schedule_in_force_on_the_day() -> None:
    change = dt.date(2027, 3, 1)
    end_panel_schedule(change - dt.timedelta(days=1))
    new_panel_schedule(change, "90", "130", "200")

    day_before, day_of = change - dt.timedelta(days=1), change
    assert FeeSchedule.fee_for("panel", Decimal("2"), day_before) == Decimal("80")
    assert FeeSchedule.fee_for("panel", Decimal("3"), day_before) == Decimal("120")
    assert FeeSchedule.fee_for("panel", Decimal("6"), day_before) == Decimal("180")
    assert FeeSchedule.fee_for("panel", Decimal("2"), day_of) == Decimal("90")
    assert FeeSchedule.fee_for("panel", Decimal("3"), day_of) == Decimal("130")
    assert FeeSchedule.fee_for("panel", Decimal("6"), day_of) == Decimal("200")
    # Other types keep their open-ended rows.
    assert FeeSchedule.fee_for("speaker", Decimal("2"), day_of) == Decimal("80")


def test_no_fee_when_no_schedule_row_is_in_force() -> None:
    assert FeeSchedule.fee_for("panel", Decimal("2"), SCHEDULE_START - dt.timedelta(days=1)) is None
    FeeSchedule.objects.filter(request_type="panel").delete()
    assert FeeSchedule.fee_for("panel", Decimal("2"), dt.date(2026, 6, 1)) is None


def test_the_migration_sets_the_kilometre_rate() -> None:
    assert KilometreRate.in_force(SCHEDULE_START) == Decimal("0.59")
    assert KilometreRate.in_force(SCHEDULE_START - dt.timedelta(days=1)) is None


# 2. Fee proposed on the offer and fixed on confirmation ----------------------------------------


def offer(coordinator_client: Client, req: Request, expert: ExpertProfile) -> Assignment:
    answer_by = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = coordinator_client.post(
        reverse("engagements:make-offers", args=[req.pk]), {"experts": [str(expert.pk)], "answer_by": answer_by}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Assignment.objects.get(request=req, expert=expert)


def accept_and_confirm(coordinator_client: Client, assignment: Assignment) -> Assignment:
    signed_in(assignment.expert.user).post(reverse("engagements:offer-accept", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED
    coordinator_client.post(reverse("engagements:confirm", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CONFIRMED
    return assignment


@pytest.mark.parametrize(
    ("compensation", "proposed"),
    [
        (ExpertProfile.Compensation.FEE, Decimal("80.00")),
        (ExpertProfile.Compensation.EXPENSES, None),
        (ExpertProfile.Compensation.VOLUNTEER, None),
    ],
)
def test_offer_proposes_the_scheduled_fee_only_to_experts_who_want_one(
    coordinator: User, make_request: Callable[..., Request], expert: ExpertProfile, compensation: str, proposed: Any
) -> None:
    expert.compensation = compensation
    ready_expert(expert)
    assignment = offer(signed_in(coordinator), make_request(status="matching"), expert)
    assert assignment.fee_proposed == proposed
    assert assignment.fee is None


def test_offer_for_a_three_hour_panel_proposes_the_middle_bracket(
    coordinator: User, make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    ready_expert(expert)
    req = make_request(status="matching")
    req.ends_at = req.starts_at + dt.timedelta(hours=3)
    req.save()
    assert offer(signed_in(coordinator), req, expert).fee_proposed == Decimal("120.00")


@pytest.mark.parametrize("compensation", [ExpertProfile.Compensation.FEE, ExpertProfile.Compensation.EXPENSES])
def test_confirmation_fixes_the_proposed_fee(
    coordinator: User, make_request: Callable[..., Request], expert: ExpertProfile, compensation: str
) -> None:
    expert.compensation = compensation
    ready_expert(expert)
    client = signed_in(coordinator)
    assignment = accept_and_confirm(client, offer(client, make_request(status="matching"), expert))
    assert assignment.fee == assignment.fee_proposed
    assert assignment.fee == (Decimal("80.00") if compensation == ExpertProfile.Compensation.FEE else None)


def test_schedule_change_after_the_offer_keeps_the_fee_the_expert_agreed_to(
    coordinator: User, make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    ready_expert(expert)
    client = signed_in(coordinator)
    assignment = offer(client, make_request(status="matching"), expert)
    assert assignment.fee_proposed == Decimal("80.00")

    today = timezone.localdate()
    end_panel_schedule(today - dt.timedelta(days=1))
    new_panel_schedule(today, "95", "140", "210")
    assert fee_for_assignment(assignment, today) == Decimal("95.00")  # the schedule really changed

    assignment = accept_and_confirm(client, assignment)
    assert assignment.fee == Decimal("80.00")


def test_without_a_proposal_the_schedule_in_force_at_confirmation_applies(
    coordinator: User, make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    ready_expert(expert)
    client = signed_in(coordinator)
    FeeSchedule.objects.filter(request_type="panel").delete()
    assignment = offer(client, make_request(status="matching"), expert)
    assert assignment.fee_proposed is None

    new_panel_schedule(timezone.localdate(), "85", "125", "190")
    assignment = accept_and_confirm(client, assignment)
    assert assignment.fee == Decimal("85.00")


def test_request_for_expenses_only_proposes_no_fee(
    coordinator: User, make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    ready_expert(expert)
    req = make_request(status="matching", fee_basis=Request.FeeBasis.EXPENSES)
    assert offer(signed_in(coordinator), req, expert).fee_proposed is None


def test_no_show_gets_no_fee_and_attendance_keeps_it(
    coordinator: User, make_request: Callable[..., Request], expert: ExpertProfile, other_expert: ExpertProfile
) -> None:
    req = past_request(make_request, experts_needed=2)
    absent = engaged(req, expert, fee="80")
    present = engaged(req, other_expert, fee="80")

    absent.mark_attendance(attended=False, by=coordinator)
    signed_in(coordinator).post(reverse("engagements:attendance", args=[present.pk]), {"attended": "yes"})

    absent.refresh_from_db()
    present.refresh_from_db()
    assert (absent.status, absent.fee) == (Assignment.Status.NO_SHOW, None)
    assert (present.status, present.fee) == (Assignment.Status.ATTENDED, Decimal("80.00"))
    assert [p.id for p in unpaid_payments(None)] == [f"fee-{present.pk}"]


# 3. Expense claims -----------------------------------------------------------------------------


def post_claim(user: User, assignment: Assignment, data: dict[str, Any]) -> HttpResponse:
    return signed_in(user).post(reverse("engagements:expense-claim", args=[assignment.pk]), data)


def test_kilometres_are_paid_at_the_rate_in_force_on_the_engagement_day(
    make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    req = make_request(status="confirmed")  # in the future
    engagement_day = timezone.localdate(req.ends_at)
    KilometreRate.objects.create(rate=Decimal("0.65"), valid_from=engagement_day)
    assignment = engaged(req, expert)

    response = post_claim(expert.user, assignment, {"kind": "km", "kilometres": "123.4", "amount": "999"})

    assert response.status_code == 302
    stored = ExpenseClaim.objects.get()
    assert stored.km_rate == Decimal("0.65")
    assert stored.amount == Decimal("80.21")  # 123.4 × 0.65 = 80.21, not today's 0.59 and not the typed 999
    assert stored.status == ExpenseClaim.Status.SUBMITTED
    assert not stored.receipt


def test_kilometres_of_a_past_engagement_use_the_rate_of_that_day(
    make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    req = past_request(make_request)
    KilometreRate.objects.create(rate=Decimal("0.70"), valid_from=timezone.localdate() - dt.timedelta(days=1))
    assignment = engaged(req, expert, status="attended", fee="80")

    assert post_claim(expert.user, assignment, {"kind": "km", "kilometres": "42"}).status_code == 302
    stored = ExpenseClaim.objects.get()
    assert (stored.kilometres, stored.km_rate, stored.amount) == (Decimal("42"), Decimal("0.59"), Decimal("24.78"))
    assert stored.amount.as_tuple().exponent == -2


@pytest.mark.parametrize("km", ["0", "-5", "10000", ""])
def test_bad_kilometres_are_refused(make_request: Callable[..., Request], expert: ExpertProfile, km: str) -> None:
    assignment = engaged(make_request(status="confirmed"), expert)
    response = post_claim(expert.user, assignment, {"kind": "km", "kilometres": km})
    assert response.status_code == 400
    assert "kilometres" in response.context["form"].errors
    assert not ExpenseClaim.objects.exists()


def test_ticket_without_receipt_is_refused(make_request: Callable[..., Request], expert: ExpertProfile) -> None:
    assignment = engaged(make_request(status="confirmed"), expert)
    response = post_claim(expert.user, assignment, ticket())
    assert response.status_code == 400
    assert "receipt" in response.context["form"].errors
    assert not ExpenseClaim.objects.exists()


def test_jpeg_receipt_is_stored_re_encoded_without_exif(
    make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    source = jpeg_with_gps()
    with Image.open(io.BytesIO(source)) as original:
        assert original.getexif().get_ifd(EXIF_GPS_IFD)[1] == "N"
    assignment = engaged(make_request(status="confirmed"), expert)

    response = post_claim(expert.user, assignment, ticket(SimpleUploadedFile("kuitti.jpg", source, "image/jpeg")))

    assert response.status_code == 302
    stored = ExpenseClaim.objects.get()
    assert stored.amount == Decimal("23.40")
    assert stored.receipt_type == "image/jpeg"
    raw = stored_receipt(stored)
    assert raw != source
    assert b"Exif" not in raw and b"SecretCam" not in raw
    with Image.open(io.BytesIO(raw)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
    assert "kuitti" not in stored.receipt.name


def test_pdf_receipt_is_stored_without_its_metadata(
    make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    source = pdf_with_metadata()
    assert PdfReader(io.BytesIO(source)).metadata["/Author"] == "Tuuli Salanimi"
    assignment = engaged(make_request(status="confirmed"), expert)

    response = post_claim(expert.user, assignment, ticket(SimpleUploadedFile("lippu.pdf", source, "application/pdf")))

    assert response.status_code == 302
    stored = ExpenseClaim.objects.get()
    assert stored.receipt_type == "application/pdf"
    raw = stored_receipt(stored)
    reader = PdfReader(io.BytesIO(raw))
    assert len(reader.pages) == 1
    metadata = reader.metadata or {}
    assert "/Author" not in metadata and "/Title" not in metadata
    assert b"Tuuli Salanimi" not in raw and b"Junalippu" not in raw


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("kuitti.txt", b"Junalippu 23,40 EUR\n", "text/plain"),
        ("kuitti.jpg", b"not really a jpeg", "image/jpeg"),
        ("kuitti.pdf", b"%PDF-1.7\nbroken", "application/pdf"),
    ],
)
def test_receipt_that_is_not_a_pdf_or_image_is_refused(
    make_request: Callable[..., Request], expert: ExpertProfile, name: str, data: bytes, content_type: str
) -> None:
    assignment = engaged(make_request(status="confirmed"), expert)
    response = post_claim(expert.user, assignment, ticket(SimpleUploadedFile(name, data, content_type)))
    assert response.status_code == 400
    assert "receipt" in response.context["form"].errors
    assert not ExpenseClaim.objects.exists()


def test_expert_cannot_claim_for_someone_elses_assignment(
    make_request: Callable[..., Request], expert: ExpertProfile, other_expert: ExpertProfile
) -> None:
    assignment = engaged(make_request(status="confirmed"), expert)
    response = post_claim(other_expert.user, assignment, {"kind": "km", "kilometres": "10"})
    assert response.status_code == 404
    assert not ExpenseClaim.objects.exists()


@pytest.mark.parametrize("status", ["offered", "accepted", "declined", "no_show", "cancelled"])
def test_expenses_only_for_confirmed_or_attended_engagements(
    make_request: Callable[..., Request], expert: ExpertProfile, status: str
) -> None:
    assignment = engaged(make_request(status="offered"), expert, status=status)
    response = post_claim(expert.user, assignment, {"kind": "km", "kilometres": "10"})
    assert response.status_code == 302
    assert response["Location"] == reverse("engagements:history")
    assert [level for level, _text in messages_of(response)] == [message_levels.INFO]
    assert not ExpenseClaim.objects.exists()


def test_receipt_is_shown_to_its_expert_and_coordinators_in_scope_only(
    make_request: Callable[..., Request],
    expert: ExpertProfile,
    other_expert: ExpertProfile,
    coordinator: User,
    other_region: Region,
) -> None:
    source = pdf_with_metadata()
    assignment = engaged(make_request(status="confirmed"), expert)
    post_claim(expert.user, assignment, ticket(SimpleUploadedFile("lippu.pdf", source, "application/pdf")))
    stored = ExpenseClaim.objects.get()
    expected = stored_receipt(stored)

    own = signed_in(expert.user).get(reverse("engagements:receipt", args=[stored.pk]))
    assert own.status_code == 200
    assert own["Content-Type"] == "application/pdf"
    assert "no-store" in own["Cache-Control"]
    assert body_of(own) == expected

    assert signed_in(other_expert.user).get(reverse("engagements:receipt", args=[stored.pk])).status_code == 404

    by_coordinator = signed_in(coordinator).get(reverse("engagements:expense-receipt", args=[stored.pk]))
    assert by_coordinator.status_code == 200
    assert body_of(by_coordinator) == expected

    far = signed_in(regional_coordinator(other_region))
    assert far.get(reverse("engagements:expense-receipt", args=[stored.pk])).status_code == 404


# 4. Coordinator review -------------------------------------------------------------------------


def test_coordinator_approves_a_claim(
    make_request: Callable[..., Request], expert: ExpertProfile, coordinator: User
) -> None:
    pending = claim(engaged(make_request(status="confirmed"), expert), "12.00")
    client = signed_in(coordinator)
    assert pending in client.get(reverse("engagements:expenses")).context["claims"]

    response = client.post(reverse("engagements:approve-expense", args=[pending.pk]))

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ExpenseClaim.Status.APPROVED
    assert (pending.decided_by, pending.decided_at is not None) == (coordinator, True)
    assert pending not in client.get(reverse("engagements:expenses")).context["claims"]


def test_approving_twice_is_refused(
    make_request: Callable[..., Request], expert: ExpertProfile, coordinator: User
) -> None:
    pending = claim(engaged(make_request(status="confirmed"), expert), "12.00")
    client = signed_in(coordinator)
    client.post(reverse("engagements:approve-expense", args=[pending.pk]), follow=True)  # shows its message
    pending.refresh_from_db()
    first_decision = pending.decided_at

    response = client.post(reverse("engagements:approve-expense", args=[pending.pk]))

    assert [level for level, _text in messages_of(response)] == [message_levels.ERROR]
    pending.refresh_from_db()
    assert (pending.status, pending.decided_at) == (ExpenseClaim.Status.APPROVED, first_decision)


def test_returned_claim_shows_the_reason_to_the_expert(
    make_request: Callable[..., Request], expert: ExpertProfile, coordinator: User
) -> None:
    pending = claim(engaged(make_request(status="confirmed"), expert), "12.00")
    reason = "Kuitista puuttuu päivämäärä."

    signed_in(coordinator).post(reverse("engagements:return-expense", args=[pending.pk]), {"reason": reason})

    pending.refresh_from_db()
    assert (pending.status, pending.return_reason) == (ExpenseClaim.Status.RETURNED, reason)
    history = signed_in(expert.user).get(reverse("engagements:history"))
    assert reason in history.content.decode()
    # A returned claim cannot be approved afterwards.
    signed_in(coordinator).post(reverse("engagements:approve-expense", args=[pending.pk]))
    pending.refresh_from_db()
    assert pending.status == ExpenseClaim.Status.RETURNED


@pytest.mark.parametrize("reason", ["", "   "])
def test_returning_without_a_reason_does_nothing(
    make_request: Callable[..., Request], expert: ExpertProfile, coordinator: User, reason: str
) -> None:
    pending = claim(engaged(make_request(status="confirmed"), expert), "12.00")
    response = signed_in(coordinator).post(reverse("engagements:return-expense", args=[pending.pk]), {"reason": reason})
    assert [level for level, _text in messages_of(response)] == [message_levels.ERROR]
    pending.refresh_from_db()
    assert (pending.status, pending.return_reason, pending.decided_at) == (ExpenseClaim.Status.SUBMITTED, "", None)


def test_long_return_reason_is_kept_whole_and_too_long_is_refused(
    make_request: Callable[..., Request], expert: ExpertProfile, coordinator: User
) -> None:
    pending = claim(engaged(make_request(status="confirmed"), expert), "12.00")
    response = signed_in(coordinator).post(
        reverse("engagements:return-expense", args=[pending.pk]), {"reason": "x" * 1001}
    )
    assert [level for level, _text in messages_of(response)] == [message_levels.ERROR]
    pending.refresh_from_db()
    assert pending.status == ExpenseClaim.Status.SUBMITTED
    signed_in(coordinator).post(reverse("engagements:return-expense", args=[pending.pk]), {"reason": "y" * 400})
    pending.refresh_from_db()
    assert pending.status == ExpenseClaim.Status.RETURNED
    assert pending.return_reason == "y" * 400


def test_coordinator_of_another_region_cannot_review_claims(
    make_request: Callable[..., Request], expert: ExpertProfile, other_region: Region
) -> None:
    pending = claim(engaged(make_request(status="confirmed"), expert), "12.00")
    far = signed_in(regional_coordinator(other_region))
    assert list(far.get(reverse("engagements:expenses")).context["claims"]) == []
    assert far.post(reverse("engagements:approve-expense", args=[pending.pk])).status_code == 404
    assert far.post(reverse("engagements:return-expense", args=[pending.pk]), {"reason": "Ei"}).status_code == 404
    pending.refresh_from_db()
    assert pending.status == ExpenseClaim.Status.SUBMITTED


# 5. Payroll ------------------------------------------------------------------------------------


@pytest.fixture
def payroll(
    make_request: Callable[..., Request],
    make_expert: Callable[..., ExpertProfile],
    expert: ExpertProfile,
    other_expert: ExpertProfile,
) -> dict[str, Any]:
    """Attended, paid, no-show and expenses-only engagements, and claims in every state."""
    day = timezone.localdate() - dt.timedelta(days=10)
    tricky_title = 'Paneeli, osa 2; "jatko"'
    req = past_request(make_request, day=day, title=tricky_title, experts_needed=5)
    formula = make_expert("formula@example.test", display_name="=1+2")
    volunteer = make_expert("volunteer@example.test", compensation=ExpertProfile.Compensation.VOLUNTEER)
    no_show_expert = make_expert("absent@example.test")

    fee_a = engaged(req, expert, status="attended", fee="80")
    fee_b = engaged(req, formula, status="attended", fee="120.50")
    paid_already = engaged(past_request(make_request, day=day), other_expert, status="attended", fee="80")
    paid_already.fee_paid_at = timezone.now()
    paid_already.save()
    unpaid_volunteer = engaged(req, volunteer, status="attended", fee=None)
    no_show = engaged(req, no_show_expert, status="no_show", fee=None)

    approved_km = ExpenseClaim.objects.create(
        assignment=fee_a,
        kind="km",
        kilometres=Decimal("42"),
        km_rate=Decimal("0.59"),
        amount=Decimal("24.78"),
        status="approved",
    )
    approved_ticket = claim(unpaid_volunteer, "7.30", status="approved", description="Bussi; paluu, 2 vyöhykettä")
    waiting = claim(fee_b, "5.00")
    returned = claim(fee_b, "6.00", status="returned", return_reason="Ei kuittia")
    paid_claim = claim(no_show, "9.90", status="paid", paid_at=timezone.now())
    return {
        "day": day,
        "title": tricky_title,
        "fees": [fee_a, fee_b],
        "claims": [approved_km, approved_ticket],
        "not_listed": {"paid_fee": paid_already, "no_show": no_show, "volunteer": unpaid_volunteer},
        "waiting": waiting,
        "returned": returned,
        "paid_claim": paid_claim,
    }


def expected_ids(payroll: dict[str, Any]) -> list[str]:
    return [f"fee-{a.pk}" for a in payroll["fees"]] + [f"expense-{c.pk}" for c in payroll["claims"]]


def export(client: Client) -> list[list[str]]:
    response = client.get(reverse("engagements:payments-export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8")), delimiter=";"))


def test_unpaid_payments_are_attended_fees_and_approved_claims_one_row_each(payroll: dict[str, Any]) -> None:
    rows = unpaid_payments(None)
    assert [row.id for row in rows] == expected_ids(payroll)
    amounts = {row.id: row.amount for row in rows}
    for assignment in payroll["fees"]:
        assert amounts[f"fee-{assignment.pk}"] == assignment.fee
    for claim_obj in payroll["claims"]:
        assert amounts[f"expense-{claim_obj.pk}"] == claim_obj.amount
    assert {row.kind for row in rows} == {"fee", "expense"}


def test_payroll_csv_round_trips(coordinator: User, payroll: dict[str, Any]) -> None:
    table = export(signed_in(coordinator))
    header, rows = table[0], table[1:]
    assert header == CSV_HEADER
    assert [row[0] for row in rows] == expected_ids(payroll)
    assert all(len(row) == len(CSV_HEADER) for row in rows)

    db_amounts = {f"fee-{a.pk}": a.fee for a in payroll["fees"]} | {
        f"expense-{c.pk}": c.amount for c in payroll["claims"]
    }
    for row in rows:
        assert re.fullmatch(r"\d+,\d{2}", row[8]), row[8]
        assert Decimal(row[8].replace(",", ".")) == db_amounts[row[0]]
        assert dt.date.fromisoformat(row[4]) == payroll["day"]
        assert row[5] == payroll["title"]  # comma, semicolon and quotes stay in one column
    by_id = {row[0]: row for row in rows}
    fee_b = payroll["fees"][1]
    assert by_id[f"fee-{fee_b.pk}"][2] == "'=1+2"  # CSV injection guard
    assert by_id[f"fee-{fee_b.pk}"][8] == "120,50"
    km_row = by_id[f"expense-{payroll['claims'][0].pk}"]
    assert "42" in km_row[7] and "0.59" in km_row[7]
    assert by_id[f"expense-{payroll['claims'][1].pk}"][7].endswith("Bussi; paluu, 2 vyöhykettä")


def test_payroll_csv_quotes_every_field(coordinator: User, payroll: dict[str, Any]) -> None:
    body = signed_in(coordinator).get(reverse("engagements:payments-export")).content.decode("utf-8")
    lines = body.split("\r\n")
    assert lines[-1] == ""
    assert all(line.startswith('"') and line.endswith('"') for line in lines[:-1])


def test_payroll_csv_guards_the_email_column_too(
    coordinator: User, make_request: Callable[..., Request], make_expert: Callable[..., ExpertProfile]
) -> None:
    payee = make_expert("=1+2@example.test", display_name="Aava")
    engaged(past_request(make_request), payee, status="attended", fee="80")
    rows = export(signed_in(coordinator))[1:]
    assert rows[0][3] == "'=1+2@example.test"


def test_marking_paid_marks_exactly_the_rows_on_the_page(coordinator: User, payroll: dict[str, Any]) -> None:
    client = signed_in(coordinator)
    page = client.get(reverse("engagements:payments")).content.decode()
    ids = re.findall(r'name="payment" value="([^"]+)"', page)
    assert ids == expected_ids(payroll)

    # Approved after the coordinator exported: not on the page, so not paid now.
    late = payroll["waiting"]
    client.post(reverse("engagements:approve-expense", args=[late.pk]))

    response = client.post(reverse("engagements:payments-paid"), {"payment": ids})

    assert response.status_code == 302
    for assignment in payroll["fees"]:
        assignment.refresh_from_db()
        assert assignment.fee_paid_at is not None
    for claim_obj in payroll["claims"]:
        claim_obj.refresh_from_db()
        assert (claim_obj.status, claim_obj.paid_at is not None) == (ExpenseClaim.Status.PAID, True)
    late.refresh_from_db()
    assert (late.status, late.paid_at) == (ExpenseClaim.Status.APPROVED, None)
    payroll["returned"].refresh_from_db()
    assert payroll["returned"].status == ExpenseClaim.Status.RETURNED

    rows = export(client)[1:]
    assert [row[0] for row in rows] == [f"expense-{late.pk}"]


def test_marking_paid_ignores_made_up_and_already_paid_ids(coordinator: User, payroll: dict[str, Any]) -> None:
    paid_fee = payroll["not_listed"]["paid_fee"]
    paid_at = paid_fee.fee_paid_at
    no_show = payroll["not_listed"]["no_show"]
    waiting = payroll["waiting"]
    signed_in(coordinator).post(
        reverse("engagements:payments-paid"),
        {"payment": [f"fee-{paid_fee.pk}", f"fee-{no_show.pk}", f"expense-{waiting.pk}", "fee-x", "expense-", "1"]},
    )
    paid_fee.refresh_from_db()
    no_show.refresh_from_db()
    waiting.refresh_from_db()
    assert paid_fee.fee_paid_at == paid_at
    assert no_show.fee_paid_at is None
    assert waiting.status == ExpenseClaim.Status.SUBMITTED
    assert [row.id for row in unpaid_payments(None)] == expected_ids(payroll)


def test_coordinator_of_another_region_sees_and_pays_none_of_them(
    other_region: Region, payroll: dict[str, Any]
) -> None:
    far = signed_in(regional_coordinator(other_region))
    assert far.get(reverse("engagements:payments")).context["rows"] == []
    assert export(far) == [CSV_HEADER]

    far.post(reverse("engagements:payments-paid"), {"payment": expected_ids(payroll)})

    for assignment in payroll["fees"]:
        assignment.refresh_from_db()
        assert assignment.fee_paid_at is None
    for claim_obj in payroll["claims"]:
        claim_obj.refresh_from_db()
        assert claim_obj.status == ExpenseClaim.Status.APPROVED
    assert [row.id for row in unpaid_payments(None)] == expected_ids(payroll)


# 6. History ------------------------------------------------------------------------------------


def test_history_totals_attended_engagements_fees_and_accepted_expenses_per_year(
    make_request: Callable[..., Request], expert: ExpertProfile
) -> None:
    old = engaged(past_request(make_request, day=dt.date(2024, 5, 6)), expert, status="attended", fee="80")
    claim(old, "10.00", status="approved")
    claim(old, "5.00")  # waiting: not counted
    claim(old, "6.00", status="returned", return_reason="Ei kuittia")
    recent = engaged(past_request(make_request, day=dt.date(2025, 10, 6)), expert, status="attended", fee="120")
    claim(recent, "7.50", status="paid")
    engaged(past_request(make_request, day=dt.date(2025, 11, 3)), expert, status="attended", fee=None)
    engaged(past_request(make_request, day=dt.date(2025, 11, 10)), expert, status="no_show")
    upcoming = engaged(make_request(status="confirmed"), expert, fee="80")

    response = signed_in(expert.user).get(reverse("engagements:history"))

    assert response.status_code == 200
    years = dict(response.context["years"])
    assert years[2024] == {"count": 1, "fees": Decimal("80"), "expenses": Decimal("10.00")}
    assert years[2025] == {"count": 2, "fees": Decimal("120"), "expenses": Decimal("7.50")}
    upcoming_year = timezone.localtime(upcoming.request.ends_at).year
    if upcoming_year not in (2024, 2025):
        assert years[upcoming_year] == {"count": 0, "fees": Decimal("0"), "expenses": Decimal("0")}
    assert [y for y, _totals in response.context["years"]] == sorted(years, reverse=True)
    assert len(response.context["assignments"]) == 5


def test_history_lists_only_the_experts_own_engagements(
    make_request: Callable[..., Request], expert: ExpertProfile, other_expert: ExpertProfile
) -> None:
    mine = engaged(past_request(make_request), expert, status="attended", fee="80")
    engaged(past_request(make_request), other_expert, status="attended", fee="80")
    engaged(make_request(status="offered"), expert, status="offered")
    response = signed_in(expert.user).get(reverse("engagements:history"))
    assert response.context["assignments"] == [mine]


def test_history_shows_the_units_feedback_only_when_shared_and_the_impact_note(
    make_request: Callable[..., Request], expert: ExpertProfile, unit_member: User
) -> None:
    shared = past_request(make_request, status="closed", title="Jaettu paneeli")
    private = past_request(make_request, status="closed", title="Yksityinen paneeli")
    engaged(shared, expert, status="attended", fee="80")
    engaged(private, expert, status="attended", fee="80")
    UnitFeedback.objects.create(
        request=shared,
        participants=40,
        usefulness=4,
        take_forward="Otamme nuoret mukaan suunnitteluun.",
        free_text="Sisäinen huomio yksikölle.",
        share_with_experts=True,
        given_by=unit_member,
    )
    UnitFeedback.objects.create(
        request=private,
        participants=12,
        usefulness=2,
        take_forward="Tämä jää yksikön omaksi tiedoksi.",
        share_with_experts=False,
        given_by=unit_member,
    )
    ImpactNote.objects.create(request=shared, text="Sijaishuollon ohjetta muutettiin.", written_by=unit_member)

    page = signed_in(expert.user).get(reverse("engagements:history")).content.decode()

    assert "Otamme nuoret mukaan suunnitteluun." in page
    assert "4/5" in page
    assert "Sijaishuollon ohjetta muutettiin." in page
    assert "Tämä jää yksikön omaksi tiedoksi." not in page
    assert "2/5" not in page
    assert "Sisäinen huomio yksikölle." not in page  # the unit's own free text is never shown to experts


def test_experts_own_feedback_is_never_shown_to_the_unit_or_other_experts(
    make_request: Callable[..., Request],
    expert: ExpertProfile,
    other_expert: ExpertProfile,
    unit_member: User,
    coordinator: User,
) -> None:
    req = past_request(make_request, status="completed", experts_needed=2)
    assignment = engaged(req, expert, status="attended", fee="80")
    engaged(req, other_expert, status="attended", fee="80")
    secret = "Minua ei kuunneltu ja se satutti."
    ExpertFeedback.objects.create(
        assignment=assignment, how_it_went=2, heard=1, respected=3, preparation=3, free_text=secret
    )

    unit_page = signed_in(unit_member).get(reverse("engagements:unit-request", args=[req.pk]))
    assert unit_page.status_code == 200
    assert secret not in unit_page.content.decode()
    assert secret not in signed_in(other_expert.user).get(reverse("engagements:history")).content.decode()
    # The coordinator is the one who reads it (so the text really is rendered somewhere).
    coordinator_page = signed_in(coordinator).get(reverse("engagements:coordinator-request", args=[req.pk]))
    assert secret in coordinator_page.content.decode()
