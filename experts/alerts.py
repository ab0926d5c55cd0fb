"""What needs a coordinator's attention in the registry, as counts for the home page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from experts.models import Application, ConsentPurpose, ConsentRecord, ExpertProfile


def coordinator_alerts(regions: Any) -> dict[str, int]:
    now = timezone.now()
    today = timezone.localdate(now)
    soon = dt.timedelta(days=settings.CONSENT_REMINDER_DAYS)
    experts = ExpertProfile.objects.not_erased().in_regions(regions).exclude(status=ExpertProfile.Status.LEAVING)
    return {
        "applications": Application.objects.waiting().in_regions(regions).count(),
        # Current now, no longer in `soon` (expiring, a new text, coming of age): read from the
        # consent state kept on the expert, not derived from every expert's records.
        "consents_expiring": experts.filter(
            consent_current_until__gt=now, consent_current_until__lte=now + soon
        ).count(),
        "minors_without_guardian": experts.minors(today).exclude(pk__in=_with_guardian_consent(today, now)).count(),
        "turning_18": experts.minors(today)
        .exclude(pk__in=ExpertProfile.objects.minors(today + soon).values("pk"))
        .count(),
    }


def _with_guardian_consent(today: dt.date, now: dt.datetime) -> Any:
    """The minors with a guardian's current consent, looked up among those with any guardian's
    decision (a few), not every minor in the registry."""
    decided = ConsentRecord.objects.filter(given_by=ConsentRecord.By.GUARDIAN, purpose=ConsentPurpose.REGISTRY)
    minors = ExpertProfile.objects.filter(pk__in=decided.values("expert_id")).minors(today)
    return minors.with_guardian_consent(now).values("pk")
