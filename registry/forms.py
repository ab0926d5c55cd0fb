from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordKeyForm
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from registry.models import AccessibilityFeedback, ApiScope, Region, Role, StaffRole


class RoleSwitchForm(forms.Form):
    role = forms.ChoiceField(label=_("Act as"), choices=Role.choices)

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the roles this user really has are valid choices.
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(role.value, role.label) for role in roles]


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


class LoginForm(AllauthLoginForm):
    """allauth's login, where "remember me" on one's own phone keeps an expert or a unit member
    signed in for REMEMBER_ME_DAYS, so that the next offer is one tap away. Staff, who sign in with
    a second factor and see many people's data, keep the normal session length."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in on this device")
            self.fields["remember"].help_text = _(
                "Only on your own phone or computer. You stay signed in for %(days)s days."
            ) % {"days": settings.REMEMBER_ME_DAYS}

    def login(self, request: HttpRequest, redirect_url: str | None = None) -> HttpResponse:
        response = super().login(request, redirect_url)
        user = getattr(self, "user", None)
        if self.cleaned_data.get("remember") and user is not None and not user.requires_mfa():
            request.session.set_expiry(settings.REMEMBER_ME_DAYS * 24 * 60 * 60)
        return response


class SetPasswordForm(ResetPasswordKeyForm):
    """Setting a password from an invitation or reset link: one field is enough (the person can
    always use the link again or reset the password), and the page needs one interaction less."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["password2"]
        self.fields["password1"].label = _("Choose a password")


def without_blank_radio(form: forms.BaseForm) -> None:
    """A model field with choices and no default gets Django's "---------" choice, which a radio
    list shows (and checks) as if it were an answer. A radio list needs no blank: nothing is
    checked until the person chooses, and a required field says so."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.RadioSelect) and isinstance(field, forms.ChoiceField):
            current: Iterable[Any] = field.choices  # type: ignore[assignment]  # reads give normalised pairs; the stubs add the setter's input types
            field.choices = [choice for choice in current if choice[0] not in ("", None)]


class StaffRoleForm(forms.Form):
    """A coordinator's or manager's role and scope: one wellbeing area, or the whole area."""

    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("Someone without an account gets a link to set a password (and then sets up two-factor sign-in)."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=StaffRole.Kind.choices, widget=forms.RadioSelect)
    region = forms.ModelChoiceField(
        label=_("Wellbeing area"),
        queryset=Region.objects.all(),
        required=False,
        empty_label=_("The whole cooperation area"),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class ApiTokenForm(forms.Form):
    """A personal access token: a name to recognise it by, what it may do (only what its owner may)
    and until when (at most a year)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where the token is used, e.g. “Reporting in Power BI”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the token may do"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        help_text=_("At most a year from today."),
        # ISO, as a date input shows it (a localised "1.3.2027" would leave the field empty).
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, user: Any, today: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = ApiScope.allowed_for(user)
        scopes = self.fields["scopes"]
        assert isinstance(scopes, forms.MultipleChoiceField)
        scopes.choices = [(value, label) for value, label in ApiScope.choices if value in allowed]
        self.today = today
        self.fields["expires_on"].initial = today + dt.timedelta(days=90)

    def clean_expires_on(self) -> dt.date:
        day = self.cleaned_data["expires_on"]
        if day <= self.today:
            raise ValidationError(_("Choose a day after today."))
        if day > self.today + dt.timedelta(days=365):
            raise ValidationError(_("A token can be valid for at most a year."))
        return day
