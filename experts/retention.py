"""The registry of experts' retention rules, run nightly by `apply_retention` (see
engagements/management/commands/apply_retention.py). Each acts only on what is due."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from experts.models import Application, AvailabilityException, ConsentPurpose, ExpertProfile


def erase_due_experts(now: dt.datetime) -> int:
    """Erasure after a request (and its grace period) or after the registry consent was withdrawn."""
    erased = 0
    due = ExpertProfile.objects.not_erased().filter(erase_after__lte=now).select_related("user")
    for expert in due:
        # Someone who came back (gave the registry consent again) is kept, unless they asked for erasure.
        if not expert.erasure_requested_at and expert.consent_states(now)[ConsentPurpose.REGISTRY].is_current:
            continue
        with transaction.atomic():
            expert.erase()
        erased += 1
    return erased


def delete_old_applications(now: dt.datetime) -> int:
    """Rejected applications REJECTED_APPLICATION_RETENTION_DAYS after the decision, and
    applications nobody decided on UNDECIDED_APPLICATION_RETENTION_DAYS after they came."""
    rejected = Q(
        status=Application.Status.REJECTED,
        decided_at__lt=now - dt.timedelta(days=settings.REJECTED_APPLICATION_RETENTION_DAYS),
    )
    undecided = Q(
        status=Application.Status.NEW,
        created_at__lt=now - dt.timedelta(days=settings.UNDECIDED_APPLICATION_RETENTION_DAYS),
    )
    _total, per_model = Application.objects.filter(rejected | undecided).delete()
    return per_model.get(Application._meta.label, 0)


def delete_past_away_periods(now: dt.datetime) -> int:
    """A time away says nothing useful once it is over."""
    today = timezone.localdate(now)
    return AvailabilityException.objects.filter(end_date__lt=today).delete()[0]
