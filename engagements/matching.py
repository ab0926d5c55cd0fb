"""Matching (docs/design.md, "Matching"): who may be offered a request, who fits best, and why.

`rank_experts(request)` returns the candidates best first, each with the reasons for its score;
`evaluate(request)` also returns the excluded experts with the reason for each exclusion. The
work is a fixed number of queries whatever the size of the registry: every per-expert fact is
fetched for all experts at once and joined in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from engagements.models import Assignment, Request
from experts.models import AvailabilityException, ExpertProfile, Training, availability_bit

# Soft-score weights.
THEME_POINTS = 10
HOME_REGION_POINTS = 5
TRAVEL_POINTS = 2
TRAINING_POINTS = 3
FAIRNESS_POINTS = 5  # per engagement in the fairness window, subtracted
DECLINE_POINTS = 2  # per recent declined offer, subtracted
DECLINE_WINDOW_DAYS = 180


class Row(NamedTuple):
    pk: int
    kind: str
    status: str
    pause_until: dt.date | None
    weekly_availability: int
    monthly_cap: int | None
    remote_ok: bool
    home_region_id: int | None


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


def _ids(pairs: QuerySet[Any]) -> set[int]:
    return set(pairs.values_list("expertprofile_id", flat=True))


def _pairs(pairs: QuerySet[Any], column: str) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for expert_id, item in pairs.values_list("expertprofile_id", column):
        out[expert_id].add(item)
    return out


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


def evaluate(request: Request, *, explain: bool = True) -> tuple[list[Candidate], list[Exclusion]]:
    """Candidates best first, and exclusions. With `explain=False` an exclusion stops at its first
    reason (enough to count them, much cheaper over a large registry)."""
    now = timezone.now()
    window = request.busy_window()
    day = timezone.localdate(window[0]) if window else request.deadline
    parts = request.parts_of_day()
    unit = request.unit
    request_themes = {t.pk: str(t) for t in request.themes.all()}
    request_languages = set(request.languages.values_list("pk", flat=True))

    # Plain rows, not model objects: the registry may hold tens of thousands of experts.
    experts = [
        Row(*values)
        for values in ExpertProfile.objects.not_erased()
        .exclude(status=ExpertProfile.Status.LEAVING)
        .exclude(pk__in=ExpertProfile.objects.erasure_pending().values("pk"))
        .order_by("display_name", "pk")
        .values_list(
            "pk", "kind", "status", "pause_until", "weekly_availability", "monthly_cap", "remote_ok", "home_region_id"
        )
    ]
    through = ExpertProfile
    # Only the pairs that matter for this request, not whole tables.
    themes = _pairs(through.themes.through.objects.filter(theme_id__in=request_themes), "theme_id")
    avoid_topics = _pairs(through.avoid_topics.through.objects.filter(theme_id__in=request_themes), "theme_id")
    takes_role = _ids(through.roles.through.objects.filter(engagementrole__code=request.role_code))
    speaks = _ids(through.languages.through.objects.filter(language_id__in=request_languages))
    travels = _ids(through.travel_regions.through.objects.filter(region_id=unit.region_id))
    conflicted = _ids(through.avoid_units.through.objects.filter(unit_id=unit.pk))
    if unit.municipality_id is not None:  # a unit without a municipality conflicts with none
        conflicted |= _ids(through.avoid_municipalities.through.objects.filter(municipality_id=unit.municipality_id))
    trained = _ids(through.trainings.through.objects.filter(training__code=Training.Code.BASIC))
    away = (
        set(
            AvailabilityException.objects.filter(start_date__lte=day, end_date__gte=day).values_list(
                "expert_id", flat=True
            )
        )
        if day
        else set()
    )
    engaged = Q(status__in=[Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED])
    fairness_since = now - dt.timedelta(days=settings.MATCHING_FAIRNESS_DAYS)
    recent = dict(
        Assignment.objects.filter(engaged, confirmed_at__gte=fairness_since)
        .values_list("expert_id")
        .annotate(n=Count("pk"))
    )
    declines = dict(
        Assignment.objects.filter(
            status=Assignment.Status.DECLINED, answered_at__gte=now - dt.timedelta(days=DECLINE_WINDOW_DAYS)
        )
        .values_list("expert_id")
        .annotate(n=Count("pk"))
    )
    month_counts: dict[int, int] = {}
    overlapping: set[int] = set()
    resting: set[int] = set()
    if window:
        local_start = timezone.localtime(window[0])
        month_start = local_start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        month_end = (month_start + dt.timedelta(days=32)).replace(day=1)
        month_counts = dict(
            Assignment.objects.filter(engaged, request__starts_at__gte=month_start, request__starts_at__lt=month_end)
            .values_list("expert_id")
            .annotate(n=Count("pk"))
        )
        rest = dt.timedelta(days=settings.MATCHING_REST_DAYS)
        for expert_id, starts, ends in (
            Assignment.objects.confirmed()
            .exclude(request=request)
            .filter(request__starts_at__lt=window[1] + rest, request__ends_at__gt=window[0] - rest)
            .values_list("expert_id", "request__starts_at", "request__ends_at")
        ):
            assert starts is not None and ends is not None  # the filter above leaves out rows without times
            if starts < window[1] and ends > window[0]:
                overlapping.add(expert_id)
            else:
                resting.add(expert_id)
    already = dict(request.assignments.filter(status__in=Assignment.LIVE_STATUSES).values_list("expert_id", "status"))

    status_labels = dict(ExpertProfile.Status.choices)
    status_reason = lazy(lambda status: _("Status: %(status)s") % {"status": status_labels[status]}, str)
    slots = [availability_bit(day.weekday(), part) for part in parts] if window and day else []

    def reachable(expert: Row) -> bool:
        return expert.home_region_id == unit.region_id or expert.pk in travels

    def reasons_against(expert: Row) -> Iterator[Any]:
        """Every hard filter the expert fails, in order; lazy, so counting needs only the first."""
        pk = expert.pk
        if pk in already:
            yield ALREADY
        if expert.status != ExpertProfile.Status.ACTIVE:
            yield status_reason(expert.status)
        if consent_ok is not None and pk not in consent_ok:
            yield NO_CONSENT
        if day and expert.pause_until and expert.pause_until >= day:
            yield ON_BREAK
        if pk in away:
            yield AWAY
        if not all(expert.weekly_availability & slot for slot in slots):
            yield WRONG_TIME
        if expert.monthly_cap is not None and month_counts.get(pk, 0) >= expert.monthly_cap:
            yield CAP
        if pk in overlapping:
            yield OVERLAP
        elif pk in resting:
            yield REST
        if request.wished_kind != Request.WishedKind.EITHER and expert.kind != request.wished_kind:
            yield WRONG_KIND
        if request.role_code and pk not in takes_role:
            yield WRONG_ROLE
        if request_languages and pk not in speaks:
            yield WRONG_LANGUAGE
        if request.format == Request.Format.REMOTE:
            if not expert.remote_ok:
                yield NO_REMOTE
        elif not reachable(expert) and not (request.format == Request.Format.HYBRID and expert.remote_ok):
            yield TOO_FAR
        if pk in conflicted:
            yield CONFLICT
        avoided = [request_themes[t] for t in avoid_topics.get(pk, ())]
        if avoided:
            yield _("Does not want to talk about: %(topics)s") % {"topics": ", ".join(sorted(avoided))}

    # Consent is the costliest check: when only counting, it is asked just of those who pass the rest.
    consent_ok: set[int] | None = None
    if explain:
        consent_ok = set(ExpertProfile.objects.consent_current(now).values_list("pk", flat=True))
    candidates: list[Candidate] = []
    exclusions: list[Exclusion] = []
    for expert in experts:
        pk = expert.pk
        reasons = reasons_against(expert)
        why_not = list(reasons) if explain else list(islice(reasons, 1))
        if why_not:
            exclusions.append(Exclusion(pk, why_not))
            continue

        candidate = Candidate(pk)
        shared = sorted(request_themes[t] for t in themes.get(pk, ()))
        if shared:
            candidate.score += THEME_POINTS * len(shared)
            candidate.reasons.append(_("Experience of: %(themes)s") % {"themes": ", ".join(shared)})
        if expert.home_region_id == unit.region_id:
            candidate.score += HOME_REGION_POINTS
            candidate.reasons.append(_("Lives in the same wellbeing area"))
        elif reachable(expert):
            candidate.score += TRAVEL_POINTS
            candidate.reasons.append(_("Travels to the area"))
        count = recent.get(pk, 0)
        candidate.score -= FAIRNESS_POINTS * count
        candidate.reasons.append(
            ngettext(
                "%(count)s engagement in the last %(days)s days",
                "%(count)s engagements in the last %(days)s days",
                count,
            )
            % {"count": count, "days": settings.MATCHING_FAIRNESS_DAYS}
        )
        if pk in trained:
            candidate.score += TRAINING_POINTS
            candidate.reasons.append(_("Basic training completed"))
        declined = declines.get(pk, 0)
        if declined:
            candidate.score -= DECLINE_POINTS * declined
            candidate.reasons.append(
                ngettext("Declined %(count)s offer recently", "Declined %(count)s offers recently", declined)
                % {"count": declined}
            )
        candidates.append(candidate)

    # One query loads the candidates' profiles and, when not checked yet, their consents too.
    profiles = ExpertProfile.objects.select_related("home_region").filter(pk__in=[c.expert_id for c in candidates])
    if consent_ok is None:
        profiles = profiles.consent_current(now)
    loaded = {profile.pk: profile for profile in profiles}
    exclusions += [Exclusion(c.expert_id, [NO_CONSENT]) for c in candidates if c.expert_id not in loaded]
    candidates = [c for c in candidates if c.expert_id in loaded]
    for candidate in candidates:
        candidate.expert = loaded[candidate.expert_id]
    # Rows came in name order, so a stable sort keeps equal scores alphabetical.
    candidates.sort(key=lambda c: -c.score)
    return candidates, exclusions


def load_experts(exclusions: list[Exclusion]) -> list[Exclusion]:
    """Attach the profiles to (a page of) exclusions for display."""
    profiles = ExpertProfile.objects.in_bulk([e.expert_id for e in exclusions])
    for exclusion in exclusions:
        exclusion.expert = profiles[exclusion.expert_id]
    return exclusions


def rank_experts(request: Request) -> list[Candidate]:
    return evaluate(request)[0]
