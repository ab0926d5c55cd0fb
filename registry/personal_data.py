"""The core's part of the inventory of personal data (see registry/privacy.py): accounts, unit
memberships, staff roles, the audit log, and the third-party models that hold account data
(e-mail addresses, authenticators, sign-in sessions, the admin's log, background task results)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from registry.models import (
    AccessibilityFeedback,
    ApiToken,
    AuditEvent,
    AuditEventQuerySet,
    MobileVerification,
    OutgoingMessage,
    StaffRole,
    UnitMembership,
    User,
)
from registry.privacy import Audience, Basis, Category, Field, ModelData, Retention, objects_of

P, C, A = Audience.PERSON, Audience.COORDINATOR, Audience.ADMIN

WITH_THE_ACCOUNT = Retention(
    _(
        "As long as the account is in use. An expert's account is erased with their data; other "
        "accounts are erased after %(INACTIVE_ACCOUNT_RETENTION_DAYS)s days without signing in."
    ),
    ("INACTIVE_ACCOUNT_RETENTION_DAYS",),
)
AUDIT_LOG = Retention(
    _("%(AUDIT_LOG_RETENTION_DAYS)s days; an erased person's own name, e-mail and address are removed at erasure."),
    ("AUDIT_LOG_RETENTION_DAYS",),
)
ACCOUNT_ERASURE = ("registry.privacy.erase_person", "registry.retention.erase_inactive_accounts")


def _own(model: type[Any], lookup: str = "user") -> Any:
    return lambda user: model._default_manager.filter(**{lookup: user})


def _delete(user: User, rows: QuerySet[Any]) -> Any:
    return rows.delete()


def _anonymise(user: User, rows: QuerySet[User]) -> None:
    for account in rows:
        account.anonymise()


def _end_sessions(user: User, rows: QuerySet[UserSession]) -> None:
    # Ends the Django session too, so nobody stays signed in, and forgets the address and browser.
    for session in rows:
        session.end()


def _audit_rows(user: User) -> QuerySet[AuditEvent]:
    about = AuditEvent.objects.about(objects_of(user)).values("pk")
    return AuditEvent.objects.filter(Q(actor=user) | Q(pk__in=about))


def _forget_audit_actor(user: User, rows: QuerySet[AuditEvent]) -> int:
    assert isinstance(rows, AuditEventQuerySet)  # AuditEvent's manager makes its querysets
    return rows.forget_actor(user)


def _admin_log_rows(user: User) -> QuerySet[LogEntry]:
    condition = Q(user=user)
    for label, pks in objects_of(user).items():
        content_type = ContentType.objects.get_for_model(apps.get_model(label))
        condition |= Q(content_type=content_type, object_id__in=[str(pk) for pk in pks])
    return LogEntry.objects.filter(condition)


def _forget_in_admin_log(user: User, rows: QuerySet[LogEntry]) -> None:
    # The admin's log names the object as it was ("Tuuli Virtanen"); the change stays on record.
    rows.exclude(user=user).update(object_repr="–", change_message="")


PERSONAL_DATA = [
    ModelData(
        model="registry.User",
        key="account",
        title=_("Your account"),
        about=_("everyone with an account"),
        basis=(Basis.CONSENT, Basis.PUBLIC_TASK),
        retention=WITH_THE_ACCOUNT,
        enforced_by=ACCOUNT_ERASURE,
        order=10,
        fields={
            "email": Field(Category.CONTACT, (P, C, A)),
            "first_name": Field(Category.IDENTITY, (P, C, A)),
            "last_name": Field(Category.IDENTITY, (P, C, A)),
            "preferred_language": Field(Category.PROFILE, (P, C, A)),
            "password": Field(Category.IDENTITY, (), export=False, label=_("password (only a one-way hash is kept)")),
            "last_login": Field(Category.LOG, (P, A)),
            "date_joined": Field(Category.LOG, (P, A)),
            "is_active": Field(Category.IDENTITY, (P, A)),
            "is_staff": Field(Category.IDENTITY, (P, A)),
            "is_superuser": Field(Category.IDENTITY, (P, A)),
            "groups": Field(Category.IDENTITY, (P, A)),
            "user_permissions": Field(Category.IDENTITY, (P, A)),
            "erased_at": Field(Category.LOG, (A,)),
            "email_undeliverable_at": Field(Category.LOG, (P, C, A), label=_("e-mail reported undeliverable at")),
            "email_undeliverable_reason": Field(Category.LOG, (P, C, A), label=_("why e-mail could not be delivered")),
            "mobile_number": Field(Category.CONTACT, (P, C, A)),
            "mobile_verified_at": Field(Category.LOG, (P, C, A)),
            "mobile_undeliverable_at": Field(
                Category.LOG, (P, C, A), label=_("mobile number reported undeliverable at")
            ),
            "mobile_undeliverable_reason": Field(
                Category.LOG, (P, C, A), label=_("why text messages could not be delivered")
            ),
        },
        rows_of=lambda user: User.objects.filter(pk=user.pk),
        erase=_anonymise,
    ),
    ModelData(
        model="registry.OutgoingMessage",
        key="outgoing_email",
        title=_("E-mail and text messages sent to you"),
        about=_("everyone the service e-mails or sends text messages to"),
        basis=(Basis.CONSENT, Basis.PUBLIC_TASK),
        retention=Retention(
            _("Until sent, then %(EMAIL_SENT_RETENTION_DAYS)s days (for the provider's delivery reports)."),
            ("EMAIL_SENT_RETENTION_DAYS",),
        ),
        enforced_by=("registry.mail.forget_sent", *ACCOUNT_ERASURE),
        order=90,
        fields={
            "user": Field(Category.IDENTITY, (P, C, A)),
            "to": Field(Category.CONTACT, (P, C, A), label=_("address")),
            "subject": Field(Category.LOG, (P, C, A)),
            # The text can hold one-time links (invitations, password resets): never shown again.
            "text": Field(Category.LOG, (A,), export=False),
            "html": Field(Category.LOG, (A,), export=False),
            "attachments": Field(Category.LOG, (A,), export=False),
            "status": Field(Category.LOG, (P, C, A)),
            "created_at": Field(Category.LOG, (P, C, A)),
            "sent_at": Field(Category.LOG, (P, C, A)),
            "delivered_at": Field(Category.LOG, (P, C, A)),
        },
        not_personal=(
            "template",
            "attempts",
            "last_error",
            "next_attempt_at",
            "claimed_at",
            "esp_message_id",
            "channel",
            "segments",
            "reference",
        ),
        rows_of=lambda user: OutgoingMessage.objects.filter(Q(user=user) | Q(to__iexact=user.email)),
        erase=_delete,
    ),
    ModelData(
        model="registry.MobileVerification",
        key="mobile_verifications",
        title=_("Verifications of your mobile number"),
        about=_("everyone who adds a mobile number for text messages"),
        basis=(Basis.CONSENT,),
        retention=Retention(_("30 days.")),
        enforced_by=("registry.retention.purge_mobile_verifications", *ACCOUNT_ERASURE),
        order=91,
        fields={
            "user": Field(Category.IDENTITY, (P, A)),
            "number": Field(Category.CONTACT, (P, A)),
            "created_at": Field(Category.LOG, (P, A)),
            "verified_at": Field(Category.LOG, (P, A)),
        },
        # Only a keyed hash of the code is kept; it is of no use after its ten minutes.
        not_personal=("code_hash", "expires_at", "attempts"),
        rows_of=lambda user: MobileVerification.objects.filter(user=user),
        erase=_delete,
    ),
    ModelData(
        model="registry.AccessibilityFeedback",
        key="accessibility_feedback",
        title=_("Your feedback on accessibility"),
        about=_("anyone who sends feedback on the service's accessibility"),
        basis=(Basis.LEGAL_OBLIGATION,),
        retention=Retention(
            _("%(ACCESSIBILITY_FEEDBACK_RETENTION_DAYS)s days after it was answered."),
            ("ACCESSIBILITY_FEEDBACK_RETENTION_DAYS",),
        ),
        enforced_by=("registry.retention.purge_accessibility_feedback",),
        order=95,
        fields={
            "message": Field(Category.FREE_TEXT, (P, C, A)),
            "page": Field(Category.FREE_TEXT, (P, C, A)),
            "name": Field(Category.IDENTITY, (P, C, A)),
            "email": Field(Category.CONTACT, (P, C, A)),
            "received_at": Field(Category.LOG, (P, C, A)),
            "answered_at": Field(Category.LOG, (P, C, A)),
            "answered_by": Field(Category.IDENTITY, (C, A)),
            "answer_note": Field(Category.FREE_TEXT, (C, A)),
        },
        not_personal=("language",),
        rows_of=lambda user: AccessibilityFeedback.objects.filter(email__iexact=user.email),
        erase=_delete,
    ),
    ModelData(
        model="registry.UnitMembership",
        key="unit_memberships",
        title=_("Your units"),
        about=_("unit members"),
        basis=(Basis.PUBLIC_TASK,),
        retention=WITH_THE_ACCOUNT,
        enforced_by=ACCOUNT_ERASURE,
        order=20,
        fields={
            "user": Field(Category.IDENTITY, (P, C, A)),
            "unit": Field(Category.PROFILE, (P, C, A)),
            "title": Field(Category.PROFILE, (P, C, A)),
            "created_at": Field(Category.LOG, (P, C, A)),
            "approved_at": Field(Category.LOG, (P, C, A)),
        },
        rows_of=_own(UnitMembership),
        erase=_delete,
    ),
    ModelData(
        model="registry.StaffRole",
        key="staff_roles",
        title=_("Your roles as staff"),
        about=_("coordinators and managers"),
        basis=(Basis.PUBLIC_TASK,),
        retention=WITH_THE_ACCOUNT,
        enforced_by=ACCOUNT_ERASURE,
        order=21,
        fields={
            "user": Field(Category.IDENTITY, (P, A)),
            "role": Field(Category.PROFILE, (P, A)),
            "region": Field(Category.PROFILE, (P, A)),
        },
        rows_of=_own(StaffRole),
        erase=_delete,
    ),
    ModelData(
        model="registry.ApiToken",
        key="api_tokens",
        title=_("Your API tokens"),
        about=_("coordinators and managers who connect the area's own systems"),
        basis=(Basis.PUBLIC_TASK,),
        retention=WITH_THE_ACCOUNT,
        enforced_by=ACCOUNT_ERASURE,
        order=22,
        fields={
            "user": Field(Category.IDENTITY, (P, A)),
            "name": Field(Category.PROFILE, (P, A)),
            "scopes": Field(Category.PROFILE, (P, A)),
            "created_at": Field(Category.LOG, (P, A)),
            "expires_at": Field(Category.LOG, (P, A)),
            "revoked_at": Field(Category.LOG, (P, A)),
            "last_used_at": Field(Category.LOG, (P, A)),
            # Only a one-way hash of the secret is kept; it is never shown.
            "secret_hash": Field(Category.IDENTITY, (), export=False),
        },
        not_personal=("prefix", "window_start", "window_count"),
        rows_of=_own(ApiToken),
        erase=_delete,
    ),
    ModelData(
        model="registry.AuditEvent",
        key="audit_log",
        title=_("Who has handled your data"),
        about=_("everyone whose data is handled, and the staff who handle it"),
        basis=(Basis.LOGGING,),
        retention=AUDIT_LOG,
        enforced_by=("registry.retention.purge_audit_log", "registry.models.AuditEventQuerySet.forget_actor"),
        order=900,
        is_log=True,
        fields={
            "at": Field(Category.LOG, (P, C, A), label=_("when")),
            "actor": Field(Category.LOG, (C, A), export=False),
            "actor_name": Field(Category.IDENTITY, (P, C, A), label=_("who"), display=lambda e: e.actor_label),
            "actor_email": Field(Category.CONTACT, (P, C, A)),
            "action": Field(Category.LOG, (P, C, A), label=_("what was done")),
            "object_type": Field(Category.LOG, (P, C, A), label=_("to what"), display=lambda e: e.object_label),
            "object_id": Field(Category.LOG, (C, A), export=False),
            "detail": Field(Category.LOG, (P, C, A), display=lambda e: e.detail_label),
            "params": Field(Category.LOG, (C, A), export=False),  # shown within the detail
            "ip": Field(Category.LOG, (P, A)),
        },
        rows_of=_audit_rows,
        erase=_forget_audit_actor,
    ),
    ModelData(
        model="admin.LogEntry",
        key="admin_log",
        title=_("Changes made by administrators"),
        about=_("everyone whose data an administrator changes, and the administrators"),
        basis=(Basis.LOGGING,),
        retention=AUDIT_LOG,
        enforced_by=("registry.retention.purge_admin_log",),
        order=910,
        is_log=True,
        fields={
            "action_time": Field(Category.LOG, (P, A)),
            "user": Field(Category.LOG, (P, A)),
            "content_type": Field(Category.LOG, (P, A)),
            "object_id": Field(Category.LOG, (A,), export=False),
            "object_repr": Field(Category.IDENTITY, (P, A)),
            "action_flag": Field(Category.LOG, (P, A)),
            "change_message": Field(Category.FREE_TEXT, (P, A), display=lambda entry: entry.get_change_message()),
        },
        rows_of=_admin_log_rows,
        erase=_forget_in_admin_log,
    ),
    ModelData(
        model="sessions.Session",
        key="sessions",
        title=_("Sessions"),
        about=_("everyone who signs in"),
        basis=(Basis.PUBLIC_TASK,),
        retention=Retention(
            _(
                "Until signing out, or %(SESSION_COOKIE_AGE)s seconds; expired sessions are removed nightly "
                "and an erased person's sessions at once."
            ),
            ("SESSION_COOKIE_AGE",),
        ),
        enforced_by=("registry.retention.purge_sessions",),
        fields={
            "session_key": Field(Category.LOG, (), export=False),
            "session_data": Field(Category.LOG, (), export=False),
            "expire_date": Field(Category.LOG, ()),
        },
    ),
    ModelData(
        model="account.EmailAddress",
        key="email_addresses",
        title=_("Your e-mail addresses"),
        about=_("everyone with an account"),
        basis=(Basis.CONSENT, Basis.PUBLIC_TASK),
        retention=WITH_THE_ACCOUNT,
        enforced_by=ACCOUNT_ERASURE,
        order=11,
        fields={
            "user": Field(Category.IDENTITY, (P, A)),
            "email": Field(Category.CONTACT, (P, A)),
            "verified": Field(Category.IDENTITY, (P, A)),
            "primary": Field(Category.IDENTITY, (P, A)),
        },
        rows_of=_own(EmailAddress),
        erase=_delete,
    ),
    ModelData(
        model="account.EmailConfirmation",
        key="email_confirmations",
        title=_("E-mail confirmations"),
        about=_("everyone with an account"),
        basis=(Basis.PUBLIC_TASK,),
        retention=WITH_THE_ACCOUNT,
        enforced_by=ACCOUNT_ERASURE,
        order=12,
        fields={
            "email_address": Field(Category.CONTACT, (P, A)),
            "created": Field(Category.LOG, (P, A)),
            "sent": Field(Category.LOG, (P, A)),
            "key": Field(Category.LOG, (), export=False),
        },
        rows_of=_own(EmailConfirmation, "email_address__user"),
        erase=_delete,
    ),
    ModelData(
        model="mfa.Authenticator",
        key="authenticators",
        title=_("Your two-factor authentication"),
        about=_("coordinators, managers, administrators and others who turn it on"),
        basis=(Basis.PUBLIC_TASK,),
        retention=WITH_THE_ACCOUNT,
        enforced_by=ACCOUNT_ERASURE,
        order=13,
        fields={
            "user": Field(Category.IDENTITY, (P, A)),
            "type": Field(Category.IDENTITY, (P, A)),
            "data": Field(Category.IDENTITY, (), export=False, label=_("secret key (never shown)")),
            "created_at": Field(Category.LOG, (P, A)),
            "last_used_at": Field(Category.LOG, (P, A)),
        },
        rows_of=_own(Authenticator),
        erase=_delete,
    ),
    ModelData(
        model="usersessions.UserSession",
        key="sign_ins",
        title=_("Where you are signed in"),
        about=_("everyone who signs in"),
        basis=(Basis.PUBLIC_TASK,),
        retention=Retention(
            _("Until the session ends (signing out, or after %(SESSION_COOKIE_AGE)s seconds); removed nightly."),
            ("SESSION_COOKIE_AGE",),
        ),
        enforced_by=("registry.retention.purge_sessions", "registry.privacy.erase_person"),
        order=800,
        fields={
            "user": Field(Category.IDENTITY, (P, A)),
            "created_at": Field(Category.LOG, (P, A)),
            "ip": Field(Category.LOG, (P, A)),
            "last_seen_at": Field(Category.LOG, (P, A)),
            "session_key": Field(Category.LOG, (), export=False),
            "user_agent": Field(Category.LOG, (P, A)),
            "data": Field(Category.LOG, (), export=False),
        },
        rows_of=_own(UserSession),
        erase=_end_sessions,
    ),
    ModelData(
        model="django_tasks_database.DBTaskResult",
        key="background_tasks",
        title=_("Messages waiting to be sent"),
        about=_("recipients of e-mail"),
        basis=(Basis.CONSENT, Basis.PUBLIC_TASK),
        retention=Retention(_("Sent messages: %(TASK_RESULT_RETENTION_DAYS)s days."), ("TASK_RESULT_RETENTION_DAYS",)),
        enforced_by=("registry.retention.purge_task_results",),
        fields={
            "args_kwargs": Field(Category.CONTACT, (A,), export=False, label=_("recipients and text of an e-mail")),
            "return_value": Field(Category.LOG, (A,), export=False),
            "traceback": Field(Category.LOG, (A,), export=False),
        },
        not_personal=(
            "status",
            "enqueued_at",
            "started_at",
            "finished_at",
            "priority",
            "task_path",
            "worker_ids",
            "queue_name",
            "backend_name",
            "run_after",
            "exception_class_path",
        ),
    ),
]

NOT_PERSONAL_MODELS = (
    "registry.Region",
    "registry.Municipality",
    "registry.Organisation",
    "registry.Unit",
    # Names of periodic jobs and when they ran: no person in it.
    "registry.ScheduledJobRun",
    "auth.Permission",
    "auth.Group",
    "contenttypes.ContentType",
)
