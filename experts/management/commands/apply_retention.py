"""Nightly: erase experts whose time has come and delete old rejected applications.

Safe to run every night (or more often): it only acts on what is due and records each erasure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from experts.models import Application, ConsentPurpose, ExpertProfile


class Command(BaseCommand):
    help = "Applies the retention rules: erasure after withdrawal or request, old rejected applications."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        erased = 0
        due = ExpertProfile.objects.not_erased().filter(erase_after__lte=now).select_related("user")
        for expert in due:
            # Someone who came back (gave the registry consent again) is kept, unless they asked for erasure.
            if not expert.erasure_requested_at and expert.consent_states(now)[ConsentPurpose.REGISTRY].is_current:
                continue
            with transaction.atomic():
                expert.erase()
            erased += 1
        cutoff = now - dt.timedelta(days=settings.REJECTED_APPLICATION_RETENTION_DAYS)
        deleted, _details = Application.objects.filter(
            status=Application.Status.REJECTED, decided_at__lt=cutoff
        ).delete()
        self.stdout.write(f"{erased} experts erased, {deleted} old application rows deleted")
