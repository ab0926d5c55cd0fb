"""Whole journeys through the expert registry in a real browser at 360 px.

1. An expert manages availability, times away, consents, a photo and their own data.
2. A visitor applies, a coordinator accepts, and the invitation link leads to a first sign-in.
3. A coordinator browses the registry and records a guardian's consent for a minor.

Every page is opened with `visit`, `submit` or `follow` below, so each one is checked with axe,
for sideways scrolling and for a single <h1>.

The live server needs real commits, so these tests run in transactional databases, which are
flushed after each test. That also empties the vocabularies (languages, themes, …) and the consent
texts that data migrations created, so `_vocabularies` puts them back before each test. (A
serialised rollback does not: once Playwright's sync API is running, the test sees a different
database connection object from the one that holds the serialised copy, so nothing is restored.)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from PIL import Image

from experts.models import Application, ConsentPurpose, ExpertProfile, Language
from registry.models import Region, User
from tests.browser.conftest import (
    PageFactory,
    check_page,
    follow,
    form_for,
    sign_in,
    submit,
    translated,
    visit,
)
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from django.core.mail import EmailMessage
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = pytest.mark.browser

BOTH_LANGUAGES = pytest.mark.parametrize("language", ["fi", "sv"])
NEW_PASSWORD = "Oma-uusi-salasana-2026"
INVITATION_PATH = re.compile(r"/accounts/password/reset/key/[0-9a-z]+-[0-9A-Za-z-]+/")


# Helpers ------------------------------------------------------------------------------------------


def short_date(language: str, day: dt.date) -> str:
    with translation.override(language):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


def messages_text(page: Page) -> str:
    return page.locator("main .messages").inner_text()


def assert_at(page: Page, live_server: LiveServer, path: str, language: str) -> None:
    assert page.url == f"{live_server.url}{path}", f"expected {path}, got {page.url}"
    assert page.locator("html").get_attribute("lang") == language


def consent_status(expert: ExpertProfile, purpose: str) -> str:
    return expert.consent_states()[purpose].status


def small_jpeg(folder: Path) -> Path:
    path = folder / "me.jpg"
    Image.new("RGB", (80, 60), (40, 120, 90)).save(path, "JPEG")
    return path


def messages_to(address: str) -> list[EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


# 1. The expert on a phone ---------------------------------------------------------------------------


@BOTH_LANGUAGES
def test_expert_journey_on_a_phone(
    page: PageFactory, live_server: LiveServer, language: str, expert: ExpertProfile, tmp_path: Path
) -> None:
    expert.give_consent(ConsentPurpose.REGISTRY)
    expert.give_consent(ConsentPurpose.CONTACT)
    tab = page(language)

    sign_in(tab, live_server, expert.user.email, PASSWORD)
    assert_at(tab, live_server, reverse("engagements:expert-home"), language)
    visit(tab, reverse("engagements:expert-home"))
    assert tab.locator("main h1").inner_text().endswith(expert.display_name)

    # Availability: Monday afternoon and Wednesday evening.
    follow(tab, f"nav a[href='{reverse('experts:availability')}']")
    assert_at(tab, live_server, reverse("experts:availability"), language)
    tab.check("#id_slot_0_1")
    tab.check("#id_slot_2_2")
    submit(tab, form_for("experts:availability"))
    assert_at(tab, live_server, reverse("experts:availability"), language)
    assert translated(language, "Your availability was saved.") in messages_text(tab)
    assert tab.is_checked("#id_slot_0_1")
    assert tab.is_checked("#id_slot_2_2")
    assert not tab.is_checked("#id_slot_0_0")
    expert.refresh_from_db()
    assert expert.is_available(0, 1)
    assert expert.is_available(2, 2)
    assert not expert.is_available(0, 0)

    # A time away in the future, typed into the date inputs.
    start = timezone.localdate() + dt.timedelta(days=10)
    end = start + dt.timedelta(days=4)
    tab.fill("#id_start_date", start.isoformat())
    tab.fill("#id_end_date", end.isoformat())
    submit(tab, form_for("experts:away-add"))
    assert translated(language, "The time away was added.") in messages_text(tab)
    rows = tab.locator("main .away-row")
    assert rows.count() == 1
    assert f"{short_date(language, start)} – {short_date(language, end)}" in rows.first.inner_text()
    assert list(expert.exceptions.values_list("start_date", "end_date")) == [(start, end)]

    # Consents: the photo consent is given and withdrawn, one click each.
    follow(tab, f"nav a[href='{reverse('experts:consents')}']")
    assert_at(tab, live_server, reverse("experts:consents"), language)
    submit(tab, form_for("experts:consent-give", "photo"))
    assert translated(language, "Thank you. Your consent was saved.") in messages_text(tab)
    assert consent_status(expert, "photo") == "current"
    submit(tab, form_for("experts:consent-withdraw", "photo"))
    assert translated(language, "Your consent was withdrawn.") in messages_text(tab)
    assert consent_status(expert, "photo") == "withdrawn"

    # Leaving the registry asks for a confirmation first.
    withdraw_registry = reverse("experts:consent-withdraw", args=["registry"])
    follow(tab, f"a[href='{withdraw_registry}']")
    assert_at(tab, live_server, withdraw_registry, language)
    confirm = tab.locator("main #id_confirm")
    button = tab.locator(f"main {form_for('experts:consent-withdraw', 'registry')} button[type=submit]")
    # The form is `novalidate`: the server answers with the error in the page's language (status 400).
    with tab.expect_navigation() as navigation:
        button.click()
    assert navigation.value is not None and navigation.value.status == 400
    check_page(tab)
    assert translated(language, "Please tick the box to confirm.") in tab.locator("main form").inner_text()
    # The error summary has the focus and links to the box.
    assert tab.evaluate("document.activeElement.classList.contains('error-summary')")
    assert tab.locator("main .error-summary a[href='#id_confirm']").count() == 1
    assert confirm.get_attribute("aria-invalid") == "true"
    assert consent_status(expert, "registry") == "current"
    confirm.check()
    submit(tab, form_for("experts:consent-withdraw", "registry"))
    assert_at(tab, live_server, reverse("experts:consents"), language)
    assert translated(language, "Your consent was withdrawn.") in messages_text(tab)
    assert consent_status(expert, "registry") == "withdrawn"
    expert.refresh_from_db()
    assert expert.erase_after is not None

    # ... and coming back is one click again.
    submit(tab, form_for("experts:consent-give", "registry"))
    assert consent_status(expert, "registry") == "current"
    expert.refresh_from_db()
    assert expert.erase_after is None

    # A photo from the phone.
    follow(tab, f"nav a[href='{reverse('experts:profile')}']")
    assert_at(tab, live_server, reverse("experts:profile"), language)
    assert tab.locator("main img.photo").count() == 0
    tab.set_input_files("main #id_photo", small_jpeg(tmp_path))
    submit(tab, form_for("experts:photo-upload"))
    assert translated(language, "Your photo was saved.") in messages_text(tab)
    photo = tab.locator("main img.photo")
    assert photo.get_attribute("src") == reverse("engagements:expert-photo", args=[expert.pk])
    assert photo.evaluate("img => img.complete && img.naturalWidth") > 0
    expert.refresh_from_db()
    assert expert.photo

    # My data, and the readable export.
    follow(tab, f"nav a[href='{reverse('experts:my-data')}']")
    assert_at(tab, live_server, reverse("experts:my-data"), language)
    follow(tab, f"a[href='{reverse('experts:export-html')}']")
    assert_at(tab, live_server, reverse("experts:export-html"), language)
    assert tab.locator("main h1").inner_text() == translated(language, "Everything we hold about you")
    assert expert.display_name in tab.locator("main").inner_text()


# 2. Application, invitation and the first sign-in ------------------------------------------------


@BOTH_LANGUAGES
def test_application_invitation_and_first_sign_in(
    page: PageFactory, live_server: LiveServer, language: str, region: Region, coordinator: User
) -> None:
    applicant_email = f"uusi-{language}@example.test"
    birth_year = timezone.localdate().year - 24
    finnish = Language.objects.get(code="fi")

    # An anonymous visitor finds the application form from the front page.
    visitor = page(language)
    visit(visitor, "/")
    follow(visitor, f"a[href='{reverse('become-expert')}']")
    assert_at(visitor, live_server, reverse("become-expert"), language)
    follow(visitor, f"a[href='{reverse('experts:apply')}']")
    assert_at(visitor, live_server, reverse("experts:apply"), language)

    visitor.fill("main #id_name", "Aava Esimerkki")
    visitor.fill("main #id_email", applicant_email)
    visitor.check(f"main input[name=kind][value='{ExpertProfile.Kind.YOUTH}']")
    visitor.fill("main #id_birth_year", str(birth_year))
    visitor.select_option("main #id_birth_month", "3")
    visitor.select_option("main #id_region", str(region.pk))
    visitor.check(f"main input[name=languages][value='{finnish.pk}']")
    visitor.check("main #id_privacy")
    assert visitor.input_value("main #id_website") == ""
    submit(visitor, form_for("experts:apply"))
    assert_at(visitor, live_server, reverse("experts:apply-thanks"), language)

    application = Application.objects.get(email=applicant_email)
    assert application.status == Application.Status.NEW
    assert application.language == language
    assert application.region == region
    assert list(application.languages.all()) == [finnish]
    assert messages_to(coordinator.email), "the coordinator was not told about the application"

    # The coordinator accepts it.
    desk = page(language)
    sign_in(desk, live_server, coordinator.email, PASSWORD, totp=True)
    assert_at(desk, live_server, reverse("engagements:coordinator-home"), language)
    follow(desk, f"nav a[href='{reverse('experts:applications')}']")
    assert_at(desk, live_server, reverse("experts:applications"), language)
    follow(desk, f"a[href='{reverse('experts:application', args=[application.pk])}']")
    assert_at(desk, live_server, reverse("experts:application", args=[application.pk]), language)
    submit(desk, form_for("experts:application-accept", application.pk))
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED
    assert application.profile is not None
    assert_at(desk, live_server, reverse("experts:expert", args=[application.profile.pk]), language)
    accepted = translated(language, "The application was accepted and an invitation was sent.")
    assert accepted in messages_text(desk)

    # The invitation: a one-time link to choose a password.
    invitations = messages_to(applicant_email)
    assert len(invitations) == 1, [message.subject for message in mail.outbox]
    match = INVITATION_PATH.search(invitations[0].body)
    assert match, invitations[0].body
    key_path = match.group(0)

    # The applicant opens it in a browser of their own.
    newcomer = page(language)
    visit(newcomer, key_path)
    # allauth moves the key out of the address before showing the form.
    assert newcomer.url != f"{live_server.url}{key_path}"
    assert newcomer.url.startswith(f"{live_server.url}/accounts/password/reset/key/"), newcomer.url
    assert newcomer.locator("main input[name=password2]").count() == 0  # one field is enough
    newcomer.fill("main input[name=password1]", NEW_PASSWORD)
    submit(newcomer, "form:has(input[name=password1])")
    # Choosing the password signs the new expert in: no dead end, no second sign-in.
    assert_at(newcomer, live_server, reverse("engagements:expert-home"), language)
    assert translated(language, "Your password was saved.") in messages_text(newcomer)
    assert "Aava" in newcomer.locator("main h1").inner_text()

    # The link worked once.
    used = page(language)
    visit(used, key_path)
    assert used.locator("main input[name=password1]").count() == 0


# 3. The coordinator's registry pages ---------------------------------------------------------------


@pytest.mark.parametrize("language", ["fi"])
def test_coordinator_registry_and_guardian_consent(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    coordinator: User,
    expert: ExpertProfile,
    other_expert: ExpertProfile,
    make_expert: Callable[..., ExpertProfile],
) -> None:
    expert.give_consent(ConsentPurpose.REGISTRY)
    expert.give_consent(ConsentPurpose.CONTACT)
    minor = make_expert("nuori@example.test", display_name="Pihla", birth_year=timezone.localdate().year - 16)
    minor.give_consent(ConsentPurpose.REGISTRY)
    minor.give_consent(ConsentPurpose.CONTACT)
    tab = page(language)

    sign_in(tab, live_server, coordinator.email, PASSWORD, totp=True)
    assert_at(tab, live_server, reverse("engagements:coordinator-home"), language)
    visit(tab, reverse("engagements:coordinator-home"))

    expert_list = reverse("experts:expert-list")
    visit(tab, expert_list)
    listed = tab.locator("main tbody td:first-child a")
    assert sorted(listed.all_inner_texts()) == ["Kaisla", "Pihla", "Tuuli"]

    # Youth whose consents are not in order, picked in the folded filter form: the minor, who has no
    # guardian's consent yet.
    filters = tab.locator("main details.filters")
    assert filters.get_attribute("open") is None
    filters.locator("summary").click()
    tab.select_option("main #id_kind", ExpertProfile.Kind.YOUTH.value)
    tab.select_option("main #id_consent", "missing")
    submit(tab, "form.filter-form")
    assert tab.url.startswith(f"{live_server.url}{expert_list}?"), tab.url
    assert filters.get_attribute("open") is not None
    assert tab.input_value("main #id_kind") == ExpertProfile.Kind.YOUTH.value
    assert listed.all_inner_texts() == ["Pihla"]
    assert tab.locator("main tbody .badge").count() == 1

    follow(tab, f"a[href='{reverse('experts:expert', args=[minor.pk])}']")
    assert_at(tab, live_server, reverse("experts:expert", args=[minor.pk]), language)
    assert tab.locator("main h1").inner_text() == "Pihla"
    guardian_form = form_for("experts:guardian-consent", minor.pk)
    assert tab.locator(f"main {guardian_form}").count() == 1
    assert minor.guardian_consent() is None

    given_on = timezone.localdate() - dt.timedelta(days=2)
    tab.fill("main #id_guardian_name", "Maija Esimerkki")
    tab.fill("main #id_relation", "äiti")
    tab.fill("main #id_email", "maija@example.test")
    tab.fill("main #id_method", "allekirjoitettu lomake")
    tab.check("main input[name=notice][value=paper]")
    tab.fill("main #id_given_on", given_on.isoformat())
    submit(tab, guardian_form)
    assert_at(tab, live_server, reverse("experts:expert", args=[minor.pk]), language)
    assert translated(language, "The guardian's consent was recorded.") in messages_text(tab)
    assert "Maija Esimerkki" in tab.locator("main").inner_text()

    record = minor.guardian_consent()
    assert record is not None
    assert (record.guardian_name, record.guardian_relation, record.guardian_method) == (
        "Maija Esimerkki",
        "äiti",
        "allekirjoitettu lomake",
    )
    assert timezone.localdate(record.at) == given_on
    assert minor.is_consent_current()

    # Now nobody is missing a consent.
    visit(tab, f"{expert_list}?kind=youth&consent=missing")
    assert listed.count() == 0
