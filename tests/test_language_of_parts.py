"""Language of parts (WCAG 3.1.2): what people write is stored with the language they wrote it in
(the language of the page they wrote it on), and pages in another language mark it with `lang`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from engagements.models import Assignment, ImpactNote, Request
from engagements.notifications import Notification
from experts.models import EngagementRole
from tests.test_request_lifecycle import request_form_data

pytestmark = pytest.mark.django_db


def has_marked(html: str, language: str, text: str) -> bool:
    """`text` sits in an element with lang="language"."""
    return re.search(rf'lang="{language}"[^>]*>\s*{re.escape(text)}', html) is not None


def test_a_request_keeps_the_language_it_was_written_in(client: Any, unit_member: Any, unit: Any) -> None:
    client.cookies["django_language"] = "sv"
    client.force_login(unit_member)
    response = client.post(reverse("engagements:request-create"), request_form_data(unit, title="Paneldiskussion"))
    assert response.status_code == 302
    assert Request.objects.get().text_language == "sv"


def test_rewriting_the_texts_takes_the_writers_language(client: Any, unit_member: Any, unit: Any) -> None:
    client.force_login(unit_member)
    client.cookies["django_language"] = "sv"
    client.post(reverse("engagements:request-create"), request_form_data(unit, title="Paneldiskussion"))
    req = Request.objects.get()
    edit = reverse("engagements:request-edit", args=[req.pk])
    client.cookies["django_language"] = "fi"
    # A number changed on a Finnish page leaves the Swedish texts Swedish …
    client.post(edit, request_form_data(unit, title="Paneldiskussion", audience_size="50"))
    req.refresh_from_db()
    assert (req.audience_size, req.text_language) == (50, "sv")
    # … a rewritten title makes them Finnish.
    client.post(edit, request_form_data(unit, title="Paneelikeskustelu", audience_size="50"))
    req.refresh_from_db()
    assert req.text_language == "fi"


@pytest.mark.parametrize("url_name", ["engagements:coordinator-request", "engagements:inbox"])
def test_coordinator_pages_mark_a_swedish_title_on_a_finnish_page(
    client: Any, coordinator: Any, make_request: Any, url_name: str
) -> None:
    req = make_request(title="Paneldiskussion om familjehem", text_language="sv")
    client.force_login(coordinator)
    url = reverse(url_name, args=[req.pk]) if url_name.endswith("request") else reverse(url_name)
    client.cookies["django_language"] = "fi"
    assert has_marked(client.get(url).content.decode(), "sv", "Paneldiskussion om familjehem")
    # On a Swedish page the title is in the page's language: no markup.
    client.cookies["django_language"] = "sv"
    html = client.get(url).content.decode()
    assert "Paneldiskussion om familjehem" in html and 'lang="sv">Paneldiskussion' not in html


def test_texts_of_unknown_language_are_not_marked(client: Any, coordinator: Any, make_request: Any) -> None:
    req = make_request(title="Vanha pyyntö", text_language="")
    client.force_login(coordinator)
    client.cookies["django_language"] = "sv"
    html = client.get(reverse("engagements:coordinator-request", args=[req.pk])).content.decode()
    assert "<h1>Vanha pyyntö</h1>" in html


def test_the_purpose_and_task_are_marked_for_the_expert(client: Any, expert: Any, make_request: Any) -> None:
    req = make_request(text_language="fi")
    assignment = Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="offered",
        offer_expires_at=timezone.now() + dt.timedelta(days=2),
    )
    client.force_login(expert.user)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("engagements:offer", args=[assignment.pk])).content.decode()
    assert has_marked(html, "fi", req.title)
    assert re.search(r'<p class="free-text" lang="fi">\s*Haluamme kuulla', html)


def test_an_experts_introduction_keeps_its_language(client: Any, expert: Any, coordinator: Any) -> None:
    client.force_login(expert.user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("experts:profile"))
    form = page.context["form"]
    # The form as it is, with the introduction written (and the one required language ticked).
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, "", [])}
    data.update({"bio": "I grew up in a foster family.", "languages": [str(form.fields["languages"].queryset[0].pk)]})
    response = client.post(reverse("experts:profile"), data)
    assert response.status_code == 302, response.context["form"].errors
    expert.refresh_from_db()
    assert expert.bio_language == "en"
    client.force_login(coordinator)
    client.cookies["django_language"] = "fi"
    html = client.get(reverse("experts:expert", args=[expert.pk])).content.decode()
    assert '<p class="free-text" lang="en">I grew up in a foster family.</p>' in html


def test_notifications_and_their_emails_mark_the_title(
    client: Any, unit_member: Any, make_request: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    coordinator.preferred_language = "fi"
    coordinator.save()
    req = make_request(status="draft", title="Workshop on aftercare", text_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        req.submit(by=unit_member)
    assert Notification.objects.filter(user=coordinator).exists()
    client.force_login(coordinator)
    client.cookies["django_language"] = "fi"
    assert has_marked(client.get(reverse("engagements:notifications")).content.decode(), "en", "Workshop on aftercare")
    message = next(m for m in mail.outbox if m.to == [coordinator.email])
    html = message.alternatives[0][0]
    assert '<html lang="fi">' in html
    # E-mails say only what happened (docs/privacy.md): the title stays behind sign-in.
    assert "Workshop on aftercare" not in html


def test_the_impact_note_is_marked_for_the_experts(client: Any, expert: Any, make_request: Any) -> None:
    req = make_request(status="completed", text_language="fi")
    Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status="attended",
        offer_expires_at=timezone.now(),
    )
    ImpactNote.objects.create(request=req, text="Vi ändrade vår praxis.", language="sv")
    client.force_login(expert.user)
    client.cookies["django_language"] = "fi"
    html = client.get(reverse("engagements:history")).content.decode()
    assert re.search(r'<p class="free-text" lang="sv">\s*Vi ändrade vår praxis.', html)


def test_marked_text_is_still_escaped() -> None:
    template = Template("{% load a11y %}{{ text|in_language:'sv' }}|{{ text|linebreaksbr|in_language:'sv' }}")
    with translation.override("fi"):
        out = template.render(Context({"text": "<b>x</b>\ny"}))
    assert out == '<span lang="sv">&lt;b&gt;x&lt;/b&gt;\ny</span>|<span lang="sv">&lt;b&gt;x&lt;/b&gt;<br>y</span>'
