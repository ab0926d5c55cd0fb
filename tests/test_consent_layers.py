"""Layered consent (issue 15): the plain-language answers first and the full text one tap away, the
young person's version on the expert's page and the guardian's on the coordinator's, each record
keeping which versions (legal and plain) were shown and agreed to, and the admin seeing which
layers are missing. The readability of the texts is measured in tests/test_plain_language.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from experts.models import (
    PLAIN_QUESTIONS,
    ConsentPlainText,
    ConsentPurpose,
    ConsentRecord,
    ConsentText,
    ExpertProfile,
)
from registry.models import User
from tests.conftest import shown

pytestmark = pytest.mark.django_db

YOUNG, GUARDIAN = ConsentPlainText.Audience.YOUNG, ConsentPlainText.Audience.GUARDIAN


def plain(purpose: str, audience: str = YOUNG) -> ConsentPlainText:
    text = ConsentText.objects.current_for(purpose).first()
    return ConsentPlainText.objects.filter(text=text, audience=audience).order_by("-version").first()


def reword(purpose: str, audience: str = YOUNG, **answers: str) -> ConsentPlainText:
    """A clearer wording of the same meaning: a new plain version of the same legal text."""
    old = plain(purpose, audience)
    fields = {f.name: getattr(old, f.name) for f in ConsentPlainText._meta.fields if f.name not in ("id", "valid_from")}
    fields.update(version=old.version + 1, **answers)
    return ConsentPlainText.objects.create(**fields)


def minor(make_expert: Callable[..., ExpertProfile], years: int = 15) -> ExpertProfile:
    today = timezone.localdate()
    return make_expert(birth_year=today.year - years - (1 if today.month == 1 else 0), birth_month=1)


def consents_page(client: Client, language: str) -> str:
    client.cookies["django_language"] = language
    response = client.get(reverse("experts:consents"))
    assert response.status_code == 200
    return response.content.decode()


# The expert's page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_consents_page_answers_the_five_questions_before_the_full_text(
    client: Client, expert: ExpertProfile, language: str
) -> None:
    client.force_login(expert.user)
    page = consents_page(client, language)
    layer = plain("photo")
    answers = layer.answers(language)
    assert answers is not None
    for _question, answer in answers:
        assert answer.replace("'", "&#x27;") in page
    card = page[page.index('id="consent-photo"') :]
    full = ConsentText.objects.current_for("photo").get().text_en if language == "en" else None
    # The plain answers come first; the full text is inside a <details>, which opens without scripts.
    assert card.index(answers[0][1].replace("'", "&#x27;")) < card.index("<details")
    if full:
        assert card.index("<details") < card.index(full)
    assert page.count("<details") >= len(ConsentPurpose.values)


def test_the_questions_are_the_five_the_issue_names() -> None:
    assert [key for key, _question in PLAIN_QUESTIONS] == ["what", "why", "who", "how_long", "withdraw"]


def test_giving_a_consent_records_both_versions_read(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("experts:consent-give", args=["photo"]), shown("photo"))
    assert response.status_code == 302
    record = expert.consent_records.get(purpose="photo")
    assert (record.text.version, record.plain_text) == (1, plain("photo"))
    assert record.plain_text.audience == YOUNG


def test_a_consent_to_a_text_that_changed_meanwhile_is_not_recorded(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    read = shown("photo")
    reword("photo", what_fi="Kuvasi näkyy palvelussa.")
    response = client.post(reverse("experts:consent-give", args=["photo"]), read, follow=True)
    assert not expert.consent_records.exists()
    assert "Suostumuksen teksti on muuttunut" in response.content.decode()
    # The page now shows the new wording; giving from it works.
    assert "Kuvasi näkyy palvelussa." in response.content.decode()
    client.post(reverse("experts:consent-give", args=["photo"]), shown("photo"))
    assert expert.consent_records.get().plain_text.version == 2


def test_a_consent_without_the_versions_read_is_not_recorded(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("experts:consent-give", args=["photo"]))
    assert response.status_code == 302
    assert not expert.consent_records.exists()


def test_a_layer_missing_in_the_readers_language_shows_the_full_text_and_records_no_plain_version(
    client: Client, expert: ExpertProfile
) -> None:
    ConsentPlainText.objects.filter(text__purpose="quote", audience=YOUNG).update(why_sv="")
    client.force_login(expert.user)
    page = consents_page(client, "sv")
    card = page[page.index('id="consent-quote"') : page.index('id="consent-recording"')]
    assert ConsentText.objects.current_for("quote").get().text_sv in card
    assert "<details" not in card and "<dl" not in card
    client.post(reverse("experts:consent-give", args=["quote"]), shown("quote", "sv"))
    record = expert.consent_records.get(purpose="quote")
    assert record.text is not None and record.plain_text is None


def test_a_new_wording_not_yet_in_the_readers_language_leaves_the_previous_one(expert: ExpertProfile) -> None:
    reword("quote", what_fi="Sanojasi saa lainata.", why_sv="")
    with translation.override("sv"):
        assert expert.give_consent("quote").plain_text.version == 1
    with translation.override("fi"):
        assert expert.give_consent("quote").plain_text.version == 2


def test_the_history_shows_the_plain_version(client: Client, expert: ExpertProfile) -> None:
    expert.give_consent("registry")
    client.force_login(expert.user)
    assert "plain language 1" in consents_page(client, "en")


def test_the_consents_page_queries_do_not_grow_with_versions(
    client: Client, expert: ExpertProfile, django_assert_max_num_queries: Any
) -> None:
    client.force_login(expert.user)
    with django_assert_max_num_queries(16):
        consents_page(client, "fi")
    for purpose in ConsentPurpose.values:
        for audience in (YOUNG, GUARDIAN):
            reword(purpose, audience)
            reword(purpose, audience)
        expert.give_consent(purpose)
    with django_assert_max_num_queries(16):
        consents_page(client, "fi")


# Versions and renewal -------------------------------------------------------------------------------


def test_a_new_plain_wording_of_the_same_meaning_asks_nobody_to_renew(expert: ExpertProfile) -> None:
    expert.give_consent("registry")
    expert.give_consent("contact")
    reword("registry", what_en="Your details are in the register.")
    assert expert.consent_states()["registry"].is_current
    assert ExpertProfile.objects.consent_current().filter(pk=expert.pk).exists()
    # The record keeps the version agreed to; a new consent takes the new one.
    assert expert.consent_records.get(purpose="registry").plain_text.version == 1
    assert expert.give_consent("registry").plain_text.version == 2


def test_a_change_of_meaning_is_a_new_legal_version_and_asks_for_renewal(expert: ExpertProfile) -> None:
    expert.give_consent("registry")
    expert.give_consent("contact")
    v2 = ConsentText.objects.create(purpose="registry", version=2, text_fi="v2", text_sv="v2", text_en="v2")
    assert expert.consent_states()["registry"].status == "renew"
    assert not ExpertProfile.objects.consent_current().filter(pk=expert.pk).exists()
    # Until the new legal version has its plain layer, the full text alone is shown and recorded.
    record = expert.give_consent("registry")
    assert (record.text, record.plain_text) == (v2, None)


# The guardian's version -----------------------------------------------------------------------------


def test_the_coordinator_is_shown_the_guardians_version_of_each_purpose(
    client: Client, coordinator: User, make_expert: Callable[..., ExpertProfile]
) -> None:
    young = minor(make_expert)
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("experts:expert", args=[young.pk])).content.decode()
    for purpose in young.guardian_purposes():
        guardian_answers = plain(purpose, GUARDIAN).answers("en")
        assert guardian_answers is not None
        assert guardian_answers[0][1].replace("'", "&#x27;") in page
    # The young person's wording is for the young person.
    assert plain("registry", YOUNG).answers("en")[0][1].replace("'", "&#x27;") not in page


def test_the_guardians_consent_records_the_guardians_versions(
    client: Client, coordinator: User, make_expert: Callable[..., ExpertProfile]
) -> None:
    young = minor(make_expert)
    client.force_login(coordinator)
    data = {
        "guardian_name": "Maija Huoltaja",
        "relation": "äiti",
        "phone": "040 123 4567",
        "method": "allekirjoitettu lomake",
        "notice": "paper",
        "given_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "purposes": ["registry", "photo"],
    }
    response = client.post(reverse("experts:guardian-consent", args=[young.pk]), data)
    assert response.status_code == 302
    for record in young.consent_records.filter(given_by=ConsentRecord.By.GUARDIAN):
        assert record.plain_text == plain(record.purpose, GUARDIAN)
        assert record.text == ConsentText.objects.current_for(record.purpose).first()


def test_only_the_experts_coordinator_sees_the_guardians_version(
    client: Client, make_expert: Callable[..., ExpertProfile], expert: ExpertProfile
) -> None:
    young = minor(make_expert)
    client.force_login(expert.user)
    assert client.get(reverse("experts:expert", args=[young.pk])).status_code == 403


# The admin ------------------------------------------------------------------------------------------


def test_the_admin_lists_which_layers_and_languages_are_missing(client: Client, admin_user: User) -> None:
    reword("quote", GUARDIAN, withdraw_sv="", withdraw_en="")
    ConsentText.objects.create(purpose="photo", version=2, text_fi="v2", text_sv="v2", text_en="v2")
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:experts_consenttext_changelist")).content.decode()
    assert "version 2, missing: Swedish, English" in page
    assert page.count("complete (version 1)") >= 2 * len(ConsentPurpose.values) - 2
    assert ">missing<" in page  # the photo text's version 2 has no layers yet
    page = client.get(reverse("admin:experts_consentplaintext_changelist")).content.decode()
    assert "Swedish, English" in page


def test_the_admin_edits_all_three_languages_but_not_a_version_someone_agreed_to(
    client: Client, admin_user: User, expert: ExpertProfile
) -> None:
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    unused = reword("photo")
    page = client.get(reverse("admin:experts_consentplaintext_change", args=[unused.pk])).content.decode()
    for language in ("fi", "sv", "en"):
        assert f'name="withdraw_{language}"' in page
    expert.give_consent("photo")
    page = client.get(reverse("admin:experts_consentplaintext_change", args=[unused.pk])).content.decode()
    assert 'name="withdraw_fi"' not in page


def test_the_guardian_keeps_their_plain_answers_in_the_notice_e_mail(
    client: Client,
    coordinator: User,
    make_expert: Callable[..., ExpertProfile],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core import mail

    young = minor(make_expert)
    young.user.preferred_language = "sv"
    young.user.save()
    client.force_login(coordinator)
    data = {
        "guardian_name": "Maja Vårdnadshavare",
        "relation": "mamma",
        "email": "maja@example.test",
        "method": "blankett",
        "notice": "email",
        "given_on": timezone.localdate().isoformat(),
        "purposes": ["photo"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("experts:guardian-consent", args=[young.pk]), data)
    [message] = mail.outbox
    with translation.override("sv"):
        answers = plain("photo", GUARDIAN).answers("sv")
    assert answers is not None
    for question, answer in answers:
        assert f"{question} {answer}" in message.body
    html = message.alternatives[0][0]
    assert answers[0][1] in html


def test_the_admin_rewords_from_a_copy_that_asks_nobody_to_renew(
    client: Client, admin_user: User, expert: ExpertProfile
) -> None:
    expert.give_consent("photo")
    used = plain("photo")
    client.force_login(admin_user)
    changelist = reverse("admin:experts_consentplaintext_changelist")
    response = client.post(changelist, {"action": "copy_as_new_version", "_selected_action": [used.pk]})
    assert response.status_code == 302
    copy = plain("photo")
    assert copy.version == used.version + 1 and copy.what_fi == used.what_fi
    assert expert.consent_states()["photo"].is_current
