"""Everything the registry holds about an expert, for the expert's own download."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from experts.models import Application, ConsentPurpose, ConsentRecord, ExpertProfile
from registry.models import AuditEvent, User

M2M_FIELDS = [
    "languages",
    "travel_regions",
    "themes",
    "avoid_topics",
    "roles",
    "avoid_units",
    "avoid_municipalities",
    "trainings",
]


def _value(instance: models.Model, field: models.Field) -> Any:
    value = getattr(instance, field.attname)
    if isinstance(field, models.FileField):
        return value.name if value else ""
    return value


def export_data(expert: ExpertProfile) -> dict[str, Any]:
    user = expert.user
    profile = {field.name: _value(expert, field) for field in expert._meta.concrete_fields}
    for name in M2M_FIELDS:
        profile[name] = [str(item) for item in getattr(expert, name).all()]
    return {
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "preferred_language": user.preferred_language,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "profile": profile,
        "consents": [
            {
                "purpose": record.purpose,
                "decision": record.action,
                "given_by": record.given_by,
                "text_version": record.text.version if record.text else None,
                "text": record.text.text if record.text else "",
                "at": record.at,
                "expires_at": record.expires_at,
                "guardian_name": record.guardian_name,
                "guardian_relation": record.guardian_relation,
                "guardian_method": record.guardian_method,
            }
            for record in expert.consent_records.select_related("text").order_by("at", "pk")
        ],
        "away_periods": [
            {"from": away.start_date, "until": away.end_date, "note": away.note} for away in expert.exceptions.all()
        ],
        "application": _application(expert),
        "audit_log": [
            {"at": event.at, "action": event.action, "detail": event.detail}
            for event in AuditEvent.objects.filter(object_type="experts.expertprofile", object_id=str(expert.pk))
        ],
    }


def _application(expert: ExpertProfile) -> dict[str, Any] | None:
    application = getattr(expert, "application", None)
    if application is None:
        return None
    data = {field.name: _value(application, field) for field in application._meta.concrete_fields}
    data.pop("profile", None)
    data["languages"] = [str(language) for language in application.languages.all()]
    data["roles"] = [str(role) for role in application.roles.all()]
    return data


SECTION_LABELS = {
    "account": _("Account"),
    "profile": _("Profile"),
    "consents": _("Consents"),
    "away_periods": _("Times away"),
    "application": _("Application"),
    "audit_log": _("Who has handled your data"),
}

# Keys of the export that are not model fields, and fields whose name alone would show in English.
KEY_LABELS = {
    "purpose": _("purpose"),
    "decision": _("decision"),
    "given_by": _("given by"),
    "text_version": _("version of the text"),
    "text": _("text you agreed to"),
    "from": _("from"),
    "until": _("until"),
    "note": _("note"),
    "detail": _("what was done"),
    "weekly_availability": _("weekly availability"),
}

# The audit log's details are stored in English (they are for the log); the page says them in the
# reader's language. A detail not listed here is shown as it is.
AUDIT_DETAILS = {
    "readable export by the expert": _("you read your data on a page"),
    "JSON export by the expert": _("you downloaded your data as a file"),
    "profile updated by the expert": _("you updated your profile"),
    "photo uploaded": _("photo added"),
    "photo removed": _("photo removed"),
    "requested by the expert": _("you asked for your data to be erased"),
    "personal data erased": _("personal data erased"),
    "accepted": _("application accepted"),
    "rejected": _("application declined"),
    "guardian consent recorded": _("guardian's consent recorded"),
    "trainings updated": _("trainings updated"),
    "coordinator notes updated": _("coordinator's notes updated"),
    "conflicts of interest updated": _("units and municipalities never to be sent to updated"),
}


def audit_detail(detail: str) -> str:
    """An audit detail in the reader's language ("status active", "photo given" included)."""
    if detail in AUDIT_DETAILS:
        return str(AUDIT_DETAILS[detail])
    name, _space, rest = detail.partition(" ")
    if name == "status" and rest in ExpertProfile.Status.values:
        return str(_("status changed to: %(status)s") % {"status": ExpertProfile.Status(rest).label})
    if rest in ("given", "withdrawn") and name in ConsentPurpose.values:
        return f"{ConsentPurpose(name).label}: {ConsentRecord.Action(rest).label}"
    return detail


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return str(_("yes")) if value else str(_("no"))
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    return str(value)


def _field(model: type[models.Model] | None, key: str) -> models.Field | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _label(model: type[models.Model] | None, key: str) -> str:
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    field = _field(model, key)
    if field is not None:
        return str(field.verbose_name)
    return key.replace("_", " ")


# The export keeps codes (they are what is stored); the page shows what they mean.
VALUE_CHOICES: dict[str, dict[str, Any]] = {
    "purpose": dict(ConsentPurpose.choices),
    "decision": dict(ConsentRecord.Action.choices),
    "given_by": dict(ConsentRecord.By.choices),
    "action": dict(AuditEvent.Action.choices),
}


def _shown(model: type[models.Model] | None, key: str, value: Any) -> str:
    if key == "detail" and isinstance(value, str):
        return audit_detail(value) if value else "–"
    if key == "weekly_availability":
        return str(_("%(count)s times a week") % {"count": bin(value or 0).count("1")})
    choices = VALUE_CHOICES.get(key)
    if choices is None:
        field = _field(model, key)
        choices = dict(field.flatchoices) if field is not None and field.choices else None
    if choices is not None and not isinstance(value, list) and value in choices:
        return str(choices[value])
    return _text(value)


def readable_export(data: dict[str, Any]) -> list[tuple[str, list[list[tuple[str, str]]]]]:
    """The same data as the JSON file, as labelled rows for the readable page."""
    models_by_section: dict[str, type[models.Model] | None] = {
        "account": User,
        "profile": ExpertProfile,
        "consents": ConsentRecord,
        "away_periods": None,
        "application": Application,
        "audit_log": AuditEvent,
    }
    sections = []
    for key, value in data.items():
        model = models_by_section.get(key)
        records = value if isinstance(value, list) else ([value] if value else [])
        rows = [[(_label(model, k), _shown(model, k, v)) for k, v in record.items()] for record in records]
        sections.append((str(SECTION_LABELS.get(key, key)), rows))
    return sections
