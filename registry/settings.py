"""Settings for the experience-expert registry, read from environment variables.

The defaults run a demo on SQLite straight after cloning. Production sets at least
DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, SITE_URL, DATABASE_URL and EMAIL_BACKEND (see README).
Every variable is read through registry/env.py with a description: docs/configuration.md is
generated from these calls (`manage.py configuration_reference --write`), and each variable can
also come from a file named by NAME_FILE.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NotRequired, TypedDict

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from registry.env import document, env_bool, env_int, env_json, env_list, env_str, prefixed

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DEBUG", True, help="`0` in production. On: demo defaults, detailed error pages, no HTTPS.")
SECRET_KEY = env_str(
    "SECRET_KEY", secret=True, help="Signs sessions and links. Required when `DEBUG=0`; a long random string."
)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-demo-key-only-for-local-development-" + "x" * 20

SITE_URL = env_str(
    "SITE_URL", "http://127.0.0.1:8000", help="The public address, used in e-mails: `https://…`."
).rstrip("/")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "127.0.0.1,localhost,testserver", help="Host names the site answers to, comma-separated."
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS",
    SITE_URL if SITE_URL.startswith("https://") else "",
    doc_default="SITE_URL when it is https",
    help="Origins allowed to post forms, comma-separated.",
)
# Demo mode shows the demo logins on the front page; never on in production.
DEMO_MODE = env_bool("DEMO_MODE", DEBUG, doc_default="DEBUG", help="Shows the demo logins on the front page.")

INSTALLED_APPS = [
    "registry",
    "experts",
    "engagements",
    "api",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Form widgets render through TEMPLATES, so templates/django/forms/ can mark required fields.
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "anymail",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "registry.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "registry.middleware.ClientAddressMiddleware",
    "registry.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "registry.middleware.UserLanguageMiddleware",
    "registry.sessions.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "registry.middleware.RequireMFAMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"
ASGI_APPLICATION = "registry.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.context_processors.site",
                "engagements.context_processors.notifications",
                "registry.sessions.session_context",
            ],
        },
    },
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.parse(
        env_str(
            "DATABASE_URL",
            f"sqlite:///{BASE_DIR / 'var' / 'registry.sqlite3'}",
            secret=True,
            doc_default="sqlite:///var/registry.sqlite3",
            help="The database: `postgres://user:password@host:5432/name` in production.",
        ),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, help="Seconds a database connection is reused (PostgreSQL)."),
        conn_health_checks=True,
    )
}
DATABASE_JIT = env_bool(
    "DATABASE_JIT",
    False,
    help="Let PostgreSQL compile the queries it expects to be costly (JIT); off for these short page queries.",
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web and worker) share the file: wait for locks instead of failing. The task
    # worker needs EXCLUSIVE transactions; with WAL they still let readers read.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "EXCLUSIVE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif not DATABASE_JIT:
    # PostgreSQL compiles a query whose estimate passes jit_above_cost: on the matching page's
    # eligibility query that took 50 ms, longer than running it (issue 10, docs/benchmarks.md).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions and cache live in the database so several app processes share them
# (allauth's rate limits count in the cache).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "registry_cache",
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "registry.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "front"

# allauth: e-mail login, mandatory verification, invitation-only accounts.
ACCOUNT_ADAPTER = "registry.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# Setting a password from an invitation link signs the person in and takes them where they were
# going (a new unit worker: the request form); staff still pass their second factor.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_FORMS = {"login": "registry.forms.LoginForm", "reset_password_from_key": "registry.forms.SetPasswordForm"}
# "Keep me signed in" on one's own device (experts and unit members; staff keep SESSION_COOKIE_AGE).
REMEMBER_ME_DAYS = env_int(
    "REMEMBER_ME_DAYS", 30, help='Days an expert or a unit member who chose "keep me signed in" stays signed in.'
)
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https://") else "http"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    # Our own public forms use allauth's limiter too (shared database cache).
    "expert_application": env_str(
        "RATE_LIMIT_EXPERT_APPLICATION", "5/h/ip", help='Rate limit of the public "become an expert" form.'
    ),
    "unit_join": env_str("RATE_LIMIT_UNIT_JOIN", "5/h/ip", help='Rate limit of the public "request an expert" form.'),
    "accessibility_feedback": env_str(
        "RATE_LIMIT_ACCESSIBILITY_FEEDBACK", "5/h/ip", help="Rate limit of the public accessibility feedback form."
    ),
}
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str(
    "MFA_TOTP_ISSUER", "Kokemusasiantuntijarekisteri", help="The name authenticator apps show for the account."
)
# Tracking "last seen" would write to the database on every request.
USERSESSIONS_TRACK_ACTIVITY = False

# E-mail goes through django-anymail in production (EMAIL_BACKEND such as
# "anymail.backends.postmark.EmailBackend"; anymail reads its ANYMAIL_* variables
# from the environment). Development prints messages on the console.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend",
    help="How e-mail leaves: an anymail ESP backend such as `anymail.backends.postmark.EmailBackend`, "
    "or `django.core.mail.backends.smtp.EmailBackend` for the area's own relay.",
)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Kokemusasiantuntijat <noreply@kokemus.example>", help="Sender of every e-mail."
)
SERVER_EMAIL = env_str(
    "SERVER_EMAIL", DEFAULT_FROM_EMAIL, doc_default="DEFAULT_FROM_EMAIL", help="Sender of error e-mails to ADMINS."
)
EMAIL_MAX_ATTEMPTS = env_int(
    "EMAIL_MAX_ATTEMPTS", 6, help="Tries to send one e-mail (1, 2, 4 … minutes apart) before it counts as undelivered."
)
EMAIL_SLOW_RETRY_MINUTES = env_int(
    "EMAIL_SLOW_RETRY_MINUTES",
    30,
    help="After the quick tries, minutes between further tries (by `manage.py retry_mail`) until it goes.",
)
EMAIL_SENT_RETENTION_DAYS = env_int(
    "EMAIL_SENT_RETENTION_DAYS", 30, help="Days a sent e-mail is kept (for delivery reports), then deleted."
)
# The SMTP backend's settings; ESPs through anymail need none of these.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost", help="SMTP server (with the SMTP backend).")
EMAIL_PORT = env_int("EMAIL_PORT", 25, help="SMTP port.")
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", help="SMTP user name.")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", secret=True, help="SMTP password.")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False, help="STARTTLS to the SMTP server.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, help="Seconds to wait for the mail server.")
EMAIL_FILE_PATH = env_str(
    "EMAIL_FILE_PATH",
    str(BASE_DIR / "var" / "mail"),
    doc_default="var/mail",
    help="Folder for `django.core.mail.backends.filebased.EmailBackend` (tests and trials).",
)
# anymail reads its settings from here (ANYMAIL_… variables, or files named by ANYMAIL_…_FILE). The
# webhook secret is the "user:password" the provider's delivery webhook sends as basic auth (see
# docs/security.md); without it the webhook refuses every report.
ANYMAIL: dict[str, str] = prefixed("ANYMAIL_")
document(
    "ANYMAIL_…",
    secret=True,
    help="The ESP's credentials for anymail, e.g. `ANYMAIL_POSTMARK_SERVER_TOKEN` "
    "(or `ANYMAIL_POSTMARK_SERVER_TOKEN_FILE`).",
)
# Text messages (registry/sms.py) go through a backend chosen here, like e-mail: the console in
# development, memory in tests, GatewayAPI's HTTPS API in production. They use the same kept rows,
# worker, retries and slow retries as e-mail (EMAIL_MAX_ATTEMPTS, EMAIL_SLOW_RETRY_MINUTES).
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "registry.sms.ConsoleBackend",
    help="How text messages leave: `registry.sms.GatewayApiBackend` in production, "
    "`registry.sms.ConsoleBackend` (development) or `registry.sms.FileBackend` (trials, into SMS_FILE_PATH).",
)
SMS_SENDER = env_str(
    "SMS_SENDER", "Kokemus", help="The sender name shown on the phone (at most 11 letters and digits)."
)
SMS_API_URL = env_str(
    "SMS_API_URL",
    "https://messaging.gatewayapi.eu/mobile/single",
    help="GatewayAPI's send endpoint (the .eu domain keeps the messages in the EU).",
)
SMS_API_TOKEN = env_str("SMS_API_TOKEN", secret=True, help="GatewayAPI's API token.")
SMS_WEBHOOK_SECRET = env_str(
    "SMS_WEBHOOK_SECRET",
    secret=True,
    help="The key GatewayAPI signs its delivery reports with (the webhook at `/sms/delivery-report/`); "
    "without it the webhook refuses every report.",
)
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 15, help="Seconds to wait for the text message provider.")
SMS_FILE_PATH = env_str(
    "SMS_FILE_PATH",
    str(BASE_DIR / "var" / "sms"),
    doc_default="var/sms",
    help="Folder for `registry.sms.FileBackend` (trials).",
)

# Operators receive every logged error by e-mail (see LOGGING) and, with SENTRY_DSN, in Sentry.
ADMINS = [
    (address, address)
    for address in env_list("ADMINS", help="E-mail addresses that receive error reports, comma-separated.")
]

# Background work: Django's tasks API with a database backend and `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env_str(
            "TASKS_BACKEND", "django_tasks_db.DatabaseBackend", help="django-tasks backend of the background work."
        ),
        "QUEUES": ["default", "email"],
    }
}

LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads (photos, attachments, receipts) are read and written only through Django's storage API,
# so every web and worker node sees the same files: a shared volume under MEDIA_ROOT by default,
# or object storage through a storage backend such as django-storages' S3Storage (docs/operations.md).
STORAGES = {
    "default": {
        "BACKEND": env_str(
            "FILE_STORAGE_BACKEND",
            "django.core.files.storage.FileSystemStorage",
            help="Storage class of uploaded files, e.g. `storages.backends.s3.S3Storage` (needs django-storages).",
        ),
        "OPTIONS": env_json(
            "FILE_STORAGE_OPTIONS",
            {},
            secret=True,
            help="The storage class's options as a JSON object, e.g. the bucket and its credentials.",
        ),
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files are personal data: they live outside any public URL and are served by views
# that check who is asking.
MEDIA_ROOT = Path(
    env_str(
        "MEDIA_ROOT",
        str(BASE_DIR / "var" / "media"),
        doc_default="var/media",
        help="Folder of uploaded files with the default storage; a volume shared by every web and worker node.",
    )
)

# Security headers. Production (DEBUG off) is HTTPS-only.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A signed-in session ends after this long without a request (an idle timeout, WCAG 2.2.1); every
# page shows when, "Continue" extends it, and with JavaScript a warning appears this long before.
SESSION_IDLE_SECONDS = env_int(
    "SESSION_IDLE_SECONDS",
    60 * 60,
    help="Seconds without activity after which a sign-in ends (every page moves it on).",
)
SESSION_WARNING_SECONDS = env_int(
    "SESSION_WARNING_SECONDS", 5 * 60, help="Seconds before that end that the page warns (with JavaScript)."
)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_COOKIE_SECURE = env_bool(
    "SECURE_COOKIES", not DEBUG, doc_default="1 when DEBUG=0", help="Cookies only over HTTPS."
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool(
    "SECURE_SSL_REDIRECT", not DEBUG, doc_default="1 when DEBUG=0", help="Redirect plain HTTP to HTTPS."
)
# A load balancer's health probe may come over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, doc_default="31536000 when DEBUG=0", help="HSTS max-age."
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG, doc_default="1 when DEBUG=0", help="HSTS for subdomains too."
)
SECURE_HSTS_PRELOAD = env_bool(
    "SECURE_HSTS_PRELOAD", not DEBUG, doc_default="1 when DEBUG=0", help="Allow HSTS preloading."
)
if env_bool(
    "BEHIND_PROXY", False, help="`1` when a proxy terminates TLS and sets `X-Forwarded-Proto` (the nginx example does)."
):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = env_list(
    "SILENCED_SYSTEM_CHECKS", "", help="Django system checks to silence, comma-separated."
)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Age rules (docs/privacy.md, "Children and young people"). Nobody under MINIMUM_AGE can apply:
# 13 is the Finnish age of consent for information-society services (Data Protection Act 1050/2018,
# section 5). Under GUARDIAN_CONSENT_UNDER_AGE a guardian's consent is needed besides the young
# person's own for every consent purpose (docs/design.md, "Consent and minors": the registry holds
# lived experience of child protection), except where GUARDIAN_REQUIRED_PURPOSES_UNDER sets another
# age for a purpose. By default a young person decides alone from 15 whether to be contacted with
# offers (from 15 the Child Welfare Act lets a child act in their own matters), while the registry
# itself and anything that shows them to others (photo, quotes, recordings, units contacting them
# directly) need the guardian until 18.
MINIMUM_AGE = env_int("MINIMUM_AGE", 13, help="Nobody younger can apply to the registry.")
GUARDIAN_CONSENT_UNDER_AGE = env_int(
    "GUARDIAN_CONSENT_UNDER_AGE", 18, help="Experts younger than this need a guardian's consent recorded."
)
GUARDIAN_REQUIRED_PURPOSES_UNDER: dict[str, int] = {
    "contact": 15,
    **json.loads(
        env_str(
            "GUARDIAN_REQUIRED_PURPOSES_UNDER",
            "{}",
            help='Per consent purpose, the age under which a guardian is needed, as JSON, e.g. {"contact": 18}.',
        )
    ),
}
# Consents last a year; experts are reminded a month before they run out.
CONSENT_VALID_DAYS = env_int("CONSENT_VALID_DAYS", 365, help="Days a consent lasts.")
CONSENT_REMINDER_DAYS = env_int(
    "CONSENT_REMINDER_DAYS", 30, help="Days before a consent runs out that the expert is reminded."
)
# Retention: after the registry consent is withdrawn, after an erasure request (a grace period
# for second thoughts), and for rejected applications.
RETENTION_DAYS_AFTER_WITHDRAWAL = env_int(
    "RETENTION_DAYS_AFTER_WITHDRAWAL", 90, help="Days after the registry consent is withdrawn before erasure."
)
ERASURE_GRACE_DAYS = env_int("ERASURE_GRACE_DAYS", 7, help="Days after an erasure request before erasure.")
REJECTED_APPLICATION_RETENTION_DAYS = env_int(
    "REJECTED_APPLICATION_RETENTION_DAYS", 30, help="Days a rejected application is kept."
)
# Every other kind of personal data has its period here too; `apply_retention` enforces them all
# nightly and docs/privacy.md (generated from the inventory, registry/privacy.py) states them.
UNDECIDED_APPLICATION_RETENTION_DAYS = env_int(
    "UNDECIDED_APPLICATION_RETENTION_DAYS", 180, help="Days an application nobody decided on is kept."
)
REQUEST_TEXT_RETENTION_DAYS = env_int(
    "REQUEST_TEXT_RETENTION_DAYS",
    730,
    help="Days after a request ends that its free texts, attachments, feedback texts and impact note are kept.",
)
RECEIPT_RETENTION_DAYS = env_int(
    "RECEIPT_RETENTION_DAYS", 180, help="Days a receipt is kept once the claim is paid (payroll keeps its copy)."
)
INACTIVE_ACCOUNT_RETENTION_DAYS = env_int(
    "INACTIVE_ACCOUNT_RETENTION_DAYS",
    730,
    help="Days without signing in after which a unit member's or former staff member's account is erased.",
)
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 180, help="Days in-app notifications are kept.")
CALENDAR_FEED_UNUSED_DAYS = env_int(
    "CALENDAR_FEED_UNUSED_DAYS", 90, help="Days unused after which a private calendar address stops working."
)
ACCESSIBILITY_FEEDBACK_RETENTION_DAYS = env_int(
    "ACCESSIBILITY_FEEDBACK_RETENTION_DAYS", 730, help="Days answered accessibility feedback is kept."
)
AUDIT_LOG_RETENTION_DAYS = env_int("AUDIT_LOG_RETENTION_DAYS", 5 * 365, help="Days audit-log events are kept.")
UNIT_CONTACT_GRACE_DAYS = env_int(
    "UNIT_CONTACT_GRACE_DAYS",
    14,
    help="Days after the engagement that a unit still sees the expert's introduction and contact details.",
)
# The privacy notice: who answers for the data (the joint controllers' agreed contact point) and
# the data protection officer. Production sets real addresses.
PRIVACY_CONTACT_EMAIL = env_str(
    "PRIVACY_CONTACT_EMAIL", "kokemusasiantuntijat@kokemus.example", help="Contact point for privacy questions."
)
PRIVACY_CONTACT_ADDRESS = env_str("PRIVACY_CONTACT_ADDRESS", "", help="Postal address of the contact point.")
DATA_PROTECTION_OFFICER_EMAIL = env_str(
    "DATA_PROTECTION_OFFICER_EMAIL", "tietosuoja@kokemus.example", help="The data protection officer's e-mail."
)
# Invitation links (allauth password-reset keys) stop working after this many seconds.
PASSWORD_RESET_TIMEOUT = env_int(
    "INVITATION_LINK_SECONDS", 60 * 60 * 24 * 3, help="Seconds an invitation or password-reset link works."
)
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 5 * 1024 * 1024, help="Largest profile photo upload, in bytes.")
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 40_000_000, help="Largest profile photo, in pixels.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
ATTACHMENT_MAX_BYTES = env_int(
    "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, help="Largest attachment or receipt upload, in bytes."
)
# Matching (docs/design.md, "Matching"): a rest interval between an expert's engagements, and the window in
# which fewer engagements rank an expert higher (fairness).
MATCHING_REST_DAYS = env_int("MATCHING_REST_DAYS", 2, help="Days of rest between an expert's engagements.")
MATCHING_FAIRNESS_DAYS = env_int(
    "MATCHING_FAIRNESS_DAYS", 90, help="Window in which fewer engagements rank an expert higher."
)
# Reminders: answer an offer (this many hours before it expires) and the engagement itself.
OFFER_REMINDER_HOURS = env_int(
    "OFFER_REMINDER_HOURS", 24, help="Hours before an offer expires that the expert is reminded."
)
EVENT_REMINDER_DAYS = env_int("EVENT_REMINDER_DAYS", 2, help="Days before an engagement that everyone is reminded.")
# After the engagement: feedback is asked at once and reminded weekly (at most 3 messages in all);
# the impact note is asked IMPACT_NOTE_WEEKS after the engagement and reminded weekly the same way.
FOLLOW_UP_MESSAGES = env_int(
    "FOLLOW_UP_MESSAGES", 3, help="Messages at most that ask for feedback, and for the impact note."
)
FOLLOW_UP_INTERVAL_DAYS = env_int("FOLLOW_UP_INTERVAL_DAYS", 7, help="Days between those reminders.")
IMPACT_NOTE_WEEKS = env_int("IMPACT_NOTE_WEEKS", 6, help="Weeks after the engagement that the impact note is asked.")

# Periodic jobs (`manage.py scheduler`): each management command is enqueued as a task on its cron
# schedule (minute hour day month weekday, in TIME_ZONE). The core names the commands and never
# imports the apps that define them. `off` turns a job off.
TASK_RESULT_RETENTION_DAYS = env_int(
    "TASK_RESULT_RETENTION_DAYS",
    7,
    help="Days finished background-task results are kept. They hold rendered e-mails with live links.",
)
CRON_HELP = "A cron line (minute hour day month weekday, Finnish time); `off` stops the job."


class ScheduledJob(TypedDict):  # not a setting (not upper case): the shape of one SCHEDULED_JOBS entry
    command: str
    args: NotRequired[list[str]]
    cron: str


SCHEDULED_JOBS: dict[str, ScheduledJob] = {
    name: {
        "command": command,
        "args": args,
        "cron": env_str(f"SCHEDULE_{name.upper()}", cron, help=f"{help} {CRON_HELP}"),
    }
    for name, command, args, cron, help in [
        ("expire_offers", "expire_offers", [], "*/5 * * * *", "When offers past their answer-by time expire."),
        ("send_reminders", "send_reminders", [], "*/5 * * * *", "When offer and engagement reminders go out."),
        (
            "retry_mail",
            "retry_mail",
            [],
            "*/5 * * * *",
            "When e-mail not sent yet is tried again and old sent e-mail forgotten.",
        ),
        ("follow_up", "follow_up", [], "15 * * * *", "When feedback and impact-note reminders go out, and closing."),
        (
            "count_monthly_figures",
            "count_monthly_figures",
            [],
            "*/10 * * * *",
            "When the closed months' statistics are counted again (the dashboard says when they were).",
        ),
        ("consent_reminders", "consent_reminders", [], "30 2 * * *", "When consent expiry reminders go out."),
        ("apply_retention", "apply_retention", [], "0 3 * * *", "When the retention rules erase what is due."),
        (
            "prune_task_results",
            "prune_db_task_results",
            ["--queue-name=*", f"--min-age-days={TASK_RESULT_RETENTION_DAYS}"],
            "45 3 * * *",
            "When finished task results older than TASK_RESULT_RETENTION_DAYS are deleted.",
        ),
    ]
}

# The read API for the area's own systems (docs/api.md): requests per token per minute.
API_RATE_LIMIT_PER_MINUTE = env_int(
    "API_RATE_LIMIT_PER_MINUTE", 120, help="Requests one API token may make per minute; more get 429."
)

# /healthz/ answers 503 when any of these is out of bounds (registry/health.py).
HEALTH_MAX_TASK_WAIT_SECONDS = env_int(
    "HEALTH_MAX_TASK_WAIT_SECONDS", 600, help="Longest a due background task may wait for a worker."
)
HEALTH_JOB_GRACE_SECONDS = env_int(
    "HEALTH_JOB_GRACE_SECONDS", 1800, help="How long after its scheduled time a periodic job may still be unfinished."
)
HEALTH_MAX_UNDELIVERED = env_int(
    "HEALTH_MAX_UNDELIVERED", 0, help="Undelivered e-mails (every try failed) tolerated before health fails."
)

# Logs: plain text or JSON lines on standard error, each with its request id, never personal data
# (registry/logs.py). Errors also go to ADMINS by e-mail and, with SENTRY_DSN, to Sentry.
LOG_FORMAT = env_str("LOG_FORMAT", "plain", help="`json` for one JSON object per line, `plain` for text.")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "registry.logs.RequestIdFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"()": "registry.logs.PlainFormatter"},
        "json": {"()": "registry.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
        "mail_admins": {
            "class": "registry.logs.PrivateAdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "request_id"],
            "formatter": "plain",
        },
    },
    "root": {
        "handlers": ["console", "mail_admins"],
        "level": env_str("LOG_LEVEL", "INFO", help="Lowest level logged: DEBUG, INFO, WARNING or ERROR."),
    },
    "loggers": {
        # Django's own handlers would print and mail its errors a second time.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # pypdf warns about every flaw of a damaged or hostile upload (thousands of lines for one
        # file, quoting its content); such uploads are refused with a form error.
        "pypdf": {"level": "ERROR"},
    },
}

SENTRY_DSN = env_str("SENTRY_DSN", secret=True, help="Sends errors to Sentry when set (no personal data).")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production", help="Environment name shown in Sentry.")
if SENTRY_DSN:
    import sentry_sdk

    from registry.logs import sentry_before_send

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0,
        before_send=sentry_before_send,
    )
