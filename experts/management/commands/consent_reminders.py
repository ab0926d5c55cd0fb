"""Nightly: remind experts whose consents run out soon, and ask new adults to renew in their own name.

Safe to run as often as you like: each reminder is sent once (`reminder_sent_at`, `renewal_requested_at`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from experts.models import REQUIRED_PURPOSES, ConsentRecord, ExpertProfile
from registry.mail import send_templated_mail


class Command(BaseCommand):
    help = "Sends consent expiry reminders and coming-of-age renewal requests."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        reminded = self.expiry_reminders(now)
        renewals = self.coming_of_age(now)
        self.stdout.write(f"{reminded} expiry reminders, {renewals} renewal requests")

    def expiry_reminders(self, now: dt.datetime) -> int:
        soon = now + dt.timedelta(days=settings.CONSENT_REMINDER_DAYS)
        candidates = (
            ConsentRecord.objects.filter(
                given_by=ConsentRecord.By.SELF,
                action=ConsentRecord.Action.GIVEN,
                purpose__in=REQUIRED_PURPOSES,
                expires_at__gt=now,
                expires_at__lte=soon,
                reminder_sent_at__isnull=True,
                expert__erased_at__isnull=True,
                expert__user__is_active=True,
            )
            .select_related("expert__user")
            .order_by("expert_id", "expires_at")
        )
        sent = 0
        seen: set[int] = set()
        for record in candidates:
            expert = record.expert
            # Only the latest decision counts, and one message per expert is enough.
            if expert.pk in seen or expert.consent_states(now)[record.purpose].record != record:
                continue
            seen.add(expert.pk)
            with transaction.atomic():
                ConsentRecord.objects.filter(
                    expert=expert, purpose__in=REQUIRED_PURPOSES, reminder_sent_at__isnull=True
                ).update(reminder_sent_at=now)
                send_templated_mail(
                    "experts/email/consent_expiring",
                    [expert.user.email],
                    {"expires_at": record.expires_at, "site_url": settings.SITE_URL},
                    language=expert.user.preferred_language,
                )
            sent += 1
        return sent

    def coming_of_age(self, now: dt.datetime) -> int:
        today = timezone.localdate(now)
        had_guardian = ConsentRecord.objects.filter(given_by=ConsentRecord.By.GUARDIAN).values("expert_id")
        candidates = (
            ExpertProfile.objects.not_erased()
            .filter(pk__in=had_guardian, renewal_requested_at__isnull=True, birth_year__isnull=False)
            .exclude(pk__in=ExpertProfile.objects.minors(today).values("pk"))
        )
        sent = 0
        for expert in candidates.select_related("user"):
            with transaction.atomic():
                expert.renewal_requested_at = now
                expert.save(update_fields=["renewal_requested_at", "updated_at"])
                send_templated_mail(
                    "experts/email/renew_consents",
                    [expert.user.email],
                    {"site_url": settings.SITE_URL},
                    language=expert.user.preferred_language,
                )
            sent += 1
        return sent
