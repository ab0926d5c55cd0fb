"""Statistics: figures for a small hand-built data set, computed here by hand and compared;
periods, scope, small-cell suppression, CSV, and a query count that does not grow with the data."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagements.models import Assignment, ExpertFeedback, ImpactNote, Request, UnitFeedback
from engagements.statistics import Period, Scope, dashboard, recent_terms, term_period, year_period
from experts.models import EngagementRole, ExpertProfile
from registry.models import StaffRole, User
from tests.conftest import make_user, with_totp

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(120)


def moment(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


@pytest.fixture
def data(make_request: Any, make_expert: Any, unit: Any, other_unit: Any, unit_member: User) -> dict[str, Any]:
    role = EngagementRole.objects.get(code="panellist")
    a = make_expert(display_name="A", kind="youth")
    b = make_expert(display_name="B", kind="parent")
    c = make_expert(display_name="C", kind="youth")

    def req(
        title: str,
        submitted: str,
        status: str,
        *,
        confirmed: str | None = None,
        ends: str | None = None,
        unit_=unit,
        type_: str = "panel",
        audience: int = 0,
    ) -> Request:
        starts = moment(ends, 10) if ends else moment("2026-06-01", 10)
        return make_request(
            title=title,
            status=status,
            unit=unit_,
            type=type_,
            audience_size=audience or None,
            submitted_at=moment(submitted),
            confirmed_at=moment(confirmed) if confirmed else None,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
        )

    def attend(r: Request, expert: ExpertProfile) -> Assignment:
        return Assignment.objects.create(
            request=r, expert=expert, role=role, status="attended", offer_expires_at=r.starts_at
        )

    r1 = req("r1", "2025-02-01", "closed", confirmed="2025-02-11", ends="2025-03-01", audience=50)
    UnitFeedback.objects.create(request=r1, participants=40, usefulness=4, take_forward="x", given_by=unit_member)
    ImpactNote.objects.create(request=r1, text="muutos")
    ExpertFeedback.objects.create(assignment=attend(r1, a), how_it_went=4, heard=5, respected=4, preparation=4)
    r2 = req("r2", "2025-03-01", "completed", confirmed="2025-03-21", ends="2025-04-10", type_="speaker", audience=30)
    attend(r2, a)
    attend(r2, b)
    req("r3", "2025-05-01", "declined")
    req("r4", "2025-06-01", "cancelled")
    req("r5", "2025-09-01", "confirmed", confirmed="2025-09-05", ends="2026-01-15")
    r6 = req("r6", "2025-10-01", "closed", confirmed="2025-10-31", ends="2025-11-05", unit_=other_unit, audience=99)
    UnitFeedback.objects.create(request=r6, participants=10, usefulness=2, take_forward="y", given_by=unit_member)
    ImpactNote.objects.create(request=r6, text="muutos")
    attend(r6, c)
    req("old", "2024-06-01", "closed", confirmed="2024-06-05", ends="2024-06-10")
    return {"a": a, "b": b, "c": c}


def figures(period: Period, scope: Scope | None = None) -> dict[str, Any]:
    return {f.key: f for f in dashboard(period, scope or Scope(), today=dt.date(2026, 1, 10)).figures}


def test_figures_match_the_hand_computed_ones(data: dict[str, Any]) -> None:
    f = figures(year_period(2025))
    assert f["received"].value == 6
    assert f["fulfilled"].value == 4  # r1, r2, r5, r6
    assert f["declined"].value == 1
    assert f["cancelled"].value == 1
    assert f["fulfilment_rate"].value == pytest.approx(66.7)
    assert f["median_days"].value == pytest.approx(15.0)  # 4, 10, 20, 30 days
    assert f["held"].value == 3  # r1, r2, r6 ended in 2025
    assert f["participants"].value == 40 + 30 + 10  # r2 has no feedback: its audience is an estimate
    assert f["experts_youth"].value == 2
    assert f["experts_parents"].value == 1
    assert f["busiest_share"].value == pytest.approx(50.0)  # A did 2 of 4; the top 20 % of 3 experts is 1
    assert f["usefulness"].value == pytest.approx(3.0)
    assert f["heard"].value == pytest.approx(5.0)
    assert f["respected"].value == pytest.approx(4.0)
    assert f["impact_share"].value == pytest.approx(66.7)
    assert f["received"].previous == 1  # 2024


def test_people_counts_under_three_are_suppressed(data: dict[str, Any]) -> None:
    f = figures(year_period(2025))
    assert f["experts_youth"].display == "<3"
    assert f["experts_parents"].display == "<3"
    assert f["received"].display == "6"  # requests are not people
    assert f["debriefs_asked"].display == "0"  # zero is not a small cell that identifies anyone


def test_region_and_sector_scope(data: dict[str, Any], unit: Any, other_unit: Any) -> None:
    from registry.models import Region

    here = figures(year_period(2025), Scope(regions=Region.objects.filter(pk=unit.region_id)))
    assert here["received"].value == 5
    assert here["held"].value == 2
    assert here["participants"].value == 70
    institutional = figures(year_period(2025), Scope(sector="institutional_care"))
    assert institutional["received"].value == 1
    speaker = figures(year_period(2025), Scope(type="speaker"))
    assert speaker["held"].value == 1


def test_terms_and_custom_periods(data: dict[str, Any]) -> None:
    spring = term_period(2025, autumn=False)
    assert (spring.start, spring.end) == (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    assert spring.previous().start == dt.date(2024, 7, 1)
    autumn = term_period(2025, autumn=True)
    assert autumn.previous() == spring
    assert figures(spring)["received"].value == 4
    assert figures(autumn)["received"].value == 2
    custom = Period(dt.date(2025, 3, 1), dt.date(2025, 3, 31), "March")
    assert custom.previous() == Period(dt.date(2025, 1, 29), dt.date(2025, 2, 28), "2025-01-29 – 2025-02-28")
    assert figures(custom)["received"].value == 1
    assert [t.start for t in recent_terms(dt.date(2026, 1, 10), 3)] == [
        dt.date(2025, 1, 1),
        dt.date(2025, 7, 1),
        dt.date(2026, 1, 1),
    ]


def test_dashboard_tables_per_type_and_theme(data: dict[str, Any]) -> None:
    from experts.models import Theme

    r1 = Request.objects.get(title="r1")
    r2 = Request.objects.get(title="r2")
    foster = Theme.objects.get(code="foster_care")
    r1.themes.add(foster)
    r2.themes.add(foster)
    tables = {t.key: t for t in dashboard(year_period(2025), Scope(), today=dt.date(2026, 1, 10)).tables}
    by_type = {row[0]: row[1] for row in tables["by_type"].rows}
    assert sum(by_type.values()) == 3
    theme_rows = tables["participants_by_theme"].rows
    assert theme_rows == [[str(foster), 70, 30]]


def test_programme_report_counts_events_per_term_and_participants_per_programme_theme(
    data: dict[str, Any],
) -> None:
    Request.objects.filter(title="r1").update(programme_theme="participation")
    Request.objects.filter(title="r2").update(programme_theme="multi_agency")
    tables = {t.key: t for t in dashboard(year_period(2025), Scope(), today=dt.date(2026, 1, 10)).tables}
    report = tables["programme"]
    assert len(report.columns) == 6  # term, events, three programme themes, not classified
    rows = {row[0]: row[1:] for row in report.rows}
    # r1 (spring 2025): 40 reported participants, participation; r2 (spring 2025): 30 expected,
    # multi-agency work; r6 (autumn 2025): 10 reported, not classified; "old" (spring 2024): no
    # audience at all.
    spring = term_period(2025, autumn=False).label
    autumn = term_period(2025, autumn=True).label
    assert rows[spring] == [2, 40, 30, 0, 0]
    assert rows[autumn] == [1, 0, 0, 0, 10]
    assert rows[term_period(2024, autumn=False).label] == [1, 0, 0, 0, 0]
    total = report.rows[-1]
    assert total[1:] == [4, 40, 30, 0, 10]
    # Participants are counts of people: small cells are suppressed like everywhere on the dashboard.
    Request.objects.filter(title="r6").update(audience_size=2)
    UnitFeedback.objects.filter(request__title="r6").update(participants=2)
    tables = {t.key: t for t in dashboard(year_period(2025), Scope(), today=dt.date(2026, 1, 10)).tables}
    shown = {row[0]: row for row in tables["programme"].display_rows()}
    assert shown[autumn][-1] == "<3"
    assert shown[autumn][1] == "1"  # events are not people


@pytest.fixture
def manager_client(client: Client, manager: User) -> Client:
    client.force_login(manager)
    return client


def test_manager_sees_the_dashboard_and_csv_with_suppression(data: dict[str, Any], manager_client: Client) -> None:
    response = manager_client.get(reverse("engagements:statistics"), {"period": "year", "year": "2025"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "&lt;3" in page
    assert "<svg" in page and "<table" in page
    for name in ("A", "B", "C"):
        assert f">{name}<" not in page  # no expert is ever named to a manager
    csv_response = manager_client.get(
        reverse("engagements:statistics-csv", args=["figures"]), {"period": "year", "year": "2025"}
    )
    rows = list(csv.reader(io.StringIO(csv_response.content.decode()), delimiter=";"))
    values = {row[0]: row[1] for row in rows[1:]}
    assert "<3" in values.values()
    assert "6" in values.values()


def test_bad_custom_range_gets_an_error_and_keeps_input(manager_client: Client) -> None:
    response = manager_client.get(
        reverse("engagements:statistics"), {"period": "custom", "start": "2025-05-01", "end": "2025-03-01"}
    )
    assert response.status_code == 400
    assert "end" in response.context["form"].errors
    assert "2025-05-01" in response.content.decode()


def test_regional_manager_sees_only_their_region(data: dict[str, Any], client: Client, other_region: Any) -> None:
    user = with_totp(make_user("regional-manager@example.test"))
    StaffRole.objects.create(user=user, role=StaffRole.Kind.MANAGER, region=other_region)
    client.force_login(user)
    response = client.get(reverse("engagements:statistics"), {"period": "year", "year": "2025"})
    f = {fig.key: fig for fig in response.context["data"].figures}
    assert f["received"].value == 1  # r6 only
    # Choosing a region outside the scope is not possible.
    from registry.models import Region

    other = Region.objects.exclude(pk=other_region.pk).first()
    response = client.get(reverse("engagements:statistics"), {"region": str(other.pk)})
    assert response.status_code == 400


def test_other_roles_cannot_see_statistics(client: Client, coordinator: User, expert: Any) -> None:
    for user in (coordinator, expert.user):
        client.force_login(user)
        assert client.get(reverse("engagements:statistics")).status_code == 403


def test_dashboard_queries_do_not_grow_with_the_data(
    data: dict[str, Any], make_request: Any, manager_client: Client, make_expert: Any
) -> None:
    params = {"period": "year", "year": "2025"}
    manager_client.get(reverse("engagements:statistics"), params)  # the first visit writes the session
    with CaptureQueriesContext(connection) as small:
        manager_client.get(reverse("engagements:statistics"), params)
    role = EngagementRole.objects.get(code="panellist")
    for i in range(30):
        expert = make_expert()
        ends = moment("2025-08-01") + dt.timedelta(days=i)
        r = make_request(
            status="closed",
            submitted_at=ends - dt.timedelta(days=20),
            confirmed_at=ends - dt.timedelta(days=10),
            starts_at=ends - dt.timedelta(hours=2),
            ends_at=ends,
        )
        Assignment.objects.create(request=r, expert=expert, role=role, status="attended", offer_expires_at=ends)
    with CaptureQueriesContext(connection) as large:
        manager_client.get(reverse("engagements:statistics"), params)
    assert len(large) == len(small)


def test_fees_and_expenses_paid_in_the_period(data: dict[str, Any]) -> None:
    from engagements.models import ExpenseClaim

    assignment = Assignment.objects.filter(request__title="r1").first()
    Assignment.objects.filter(pk=assignment.pk).update(fee=Decimal("80.00"), fee_paid_at=moment("2025-03-10"))
    ExpenseClaim.objects.create(
        assignment=assignment,
        kind="km",
        kilometres=10,
        km_rate=Decimal("0.59"),
        amount=Decimal("5.90"),
        status="paid",
        paid_at=moment("2025-03-11"),
    )
    f = figures(year_period(2025))
    assert f["fees_paid"].value == Decimal("80.00")
    assert f["expenses_paid"].value == Decimal("5.90")


def test_statistics_csv_cells_never_run_as_spreadsheet_formulas(data: dict[str, Any], manager_client: Client) -> None:
    """Every table's CSV goes through the one CSV writer: a text cell a spreadsheet would run as a
    formula is neutralised with an apostrophe, and numbers (negative ones too) stay numbers."""
    from registry.csvexport import FORMULA_STARTS, NUMBER, csv_text

    for table in ("by_type", "participants_by_theme", "by_term", "figures"):
        response = manager_client.get(
            reverse("engagements:statistics-csv", args=[table]), {"period": "year", "year": "2025"}
        )
        assert response.status_code == 200
        for row in csv.reader(io.StringIO(response.content.decode()), delimiter=";"):
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS) or NUMBER.match(cell), (table, cell)
    text = csv_text(["Teema", "Osallistujia"], [['=HYPERLINK("http://x")', "-3"], ["@SUM(A1)", "+7 %"]])
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1:] == [['\'=HYPERLINK("http://x")', "-3"], ["'@SUM(A1)", "'+7 %"]]


def test_busiest_fifth_is_counted_in_one_query_with_ties_and_rounding_up(
    make_request: Any, make_expert: Any, django_assert_num_queries: Any
) -> None:
    from engagements.statistics import _busiest_fifth

    role = EngagementRole.objects.get(code="panellist")
    for n in (3, 2, 2, 1, 1, 1):  # six experts: the busiest fifth, rounded up, is two of them
        expert = make_expert()
        for _ in range(n):
            Assignment.objects.create(
                request=make_request(status="closed"),
                expert=expert,
                role=role,
                status=Assignment.Status.ATTENDED,
                offer_expires_at=timezone.now(),
            )
    with django_assert_num_queries(1):
        assert _busiest_fifth(Assignment.objects.filter(status=Assignment.Status.ATTENDED)) == 5
    assert _busiest_fifth(Assignment.objects.none().filter(status=Assignment.Status.ATTENDED)) == 0


def test_engaged_experts_in_one_query_equal_the_plain_aggregates(
    make_request: Any, make_expert: Any, django_assert_num_queries: Any
) -> None:
    """The one-pass figures (kinds, engagements, averages, busiest fifth) are those the plain ORM
    aggregates give, with engagements without feedback left out of the averages as AVG leaves out NULL."""
    from django.db.models import Avg, Count, Q

    from engagements.statistics import _engaged_experts

    role = EngagementRole.objects.get(code="panellist")
    answers: list[tuple[int, int] | None] = [(5, 4), (3, 1), None, (4, 5), (2, 2), (5, 5), (1, 3)]
    for i, kind in enumerate([ExpertProfile.Kind.YOUTH, ExpertProfile.Kind.PARENT, ExpertProfile.Kind.YOUTH]):
        expert = make_expert(kind=kind)
        for answer in answers[i * 2 : i * 2 + 3]:
            assignment = Assignment.objects.create(
                request=make_request(status="closed"),
                expert=expert,
                role=role,
                status=Assignment.Status.ATTENDED,
                offer_expires_at=timezone.now(),
            )
            if answer is not None:
                ExpertFeedback.objects.create(
                    assignment=assignment, how_it_went=3, heard=answer[0], respected=answer[1], preparation=3
                )
    attended = Assignment.objects.filter(status=Assignment.Status.ATTENDED)
    plain = attended.aggregate(
        youth=Count("expert", filter=Q(expert__kind=ExpertProfile.Kind.YOUTH), distinct=True),
        parents=Count("expert", filter=Q(expert__kind=ExpertProfile.Kind.PARENT), distinct=True),
        engagements=Count("pk"),
        heard=Avg("feedback__heard"),
        respected=Avg("feedback__respected"),
    )
    with django_assert_num_queries(1):
        figures = _engaged_experts(attended)
    assert (figures["youth"], figures["parents"], figures["engagements"]) == (2, 1, plain["engagements"])
    assert (plain["youth"], plain["parents"]) == (2, 1)
    assert figures["heard"] == pytest.approx(plain["heard"])
    assert figures["respected"] == pytest.approx(plain["respected"])
    assert figures["busiest"] == 3  # three experts: the busiest fifth, rounded up, is one expert with 3
