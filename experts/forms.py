from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from experts.models import (
    WEEKDAYS,
    Application,
    AvailabilityException,
    ConsentPurpose,
    ConsentRecord,
    EngagementRole,
    ExpertProfile,
    Language,
    MessageChannels,
    PartOfDay,
    Theme,
    Training,
    adult_from,
    availability_bit,
    old_enough_to_apply,
)
from experts.photos import reencode_photo
from registry.forms import without_blank_radio
from registry.models import Municipality, Region, Unit
from registry.sms import normalise_mobile


def _checkboxes(queryset: Any, label: Any, required: bool = False) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=queryset, label=label, required=required, widget=forms.CheckboxSelectMultiple
    )


MONTH_CHOICES = [("", "–"), *MONTHS.items()]


def too_young_error() -> ValidationError:
    return ValidationError(
        _(
            "Thank you for wanting to take part! Experts by experience must be at least %(age)s years old, so we "
            "cannot take your application yet. You are warmly welcome to apply when you are %(age)s. If you would "
            "like to talk to someone now, your own social worker or the school's counsellor is there for you."
        ),
        code="too_young",
        params={"age": settings.MINIMUM_AGE},
    )


def _validate_birth_year(year: int | None, *, required: bool) -> int | None:
    if year is None:
        if required:
            raise ValidationError(_("Please give your birth year."), code="required")
        return None
    this_year = timezone.localdate().year
    if year > this_year - settings.MINIMUM_AGE:
        raise too_young_error()
    if year < this_year - 100:
        raise ValidationError(_("Please check the birth year."), code="too_old")
    return year


def _validate_birth_month(month: int | None) -> int | None:
    if month is not None and not 1 <= month <= 12:
        raise ValidationError(_("Choose the month from the list."), code="invalid")
    return month


