"""A material review's whole journey in a real browser at 360 px, in Finnish and Swedish.

1. A unit member asks for a review (deadline, estimated hours) and attaches the material.
2. The coordinator takes it into matching and offers it; the expert accepts; the coordinator confirms.
3. The expert reviews on a phone: opens the work space from the offers, writes numbered comments tied
   to places in the material (a draft survives a reload, kept as one types), and submits. In Swedish
   the phone runs without JavaScript: everything works with plain forms.
4. The coordinator sees the progress on the overview.
5. The unit reads the comments under the expert's display name only, asks one question, marks what
   was adopted and downloads the comments as a Word document that python-docx opens.
6. The expert answers the question and sees what came of the comments.

Every page is opened with `visit`, `submit` or `follow`, so each one is checked with axe, for
sideways scrolling and for a single <h1>.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.db.models import TextChoices
from django.urls import reverse
from django.utils import timezone, translation
from docx import Document

from engagements.models import Adoption, Assignment, Request, ReviewComment
from engagements.reviews import DOCX_TYPE
from experts.models import Language
from tests.browser.conftest import PageFactory, follow, form_for, sign_in, submit, translated, visit
from tests.conftest import PASSWORD, ready_expert
from tests.test_attachments import docx_bytes

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from experts.models import ExpertProfile
    from registry.models import User

pytestmark = pytest.mark.browser

TITLE = "Arvioinnin toimintakortit selkokielelle"
PURPOSE = "Haluamme, että nuoret ymmärtävät, mitä arvioinnissa tapahtuu."
TASK = "Lue kortit. Onko kieli ymmärrettävää? Mikä kohta hämmentää?"
FIRST = ("Kortti 2, otsikko", "Sana 'arviointi' kuulostaa tuomitsevalta. Ehdotan: 'katsotaan yhdessä'.")
SECOND = ("Kortti 4", "Liian pitkiä lauseita; jakaisin kolmeen.")
QUESTION = "Mitä muita sanoja ehdottaisit?"
ANSWER = "Vaikkapa 'tutustuminen'."
WHY = "Uudet kortit käyttöön maaliskuusta."


def link_to(url_name: str, *args: object) -> str:
    return f"a[href='{reverse(url_name, args=args)}']"


def label(language: str, choice: TextChoices) -> str:
    with translation.override(language):
        return str(choice.label)


def assert_at(page: Page, live_server: LiveServer, path: str) -> None:
    assert page.url.split("#")[0] == f"{live_server.url}{path}", f"expected {path}, got {page.url}"


def messages_text(page: Page) -> str:
    return page.locator("main .messages").inner_text()


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_review_from_request_to_what_was_adopted(
    page: PageFactory,
    live_server: LiveServer,
    language: str,
    unit_member: User,
    coordinator: User,
    expert: ExpertProfile,
) -> None:
    ready_expert(expert, role="material_reviewer")
    expert.phone = "+358 40 765 4321"
    expert.save()
    expert.give_consent("direct_contact")
    deadline = timezone.localdate() + dt.timedelta(days=14)

    # 1. The unit asks for a review and attaches the material. --------------------------------------
    desk = page(language)
    sign_in(desk, live_server, unit_member.email, PASSWORD)
    follow(desk, link_to("engagements:request-create"))
    desk.select_option("main #id_type", "material_review")
    desk.fill("main #id_title", TITLE)
    desk.fill("main #id_purpose", PURPOSE)
    desk.fill("main #id_task", TASK)
    desk.fill("main #id_audience", "Nuoret ja perheet")
    desk.fill("main #id_experts_needed", "1")
    desk.check(f"main input[name=languages][value='{Language.objects.get(code='fi').pk}']")
    desk.check(f"main input[name=format][value='{Request.Format.REMOTE}']")
    desk.fill("main #id_deadline", deadline.isoformat())
    desk.fill("main #id_estimated_hours", "3")
    desk.fill("main #id_contact_name", "Sari")
    desk.fill("main #id_contact_email", unit_member.email)
    submit(desk, form_for("engagements:request-create"))
    obj = Request.objects.get(title=TITLE)
    assert obj.is_review and obj.deadline == deadline
    desk.set_input_files(
        "main #id_file", files=[{"name": "Toimintakortit.docx", "mimeType": DOCX_TYPE, "buffer": docx_bytes()}]
    )
    submit(desk, form_for("engagements:attachment-upload", obj.pk))
    assert obj.attachments.count() == 1

    # 2. The coordinator matches; the expert accepts; the coordinator confirms. -----------------------
    office = page(language)
    sign_in(office, live_server, coordinator.email, PASSWORD, totp=True)
    visit(office, reverse("engagements:coordinator-request", args=[obj.pk]))
    submit(office, form_for("engagements:take", obj.pk))
    office.check(f"main #cand-{expert.pk}")
    submit(office, form_for("engagements:make-offers", obj.pk))
    assignment = Assignment.objects.get(request=obj)

    # In Swedish the expert's phone has no JavaScript at all.
    scripted = language == "fi"
    phone = page(language, java_script_enabled=scripted)
    sign_in(phone, live_server, expert.user.email, PASSWORD)
    visit(phone, reverse("engagements:offer", args=[assignment.pk]))
    submit(phone, form_for("engagements:offer-accept", assignment.pk))
    visit(office, reverse("engagements:coordinator-request", args=[obj.pk]))
    submit(office, form_for("engagements:confirm", assignment.pk))
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CONFIRMED

    # 3. The expert reviews on the phone. ----------------------------------------------------------
    workspace = reverse("engagements:review", args=[assignment.pk])
    visit(phone, reverse("engagements:my-offers"))
    follow(phone, link_to("engagements:review", assignment.pk))
    assert_at(phone, live_server, workspace)
    material = phone.locator("main section[aria-labelledby=material-heading]").inner_text()
    assert TASK in material and "Toimintakortit.docx" in material
    if scripted:
        # A draft is kept as one types: a reload (a lost connection, a closed tab) loses nothing.
        phone.fill("main #id_text", FIRST[1])
        phone.reload()
        assert phone.input_value("main #id_text") == FIRST[1]
    for anchor, text in (FIRST, SECOND):
        phone.fill("main #id_anchor", anchor)
        phone.fill("main #id_text", text)
        submit(phone, f"{form_for('engagements:review', assignment.pk)}")
        assert_at(phone, live_server, workspace)
    assert list(assignment.review_comments.values_list("number", "anchor", "text")) == [(1, *FIRST), (2, *SECOND)]
    if scripted:
        assert phone.input_value("main #id_text") == ""  # the saved draft is not put back
    comments = phone.locator("main section[aria-labelledby=comments-heading]").inner_text()
    assert FIRST[1] in comments and SECOND[1] in comments
    submit(phone, form_for("engagements:review-submit", assignment.pk))
    assert translated(language, "Thank you! Your review was sent to the unit.") in messages_text(phone)
    assert phone.locator(f"main {form_for('engagements:review', assignment.pk)}").count() == 0

    # 4. The coordinator sees the progress. --------------------------------------------------------
    visit(office, reverse("engagements:overview"))
    progress = office.locator("main section#reviews").inner_text()
    assert expert.display_name in progress and translated(language, "Submitted") in progress

    # 5. The unit reads, asks and marks. ------------------------------------------------------------
    visit(desk, reverse("engagements:unit-request", args=[obj.pk]))
    follow(desk, link_to("engagements:unit-review", obj.pk))
    text = desk.locator("main").inner_text()
    assert expert.display_name in text and FIRST[1] in text and SECOND[1] in text
    html = desk.content()
    assert expert.user.email not in html and expert.phone not in html
    first, second = assignment.review_comments.order_by("number")
    desk.locator(f"main #comment-{first.pk} details > summary").click()
    desk.fill(f"main #id_q{first.pk}-question", QUESTION)
    submit(desk, form_for("engagements:review-question", first.pk))
    for comment, outcome in ((first, Adoption.ADOPTED), (second, Adoption.NOT_ADOPTED)):
        desk.check(f"main input[name=d{comment.pk}-adoption][value={outcome}]")
        if comment == first:
            desk.fill(f"main #id_d{comment.pk}-adoption_note", WHY)
        submit(desk, form_for("engagements:review-adoption", comment.pk))
    first.refresh_from_db()
    assert (first.question, first.adoption, first.adoption_note) == (QUESTION, Adoption.ADOPTED, WHY)
    with desk.expect_download() as info:
        desk.locator(f"main {link_to('engagements:unit-review-docx', obj.pk)}").click()
    path = info.value.path()
    assert path is not None
    document = "\n".join(paragraph.text for paragraph in Document(str(path)).paragraphs)
    assert FIRST[1] in document and QUESTION in document and expert.display_name in document
    assert expert.user.email not in document

    # 6. The expert answers and sees what came of the comments. -------------------------------------
    visit(phone, workspace)
    submit_answer = form_for("engagements:review-answer", assignment.pk, first.pk)
    phone.fill(f"main #id_a{first.pk}-answer", ANSWER)
    submit(phone, submit_answer)
    assert ReviewComment.objects.get(pk=first.pk).answer == ANSWER
    outcome = phone.locator("main section[aria-labelledby=outcome-heading]").inner_text()
    assert "1/2" in outcome or "1 av 2" in outcome
    assert WHY in phone.locator(f"main #comment-{first.number}").inner_text()
    assert label(language, Adoption.ADOPTED) in phone.locator(f"main #comment-{first.number}").inner_text()
