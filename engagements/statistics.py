"""Engagement statistics for managers (docs/design.md, "Statistics"), computed with database aggregates.

Every figure is a fixed number of queries whatever the amount of data: counts and sums are
aggregated in the database, and the median is read from the middle row of an ordered query.
Figures that count people are suppressed below SMALL_CELL ("<3") before they reach a manager.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from engagements.models import (
    Adoption,
    Assignment,
    Debrief,
    ExpenseClaim,
    MonthlyExpertEngagements,
    MonthlyFigures,
    MonthlyFiguresCount,
    MonthlyThemeFigures,
    ProgrammeTheme,
    Request,
    RequestType,
    Review,
    ReviewComment,
)
from experts.models import Application, ExpertProfile, Theme

SMALL_CELL = 3


def is_small_cell(value: object) -> bool:
    """A count of people so small that it could point at someone (docs/design.md, "Statistics")."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < SMALL_CELL


def suppress_small(value: object) -> str:
    """A count of people as a manager sees it: "<3" for a small cell, otherwise the count."""
    return f"<{SMALL_CELL}" if is_small_cell(value) else str(value)


HELD = (Request.Status.COMPLETED, Request.Status.CLOSED)
FULFILLED = (Request.Status.CONFIRMED, Request.Status.COMPLETED, Request.Status.CLOSED)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end

    def previous(self) -> Period:
        """The period of the same kind just before: last year, the previous term, or as many days."""
        if self.start.month == 1 and self.start.day == 1 and self.end == dt.date(self.start.year, 12, 31):
            return year_period(self.start.year - 1)
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 6, 30):
            return term_period(self.start.year - 1, autumn=True)
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (7, 1, 12, 31):
            return term_period(self.start.year, autumn=False)
        end = self.start - dt.timedelta(days=1)
        start = end - dt.timedelta(days=self.days - 1)
        return Period(start, end, f"{start.isoformat()} – {end.isoformat()}")


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), str(year))


def term_period(year: int, *, autumn: bool) -> Period:
    if autumn:
        return Period(dt.date(year, 7, 1), dt.date(year, 12, 31), gettext("autumn term %(year)s") % {"year": year})
    return Period(dt.date(year, 1, 1), dt.date(year, 6, 30), gettext("spring term %(year)s") % {"year": year})


def recent_terms(today: dt.date, count: int = 6) -> list[Period]:
    """The last `count` terms, oldest first, the current one included."""
    terms = []
    year, autumn = today.year, today.month >= 7
    for _i in range(count):
        terms.append(term_period(year, autumn=autumn))
        if autumn:
            autumn = False
        else:
            year, autumn = year - 1, True
    return list(reversed(terms))


@dataclass
class Scope:
    regions: Any = None  # a Region queryset, or None for the whole area
    sector: str = ""
    type: str = ""

    def q(self, prefix: str = "") -> Q:
        """The scope as conditions on a request reached through `prefix` (e.g. "assignment__request__");
        no condition at all for the whole area, so no join is added."""
        conditions = Q()
        if self.regions is not None:
            conditions &= Q(**{f"{prefix}unit__region__in": self.regions})
        if self.sector:
            conditions &= Q(**{f"{prefix}unit__sector": self.sector})
        if self.type:
            conditions &= Q(**{f"{prefix}type": self.type})
        return conditions

    def requests(self) -> QuerySet[Request]:
        return Request.objects.filter(self.q())

    def experts(self) -> QuerySet[ExpertProfile]:
        qs = ExpertProfile.objects.all()
        return qs if self.regions is None else qs.filter(home_region__in=self.regions)

    def monthly(self, model: Any, counted: tuple[dt.datetime, dt.datetime]) -> QuerySet[Any]:
        """The rows of a monthly model (`MonthlyFigures`, …) in the scope, for the counted months."""
        qs: QuerySet[Any] = model.objects.filter(month__gte=counted[0].date(), month__lt=counted[1].date())
        if self.regions is not None:
            qs = qs.filter(region__in=self.regions)
        if self.sector:
            qs = qs.filter(sector=self.sector)
        if self.type:
            qs = qs.filter(type=self.type)
        return qs

    def applications(self) -> QuerySet[Application]:
        qs = Application.objects.all()
        return qs if self.regions is None else qs.filter(region__in=self.regions)


