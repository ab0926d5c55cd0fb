from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from registry.models import AccessibilityFeedback, Role


class RoleSwitchForm(forms.Form):
    role = forms.ChoiceField(label=_("Act as"), choices=Role.choices)

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the roles this user really has are valid choices.
        self.fields["role"].choices = [(role.value, role.label) for role in roles]


class AccessibilityFeedbackForm(forms.ModelForm):
    """The public form the accessibility statement offers."""

    # A field people never see; bots fill every field they find.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    class Meta:
        model = AccessibilityFeedback
        fields = ["message", "page", "name", "email"]
        widgets = {"message": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "message": _(
                "What did you try to do, and what went wrong? You can also ask for the content in another form."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise ValidationError(_("Please leave this field empty."), code="honeypot")
        return ""


class FeedbackAnswerForm(forms.Form):
    note = forms.CharField(
        label=_("How it was answered"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: answered by e-mail on 3 March; the fix is on the list of known problems."),
    )
