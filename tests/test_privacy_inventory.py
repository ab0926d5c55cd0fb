"""The inventory of personal data (registry/privacy.py and each app's personal_data.py): every field
of every installed model is either declared or marked as not personal, the declarations point to
real fields, settings and code, and docs/privacy.md is what the inventory says."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string

from registry.management.commands.privacy_record import OUTPUT, render_record
from registry.privacy import Audience, Basis, Category, inventory, model_fields, not_personal_models, undeclared_fields


def test_every_field_of_every_model_is_declared_or_marked_not_personal() -> None:
    assert undeclared_fields() == [], (
        "Declare these fields in the app's personal_data.py (or list them as not personal), then run "
        "`python manage.py privacy_record`."
    )


def test_a_model_left_out_of_the_inventory_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if someone added engagements.ExpenseClaim without declaring it.
    config = apps.get_app_config("engagements")
    monkeypatch.setattr(
        config, "personal_data", [e for e in config.personal_data if e.model != "engagements.ExpenseClaim"]
    )
    missing = undeclared_fields()
    assert "engagements.ExpenseClaim.receipt" in missing
    assert "engagements.ExpenseClaim.description" in missing


def test_a_new_field_left_out_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    config = apps.get_app_config("experts")
    entries = []
    for entry in config.personal_data:
        if entry.model == "experts.ExpertProfile":
            entry = replace(entry, fields={k: v for k, v in entry.fields.items() if k != "phone"})
        entries.append(entry)
    monkeypatch.setattr(config, "personal_data", entries)
    assert undeclared_fields() == ["experts.ExpertProfile.phone"]


def test_declarations_name_real_fields_and_known_vocabulary() -> None:
    labels = [entry.model for entry in inventory()]
    assert len(labels) == len(set(labels)), "a model is declared twice"
    assert not set(labels) & not_personal_models()
    keys = [entry.key for entry in inventory()]
    assert len(keys) == len(set(keys)), "two parts of the export share a key"
    for entry in inventory():
        model = entry.model_class
        names = {f.name for f in model_fields(model)}
        assert set(entry.fields) <= names, entry.model
        assert set(entry.not_personal) <= names, entry.model
        assert not set(entry.fields) & set(entry.not_personal), entry.model
        assert set(entry.shared_fields) <= names, entry.model
        assert entry.basis and all(basis in Basis.values for basis in entry.basis), entry.model
        for name, spec in entry.fields.items():
            assert spec.category in Category.values, (entry.model, name)
            assert all(who in Audience.values for who in spec.seen_by), (entry.model, name)


def test_every_retention_rule_names_real_settings_and_says_its_numbers() -> None:
    for entry in inventory():
        rules = [entry.retention, *(spec.retention for spec in entry.fields.values() if spec.retention)]
        for rule in rules:
            for name in rule.settings:
                assert hasattr(settings, name), name
                assert str(getattr(settings, name)) in rule.describe(), (entry.model, name)
            assert "%(" not in rule.describe()


def test_the_code_that_enforces_each_rule_exists() -> None:
    for entry in inventory():
        assert entry.enforced_by, entry.model
        for path in entry.enforced_by:
            module, _dot, attribute = path.rpartition(".")
            try:
                import_string(path)
            except ImportError:
                # A method: the class must have it.
                assert hasattr(import_string(module), attribute), path


def test_every_file_field_is_in_the_inventory_so_no_file_is_taken_for_an_orphan() -> None:
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                entry = next(e for e in inventory() if e.model == model._meta.label)
                assert f.name in entry.fields, f"{model._meta.label}.{f.name}"


def test_people_can_be_found_in_each_model_they_can_be_erased_from() -> None:
    for entry in inventory():
        if entry.erase is not None:
            assert entry.rows_of is not None, entry.model


@pytest.mark.django_db
def test_the_record_of_processing_is_up_to_date() -> None:
    assert OUTPUT.read_text() == render_record(), "Run `python manage.py privacy_record` and commit docs/privacy.md."


@pytest.mark.django_db
def test_the_record_lists_every_declared_field_with_its_retention(settings: Any) -> None:
    settings.REQUEST_TEXT_RETENTION_DAYS = 1234
    text = render_record()
    for entry in inventory():
        assert f"### `{entry.model}`" in text
        for name in entry.fields:
            assert f"`{name}` (" in text, (entry.model, name)
    assert "| `REQUEST_TEXT_RETENTION_DAYS` | 1234 |" in text
    assert "1234 days after the request is closed" in text
