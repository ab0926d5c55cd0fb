"""One inventory of personal data, and everything built from it: the person's own export, erasure,
the orphan-file sweep, the record of processing (docs/privacy.md) and the privacy notice's lists.

Each app declares its own part in `<app>/personal_data.py`: a list of `ModelData`, one per model,
saying field by field what is personal, its category, who sees it, the legal basis, how long it is
kept and which code enforces that; plus how to find a person's rows, how to erase them, and which
rows of others are shown to the person. The app's AppConfig exposes the list as `personal_data`
once the app is ready. This module collects the parts through Django's app registry, so the core
never imports the apps (the same one-way rule as everywhere else; only the running program joins
the layers, as the `seed` command does).

tests/test_privacy_inventory.py fails when a field of any installed model is neither declared here
nor listed as not personal, so a new field with personal data cannot be forgotten by the export,
erasure or the record of processing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from registry.models import User


class Category(models.TextChoices):
    IDENTITY = "identity", _("Identity and account")
    CONTACT = "contact", _("Contact details")
    PROFILE = "profile", _("Profile and preferences")
    LIVED_EXPERIENCE = "lived_experience", _("Lived experience (special category of data)")
    AGE = "age", _("Age")
    CONSENT = "consent", _("Consents")
    GUARDIAN = "guardian", _("Guardian's details")
    ENGAGEMENT = "engagement", _("Engagements")
    FREE_TEXT = "free_text", _("Free text (may mention other people)")
    FINANCIAL = "financial", _("Fees and expenses")
    FILE = "file", _("Uploaded files")
    LOG = "log", _("Logs, sign-ins and notifications")


class Audience(models.TextChoices):
    PERSON = "person", _("the person themselves")
    GUARDIAN = "guardian", _("the guardian, through the coordinator")
    COORDINATOR = "coordinator", _("coordinators of the area")
    UNIT = "unit", _("members of the unit concerned")
    EXPERTS = "experts", _("experts confirmed to the request")
    MANAGER = "manager", _("managers, as anonymous figures only")
    ADMIN = "admin", _("administrators")


class Basis(models.TextChoices):
    CONSENT = "consent", _("Consent (GDPR art. 6(1)(a)); for lived experience explicit consent (art. 9(2)(a))")
    CONTRACT = "contract", _("The agreement on an engagement (art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (art. 6(1)(c)): accounting and taxation")
    PUBLIC_TASK = "public_task", _("Public task of the wellbeing areas (art. 6(1)(e))")
    LOGGING = (
        "logging",
        _(
            "Legal obligation to log the use of personal data (art. 6(1)(c); Act on Information Management in "
            "Public Administration 906/2019, section 17)"
        ),
    )


@dataclass(frozen=True)
class Retention:
    """How long, in words for people, with the settings that set the numbers (%(NAME)s)."""

    text: Promise | str
    settings: tuple[str, ...] = ()

    def values(self) -> dict[str, Any]:
        return {name: getattr(settings, name) for name in self.settings}

    def describe(self) -> str:
        return str(self.text) % self.values()


@dataclass(frozen=True)
class Field:
    """One field that holds personal data."""

    category: str
    seen_by: tuple[str, ...]
    retention: Retention | None = None  # None: the model's
    basis: tuple[str, ...] = ()  # empty: the model's
    export: bool = True  # a secret (a token, a key) is described in the record but never shown
    label: Promise | str | None = None  # None: the field's verbose name
    display: Callable[[Any], str] | None = None  # readable value for the person
    link: Callable[[Any], str | None] | None = None  # where the person can open a file


@dataclass(frozen=True)
class ModelData:
    """One model's personal data, and how the person's rows are found, exported and erased."""

    model: str  # "app_label.ModelName"
    key: str  # section key in the export
    title: Promise | str  # section heading on the readable export
    about: Promise | str  # whose data, in words for the record of processing
    basis: tuple[str, ...]
    retention: Retention
    enforced_by: tuple[str, ...]  # dotted paths of the code that erases or deletes it
    fields: dict[str, Field]
    not_personal: tuple[str, ...] = ()
    # The person's own rows (export and erasure).
    rows_of: Callable[[User], models.QuerySet[Any]] | None = None
    # Rows of others that are shown to the person (export only), and which of their fields.
    shared_with: Callable[[User], models.QuerySet[Any]] | None = None
    shared_fields: tuple[str, ...] = ()
    # Erases the person's rows (blanks fields or deletes rows). None: nothing to erase (the rows
    # are removed with others, or hold nothing that names the person once other rows are erased).
    erase: Callable[[User, models.QuerySet[Any]], Any] | None = None
    order: int = 100  # position on the readable export
    # Logs that point to other objects: left out when collecting a person's objects.
    is_log: bool = False
    # Relations the readable export follows beyond the fields themselves (one query each).
    related: tuple[str, ...] = ()

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def retention_of(self, name: str) -> Retention:
        return self.fields[name].retention or self.retention

    def basis_of(self, name: str) -> tuple[str, ...]:
        return self.fields[name].basis or self.basis


def inventory() -> list[ModelData]:
    """Every app's declared personal data, in INSTALLED_APPS order."""
    entries: list[ModelData] = []
    for config in apps.get_app_configs():
        entries.extend(getattr(config, "personal_data", ()))
    return entries