@dataclass
class Figure:
    key: str
    label: Any
    value: Any  # int, float, Decimal or None
    previous: Any = None
    people: bool = False  # counts people: small cells are suppressed
    unit: str = ""  # "%" or "€"

    def shown(self, value: Any) -> str:
        if value is None:
            return "–"
        if self.people and is_small_cell(value):
            return suppress_small(value)
        # Numbers in the reader's language: "4,5" in Finnish and Swedish, "4.5" in English.
        if isinstance(value, float):
            return formats.number_format(value, decimal_pos=0 if self.unit == "%" else 1)
        if isinstance(value, Decimal):
            return formats.number_format(value, decimal_pos=2)
        return str(value)

    @property
    def display(self) -> str:
        return self.shown(self.value)

    @property
    def previous_display(self) -> str:
        return self.shown(self.previous)


@dataclass
class Table:
    key: str
    title: Any
    columns: list[Any]
    rows: list[list[Any]] = field(default_factory=list)
    people_columns: tuple[int, ...] = ()

    def display_rows(self) -> list[list[str]]:
        out = []
        for row in self.rows:
            cells = []
            for i, cell in enumerate(row):
                if i in self.people_columns and is_small_cell(cell):
                    cells.append(suppress_small(cell))
                else:
                    cells.append(str(cell) if cell is not None else "–")
            out.append(cells)
        return out


class DaysBetween(Func):
    """Days from the first to the second timestamp, in the database's own arithmetic (Django's
    generic duration subtraction calls back into Python for every row on SQLite)."""

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)", arg_joiner=" - "
        )


