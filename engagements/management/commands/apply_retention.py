"""Nightly: every retention rule of every app (docs/privacy.md lists them with their periods).

This command lives in the top app because it composes the layers' rules, as `seed` composes the
demo data: the experts' erasure, applications and times away; the request flow's texts, receipts,
notifications and calendar addresses; the core's unused accounts, logs, sessions, task results and
orphan files. Safe to run every night (or more often): each rule acts only on what is due.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from engagements import retention as engagements_retention
from experts import retention as experts_retention
from registry import retention as registry_retention


class Command(BaseCommand):
    help = "Applies every retention rule: erasure, old applications, request texts, logs, sessions, files."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        erased = experts_retention.erase_due_experts(now)
        applications = experts_retention.delete_old_applications(now)
        counts = {
            "away periods": experts_retention.delete_past_away_periods(now),
            "requests' texts": engagements_retention.erase_request_texts(now),
            "receipts": engagements_retention.forget_paid_receipts(now),
            "notifications": engagements_retention.purge_notifications(now),
            "calendar addresses": engagements_retention.remove_unused_feeds(now),
            "accounts": registry_retention.erase_inactive_accounts(now, busy=engagements_retention.busy_unit_members()),
            "audit events": registry_retention.purge_audit_log(now),
            "admin log entries": registry_retention.purge_admin_log(now),
            "accessibility feedback": registry_retention.purge_accessibility_feedback(now),
            "mobile number verifications": registry_retention.purge_mobile_verifications(now),
            "sessions": registry_retention.purge_sessions(now),
            "task results": registry_retention.purge_task_results(now),
            # Last: rows removed above may leave files behind.
            "orphan files": registry_retention.sweep_orphan_files(now),
        }
        details = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"{erased} experts erased, {applications} old application rows deleted; {details}")