def not_personal_models() -> set[str]:
    """Models declared to hold no personal data at all (vocabularies, places, fee tables)."""
    labels: set[str] = set()
    for config in apps.get_app_configs():
        labels.update(getattr(config, "not_personal_models", ()))
    return labels


def entry_for(model: type[models.Model] | str) -> ModelData | None:
    label = model if isinstance(model, str) else model._meta.label
    return next((entry for entry in inventory() if entry.model == label), None)


def model_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields of a model that hold data (columns and many-to-many), not reverse relations."""
    return [
        f
        for f in model._meta.get_fields()
        if isinstance(f, models.Field) and (f.concrete or f.many_to_many) and not f.auto_created
    ]


def undeclared_fields() -> list[str]:
    """Fields of installed models that are in neither the inventory nor a `not_personal` list."""
    declared = {entry.model: entry for entry in inventory()}
    skipped = not_personal_models()
    missing = []
    for model in apps.get_models():
        label = model._meta.label
        if label in skipped:
            continue
        entry = declared.get(label)
        for f in model_fields(model):
            if f.primary_key and f.name == "id":
                continue
            if entry is None or (f.name not in entry.fields and f.name not in entry.not_personal):
                missing.append(f"{label}.{f.name}")
    return missing


# A person's rows -----------------------------------------------------------------------------------


def objects_of(user: User) -> dict[str, set[Any]]:
    """Every row that is the person's own data, by model ({"app.model": {pk, …}}): what the logs
    about them point to."""
    found: dict[str, set[Any]] = {}
    for entry in inventory():
        if entry.rows_of is None or entry.is_log:
            continue
        pks = set(entry.rows_of(user).values_list("pk", flat=True))
        if pks:
            found.setdefault(entry.model_class._meta.label_lower, set()).update(pks)
    return found


@transaction.atomic
def erase_person(user: User) -> dict[str, int]:
    """Erase everything the inventory holds about the person, from the top layer down (the
    account last). The person's rows are found first, so that rows removed on the way (e.g. an
    application) still have their log entries cleaned. Returns rows touched per model."""
    found = [
        (entry, list(entry.rows_of(user).values_list("pk", flat=True)))
        for entry in inventory()
        if entry.rows_of is not None and entry.erase is not None
    ]
    touched: dict[str, int] = {}
    for entry, pks in reversed(found):
        if not pks:
            continue
        assert entry.erase is not None
        entry.erase(user, entry.model_class._default_manager.filter(pk__in=pks))
        touched[entry.model] = len(pks)
    return touched


def referenced_files() -> set[str]:
    """The stored names of every file a row points to: files outside this set are orphans."""
    names: set[str] = set()
    for entry in inventory():
        model = entry.model_class
        for name in entry.fields:
            if isinstance(model._meta.get_field(name), models.FileField):
                names.update(n for n in model._default_manager.values_list(name, flat=True) if n)
    return names


# The export ----------------------------------------------------------------------------------------


@dataclass
class Section:
    key: str
    title: str
    records: list[dict[str, Any]] = field(default_factory=list)  # JSON values
    rows: list[list[tuple[str, str, str | None]]] = field(default_factory=list)  # (label, text, link)


def _json_value(instance: models.Model, f: models.Field[Any, Any]) -> Any:
    if f.many_to_many:
        return [str(item) for item in getattr(instance, f.name).all()]
    if f.is_relation:
        related = getattr(instance, f.name)
        return str(related) if related is not None else None
    value = getattr(instance, f.attname)
    if isinstance(f, models.FileField):
        return value.name if value else ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def readable(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value, 2, use_l10n=True)
    if isinstance(value, list):
        return ", ".join(readable(item) for item in value) or "–"
    return str(value)


def _readable_value(instance: models.Model, f: models.Field[Any, Any], spec: Field) -> str:
    if spec.display is not None:
        return spec.display(instance) or "–"
    if f.many_to_many:
        return readable([str(item) for item in getattr(instance, f.name).all()])
    if f.choices:
        return readable(getattr(instance, f"get_{f.name}_display")())
    if f.is_relation:
        related = getattr(instance, f.name)
        return readable(str(related) if related is not None else None)
    value = getattr(instance, f.attname)
    if isinstance(f, models.FileField):
        return gettext("a file") if value else "–"
    return readable(value)


def _prepared(entry: ModelData, rows: models.QuerySet[Any], names: Iterable[str]) -> models.QuerySet[Any]:
    # One query per relation, whatever the number of rows.
    model = entry.model_class
    fks = [n for n in names if model._meta.get_field(n).many_to_one or model._meta.get_field(n).one_to_one]
    m2m = [n for n in names if model._meta.get_field(n).many_to_many]
    return rows.select_related(*fks, *entry.related).prefetch_related(*m2m)


def _add(section: Section, entry: ModelData, instance: models.Model, names: Iterable[str]) -> None:
    model = entry.model_class
    record: dict[str, Any] = {}
    row: list[tuple[str, str, str | None]] = []
    for name in names:
        # Shared rows may show a figure that is not the reader's personal data (a usefulness score).
        spec = entry.fields.get(name) or Field(Category.ENGAGEMENT, ())
        if not spec.export:
            continue
        f = model._meta.get_field(name)
        assert isinstance(f, models.Field)  # the inventory names the model's own fields, not reverse relations
        record[name] = _json_value(instance, f)
        label = str(spec.label or getattr(f, "verbose_name", name))
        link = spec.link(instance) if spec.link is not None else None
        row.append((label[:1].upper() + label[1:], _readable_value(instance, f, spec), link))
    section.records.append(record)
    section.rows.append(row)


def export_person(user: User) -> list[Section]:
    """Everything the inventory holds about the person, and what others shared with them."""
    sections = []
    for entry in sorted(inventory(), key=lambda e: e.order):
        if entry.rows_of is None and entry.shared_with is None:
            continue
        section = Section(entry.key, str(entry.title))
        if entry.rows_of is not None:
            names = list(entry.fields)
            for instance in _prepared(entry, entry.rows_of(user), names).order_by("pk"):
                _add(section, entry, instance, names)
        if entry.shared_with is not None:
            names = list(entry.shared_fields)
            for instance in _prepared(entry, entry.shared_with(user), names).order_by("pk"):
                _add(section, entry, instance, names)
        sections.append(section)
    return sections


def export_json(user: User) -> dict[str, list[dict[str, Any]]]:
    return {section.key: section.records for section in export_person(user)}


# The record of processing ------------------------------------------------------------------------


def audience_labels(keys: Iterable[str]) -> str:
    return ", ".join(str(Audience(key).label) for key in keys)


def retention_settings() -> list[tuple[str, Any]]:
    """Every setting a retention rule of the inventory uses, with its value."""
    names: set[str] = set()
    for entry in inventory():
        names.update(entry.retention.settings)
        for spec in entry.fields.values():
            if spec.retention is not None:
                names.update(spec.retention.settings)
    return sorted((name, getattr(settings, name)) for name in names)