def _month_needed(year: int | None, month: int | None) -> bool:
    """Without the month a person counts as under age until the year after (the safe side), so
    ask for it whenever that could treat an adult as a minor."""
    if not year:
        return False
    return month is None and timezone.localdate() < adult_from(year, None)


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
        fields = [
            "name",
            "email",
            "phone",
            "kind",
            "birth_year",
            "birth_month",
            "region",
            "languages",
            "roles",
            "message",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "message": forms.Textarea(attrs={"rows": 5}),
            "birth_month": forms.Select(choices=MONTH_CHOICES),
        }
        help_texts = {
            "name": _("Your own name. Units will not see it."),
            "phone": _("Optional. Some people prefer a phone call or a text message."),
            "birth_year": _(
                "You can apply from the age of %(age)s. Under 18s are welcome; we will also ask your guardian "
                "for consent."
            ),
            "birth_month": _("We ask for the month only, to know when you no longer need a guardian's consent."),
            "message": _(
                "Tell about yourself, not about other people: please do not write names or details of anyone else."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region, kind = self.fields["region"], self.fields["kind"]
        assert isinstance(region, forms.ModelChoiceField) and isinstance(kind, forms.ChoiceField)
        region.queryset = Region.objects.all()
        region.empty_label = _("Choose a wellbeing area")
        # Radio buttons need no empty "---------" choice (it was ticked in advance, too).
        kind.choices = ExpertProfile.Kind.choices
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["birth_year"].help_text = self.fields["birth_year"].help_text % {"age": settings.MINIMUM_AGE}
        self.fields["birth_month"].required = True
        self.fields["birth_month"].error_messages["required"] = _("Please give your birth month.")
        without_blank_radio(self)

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise ValidationError(_("Please leave this field empty."), code="honeypot")
        return ""

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_birth_year(self) -> int | None:
        return _validate_birth_year(self.cleaned_data.get("birth_year"), required=True)

    def clean_birth_month(self) -> int | None:
        return _validate_birth_month(self.cleaned_data.get("birth_month"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        year, month = data.get("birth_year"), data.get("birth_month")
        # With the month we know: someone whose birthday may still be ahead is not yet old enough.
        if year and month and not old_enough_to_apply(year, month):
            self.add_error("birth_year", too_young_error())
        return data


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
            "birth_month": forms.Select(choices=MONTH_CHOICES),
        }
        help_texts = {
            "bio": _("What units see about you when you are confirmed to their request."),
            "compensation": _("A fee can affect some benefits. If unsure, ask the coordinator."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        home_region = self.fields["home_region"]
        assert isinstance(home_region, forms.ModelChoiceField)
        home_region.queryset = Region.objects.all()
        self.fields["avoid_topics"].help_text = _("The coordinator will not offer you engagements on these topics.")
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric"})
        without_blank_radio(self)

    def clean_birth_year(self) -> int | None:
        return _validate_birth_year(self.cleaned_data.get("birth_year"), required=False)

    def clean_birth_month(self) -> int | None:
        return _validate_birth_month(self.cleaned_data.get("birth_month"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if _month_needed(data.get("birth_year"), data.get("birth_month")):
            self.add_error(
                "birth_month",
                _(
                    "Please give your birth month too. Without it we must treat you as under 18 until the end of the "
                    "year you turn 18."
                ),
            )
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

    def grid(self) -> list[tuple[Any, list[tuple[Any, forms.BoundField]]]]:
        """Each weekday with its (part of day, checkbox) pairs."""
        parts = [label for _value, label in PartOfDay.choices]
        return [
            (WEEKDAYS[i], [(parts[j], self[name]) for j, name in enumerate(row)])
            for i, row in enumerate(self.slot_names)
        ]

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
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date is before the start date."))
        if end and end < timezone.localdate():
            self.add_error("end_date", _("The period is already over."))
        return data


class GuardianConsentForm(forms.Form):
    purposes = forms.MultipleChoiceField(
        label=_("What the guardian consented to"),
        choices=ConsentPurpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to record it for everything the young person's age needs it for."),
    )
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=120)
    relation = forms.CharField(
        label=_("Relation to the expert"),
        max_length=80,
        help_text=_("For example mother, father or a social worker acting as guardian."),
    )
    email = forms.EmailField(label=_("Guardian's e-mail address"), required=False)
    phone = forms.CharField(label=_("Guardian's phone number"), max_length=40, required=False)
    method = forms.CharField(
        label=_("How the consent was given"), max_length=120, help_text=_("For example a signed form or a phone call.")
    )
    notice = forms.ChoiceField(
        label=_("How the guardian was told about the privacy notice and their rights"),
        choices=ConsentRecord.Notice.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "A guardian has the same rights as the young person: to see the data, to have it corrected and to "
            "withdraw the consent. With e-mail, the service sends them the privacy notice now."
        ),
    )
    given_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_given_on(self) -> dt.date:
        day = self.cleaned_data["given_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date is in the future."), code="future")
        return day

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("email") and not data.get("phone"):
            self.add_error("email", _("Give the guardian's e-mail address or phone number, so they can be reached."))
        if data.get("notice") == ConsentRecord.Notice.EMAIL and not data.get("email"):
            self.add_error("notice", _("To send the privacy notice by e-mail, give the guardian's e-mail address."))
        return data


class GuardianWithdrawalForm(forms.Form):
    purpose = forms.ChoiceField(label=_("What the guardian withdrew"), choices=ConsentPurpose.choices)
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=120)
    method = forms.CharField(
        label=_("How the withdrawal was made"), max_length=120, help_text=_("For example an e-mail or a phone call.")
    )
    withdrawn_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_withdrawn_on(self) -> dt.date:
        day = self.cleaned_data["withdrawn_on"]
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


class _UnitsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        # The organisation tells apart units with the same name.
        return f"{obj.name} ({obj.organisation.name})"


class ExclusionsForm(forms.ModelForm):
    """Conflicts of interest: units and municipalities the expert must never be sent to (e.g. where
    they are or were a client, or where a relative works). Matching excludes them."""

    avoid_units = _UnitsField(
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


class CoordinatorNotesForm(forms.ModelForm):
    class Meta:
        model = ExpertProfile
        fields = ["coordinator_notes"]
        widgets = {"coordinator_notes": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "coordinator_notes": _(
                "Units and other experts never see these notes, but they are not secret from the expert: they are "
                "in the expert's own data download. Write nothing about clients or other people."
            )
        }


class MobileNumberForm(forms.Form):
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("As you usually write it, for example 040 123 4567. We send a code to it."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_mobile(self) -> str:
        # E.164 from here on, or a message that says what is wrong.
        return normalise_mobile(self.cleaned_data["mobile"])


class VerificationCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the text message"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("The code is six digits.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


class MessageChannelsForm(forms.ModelForm):
    """E-mail, text message or both, per kind of message. Text needs a verified number."""

    class Meta:
        model = ExpertProfile
        fields = ["offer_channel", "reminder_channel", "change_channel"]
        widgets = {
            "offer_channel": forms.RadioSelect,
            "reminder_channel": forms.RadioSelect,
            "change_channel": forms.RadioSelect,
        }

    def __init__(self, *args: Any, has_number: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_number = has_number
        without_blank_radio(self)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not self.has_number:
            for name in self.Meta.fields:
                if cleaned.get(name) not in (None, MessageChannels.EMAIL):
                    self.add_error(name, _("Add and verify a mobile number first to get text messages."))
        return cleaned


class ConsentGiveForm(forms.Form):
    """The versions of the texts on the page the expert read: the consent is to those (GDPR art. 7(1))."""

    text_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    plain_version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def shown(self) -> tuple[int | None, int | None]:
        return (self.cleaned_data["text_version"], self.cleaned_data["plain_version"])


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, I understand"), error_messages={"required": _("Please tick the box to confirm.")}
    )


@dataclass(frozen=True)
class Month:
    start: dt.datetime
    end: dt.datetime
    label: str


class AccessLogFilterForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "2026-03"}),
        help_text=_("For example 2026-03. Leave empty to see every month."),
    )

    def clean_month(self) -> Month | None:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        try:
            first = dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError as exc:
            raise ValidationError(_("Give the month as year and month, for example 2026-03."), code="format") from exc
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        start = timezone.make_aware(dt.datetime.combine(first, dt.time()))
        end = timezone.make_aware(dt.datetime.combine(following, dt.time()))
        return Month(start, end, value)
