"""What needs a coordinator's attention in the registry, as counts for the home page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from experts.models import Application, ConsentPurpose, ExpertProfile


def coordinator_alerts(regions: Any) -> dict[str, int]:
    now = timezone.now()
    today = timezone.localdate(now)
    soon = dt.timedelta(days=settings.CONSENT_REMINDER_DAYS)
    experts = ExpertProfile.objects.not_erased().in_regions(regions).exclude(status=ExpertProfile.Status.LEAVING)
    still_current_later = ExpertProfile.objects.with_current_consent(ConsentPurpose.REGISTRY, now + soon).values("pk")
    return {
        "applications": Application.objects.waiting().in_regions(regions).count(),
        "consents_expiring": experts.with_current_consent(ConsentPurpose.REGISTRY, now)
        .exclude(pk__in=still_current_later)
        .count(),
        "minors_without_guardian": experts.minors(today)
        .exclude(pk__in=ExpertProfile.objects.with_guardian_consent(now).values("pk"))
        .count(),
        "turning_18": experts.minors(today)
        .exclude(pk__in=ExpertProfile.objects.minors(today + soon).values("pk"))
        .count(),
    }
