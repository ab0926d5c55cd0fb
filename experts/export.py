"""Everything the registry holds about an expert, for the expert's own download."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from experts.models import Application, ConsentRecord, ExpertProfile
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


def _label(model: type[models.Model] | None, key: str) -> str:
    if model is not None:
        try:
            return str(model._meta.get_field(key).verbose_name)
        except FieldDoesNotExist:
            pass
    return key.replace("_", " ")


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
        rows = [[(_label(model, k), _text(v)) for k, v in record.items()] for record in records]
        sections.append((str(SECTION_LABELS.get(key, key)), rows))
    return sections
