"""Consent a 13-year-old can understand (issue 15), in a real browser at 360 px with axe: Sointu,
the seed's 15-year-old, reads the five plain answers, opens the full text and gives a consent, in
Finnish and Swedish (once without JavaScript); the coordinator shows her guardian the guardian's
version and records their consent; the privacy notice opens with its short layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from experts.models import ConsentPlainText, ConsentRecord, ExpertProfile, consent_layers
from tests.browser.conftest import PageFactory, check_page, form_for, sign_in, submit, translated, visit

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOINTU = "demo-nuori-9@demo.test"


@pytest.fixture
def sointu(db: None) -> ExpertProfile:
    call_command("seed", force=True, verbosity=0)
    expert = ExpertProfile.objects.get(user__email=SOINTU)
    assert expert.needs_guardian("registry") and not expert.consent_records.exists()
    return expert


def password() -> str:
    from registry.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def layers(audience: str, language: str, purpose: str) -> tuple[list[tuple[str, str]], str]:
    with translation.override(language):
        shown = consent_layers(audience)[purpose]
        assert shown.plain is not None and shown.text is not None
        answers = shown.plain.answers()
        assert answers is not None
        return answers, shown.text.text


def read_and_give(tab: Page, language: str, purpose: str) -> None:
    answers, full = layers(ConsentPlainText.Audience.YOUNG, language, purpose)
    card = tab.locator(f"main #consent-{purpose}")
    # The five answers are on the screen first; the full text waits behind one tap.
    for question, answer in answers:
        assert card.get_by_text(question, exact=True).is_visible()
        assert card.get_by_text(answer, exact=True).is_visible()
    full_text = card.locator("details.full-text p").first
    assert full_text.text_content() == full and not full_text.is_visible()
    card.locator("details.full-text summary").click()
    assert full_text.is_visible()
    submit(tab, form_for("experts:consent-give", purpose))
    assert translated(language, "Thank you. Your consent was saved.") in tab.locator("main .messages").inner_text()


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_a_15_year_old_reads_the_plain_answers_and_gives_a_consent_on_a_phone(
    page: PageFactory, live_server: LiveServer, language: str, sointu: ExpertProfile
) -> None:
    tab = page(language)
    sign_in(tab, live_server, SOINTU, password())
    visit(tab, reverse("experts:consents"))
    read_and_give(tab, language, "registry")
    # With a text open, the page still passes every check.
    tab.locator("main #consent-contact details.full-text summary").click()
    check_page(tab)
    record = sointu.consent_records.get(purpose="registry")
    assert (record.text.version, record.plain_text.version, record.plain_text.audience) == (1, 1, "young")
    # Her own consent is there; she takes part once her guardian's is recorded too.
    assert sointu.consent_states()["registry"].status == "guardian"


def test_the_full_text_opens_without_javascript(
    page: PageFactory, live_server: LiveServer, sointu: ExpertProfile
) -> None:
    tab = page("sv", java_script_enabled=False)
    sign_in(tab, live_server, SOINTU, password())
    visit(tab, reverse("experts:consents"))
    read_and_give(tab, "sv", "photo")
    assert sointu.consent_records.get(purpose="photo").plain_text is not None


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_the_coordinator_shows_the_guardian_their_version_and_records_it(
    page: PageFactory, live_server: LiveServer, language: str, sointu: ExpertProfile
) -> None:
    tab = page(language)
    sign_in(tab, live_server, "coordinator@demo.test", password(), totp=True)
    visit(tab, reverse("experts:expert", args=[sointu.pk]))
    versions = tab.locator("main .guardian-texts > li")
    assert versions.count() == len(sointu.guardian_purposes())
    registry = versions.first
    answers, _full = layers(ConsentPlainText.Audience.GUARDIAN, language, "registry")
    assert not registry.get_by_text(answers[0][1], exact=True).is_visible()
    registry.locator("summary").first.click()
    for _question, answer in answers:
        assert registry.get_by_text(answer, exact=True).is_visible()
    check_page(tab)

    tab.fill("main #id_guardian_name", "Huoltaja Esimerkki")
    tab.fill("main #id_relation", "isä")
    tab.fill("main #id_phone", "040 765 4321")
    tab.fill("main #id_method", "tapaaminen")
    tab.check("main input[name=notice][value=meeting]")
    tab.fill("main #id_given_on", timezone.localdate().isoformat())
    submit(tab, form_for("experts:guardian-consent", sointu.pk))
    assert translated(language, "The guardian's consent was recorded.") in tab.locator("main .messages").inner_text()
    records = sointu.consent_records.filter(given_by=ConsentRecord.By.GUARDIAN)
    assert records.count() == len(sointu.guardian_purposes())
    assert {(r.plain_text.audience, r.plain_text.version, r.text.version) for r in records} == {("guardian", 1, 1)}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_privacy_notice_opens_with_five_plain_answers(
    page: PageFactory, live_server: LiveServer, language: str
) -> None:
    tab = page(language)
    visit(tab, reverse("privacy"))
    short = tab.locator("main section[aria-labelledby='in-short-heading']")
    assert short.locator("dt").count() == 5
    # The short layer is the first thing under the heading, on the first screen of a phone.
    assert short.bounding_box()["y"] < 740
    tab.locator("main a[href='#full-notice']").click()
    assert tab.url.endswith("#full-notice")
    assert tab.locator("#full-notice").inner_text() == translated(language, "The full privacy notice")
