"""Template helpers for what assistive technology needs: error summaries that link to their
fields, required-field markers, and the language of text people wrote themselves."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms, template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


@dataclass
class ErrorLink:
    target: str  # the id of the control to move to; empty for errors of the whole form
    label: str
    message: str

    @property
    def text(self) -> str:
        if not self.label:
            return self.message
        # "Name: This field is required." – but a label that ends a sentence gets no colon.
        separator = " " if self.label.rstrip()[-1:] in ".:?!" else ": "
        return f"{self.label.rstrip()}{separator}{self.message}"


def _control_id(field: forms.BoundField) -> str:
    """The id of the first control of a field: the input itself, or the first box of a group of
    radio buttons or checkboxes (a link to it puts the cursor in the group)."""
    if field.field.widget.is_hidden:
        return ""
    if field.use_fieldset:
        subwidgets = field.subwidgets
        return subwidgets[0].id_for_label if subwidgets else field.auto_id or ""
    return field.id_for_label or field.auto_id or ""


@register.filter
def error_links(form: forms.BaseForm | None) -> list[ErrorLink]:
    """Every error of `form`, in field order, each with the id of the control it belongs to."""
    if form is None or not form.errors:
        return []
    links = [ErrorLink("", "", str(message)) for message in form.non_field_errors()]
    for field in form:  # hidden fields too: their errors are listed, without a link
        for message in field.errors:
            links.append(ErrorLink(_control_id(field), str(field.label or field.name), str(message)))
    return links


def _has_required_attribute(field: forms.BoundField) -> bool:
    widget = field.field.widget
    return bool(
        field.field.required and field.form.use_required_attribute and widget.use_required_attribute(field.initial)
    )


@register.filter
def required_marker(field: forms.BoundField) -> SafeString:
    """A visible "(required)" after a required field's label. Where the control itself carries
    `required` (and so announces it), the words are hidden from screen readers to avoid hearing
    "required" twice; for a group of checkboxes, which has no such attribute, they are read out."""
    if not field.field.required:
        return SafeString("")
    hidden = ' aria-hidden="true"' if _has_required_attribute(field) else ""
    return format_html('<span class="required-marker"{}> ({})</span>', SafeString(hidden), _("required"))


@register.filter
def marked_label(field: forms.BoundField) -> SafeString:
    """The field's <label> (or <legend> for a group) with the required marker inside it."""
    contents = format_html("{}{}", field.label, required_marker(field))
    if field.use_fieldset:
        return field.legend_tag(contents=contents)
    return field.label_tag(contents=contents)


def lang_attribute(language: str | None) -> SafeString:
    """` lang="sv"` when a text written in `language` is shown on a page in another language
    (WCAG 3.1.2); nothing when the languages agree or the text's language is unknown."""
    if not language:
        return SafeString("")
    page_language = (get_language() or "")[:2]
    if language[:2] == page_language:
        return SafeString("")
    return format_html(' lang="{}"', language)


@register.simple_tag
def lang_attr(language: str | None) -> SafeString:
    """For an element that holds only the text: `<h1{% lang_attr obj.text_language %}>`."""
    return lang_attribute(language)


@register.filter(needs_autoescape=True)
def in_language(text: object, language: str | None, autoescape: bool = True) -> SafeString:
    """The text, wrapped in `<span lang="…">` when its language differs from the page's:
    `{{ obj.title|in_language:obj.text_language }}`. Works on the output of linebreaksbr too."""
    content = conditional_escape(text) if autoescape else SafeString(str(text))  # type: ignore[arg-type]  # Django escapes any object; the stubs take only str
    attribute = lang_attribute(language)
    if not attribute:
        return SafeString(content)
    return format_html("<span{}>{}</span>", attribute, content)