def _median_days(requests: QuerySet[Request], n: int) -> float | None:
    """Median days from submission to confirmation: the middle row(s) of an ordered query, one query.
    `n` is the number of confirmed requests, counted with the other figures."""
    days = (
        requests.filter(submitted_at__isnull=False, confirmed_at__isnull=False)
        .annotate(d=DaysBetween("confirmed_at", "submitted_at"))
        .order_by("d")
        .values_list("d", flat=True)
    )
    middle = list(days[max(n - 1, 0) // 2 : n // 2 + 1])
    return round(sum(middle) / len(middle), 1) if middle else None


def _engaged_experts(
    attended: QuerySet[Assignment], months: QuerySet[MonthlyExpertEngagements] | None = None
) -> dict[str, Any]:
    """The experts behind the attended engagements, in one query: young and parent experts engaged,
    engagements, the experts' average "heard" and "respected", and the engagements done by the busiest
    fifth of the experts (rounded up). Each expert's total is summed in SQL over `attended` (the
    engagements counted live) and `months` (each expert's counted months); only a histogram of
    experts by kind and number of engagements comes back, so thousands of experts are not pulled
    into Python."""
    columns = ("kind", "n", "heard_sum", "heard_n", "respected_sum", "respected_n")
    live = (
        attended.order_by()
        .values("expert")
        .annotate(kind=Max("expert__kind"), **_per_expert_aggregates())
        .values("expert", *columns)
    )
    parts = [live]
    if months is not None:
        counted = months.order_by().annotate(
            n=F("engagements"),
            # Named apart from the fields so the union's columns line up with the live part's.
            h_sum=F("heard_sum"),
            h_n=F("heard_n"),
            r_sum=F("respected_sum"),
            r_n=F("respected_n"),
        )
        parts.append(counted.values("expert", "kind", "n", "h_sum", "h_n", "r_sum", "r_n"))
    selects, params = [], []
    for part in parts:
        try:
            sql, part_params = part.query.sql_with_params()
        except EmptyResultSet:  # nothing counted live (or a scope that can hold nothing)
            continue
        selects.append(sql)
        params.extend(part_params)
    if not selects:
        return {"youth": 0, "parents": 0, "engagements": 0, "heard": None, "respected": None, "busiest": 0}
    # A first part with no rows names the union's columns, whichever parts follow.
    header = "SELECT NULL AS expert, NULL AS kind, 0 AS n, 0 AS heard_sum, 0 AS heard_n, 0 AS respected_sum, "
    header += "0 AS respected_n WHERE 1 = 0"
    union = " UNION ALL ".join([header, *(f"SELECT * FROM ({sql}) p{i}" for i, sql in enumerate(selects))])  # noqa: S608
    sums = "MAX(kind) AS kind, SUM(n) AS n, SUM(heard_sum) AS heard_sum, SUM(heard_n) AS heard_n, "
    sums += "SUM(respected_sum) AS respected_sum, SUM(respected_n) AS respected_n"
    sql = f"SELECT {sums} FROM ({union}) u GROUP BY u.expert"  # noqa: S608
    # Experts per kind and number of engagements: a few rows however many experts, from which the
    # busiest fifth is read in Python (ties do not change its sum), with no sort of every expert.
    histogram = (
        "SELECT kind, n, COUNT(*), SUM(heard_sum), SUM(heard_n), SUM(respected_sum), SUM(respected_n)"  # noqa: S608
        f" FROM ({sql}) e GROUP BY kind, n"
    )
    with connection.cursor() as cursor:
        cursor.execute(histogram, params)
        rows = cursor.fetchall()
    experts = dict.fromkeys(ExpertProfile.Kind.values, 0)
    engagements = heard_sum = heard_n = respected_sum = respected_n = 0
    for kind, n, count, h_sum, h_n, r_sum, r_n in rows:
        experts[kind] = experts.get(kind, 0) + int(count)
        engagements += int(n) * int(count)
        heard_sum, heard_n = heard_sum + int(h_sum or 0), heard_n + int(h_n or 0)
        respected_sum, respected_n = respected_sum + int(r_sum or 0), respected_n + int(r_n or 0)
    left = -(-sum(experts.values()) // 5)  # the busiest fifth, rounded up
    busiest = 0
    for n, count in sorted(((int(n), int(count)) for _kind, n, count, *_rest in rows), reverse=True):
        taken = min(left, count)
        busiest, left = busiest + taken * n, left - taken
    return {
        "youth": experts[ExpertProfile.Kind.YOUTH],
        "parents": experts[ExpertProfile.Kind.PARENT],
        "engagements": engagements,
        # Averages over the experts' answers, as AVG would give.
        "heard": heard_sum / heard_n if heard_n else None,
        "respected": respected_sum / respected_n if respected_n else None,
        "busiest": busiest,
    }


def _busiest_fifth(attended: QuerySet[Assignment]) -> int:
    """Engagements done by the busiest fifth of the experts (rounded up)."""
    return int(_engaged_experts(attended)["busiest"])


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# --- Monthly figures (issue 10) -----------------------------------------------------------------
# Whole closed months are read from `MonthlyFigures` (counts and sums), `MonthlyThemeFigures`
# (participants per theme) and `MonthlyExpertEngagements` (each expert's engagements, for the people
# engaged and the busiest fifth), all counted again from the requests by the worker every few
# minutes: a closed month still changes (feedback, impact notes and closing come weeks after the
# engagement), so they are as fresh as the last count, and the page says when that was. The current
# month, and the partial months of a custom period, are counted live; so is the median days, which
# no monthly sum gives.

RECEIVED_FIGURES = ("received", "fulfilled", "declined", "cancelled", "confirmed")
HELD_FIGURES = (
    "held",
    "with_impact",
    "participants_reported",
    "participants_estimated",
    "programme_people",
    "usefulness_sum",
    "usefulness_n",
)


def _received_aggregates() -> dict[str, Any]:
    return {
        "received": Count("pk"),
        "fulfilled": Count("pk", filter=Q(status__in=FULFILLED)),
        "declined": Count("pk", filter=Q(status=Request.Status.DECLINED)),
        "cancelled": Count("pk", filter=Q(status=Request.Status.CANCELLED)),
        "confirmed": Count("pk", filter=Q(confirmed_at__isnull=False)),
    }


def _held_aggregates() -> dict[str, Any]:
    # The feedback and the impact note are one-to-one with the request: the joins add no rows, so
    # plain counts (no DISTINCT, which sorts every held request) are exact.
    return {
        "held": Count("pk"),
        "with_impact": Count("pk", filter=Q(impact_note__isnull=False)),
        "participants_reported": Coalesce(Sum("unit_feedback__participants"), Value(0)),
        "participants_estimated": Coalesce(
            Sum("audience_size", filter=Q(unit_feedback__isnull=True)), Value(0), output_field=IntegerField()
        ),
        "programme_people": Coalesce(Sum(_programme_participants()), Value(0)),
        "usefulness_sum": Coalesce(Sum("unit_feedback__usefulness"), Value(0)),
        "usefulness_n": Count("unit_feedback__usefulness"),
    }


def _programme_participants() -> Coalesce:
    """A held request's participants as the programme counts them: the unit's number, else the
    expected audience."""
    return Coalesce("unit_feedback__participants", "audience_size", Value(0))


def month_start(moment: dt.datetime) -> dt.datetime:
    """Midnight on the first day of the moment's month, in the service's time zone."""
    local = timezone.localtime(moment)
    return dt.datetime.combine(local.date().replace(day=1), dt.time.min, tzinfo=local.tzinfo)


def _next_month(start: dt.datetime) -> dt.datetime:
    return month_start(start + dt.timedelta(days=32))


@dataclass(frozen=True)
class PeriodParts:
    counted: tuple[dt.datetime, dt.datetime] | None  # whole months read from the monthly figures
    live: list[tuple[dt.datetime, dt.datetime]]  # the rest, counted from the requests


def split_period(start: dt.datetime, end: dt.datetime, until: dt.datetime | None) -> PeriodParts:
    """[start, end) as the whole months counted before `until`, and what is left on either side."""
    if until is None:
        return PeriodParts(None, [(start, end)])
    first = start if month_start(start) == start else _next_month(month_start(start))
    last = min(month_start(end), until)
    if first >= last:
        return PeriodParts(None, [(start, end)])
    return PeriodParts((first, last), [(a, b) for a, b in ((start, first), (last, end)) if a < b])


def _within(field: str, ranges: list[tuple[dt.datetime, dt.datetime]]) -> Q:
    condition = Q(pk__in=[])  # no range: no rows (and no query)
    for a, b in ranges:
        condition |= Q(**{f"{field}__gte": a, f"{field}__lt": b})
    return condition


def _monthly(
    scope: Scope, counted: tuple[dt.datetime, dt.datetime] | None, names: tuple[str, ...], *, by_type: bool = False
) -> dict[str, int]:
    """The sums of the monthly figures over the counted months (zeros, and no query, for none)."""
    keys = [*names, *(f"type:{t}" for t in RequestType.values)] if by_type else list(names)
    if counted is None:
        return dict.fromkeys(keys, 0)
    months = scope.monthly(MonthlyFigures, counted)
    # Aliased apart from the field names: an aggregate named "held" would shadow the field.
    sums: dict[str, Any] = {f"sum:{name}": Coalesce(Sum(name), Value(0)) for name in names}
    if by_type:
        sums.update({f"sum:type:{t}": Coalesce(Sum("held", filter=Q(type=t)), Value(0)) for t in RequestType.values})
    return {key.removeprefix("sum:"): int(value) for key, value in months.aggregate(**sums).items()}


def _added(live: dict[str, Any], counted: dict[str, int]) -> dict[str, Any]:
    return {key: int(live[key] or 0) + counted[key] for key in counted}


def counted_until() -> tuple[dt.datetime | None, dt.datetime | None]:
    """Until when the monthly figures hold whole months, and when they were counted (None, None: never)."""
    count = MonthlyFiguresCount.objects.filter(pk=1).first()
    if count is None:
        return None, None
    until = dt.datetime.combine(count.until, dt.time.min, tzinfo=timezone.get_current_timezone())
    return until, count.counted_at


def count_monthly_figures(now: dt.datetime | None = None) -> MonthlyFiguresCount:
    """Count the figures of every closed month again from the requests (the worker's job).
    Two runs at once take turns to replace the rows (the count's row is locked), so neither adds
    its rows to the other's."""
    now = now or timezone.now()
    until = month_start(now)
    # Counted before the lock is taken: on SQLite the transaction holds the whole database.
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    for date_field, queryset, aggregates in (
        ("submitted_at", Request.objects.filter(submitted_at__lt=until), _received_aggregates()),
        ("ends_at", Request.objects.filter(status__in=HELD, ends_at__lt=until), _held_aggregates()),
    ):
        for row in _by_month(queryset, date_field, "", ["programme_theme"], aggregates):
            key = (row["month"], row["region_id"], row["sector"], row["type"], row["programme_theme"])
            rows.setdefault(key, {}).update({name: int(row[name] or 0) for name in aggregates})
    experts = _expert_months(until)
    themes = _theme_months(until)
    with transaction.atomic():
        count = _locked_count(now, until)
        MonthlyThemeFigures.objects.all().delete()
        MonthlyThemeFigures.objects.bulk_create(themes, batch_size=1000)
        MonthlyExpertEngagements.objects.all().delete()
        MonthlyExpertEngagements.objects.bulk_create(experts, batch_size=1000)
        MonthlyFigures.objects.all().delete()
        MonthlyFigures.objects.bulk_create(
            [
                MonthlyFigures(
                    month=month, region_id=region, sector=sector or "", type=kind, programme_theme=theme, **figures
                )
                for (month, region, sector, kind, theme), figures in rows.items()
            ],
            batch_size=1000,
        )
        count.counted_at, count.until = now, until.date()
        count.save()
    return count


def _by_month(
    queryset: QuerySet[Any], date_field: str, request: str, keys: list[str], aggregates: dict[str, Any]
) -> list[dict[str, Any]]:
    """`queryset` grouped by the local month of `date_field`, by its request's region, sector and
    type (reached through `request`: "" for requests themselves) and by `keys`, each group with its
    `aggregates`, its `month`, `region_id`, `sector` and `type`, and those four as `where`."""
    place = [f"{request}unit__region", f"{request}unit__sector", f"{request}type"]
    grouped = (
        queryset.annotate(_month=TruncMonth(date_field))
        .order_by()
        .values("_month", *place, *keys)
        .annotate(**aggregates)
    )
    out = []
    for row in grouped:
        where = {
            "month": timezone.localtime(row["_month"]).date(),
            "region_id": row[place[0]],
            "sector": row[place[1]] or "",
            "type": row[place[2]],
        }
        out.append({**row, **where, "where": where})
    return out


def _expert_months(until: dt.datetime) -> list[MonthlyExpertEngagements]:
    attended = Assignment.objects.filter(
        status=Assignment.Status.ATTENDED, request__status__in=HELD, request__ends_at__lt=until
    )
    aggregates = {"kind": Max("expert__kind"), **_per_expert_aggregates()}
    return [
        MonthlyExpertEngagements(
            **row["where"],
            expert_id=row["expert"],
            kind=row["kind"],
            engagements=row["n"],
            heard_sum=row["heard_sum"] or 0,
            heard_n=row["heard_n"],
            respected_sum=row["respected_sum"] or 0,
            respected_n=row["respected_n"],
        )
        for row in _by_month(attended, "request__ends_at", "request__", ["expert"], aggregates)
    ]


def _theme_aggregates() -> dict[str, Any]:
    """Participants of the requests behind rows of `Request.themes.through`."""
    return {
        "reported": Coalesce(Sum("request__unit_feedback__participants"), Value(0)),
        "estimated": Coalesce(
            Sum("request__audience_size", filter=Q(request__unit_feedback__isnull=True)),
            Value(0),
            output_field=IntegerField(),
        ),
    }


def _theme_months(until: dt.datetime) -> list[MonthlyThemeFigures]:
    through = Request.themes.through.objects.filter(request__status__in=HELD, request__ends_at__lt=until)
    return [
        MonthlyThemeFigures(
            **row["where"],
            theme_id=row["theme"],
            reported=row["reported"],
            estimated=row["estimated"],
        )
        for row in _by_month(through, "request__ends_at", "request__", ["theme"], _theme_aggregates())
    ]


def _per_expert_aggregates() -> dict[str, Any]:
    return {
        "n": Count("pk"),
        "heard_sum": Sum("feedback__heard"),
        "heard_n": Count("feedback__heard"),
        "respected_sum": Sum("feedback__respected"),
        "respected_n": Count("feedback__respected"),
    }


def _locked_count(now: dt.datetime, until: dt.datetime) -> MonthlyFiguresCount:
    count = MonthlyFiguresCount.objects.select_for_update().filter(pk=1).first()
    if count is not None:
        return count
    try:
        with transaction.atomic():
            return MonthlyFiguresCount.objects.create(pk=1, counted_at=now, until=until.date())
    except IntegrityError:  # another run created it meanwhile: wait for its lock
        return MonthlyFiguresCount.objects.select_for_update().get(pk=1)


def core_figures(period: Period, scope: Scope, until: dt.datetime | None = None) -> dict[str, Any]:
    """The raw numbers for one period (no suppression; see `figures`). For the whole months counted
    before `until` they come from the monthly figures (each expert's months for the people engaged
    and the busiest fifth), for the rest from the requests; the median days, which no monthly sum
    gives, is counted from the requests for the whole period."""
    start, end = period.bounds()
    parts = split_period(start, end, until)
    requests = scope.requests()
    received = requests.filter(submitted_at__gte=start, submitted_at__lt=end)
    counts = _added(
        requests.filter(_within("submitted_at", parts.live)).aggregate(**_received_aggregates()),
        _monthly(scope, parts.counted, RECEIVED_FIGURES),
    )
    held_now = requests.filter(_within("ends_at", parts.live), status__in=HELD)
    held_counts = _added(
        held_now.aggregate(
            **_held_aggregates(),
            # Engagements held by type, read in the same pass rather than in a query of their own.
            **{f"type:{t}": Count("pk", filter=Q(type=t)) for t in RequestType.values},
        ),
        _monthly(scope, parts.counted, HELD_FIGURES, by_type=True),
    )
    held_counts["usefulness"] = (
        held_counts["usefulness_sum"] / held_counts["usefulness_n"] if held_counts["usefulness_n"] else None
    )
    attended = Assignment.objects.filter(status=Assignment.Status.ATTENDED, request__in=held_now.values("pk"))
    months = None if parts.counted is None else scope.monthly(MonthlyExpertEngagements, parts.counted)
    experts = _engaged_experts(attended, months)
    debriefs = Debrief.objects.filter(scope.q("assignment__request__"))
    debrief_counts = {
        "asked": debriefs.filter(created_at__gte=start, created_at__lt=end).count(),
        "held": debriefs.filter(held_on__gte=period.start, held_on__lte=period.end).count(),
    }
    paid_fees = Assignment.objects.filter(scope.q("request__"), fee_paid_at__gte=start, fee_paid_at__lt=end).aggregate(
        total=Coalesce(Sum("fee"), Value(Decimal("0")))
    )["total"]
    paid_expenses = ExpenseClaim.objects.filter(
        scope.q("assignment__request__"), paid_at__gte=start, paid_at__lt=end
    ).aggregate(total=Coalesce(Sum("amount"), Value(Decimal("0"))))["total"]
    new_people = {
        "applicants": scope.applications().filter(created_at__gte=start, created_at__lt=end).count(),
        "new_experts": scope.experts()
        .filter(created_at__gte=start, created_at__lt=end, status=ExpertProfile.Status.ACTIVE)
        .count(),
    }
    reviews = _review_figures(Review.objects.filter(scope.q("assignment__request__")), start, end)
    return {
        **counts,
        **reviews,
        "fulfilment_rate": _pct(counts["fulfilled"], counts["received"]),
        "median_days": _median_days(received, counts["confirmed"]),
        **held_counts,
        "participants": held_counts["participants_reported"] + held_counts["participants_estimated"],
        "impact_share": _pct(held_counts["with_impact"], held_counts["held"]),
        "experts_youth": experts["youth"],
        "experts_parents": experts["parents"],
        "heard": experts["heard"],
        "respected": experts["respected"],
        "busiest_share": _pct(experts["busiest"], experts["engagements"]),
        "debriefs_asked": debrief_counts["asked"],
        "debriefs_held": debrief_counts["held"],
        "fees_paid": paid_fees,
        "expenses_paid": paid_expenses,
        **new_people,
        "held_live": held_now,
        "counted": parts.counted,
    }


ADOPTED = (Adoption.ADOPTED, Adoption.PARTLY)


def _review_figures(reviews: QuerySet[Review], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Material reviews submitted in the period, their comments, and the share of the comments the
    units marked that they adopted fully or partly. Two queries."""
    done = reviews.filter(submitted_at__gte=start, submitted_at__lt=end)
    comments = ReviewComment.objects.filter(assignment__review__in=done.values("pk")).aggregate(
        given=Count("pk"),
        marked=Count("pk", filter=~Q(adoption="")),
        adopted=Count("pk", filter=Q(adoption__in=ADOPTED)),
    )
    return {
        "reviews_done": done.count(),
        "review_comments": comments["given"],
        "adoption_rate": _pct(comments["adopted"], comments["marked"]),
    }


def reviews_by_theme(scope: Scope, period: Period) -> Table:
    """Reviews done, comments given and the adoption rate per theme of the request, in one query.
    A review of a request with several themes counts under each."""
    start, end = period.bounds()
    done = Review.objects.filter(scope.q("assignment__request__"), submitted_at__gte=start, submitted_at__lt=end)
    rows = (
        done.values("assignment__request__themes")
        .annotate(
            reviews=Count("pk", distinct=True),
            given=Count("assignment__review_comments", distinct=True),
            marked=Count(
                "assignment__review_comments", filter=~Q(assignment__review_comments__adoption=""), distinct=True
            ),
            adopted=Count(
                "assignment__review_comments",
                filter=Q(assignment__review_comments__adoption__in=ADOPTED),
                distinct=True,
            ),
        )
        .values_list("assignment__request__themes", "reviews", "given", "marked", "adopted")
    )
    labels = {theme.pk: str(theme) for theme in Theme.objects.all()}
    out = []
    for theme_id, count, given, marked, adopted in rows:
        rate = _pct(adopted, marked)
        shown_rate = formats.number_format(rate, decimal_pos=0) + " %" if rate is not None else None
        out.append([labels.get(theme_id, gettext("No theme")), count, given, shown_rate])
    return Table(
        "reviews_by_theme",
        _("Material reviews by theme"),
        [_("Theme"), _("Reviews done"), _("Comments given"), _("Comments adopted")],
        sorted(out, key=lambda row: (-row[1], row[0])),
        # Each review is one expert's work: few reviews could point at someone.
        people_columns=(1,),
    )


FIGURES: list[tuple[str, Any, bool, str]] = [
    # key, label, counts people, unit
    ("received", _("Requests received"), False, ""),
    # Of the requests received in the period, those that got their experts (whenever they are held).
    ("fulfilled", _("Requests that got their experts"), False, ""),
    ("declined", _("Requests declined"), False, ""),
    ("cancelled", _("Requests cancelled"), False, ""),
    ("fulfilment_rate", _("Fulfilment rate"), False, "%"),
    ("median_days", _("Median days from request to confirmation"), False, ""),
    # Engagements that took place in the period (whenever they were asked for).
    ("held", _("Engagements held"), False, ""),
    ("participants", _("Participants reached"), True, ""),
    ("experts_youth", _("Young experts engaged"), True, ""),
    ("experts_parents", _("Parent experts engaged"), True, ""),
    ("busiest_share", _("Share of engagements done by the busiest fifth of experts"), False, "%"),
    ("usefulness", _("Usefulness according to units (1–5)"), False, ""),
    ("heard", _("Experts felt heard (1–5)"), False, ""),
    ("respected", _("Experts felt respected (1–5)"), False, ""),
    ("impact_share", _("Engagements with an impact note"), False, "%"),
    ("debriefs_asked", _("Debriefs asked"), True, ""),
    ("debriefs_held", _("Debriefs held"), True, ""),
    ("applicants", _("New applicants"), True, ""),
    ("new_experts", _("New active experts"), True, ""),
    ("reviews_done", _("Material reviews done"), True, ""),
    ("review_comments", _("Review comments given"), False, ""),
    ("adoption_rate", _("Review comments adopted"), False, "%"),
    ("fees_paid", _("Fees paid (€)"), False, "€"),
    ("expenses_paid", _("Expenses paid (€)"), False, "€"),
]


def _float(value: Any) -> Any:
    return round(value, 1) if isinstance(value, float) else value


@dataclass
class Dashboard:
    period: Period
    previous_period: Period
    figures: list[Figure]
    tables: list[Table]
    estimate_used: bool
    by_type_chart: list[tuple[str, int]]
    terms_chart: list[tuple[str, int]]
    # When the monthly figures used were counted (None: every figure was counted from the requests).
    counted_at: dt.datetime | None = None
    counted_through: dt.date | None = None  # the last day they hold


def dashboard(period: Period, scope: Scope, today: dt.date | None = None) -> Dashboard:
    until, counted_at = counted_until()
    now_figures = core_figures(period, scope, until)
    previous_period = period.previous()
    before = core_figures(previous_period, scope, until)
    figures = [
        Figure(key, label, _float(now_figures[key]), _float(before[key]), people=people, unit=unit)
        for key, label, people, unit in FIGURES
    ]
    type_labels = dict(RequestType.choices)
    by_type_rows: list[list[Any]] = [[str(type_labels[t]), now_figures[f"type:{t}"]] for t in RequestType.values]
    theme_rows = _participants_per_theme(scope, now_figures["held_live"], now_figures["counted"])
    terms = recent_terms(today or timezone.localdate())
    programme = programme_report(scope, terms, until)
    # The programme's events per term are the engagements held per term: the same requests.
    terms_rows: list[list[Any]] = [[row[0], row[1]] for row in programme.rows[: len(terms)]]
    tables = [
        programme,
        Table("by_type", _("Engagements held by type"), [_("Type"), _("Engagements")], by_type_rows),
        Table(
            "participants_by_theme",
            _("Participants reached by theme"),
            [_("Theme"), _("Participants"), _("Of which estimated")],
            theme_rows,
            people_columns=(1, 2),
        ),
        Table("by_term", _("Engagements held per term"), [_("Term"), _("Engagements")], terms_rows),
        reviews_by_theme(scope, period),
        Table(
            "figures",
            _("All figures"),
            [_("Figure"), period.label, previous_period.label],
            [[str(f.label), f.display, f.previous_display] for f in figures],
        ),
    ]
    return Dashboard(
        period=period,
        previous_period=previous_period,
        figures=figures,
        tables=tables,
        estimate_used=bool(now_figures["participants_estimated"]),
        by_type_chart=[(row[0], row[1]) for row in by_type_rows],
        terms_chart=[(row[0], row[1]) for row in terms_rows],
        counted_at=counted_at if now_figures["counted"] or before["counted"] else None,
        counted_through=until.date() - dt.timedelta(days=1) if until else None,
    )


def _participants_per_theme(
    scope: Scope, held_live: QuerySet[Request], counted: tuple[dt.datetime, dt.datetime] | None
) -> list[list[Any]]:
    """Participants per theme from the units' feedback; where a unit gave none, the request's
    expected audience counts as an estimate. Counted months from `MonthlyThemeFigures`, the rest live."""
    through = Request.themes.through.objects.filter(request__in=held_live.values("pk"))
    live = (
        through.values("theme_id")  # type: ignore[misc]  # the stubs miss names annotated after values()
        .annotate(**_theme_aggregates())
        .values_list("theme_id", "reported", "estimated")
    )
    parts = [live]
    if counted is not None:
        months = scope.monthly(MonthlyThemeFigures, counted)
        parts.append(
            months.values("theme_id")
            .annotate(r=Coalesce(Sum("reported"), Value(0)), e=Coalesce(Sum("estimated"), Value(0)))
            .values_list("theme_id", "r", "e")
        )
    totals: dict[int, list[int]] = {}
    for part in parts:
        for theme_id, reported, estimated in part:
            total = totals.setdefault(theme_id, [0, 0])
            total[0] += int(reported)
            total[1] += int(estimated)
    labels = {theme.pk: str(theme) for theme in Theme.objects.all()}
    out = [[labels[tid], reported + estimated, estimated] for tid, (reported, estimated) in totals.items()]
    return sorted(out, key=lambda row: (-row[1], row[0]))


def _term_index(terms: list[Period]) -> Case:
    """The position of a request's term in `terms`, by when it ended (the requests are already
    limited to the terms' span)."""
    return Case(
        *(When(ends_at__lt=term.bounds()[1], then=Value(i)) for i, term in enumerate(terms)),
        default=Value(len(terms) - 1),
        output_field=IntegerField(),
    )


def programme_report(scope: Scope, terms: list[Period], until: dt.datetime | None = None) -> Table:
    """The development programme's own report (docs/design.md, "Why it exists"): events held per
    term, and the participants they reached per programme theme, as the programme reported them.
    Participants are the units' reported numbers, or the expected audience where none came. Whole
    counted months come from the monthly figures, the rest from the requests: two queries."""
    first, last = terms[0].bounds()[0], terms[-1].bounds()[1]
    parts = split_period(first, last, until)
    held = scope.requests().filter(_within("ends_at", parts.live), status__in=HELD)
    themes = [*ProgrammeTheme.values, ""]
    # Grouped by term and theme rather than one filtered aggregate per cell: each row is read once
    # (30 filtered sums per row made this the dashboard's slowest query at 100,000 requests).
    groups = (
        held.annotate(term=_term_index(terms))
        .order_by()
        .values("term", "programme_theme")
        .annotate(events=Count("pk"), people=Coalesce(Sum(_programme_participants()), Value(0)))
        .values_list("term", "programme_theme", "events", "people")
    )
    events = [0] * len(terms)
    people = [[0] * len(themes) for _term in terms]
    for term, theme, count, reached in groups:
        events[term] += count
        people[term][themes.index(theme)] += reached
    if parts.counted is not None:
        ends = [term.bounds()[1].date() for term in terms]
        months = (
            scope.monthly(MonthlyFigures, parts.counted)
            .values("month", "programme_theme")
            .annotate(events=Sum("held"), people=Sum("programme_people"))
            .values_list("month", "programme_theme", "events", "people")
        )
        for month, theme, count, reached in months:
            term = next(i for i, end in enumerate(ends) if month < end)
            events[term] += count or 0
            people[term][themes.index(theme)] += reached or 0
    rows: list[list[Any]] = [[term.label, events[i], *people[i]] for i, term in enumerate(terms)]
    totals = [_("Total"), *(sum(row[k] for row in rows) for k in range(1, len(themes) + 2))]
    return Table(
        "programme",
        _("The programme's report: events per term and participants per programme theme"),
        [_("Term"), _("Events"), *ProgrammeTheme.labels, _("Not classified")],
        [*rows, totals],
        people_columns=tuple(range(2, len(themes) + 2)),
    )
