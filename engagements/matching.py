"""Matching (docs/design.md, "Matching"): who may be offered a request, who fits best, and why.

Three parts, each readable and testable alone:

- **Facts.** `RequestFacts` is what the rules need to know about the request (computed once);
  `expert_facts(facts, ids)` loads what they need to know about given experts, a fixed number
  of queries whatever their number.
- **Hard rules.** `eligible(facts)` applies every rule in SQL, so only the experts who pass reach
  Python; `hard_rules(facts, expert)` is the same rules in Python, used only to explain an
  exclusion when a coordinator asks to see it.
- **Score.** `score_expression(facts)` orders the experts who pass in SQL (so showing the best 25
  never loads the rest); `score(facts, expert)` gives the same points with their reasons for the
  experts shown.

The cost of the matching page is then the registry's SQL filtering, not Python over every expert
(issue 10). `evaluate(request)` keeps the old shape (every candidate and every exclusion with its
reasons) for tests and small registries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from engagements.models import Assignment, Request
from experts.models import AvailabilityException, ExpertProfile, ExpertProfileQuerySet, Training, availability_bit

# Soft-score weights.
THEME_POINTS = 10
HOME_REGION_POINTS = 5
TRAVEL_POINTS = 2
TRAINING_POINTS = 3
FAIRNESS_POINTS = 5  # per engagement in the fairness window, subtracted
DECLINE_POINTS = 2  # per recent declined offer, subtracted
DECLINE_WINDOW_DAYS = 180

# The matching page shows this many candidates, and this many more per "show more".
PAGE_SIZE = 25
MAX_SHOWN = 500

# Exclusion reasons, translated only when shown.
NO_CONSENT = gettext_lazy("Consents are not current")
ALREADY = gettext_lazy("Already offered this request")
ON_BREAK = gettext_lazy("On a break")
AWAY = gettext_lazy("Away on that day")
WRONG_TIME = gettext_lazy("Not available at that time of the week")
CAP = gettext_lazy("Monthly limit reached")
OVERLAP = gettext_lazy("Already confirmed to another engagement at that time")
REST = gettext_lazy("Needs a rest between engagements")
WRONG_KIND = gettext_lazy("Not the kind of expert asked for")
WRONG_ROLE = gettext_lazy("Does not take this role")
WRONG_LANGUAGE = gettext_lazy("Does not speak the language")
NO_REMOTE = gettext_lazy("Does not take part remotely")
TOO_FAR = gettext_lazy("Does not travel to the area")
CONFLICT = gettext_lazy("Conflict of interest with this unit")


@dataclass
class Candidate:
    expert_id: int
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    expert: ExpertProfile | None = None


@dataclass
class Exclusion:
    expert_id: int
    reasons: list[Any] = field(default_factory=list)
    expert: ExpertProfile | None = None


# --- Facts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFacts:
    """What every rule needs to know about the request, computed once."""

    request: Request
    now: dt.datetime
    window: tuple[dt.datetime, dt.datetime] | None
    day: dt.date | None
    slots: int  # the weekly-availability bits the expert must all have (0: no condition)
    themes: dict[int, str]
    languages: frozenset[int]
    month: tuple[dt.datetime, dt.datetime] | None
    rest: dt.timedelta
    fairness_since: dt.datetime
    declines_since: dt.datetime

    @classmethod
    def of(cls, request: Request, now: dt.datetime | None = None) -> RequestFacts:
        now = now or timezone.now()
        window = request.busy_window()
        day = timezone.localdate(window[0]) if window else request.deadline
        slots = 0
        if window and day:
            for part in request.parts_of_day():
                slots |= availability_bit(day.weekday(), part)
        month = None
        if window:
            start = timezone.localtime(window[0]).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            month = (start, (start + dt.timedelta(days=32)).replace(day=1))
        return cls(
            request=request,
            now=now,
            window=window,
            day=day,
            slots=slots,
            themes={t.pk: str(t) for t in request.themes.all()},
            languages=frozenset(request.languages.values_list("pk", flat=True)),
            month=month,
            rest=dt.timedelta(days=settings.MATCHING_REST_DAYS),
            fairness_since=now - dt.timedelta(days=settings.MATCHING_FAIRNESS_DAYS),
            declines_since=now - dt.timedelta(days=DECLINE_WINDOW_DAYS),
        )


ENGAGED = (Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED)


def _recent(f: RequestFacts) -> QuerySet[Assignment]:
    return Assignment.objects.filter(status__in=ENGAGED, confirmed_at__gte=f.fairness_since)


def _declines(f: RequestFacts) -> QuerySet[Assignment]:
    return Assignment.objects.filter(status=Assignment.Status.DECLINED, answered_at__gte=f.declines_since)


def _in_month(f: RequestFacts) -> QuerySet[Assignment]:
    assert f.month is not None
    return Assignment.objects.filter(
        status__in=ENGAGED, request__starts_at__gte=f.month[0], request__starts_at__lt=f.month[1]
    )


def _near(f: RequestFacts) -> QuerySet[Assignment]:
    """Confirmed to another engagement within the rest period of this one (overlapping or not)."""
    assert f.window is not None
    return (
        Assignment.objects.confirmed()
        .exclude(request=f.request)
        .filter(request__starts_at__lt=f.window[1] + f.rest, request__ends_at__gt=f.window[0] - f.rest)
    )


def _live(f: RequestFacts) -> QuerySet[Assignment]:
    return f.request.assignments.filter(status__in=Assignment.LIVE_STATUSES)


def _away(f: RequestFacts) -> QuerySet[AvailabilityException]:
    return AvailabilityException.objects.filter(start_date__lte=f.day, end_date__gte=f.day)


THROUGH = ExpertProfile


def _themes(f: RequestFacts) -> QuerySet[Any]:
    return THROUGH.themes.through.objects.filter(theme_id__in=f.themes)


def _avoided(f: RequestFacts) -> QuerySet[Any]:
    return THROUGH.avoid_topics.through.objects.filter(theme_id__in=f.themes)


def _takes_role(f: RequestFacts) -> QuerySet[Any]:
    return THROUGH.roles.through.objects.filter(engagementrole__code=f.request.role_code)


def _speaks(f: RequestFacts) -> QuerySet[Any]:
    return THROUGH.languages.through.objects.filter(language_id__in=f.languages)


def _travels(f: RequestFacts) -> QuerySet[Any]:
    return THROUGH.travel_regions.through.objects.filter(region_id=f.request.unit.region_id)


def _avoids_unit(f: RequestFacts) -> QuerySet[Any]:
    return THROUGH.avoid_units.through.objects.filter(unit_id=f.request.unit_id)


def _avoids_municipality(f: RequestFacts) -> QuerySet[Any]:
    municipality = f.request.unit.municipality_id
    if municipality is None:  # a unit without a municipality conflicts with none
        return THROUGH.avoid_municipalities.through.objects.none()
    return THROUGH.avoid_municipalities.through.objects.filter(municipality_id=municipality)


def _trained() -> QuerySet[Any]:
    return THROUGH.trainings.through.objects.filter(training__code=Training.Code.BASIC)


@dataclass
class ExpertFacts:
    """What the rules need to know about one expert."""

    profile: ExpertProfile
    already: bool = False
    away: bool = False
    consent_ok: bool = False
    month_count: int = 0
    overlapping: bool = False
    resting: bool = False
    takes_role: bool = False
    speaks: bool = False
    travels: bool = False
    conflicted: bool = False
    trained: bool = False
    themes: set[int] = field(default_factory=set)
    avoided: set[int] = field(default_factory=set)
    recent: int = 0
    declines: int = 0


def expert_facts(f: RequestFacts, profiles: Iterable[ExpertProfile]) -> list[ExpertFacts]:
    """The facts of the given experts: a fixed number of queries, each limited to them."""
    out = {p.pk: ExpertFacts(p) for p in profiles}
    if not out:
        return []
    ids = list(out)

    def expert_ids(qs: QuerySet[Any], column: str = "expert_id") -> Iterator[int]:
        yield from qs.filter(**{f"{column}__in": ids}).values_list(column, flat=True)

    def counts(qs: QuerySet[Any]) -> dict[int, int]:
        return dict(qs.filter(expert_id__in=ids).order_by().values_list("expert_id").annotate(n=Count("pk")))

    for pk in expert_ids(_live(f)):
        out[pk].already = True
    if f.day:
        for pk in expert_ids(_away(f)):
            out[pk].away = True
    for pk in ExpertProfile.objects.filter(pk__in=ids).consent_current().values_list("pk", flat=True):
        out[pk].consent_ok = True
    if f.window:
        for pk, n in counts(_in_month(f)).items():
            out[pk].month_count = n
        for pk, starts, ends in (
            _near(f).filter(expert_id__in=ids).values_list("expert_id", "request__starts_at", "request__ends_at")
        ):
            assert f.window is not None and starts is not None and ends is not None  # _near() needs both
            if starts < f.window[1] and ends > f.window[0]:
                out[pk].overlapping = True
            else:
                out[pk].resting = True
    flags = [("travels", _travels(f)), ("trained", _trained())]
    if f.request.role_code:
        flags.append(("takes_role", _takes_role(f)))
    if f.languages:
        flags.append(("speaks", _speaks(f)))
    flags += [("conflicted", _avoids_unit(f)), ("conflicted", _avoids_municipality(f))]
    for name, qs in flags:
        for pk in expert_ids(qs, "expertprofile_id"):
            setattr(out[pk], name, True)
    if f.themes:
        for pk, theme in _themes(f).filter(expertprofile_id__in=ids).values_list("expertprofile_id", "theme_id"):
            out[pk].themes.add(theme)
        for pk, theme in _avoided(f).filter(expertprofile_id__in=ids).values_list("expertprofile_id", "theme_id"):
            out[pk].avoided.add(theme)
    for pk, n in counts(_recent(f)).items():
        out[pk].recent = n
    for pk, n in counts(_declines(f)).items():
        out[pk].declines = n
    return list(out.values())


# --- Hard rules --------------------------------------------------------------------------------


def pool() -> ExpertProfileQuerySet:
    """Everyone matching looks at: not erased, not leaving, not waiting to be erased."""
    return (
        ExpertProfile.objects.not_erased()
        .exclude(status=ExpertProfile.Status.LEAVING)
        .filter(erasure_requested_at__isnull=True)
    )


def eligible(f: RequestFacts) -> ExpertProfileQuerySet:
    """The experts who pass every hard rule, filtered in SQL (the same rules as `hard_rules`)."""
    request = f.request
    mine = OuterRef("pk")
    # The expert's own columns first, then the rules that look into other tables, the costliest
    # (counting the month's engagements, looking for one nearby) last: SQLite tests the conditions
    # in the order written, so most experts are turned away before any subquery runs.
    # The consent state is the one kept on the expert (a column, not the records' latest decisions).
    qs = pool().filter(status=ExpertProfile.Status.ACTIVE).consent_current()
    if f.day:
        qs = qs.filter(Q(pause_until__isnull=True) | Q(pause_until__lt=f.day))
    if f.slots:
        qs = qs.available_at(f.slots)
    if request.wished_kind != Request.WishedKind.EITHER:
        qs = qs.filter(kind=request.wished_kind)
    if request.format == Request.Format.REMOTE:
        qs = qs.filter(remote_ok=True)
    if not f.window:
        # Nothing to count in a month without a date; a limit of 0 still means none.
        qs = qs.filter(Q(monthly_cap__isnull=True) | Q(monthly_cap__gt=0))
    if request.role_code:
        # "In the role's experts" rather than a correlated EXISTS: SQLite then starts from the
        # role's (fewer) experts instead of testing every expert with a current consent.
        qs = qs.filter(pk__in=_takes_role(f).values("expertprofile_id"))
    if f.languages:
        qs = qs.filter(Exists(_speaks(f).filter(expertprofile=mine)))
    if request.format != Request.Format.REMOTE:
        reachable: Any = Q(home_region_id=request.unit.region_id) | Exists(_travels(f).filter(expertprofile=mine))
        if request.format == Request.Format.HYBRID:
            reachable |= Q(remote_ok=True)
        qs = qs.filter(reachable)
    qs = qs.exclude(Exists(_live(f).filter(expert=mine)))
    if f.day:
        qs = qs.exclude(Exists(_away(f).filter(expert=mine)))
    qs = qs.exclude(Exists(_avoids_unit(f).filter(expertprofile=mine)))
    qs = qs.exclude(Exists(_avoids_municipality(f).filter(expertprofile=mine)))
    if f.themes:
        qs = qs.exclude(Exists(_avoided(f).filter(expertprofile=mine)))
    if f.window:
        qs = qs.filter(Q(monthly_cap__isnull=True) | Q(monthly_cap__gt=_count(_in_month(f).filter(expert=mine))))
        qs = qs.exclude(Exists(_near(f).filter(expert=mine)))
    return qs


def hard_rules(f: RequestFacts, e: ExpertFacts) -> Iterator[Any]:
    """Every hard rule the expert fails, in order (the same rules as `eligible`), to explain it."""
    request, expert = f.request, e.profile
    if e.already:
        yield ALREADY
    if expert.status != ExpertProfile.Status.ACTIVE:
        yield _status_reason(expert.status)
    if not e.consent_ok:
        yield NO_CONSENT
    if f.day and expert.pause_until and expert.pause_until >= f.day:
        yield ON_BREAK
    if e.away:
        yield AWAY
    if (expert.weekly_availability & f.slots) != f.slots:
        yield WRONG_TIME
    if expert.monthly_cap is not None and e.month_count >= expert.monthly_cap:
        yield CAP
    if e.overlapping:
        yield OVERLAP
    elif e.resting:
        yield REST
    if request.wished_kind != Request.WishedKind.EITHER and expert.kind != request.wished_kind:
        yield WRONG_KIND
    if request.role_code and not e.takes_role:
        yield WRONG_ROLE
    if f.languages and not e.speaks:
        yield WRONG_LANGUAGE
    if request.format == Request.Format.REMOTE:
        if not expert.remote_ok:
            yield NO_REMOTE
    elif not _reachable(f, e) and not (request.format == Request.Format.HYBRID and expert.remote_ok):
        yield TOO_FAR
    if e.conflicted:
        yield CONFLICT
    avoided = [f.themes[t] for t in e.avoided]
    if avoided:
        yield _("Does not want to talk about: %(topics)s") % {"topics": ", ".join(sorted(avoided))}


def _status_label(status: str) -> str:
    return _("Status: %(status)s") % {"status": ExpertProfile.Status(status).label}


_status_reason = lazy(_status_label, str)


def _reachable(f: RequestFacts, e: ExpertFacts) -> bool:
    return e.profile.home_region_id == f.request.unit.region_id or e.travels


def _count(qs: QuerySet[Any]) -> Coalesce:
    """The number of rows of a correlated queryset, as an expression (0 when none)."""
    counted = qs.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# --- Score -------------------------------------------------------------------------------------


def score_expression(f: RequestFacts) -> Any:
    """The soft score in SQL (the same points as `score`), to order the experts who pass."""
    mine = OuterRef("pk")
    points: Any = Case(
        When(home_region_id=f.request.unit.region_id, then=Value(HOME_REGION_POINTS)),
        When(Exists(_travels(f).filter(expertprofile=mine)), then=Value(TRAVEL_POINTS)),
        default=Value(0),
    )
    if f.themes:
        points += THEME_POINTS * _count(_themes(f).filter(expertprofile=mine))
    points += Case(When(Exists(_trained().filter(expertprofile=mine)), then=Value(TRAINING_POINTS)), default=Value(0))
    points -= FAIRNESS_POINTS * _count(_recent(f).filter(expert=mine))
    points -= DECLINE_POINTS * _count(_declines(f).filter(expert=mine))
    return points


def score(f: RequestFacts, e: ExpertFacts) -> tuple[int, list[str]]:
    """The soft score and the reasons for it."""
    points = 0
    reasons: list[str] = []
    shared = sorted(f.themes[t] for t in e.themes)
    if shared:
        points += THEME_POINTS * len(shared)
        reasons.append(_("Experience of: %(themes)s") % {"themes": ", ".join(shared)})
    if e.profile.home_region_id == f.request.unit.region_id:
        points += HOME_REGION_POINTS
        reasons.append(_("Lives in the same wellbeing area"))
    elif _reachable(f, e):
        points += TRAVEL_POINTS
        reasons.append(_("Travels to the area"))
    points -= FAIRNESS_POINTS * e.recent
    reasons.append(
        ngettext(
            "%(count)s engagement in the last %(days)s days",
            "%(count)s engagements in the last %(days)s days",
            e.recent,
        )
        % {"count": e.recent, "days": settings.MATCHING_FAIRNESS_DAYS}
    )
    if e.trained:
        points += TRAINING_POINTS
        reasons.append(_("Basic training completed"))
    if e.declines:
        points -= DECLINE_POINTS * e.declines
        reasons.append(
            ngettext("Declined %(count)s offer recently", "Declined %(count)s offers recently", e.declines)
            % {"count": e.declines}
        )
    return points, reasons


# --- What the views use ------------------------------------------------------------------------


def ranked(f: RequestFacts, limit: int | None = PAGE_SIZE, only: Iterable[int] | None = None) -> list[Candidate]:
    """The best `limit` candidates (all with None), or those among `only`, with their reasons."""
    return _ranked(f, limit, only)[0]


def ranked_and_counted(f: RequestFacts, limit: int = PAGE_SIZE) -> tuple[list[Candidate], int, int]:
    """The best `limit` candidates, how many experts pass and how many are excluded. Those who pass
    are counted by the ranking query itself, so the registry is filtered once, not twice."""
    candidates, suitable = _ranked(f, limit, None)
    return candidates, suitable, pool().count() - suitable


def _ranked(f: RequestFacts, limit: int | None, only: Iterable[int] | None) -> tuple[list[Candidate], int]:
    qs = eligible(f).select_related("home_region").annotate(_score=score_expression(f))
    if only is not None:
        qs = qs.filter(pk__in=list(only))
    # Equal scores stay in name order; every row carries the number of rows before the limit.
    qs = qs.annotate(_suitable=Window(Count("pk"))).order_by("-_score", "display_name", "pk")
    profiles = list(qs if limit is None else qs[:limit])
    candidates = []
    for e in expert_facts(f, profiles):
        points, reasons = score(f, e)
        candidates.append(Candidate(e.profile.pk, points, reasons, e.profile))
    return candidates, profiles[0]._suitable if profiles else 0


def counts(f: RequestFacts) -> tuple[int, int]:
    """How many experts pass and how many are excluded, in one query."""
    totals = pool().aggregate(all=Count("pk"), suitable=Count("pk", filter=Q(pk__in=eligible(f).values("pk"))))
    return totals["suitable"], totals["all"] - totals["suitable"]


def excluded(f: RequestFacts) -> ExpertProfileQuerySet:
    """The experts who fail some hard rule, in name order (explain a page of them with `explain`)."""
    return pool().exclude(pk__in=eligible(f).values("pk")).order_by("display_name", "pk")


def explain(f: RequestFacts, profiles: Iterable[ExpertProfile]) -> list[Exclusion]:
    """Why each of the given experts is excluded."""
    return [Exclusion(e.profile.pk, list(hard_rules(f, e)), e.profile) for e in expert_facts(f, profiles)]


def evaluate(request: Request) -> tuple[list[Candidate], list[Exclusion]]:
    """Every candidate best first, and every exclusion with all its reasons (over the whole
    registry: for tests and small registries; the pages use `ranked`, `counts` and `explain`)."""
    f = RequestFacts.of(request)
    return ranked(f, limit=None), explain(f, excluded(f))


def rank_experts(request: Request) -> list[Candidate]:
    return ranked(RequestFacts.of(request), limit=None)
