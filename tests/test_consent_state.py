"""The consent state kept on the expert (issue 10): written in the same transaction as each
consent record, after a new text or birth date, and always what the records themselves say."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from experts.models import ConsentText, ExpertProfile, refresh_consent_states

pytestmark = pytest.mark.django_db


def stored(expert: ExpertProfile) -> dt.datetime | None:
    return ExpertProfile.objects.values_list("consent_current_until", flat=True).get(pk=expert.pk)


def agree(expert: ExpertProfile, on: dt.datetime | None = None) -> bool:
    """Stored state, the records' derivation in SQL and in Python all say the same; returns it."""
    on = on or timezone.now() + dt.timedelta(seconds=1)
    from_column = ExpertProfile.objects.consent_current(on).filter(pk=expert.pk).exists()
    from_records = ExpertProfile.objects.consent_current_at(on).filter(pk=expert.pk).exists()
    in_python = ExpertProfile.objects.get(pk=expert.pk).is_consent_current(on)
    assert from_column == in_python
    assert from_records == in_python or expert.birth_year  # SQL does not know coming of age
    return from_column


def test_each_consent_record_updates_the_stored_state(expert: ExpertProfile) -> None:
    assert stored(expert) is None
    first = expert.give_consent("registry")
    assert stored(expert) is None and not agree(expert)
    second = expert.give_consent("contact")
    assert stored(expert) == min(first.expires_at, second.expires_at) and agree(expert)
    expert.withdraw_consent("contact")
    assert stored(expert) is None and not agree(expert)


def test_saving_a_copy_loaded_before_the_consent_keeps_the_stored_state(expert: ExpertProfile) -> None:
    earlier = ExpertProfile.objects.get(pk=expert.pk)
    expert.give_consent("registry")
    expert.give_consent("contact")
    until = stored(expert)
    assert until is not None and expert.consent_current_until == until
    earlier.bio = "Uusi esittely"
    earlier.save()  # a full save of the old copy, as a form or the admin does
    assert stored(expert) == until
    assert ExpertProfile.objects.get(pk=expert.pk).bio == "Uusi esittely"


def test_stored_state_ends_when_a_consent_expires(expert: ExpertProfile) -> None:
    expert.give_consent("registry")
    expert.give_consent("contact")
    until = stored(expert)
    assert until is not None
    assert agree(expert, until - dt.timedelta(minutes=1))
    assert not agree(expert, until + dt.timedelta(minutes=1))


def test_a_new_consent_text_asks_for_renewal_from_when_it_takes_effect(expert: ExpertProfile) -> None:
    expert.give_consent("registry")
    expert.give_consent("contact")
    takes_effect = timezone.now() + dt.timedelta(days=10)
    old = ConsentText.objects.current_for("contact").first()
    assert old is not None
    ConsentText.objects.create(
        purpose="contact", version=old.version + 1, text_fi="x", text_sv="x", text_en="x", valid_from=takes_effect
    )
    assert stored(expert) == takes_effect
    assert agree(expert)
    assert not agree(expert, takes_effect + dt.timedelta(minutes=1))


def test_a_new_birth_date_that_needs_a_guardian_ends_the_state(expert: ExpertProfile) -> None:
    expert.give_consent("registry")
    expert.give_consent("contact")
    assert agree(expert)
    expert.birth_year = timezone.localdate().year - 15
    expert.save()
    assert stored(expert) is None and not agree(expert)


def test_minor_with_guardian_consent_is_current_until_the_first_end(make_expert: Any, coordinator: Any) -> None:
    minor = make_expert(birth_year=timezone.localdate().year - 16)
    minor.give_consent("registry")
    minor.give_consent("contact")
    assert not agree(minor)
    minor.record_guardian_consent(
        guardian_name="Maija", relation="äiti", method="lomake", given_on=timezone.localdate(), recorded_by=coordinator
    )
    assert agree(minor)
    assert stored(minor) is not None


def test_refreshing_everyone_matches_the_state_kept_record_by_record(make_expert: Any) -> None:
    experts = [make_expert() for _ in range(3)]
    for expert in experts[:2]:
        expert.give_consent("registry")
        expert.give_consent("contact")
    before = [stored(e) for e in experts]
    ExpertProfile.objects.update(consent_current_until=None)
    refresh_consent_states()
    assert [stored(e) for e in experts] == before
