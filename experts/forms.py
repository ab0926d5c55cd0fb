from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from experts.models import (
    WEEKDAYS,
    Application,
    AvailabilityException,
    EngagementRole,
    ExpertProfile,
    Language,
    PartOfDay,
    Theme,
    Training,
    availability_bit,
)
from experts.photos import reencode_photo
from registry.forms import without_blank_radio
from registry.models import Municipality, Region, Unit


def _checkboxes(queryset: Any, label: Any, required: bool = False) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=queryset, label=label, required=required, widget=forms.CheckboxSelectMultiple
    )


def _validate_birth_year(year: int | None, *, required: bool) -> int | None:
    if year is None:
        if required:
            raise ValidationError(_("Please give your birth year."), code="required")
        return None
    this_year = timezone.localdate().year
    if year > this_year - 12:
        raise ValidationError(_("Experts must be at least 12 years old."), code="too_young")
    if year < this_year - 100:
        raise ValidationError(_("Please check the birth year."), code="too_old")
    return year


class ApplicationForm(forms.ModelForm):
    """The public "become an expert" form."""

    # A field people never see; bots fill every field they find.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    languages = _checkboxes(Language.objects.all(), _("Languages I can use"), required=True)
    roles = _checkboxes(EngagementRole.objects.all(), _("What I would like to do"))
    privacy = forms.BooleanField(
        label=_("I have read the privacy notice and I know how my data is used."),
        error_messages={"required": _("Please read and acknowledge the privacy notice.")},
    )

    class Meta:
        model = Application
        fields = ["name", "email", "phone", "kind", "birth_year", "region", "languages", "roles", "message"]
        widgets = {"kind": forms.RadioSelect, "message": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "name": _("Your own name. Units will not see it."),
            "phone": _("Optional. Some people prefer a phone call or a text message."),
            "birth_year": _("Under 18s are welcome; we will also ask your guardian for consent."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.all()
        self.fields["region"].empty_label = _("Choose a wellbeing area")
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric"})
        without_blank_radio(self)

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise ValidationError(_("Please leave this field empty."), code="honeypot")
        return ""

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_birth_year(self) -> int | None:
        return _validate_birth_year(self.cleaned_data.get("birth_year"), required=True)


class ApplicationNoteForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ["coordinator_note"]
        widgets = {"coordinator_note": forms.Textarea(attrs={"rows": 4})}


class RejectApplicationForm(forms.Form):
    message = forms.CharField(
        label=_("A personal message to the applicant (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ProfileForm(forms.ModelForm):
    languages = _checkboxes(Language.objects.all(), _("Languages I can use"), required=True)
    travel_regions = _checkboxes(Region.objects.all(), _("Wellbeing areas I can travel to"))
    themes = _checkboxes(Theme.objects.all(), _("Themes from my own experience"))
    avoid_topics = _checkboxes(Theme.objects.all(), _("Topics I do not want to talk about"))
    roles = _checkboxes(EngagementRole.objects.all(), _("What I would like to do"))

    class Meta:
        model = ExpertProfile
        fields = [
            "display_name",
            "kind",
            "birth_year",
            "birth_month",
            "phone",
            "languages",
            "home_region",
            "travel_regions",
            "remote_ok",
            "themes",
            "avoid_topics",
            "roles",
            "bio",
            "compensation",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "compensation": forms.RadioSelect,
            "bio": forms.Textarea(attrs={"rows": 4}),
            "birth_month": forms.Select(choices=[("", "–"), *[(m, str(m)) for m in range(1, 13)]]),
        }
        help_texts = {
            "bio": _("What units see about you when you are confirmed to their request."),
            "compensation": _("A fee can affect some benefits. If unsure, ask the coordinator."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["home_region"].queryset = Region.objects.all()
        self.fields["avoid_topics"].help_text = _("The coordinator will not offer you engagements on these topics.")
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric"})
        without_blank_radio(self)

    def clean_birth_year(self) -> int | None:
        return _validate_birth_year(self.cleaned_data.get("birth_year"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        overlap = set(data.get("themes") or []) & set(data.get("avoid_topics") or [])
        if overlap:
            self.add_error(
                "avoid_topics",
                _("A topic cannot be both one you talk about and one you avoid: %(topics)s.")
                % {"topics": ", ".join(str(t) for t in overlap)},
            )
        return data


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP, at most 5 MB. We remove location and camera details from the file."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_photo(self) -> Any:
        return reencode_photo(self.cleaned_data["photo"])


class AvailabilityForm(forms.ModelForm):
    """Weekly pattern as 21 checkboxes (weekday × part of day), plus a break and a monthly cap."""

    class Meta:
        model = ExpertProfile
        fields = ["pause_until", "monthly_cap"]
        widgets = {"pause_until": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "pause_until": _("Leave empty if you are not on a break."),
            "monthly_cap": _("Leave empty for no limit."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slot_names: list[list[str]] = []
        for weekday, day_label in enumerate(WEEKDAYS):
            row = []
            for part, part_label in PartOfDay.choices:
                name = f"slot_{weekday}_{part}"
                self.fields[name] = forms.BooleanField(
                    label=f"{day_label}: {part_label}",
                    required=False,
                    initial=self.instance.is_available(weekday, part),
                )
                row.append(name)
            self.slot_names.append(row)
        self.fields["monthly_cap"].widget.attrs.update({"min": 1, "max": 31, "inputmode": "numeric"})

    def grid(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(WEEKDAYS[i], [self[name] for name in row]) for i, row in enumerate(self.slot_names)]

    def clean_pause_until(self) -> dt.date | None:
        day = self.cleaned_data.get("pause_until")
        if day and day < timezone.localdate():
            raise ValidationError(_("The date of the break is in the past."), code="past")
        return day

    def clean_monthly_cap(self) -> int | None:
        cap = self.cleaned_data.get("monthly_cap")
        if cap is not None and not 1 <= cap <= 31:
            raise ValidationError(_("Give a number from 1 to 31, or leave it empty."), code="range")
        return cap

    def save(self, commit: bool = True) -> ExpertProfile:
        bits = 0
        for weekday, row in enumerate(self.slot_names):
            for part, name in enumerate(row):
                if self.cleaned_data.get(name):
                    bits |= availability_bit(weekday, part)
        self.instance.weekly_availability = bits
        return super().save(commit)


class AwayForm(forms.ModelForm):
    class Meta:
        model = AvailabilityException
        fields = ["start_date", "end_date", "note"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"start_date": _("Away from"), "end_date": _("Away until")}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date is before the start date."))
        if end and end < timezone.localdate():
            self.add_error("end_date", _("The period is already over."))
        return data


class GuardianConsentForm(forms.Form):
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=120)
    relation = forms.CharField(
        label=_("Relation to the expert"),
        max_length=80,
        help_text=_("For example mother, father or a social worker acting as guardian."),
    )
    method = forms.CharField(
        label=_("How the consent was given"), max_length=120, help_text=_("For example a signed form or a phone call.")
    )
    given_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_given_on(self) -> dt.date:
        day = self.cleaned_data["given_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date is in the future."), code="future")
        return day


class ExpertStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ExpertProfile.Status.choices)


class TrainingsForm(forms.ModelForm):
    trainings = _checkboxes(Training.objects.all(), _("Trainings completed"))

    class Meta:
        model = ExpertProfile
        fields = ["trainings"]


class ExclusionsForm(forms.ModelForm):
    """Conflicts of interest: units and municipalities the expert must never be sent to (e.g. where
    they are or were a client, or where a relative works). Matching excludes them."""

    avoid_units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.select_related("organisation").order_by("organisation__name", "name"),
        label=_("Units never to be sent to"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    avoid_municipalities = forms.ModelMultipleChoiceField(
        queryset=Municipality.objects.order_by("name"),
        label=_("Municipalities never to be sent to"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ExpertProfile
        fields = ["avoid_units", "avoid_municipalities"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The organisation tells apart units with the same name.
        self.fields["avoid_units"].label_from_instance = lambda unit: f"{unit.name} ({unit.organisation.name})"


class CoordinatorNotesForm(forms.ModelForm):
    class Meta:
        model = ExpertProfile
        fields = ["coordinator_notes"]
        widgets = {"coordinator_notes": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"coordinator_notes": _("Only coordinators see these notes. The expert can download them.")}


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, I understand"), error_messages={"required": _("Please tick the box to confirm.")}
    )
