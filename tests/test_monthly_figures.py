"""Monthly figures (issue 10): the dashboard reads whole counted months from the worker's count and
counts the rest live. Every figure and table is the same either way; the current month is always
live; a change in a counted month shows after the next count, and the page says when that was."""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagements.models import MonthlyFigures, MonthlyFiguresCount, Request, UnitFeedback
from engagements.statistics import (
    Period,
    Scope,
    count_monthly_figures,
    dashboard,
    split_period,
    term_period,
    year_period,
)
from experts.models import Theme
from registry.models import Region, User
from tests.test_statistics import data, moment  # noqa: F401  # the hand-built data set and its clock

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 1, 10)
NOW = moment("2026-01-10")


def snapshot(period: Period, scope: Scope) -> list[Any]:
    board = dashboard(period, scope, today=TODAY)
    return [(f.key, f.value, f.previous) for f in board.figures] + [(t.key, t.rows) for t in board.tables]


PERIODS = [
    year_period(2025),
    year_period(2026),  # the current year: January is not counted yet
    term_period(2025, autumn=False),
    term_period(2025, autumn=True),
    Period(dt.date(2025, 2, 15), dt.date(2025, 10, 20), "partial months on both sides"),
    Period(dt.date(2025, 3, 1), dt.date(2025, 3, 31), "one whole month"),
]


def scopes(unit: Any) -> list[Scope]:
    return [
        Scope(),
        Scope(regions=Region.objects.filter(pk=unit.region_id)),
        Scope(sector="institutional_care"),
        Scope(type="speaker"),
    ]


def test_every_figure_is_the_same_from_the_count_as_counted_live(data: Any, unit: Any) -> None:  # noqa: F811
    Request.objects.filter(title="r1").update(programme_theme="participation")
    Request.objects.filter(title="r2").update(programme_theme="multi_agency")
    Request.objects.get(title="r1").themes.add(Theme.objects.get(code="foster_care"))
    cases = [(period, scope) for period in PERIODS for scope in scopes(unit)]
    live = [snapshot(period, scope) for period, scope in cases]
    count_monthly_figures(NOW)
    assert MonthlyFigures.objects.exists()
    assert [snapshot(period, scope) for period, scope in cases] == live
    assert dashboard(year_period(2025), Scope(), today=TODAY).counted_at == NOW


def test_the_current_month_is_counted_live(data: Any, make_request: Any) -> None:  # noqa: F811
    count_monthly_figures(NOW)
    board = {f.key: f for f in dashboard(year_period(2026), Scope(), today=TODAY).figures}
    make_request(status="submitted", submitted_at=moment("2026-01-09"))
    after = {f.key: f for f in dashboard(year_period(2026), Scope(), today=TODAY).figures}
    assert after["received"].value == board["received"].value + 1


def test_a_change_in_a_counted_month_shows_after_the_next_count(data: Any, unit_member: User) -> None:  # noqa: F811
    count_monthly_figures(NOW)

    def participants() -> int:
        return {f.key: f for f in dashboard(year_period(2025), Scope(), today=TODAY).figures}["participants"].value

    assert participants() == 80
    # r2 (April 2025) had no feedback: its expected 30 counted; the unit now reports 25.
    UnitFeedback.objects.create(
        request=Request.objects.get(title="r2"), participants=25, usefulness=5, take_forward="z", given_by=unit_member
    )
    assert participants() == 80  # as counted
    count_monthly_figures(NOW)
    assert participants() == 75


def test_periods_split_into_counted_whole_months_and_the_rest() -> None:
    until = moment("2026-01-01", 0).replace(tzinfo=moment("2026-01-01").tzinfo)
    start, end = Period(dt.date(2025, 2, 15), dt.date(2026, 1, 20), "x").bounds()
    parts = split_period(start, end, until)
    assert parts.counted is not None
    assert [d.date() for d in parts.counted] == [dt.date(2025, 3, 1), dt.date(2026, 1, 1)]
    assert [(a.date(), b.date()) for a, b in parts.live] == [
        (dt.date(2025, 2, 15), dt.date(2025, 3, 1)),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 21)),
    ]
    # Nothing counted yet, or no whole counted month inside: all of it live.
    assert split_period(start, end, None).counted is None
    march = Period(dt.date(2025, 3, 3), dt.date(2025, 3, 30), "x").bounds()
    assert split_period(*march, until).live == [march]


def test_a_recount_replaces_the_rows_and_reads_few_queries(
    data: Any,  # noqa: F811
    make_request: Any,
) -> None:
    count_monthly_figures(NOW)
    rows = MonthlyFigures.objects.count()
    count_monthly_figures(NOW)
    assert MonthlyFigures.objects.count() == rows
    assert MonthlyFiguresCount.objects.count() == 1
    with CaptureQueriesContext(connection) as small:
        dashboard(year_period(2025), Scope(), today=TODAY)
    for day in range(1, 28):
        make_request(status="closed", submitted_at=moment(f"2025-05-{day:02d}"), confirmed_at=moment("2025-05-28"))
    count_monthly_figures(NOW)
    with CaptureQueriesContext(connection) as large:
        dashboard(year_period(2025), Scope(), today=TODAY)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_worker_counts_every_ten_minutes_and_the_command_reports(data: Any) -> None:  # noqa: F811
    assert settings.SCHEDULED_JOBS["count_monthly_figures"]["cron"] == "*/10 * * * *"
    out = io.StringIO()
    call_command("count_monthly_figures", stdout=out)
    assert "rows of monthly figures" in out.getvalue()
    assert MonthlyFigures.objects.exists()


def test_the_dashboard_says_when_the_months_were_counted(
    data: Any,  # noqa: F811
    client: Client,
    manager: User,
) -> None:
    client.force_login(manager)
    url = reverse("engagements:statistics") + "?period=year&year=2025"
    assert "on laskettu" not in client.get(url).content.decode()
    count_monthly_figures(NOW)
    page = client.get(url).content.decode()
    assert "Luvut 31.12.2025 asti on laskettu 10.1.2026" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_counts_at_once_take_turns(make_request: Any) -> None:
    for month in range(1, 13):
        make_request(
            status="closed", submitted_at=moment(f"2025-{month:02d}-10"), ends_at=moment(f"2025-{month:02d}-20")
        )
    count_monthly_figures(NOW)
    once = sorted(MonthlyFigures.objects.values_list("month", "received", "held"))
    MonthlyFigures.objects.all().delete()
    MonthlyFiguresCount.objects.all().delete()  # both runs find no row and create it at once
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def count() -> None:
        try:
            barrier.wait()
            count_monthly_figures(NOW)
        except BaseException as error:  # noqa: BLE001  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=count) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(MonthlyFigures.objects.values_list("month", "received", "held")) == once
