"""Forms (WCAG 3.3.1, 3.3.2, 1.3.1): required fields are marked in words and with `required`, and
every form shows one error summary, through one include, that links to each field with an error.
(That the summary takes the focus is checked in a browser: tests/browser/test_focus_and_status.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from registry.templatetags.a11y import error_links

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def test_required_fields_are_marked_in_words_and_with_the_attribute(client: Any, unit_member: Any) -> None:
    client.force_login(unit_member)
    html = client.get(reverse("engagements:request-create")).content.decode()
    # A text field: the words are visible, the control announces "required" itself.
    marker = r'<span class="required-marker" aria-hidden="true"> \(pakollinen\)'
    assert re.search(rf'<label for="id_title">[^<]*{marker}', html)
    assert re.search(r'<input type="text" name="title"[^>]* required[^>]*id="id_title"', html)
    # A group of checkboxes has no `required` attribute, so its legend says it aloud.
    assert re.search(r'<legend>Kielet<span class="required-marker"> \(pakollinen\)</span>', html)
    # Optional fields carry no marker.
    assert not re.search(r'<label for="id_contact_phone">[^<]*<span class="required-marker"', html)


def test_empty_request_form_lists_every_error_with_a_link_to_its_field(client: Any, unit_member: Any) -> None:
    client.force_login(unit_member)
    response = client.post(reverse("engagements:request-create"), {"title": ""})
    assert response.status_code == 400
    html = response.content.decode()
    form = response.context["form"]
    summary = re.search(r'<div class="error-summary" tabindex="-1" autofocus>(.*?)</div>', html, re.S)
    assert summary is not None
    targets = re.findall(r'<a href="#([^"]+)">', summary.group(1))
    assert len(targets) == sum(len(errors) for errors in form.errors.values()) >= 9
    assert set(targets) <= ids_in(html), set(targets) - ids_in(html)
    assert "<h2>Lomakkeessa on virheitä</h2>" in summary.group(1)


def test_allauth_forms_get_the_same_summary(client: Any) -> None:
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'href="#id_login"' in html and 'href="#id_password"' in html


class _Example(forms.Form):
    name = forms.CharField(label="Name")
    kind = forms.ChoiceField(label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    topics = forms.MultipleChoiceField(
        label="Topics", choices=[("x", "X")], widget=forms.CheckboxSelectMultiple, required=False
    )
    secret = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError("Something is wrong with the whole form.")


def test_error_links_point_at_the_first_control_of_each_field() -> None:
    form = _Example(data={})
    with translation.override("en"):
        form.is_valid()
        links = [(link.target, link.text) for link in error_links(form)]
    assert links == [
        ("", "Something is wrong with the whole form."),
        ("id_name", "Name: This field is required."),
        ("id_kind_0", "Kind: This field is required."),  # the first radio button
        ("", "Secret: This field is required."),  # a hidden field has nothing to move to
    ]


def test_label_ending_a_sentence_gets_no_colon() -> None:
    class Confirm(forms.Form):
        confirm = forms.BooleanField(label="I understand.")

    form = Confirm(data={})
    with translation.override("en"):
        form.is_valid()
        assert error_links(form)[0].text == "I understand. This field is required."


def test_required_marker_is_translated() -> None:
    class Named(forms.Form):
        name = forms.CharField(label="Namn")

    template = Template("{% load a11y %}{{ form.name|marked_label }}")
    with translation.override("sv"):
        html = template.render(Context({"form": Named()}))
    marker = '<span class="required-marker" aria-hidden="true"> (obligatoriskt)</span>'
    assert html == f'<label for="id_name">Namn{marker}:</label>'


def test_every_form_in_a_template_has_the_error_summary() -> None:
    # Every Django form a template renders ({{ form }}, {{ x_form }}, form.field.as_field_group) shows
    # its errors through the one include; allauth's pages get it from templates/allauth/elements/form.html.
    rendered = re.compile(r"{{\s*((?:\w+_)?form)(?:\s*}}|\.\w+\.as_field_group)|{% for \w+ in ((?:\w+_)?form) %}")
    missing = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if "email" in path.parts:
            continue
        for match in rendered.finditer(text):
            name = match.group(1) or match.group(2)
            include = 'include "includes/form_errors.html"' + ("" if name == "form" else f" with form={name}")
            if include not in text:
                missing.append(f"{path.relative_to(TEMPLATES)}: {name}")
    assert not missing, f"forms without the error summary: {sorted(set(missing))}"


def test_radio_buttons_offer_no_empty_choice(client: Any) -> None:
    html = client.get(reverse("experts:apply")).content.decode()
    assert not re.search(r'<input type="radio" name="kind" value=""', html)
    assert 'name="kind" value="youth"' in html and 'name="kind" value="parent"' in html
