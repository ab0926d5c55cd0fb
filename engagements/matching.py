"""Matching (DESIGN.md §5): who may be offered a request, who fits best, and why.

`rank_experts(request)` returns the candidates best first, each with the reasons for its score;
`evaluate(request)` also returns the excluded experts with the reason for each exclusion. The
work is a fixed number of queries whatever the size of the registry: every per-expert fact is
fetched for all experts at once and joined in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from engagements.models import Assignment, Request
from experts.models import AvailabilityException, ExpertProfile, Training

# Soft-score weights.
THEME_POINTS = 10
HOME_REGION_POINTS = 5
TRAVEL_POINTS = 2
TRAINING_POINTS = 3
FAIRNESS_POINTS = 5  # per engagement in the fairness window, subtracted
DECLINE_POINTS = 2  # per recent declined offer, subtracted
DECLINE_WINDOW_DAYS = 180


@dataclass
class Candidate:
    expert: ExpertProfile
    score: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class Exclusion:
    expert: ExpertProfile
    reasons: list[str] = field(default_factory=list)


def _pairs(through: type, column: str, value: str) -> dict[int, set]:
    out: dict[int, set] = defaultdict(set)
    for expert_id, item in through.objects.values_list(column, value):
        out[expert_id].add(item)
    return out


def evaluate(request: Request) -> tuple[list[Candidate], list[Exclusion]]:
    now = timezone.now()
    window = request.busy_window()
    day = timezone.localdate(window[0]) if window else request.deadline
    parts = request.parts_of_day()
    unit = request.unit
    request_themes = {t.pk: str(t) for t in request.themes.all()}
    request_languages = set(request.languages.values_list("pk", flat=True))

    experts = list(
        ExpertProfile.objects.not_erased()
        .exclude(status=ExpertProfile.Status.LEAVING)
        .select_related("home_region")
        .order_by("display_name", "pk")
    )
    consent_ok = set(ExpertProfile.objects.consent_current(now).values_list("pk", flat=True))
    through = ExpertProfile
    themes = _pairs(through.themes.through, "expertprofile_id", "theme_id")
    avoid_topics = _pairs(through.avoid_topics.through, "expertprofile_id", "theme_id")
    roles = _pairs(through.roles.through, "expertprofile_id", "engagementrole__code")
    languages = _pairs(through.languages.through, "expertprofile_id", "language_id")
    travel = _pairs(through.travel_regions.through, "expertprofile_id", "region_id")
    avoid_units = _pairs(through.avoid_units.through, "expertprofile_id", "unit_id")
    avoid_municipalities = _pairs(through.avoid_municipalities.through, "expertprofile_id", "municipality_id")
    trained = set(
        through.trainings.through.objects.filter(training__code=Training.Code.BASIC).values_list(
            "expertprofile_id", flat=True
        )
    )
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
            if starts < window[1] and ends > window[0]:
                overlapping.add(expert_id)
            else:
                resting.add(expert_id)
    already = dict(request.assignments.filter(status__in=Assignment.LIVE_STATUSES).values_list("expert_id", "status"))

    candidates: list[Candidate] = []
    exclusions: list[Exclusion] = []
    for expert in experts:
        pk = expert.pk
        why_not: list[str] = []
        if pk in already:
            why_not.append(_("Already offered this request"))
        if expert.status != ExpertProfile.Status.ACTIVE:
            why_not.append(_("Status: %(status)s") % {"status": expert.get_status_display()})
        if pk not in consent_ok:
            why_not.append(_("Consents are not current"))
        if day and expert.pause_until and expert.pause_until >= day:
            why_not.append(_("On a break"))
        if pk in away:
            why_not.append(_("Away on that day"))
        if window and day and not all(expert.is_available(day.weekday(), part) for part in parts):
            why_not.append(_("Not available at that time of the week"))
        if expert.monthly_cap is not None and month_counts.get(pk, 0) >= expert.monthly_cap:
            why_not.append(_("Monthly limit reached"))
        if pk in overlapping:
            why_not.append(_("Already confirmed to another engagement at that time"))
        elif pk in resting:
            why_not.append(_("Needs a rest between engagements"))
        if request.wished_kind != Request.WishedKind.EITHER and expert.kind != request.wished_kind:
            why_not.append(_("Not the kind of expert asked for"))
        if request.role_code and request.role_code not in roles.get(pk, set()):
            why_not.append(_("Does not take this role"))
        if request_languages and not request_languages & languages.get(pk, set()):
            why_not.append(_("Does not speak the language"))
        reachable = expert.home_region_id == unit.region_id or unit.region_id in travel.get(pk, set())
        if request.format == Request.Format.REMOTE:
            if not expert.remote_ok:
                why_not.append(_("Does not take part remotely"))
        elif not reachable and not (request.format == Request.Format.HYBRID and expert.remote_ok):
            why_not.append(_("Does not travel to the area"))
        if unit.pk in avoid_units.get(pk, set()) or (
            unit.municipality_id and unit.municipality_id in avoid_municipalities.get(pk, set())
        ):
            why_not.append(_("Conflict of interest with this unit"))
        avoided = [request_themes[t] for t in avoid_topics.get(pk, set()) if t in request_themes]
        if avoided:
            why_not.append(_("Does not want to talk about: %(topics)s") % {"topics": ", ".join(sorted(avoided))})
        if why_not:
            exclusions.append(Exclusion(expert, why_not))
            continue

        candidate = Candidate(expert)
        shared = sorted(request_themes[t] for t in themes.get(pk, set()) if t in request_themes)
        if shared:
            candidate.score += THEME_POINTS * len(shared)
            candidate.reasons.append(_("Experience of: %(themes)s") % {"themes": ", ".join(shared)})
        if expert.home_region_id == unit.region_id:
            candidate.score += HOME_REGION_POINTS
            candidate.reasons.append(_("Lives in the same wellbeing area"))
        elif reachable:
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

    candidates.sort(key=lambda c: (-c.score, c.expert.display_name, c.expert.pk))
    return candidates, exclusions


def rank_experts(request: Request) -> list[Candidate]:
    return evaluate(request)[0]
