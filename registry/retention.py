"""The core's retention rules, run nightly by `apply_retention` (engagements composes every app's
rules, as `seed` composes the demo data). Each function acts only on what is due and returns how
many rows it touched, so running it again the same night does nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_noop
from django_tasks_db.models import DBTaskResult

from registry.models import AccessibilityFeedback, AuditEvent, MobileVerification, User
from registry.privacy import erase_person, referenced_files

# Folders under MEDIA_ROOT that hold uploads (photos, attachments, receipts); nothing else is there.
UPLOAD_FOLDERS = ("photos", "attachments", "receipts")
# A file younger than this may belong to an upload whose row is not committed yet.
ORPHAN_GRACE = dt.timedelta(hours=1)


def erase_inactive_accounts(now: dt.datetime, *, busy: QuerySet[Any] | None = None) -> int:
    """Accounts that are not an expert's (experts have their own rules) and are no longer staff,
    unused for INACTIVE_ACCOUNT_RETENTION_DAYS: erased in place (see User.anonymise). `busy` is the
    ids of users the upper layers still need (a request in progress); they wait until it ends."""
    cutoff = now - dt.timedelta(days=settings.INACTIVE_ACCOUNT_RETENTION_DAYS)
    candidates = (
        User.objects.filter(erased_at__isnull=True, is_staff=False, is_superuser=False)
        .filter(expert_profile__isnull=True, staff_roles__isnull=True)
        .alias(seen=Coalesce("last_login", "date_joined"))
        .filter(seen__lt=cutoff)
    )
    if busy is not None:
        candidates = candidates.exclude(pk__in=busy)
    erased = 0
    for user in candidates:
        with transaction.atomic():
            erase_person(user)
            AuditEvent.record(
                None, AuditEvent.Action.ERASE, user, gettext_noop("account unused for the retention period")
            )
        erased += 1
    return erased


def purge_audit_log(now: dt.datetime) -> int:
    return AuditEvent.objects.purge_before(now - dt.timedelta(days=settings.AUDIT_LOG_RETENTION_DAYS))


def purge_admin_log(now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(days=settings.AUDIT_LOG_RETENTION_DAYS)
    return LogEntry.objects.filter(action_time__lt=cutoff).delete()[0]


def purge_sessions(now: dt.datetime) -> int:
    """Expired sessions, and the sign-in records (address, browser) of sessions that are gone."""
    expired = Session.objects.filter(expire_date__lt=now).delete()[0]
    live = Session.objects.values("session_key")
    return expired + UserSession.objects.filter(~Q(session_key__in=live)).delete()[0]


def purge_task_results(now: dt.datetime) -> int:
    """Finished background tasks: their arguments hold e-mail addresses and texts. Tasks still
    waiting or running are never touched."""
    cutoff = now - dt.timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    return DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()[0]


def sweep_orphan_files(now: dt.datetime) -> int:
    """No file outlives its row: uploads no row points to (rows deleted in bulk or by cascade)."""
    root = Path(settings.MEDIA_ROOT)
    kept = referenced_files()
    removed = 0
    for folder in UPLOAD_FOLDERS:
        for path in sorted((root / folder).rglob("*")) if (root / folder).is_dir() else []:
            if not path.is_file():
                continue
            name = path.relative_to(root).as_posix()
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
            if name not in kept and modified < now - ORPHAN_GRACE:
                default_storage.delete(name)
                removed += 1
    return removed


# A mobile number verification is evidence of who verified which number, and stops a flood of codes
# (the daily limits look back one day): a month is plenty for questions and abuse reports.
MOBILE_VERIFICATION_RETENTION = dt.timedelta(days=30)


def purge_mobile_verifications(now: dt.datetime) -> int:
    """Codes asked for more than a month ago, used or not (each expired 10 minutes after)."""
    return MobileVerification.objects.filter(created_at__lt=now - MOBILE_VERIFICATION_RETENTION).delete()[0]


def purge_accessibility_feedback(now: dt.datetime) -> int:
    """Answered feedback on accessibility, ACCESSIBILITY_FEEDBACK_RETENTION_DAYS after the answer."""
    cutoff = now - dt.timedelta(days=settings.ACCESSIBILITY_FEEDBACK_RETENTION_DAYS)
    return AccessibilityFeedback.objects.filter(answered_at__lt=cutoff).delete()[0]
