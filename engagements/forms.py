from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from engagements.models import (
    MAX_EXPERTS_PER_REQUEST,
    CalendarFeed,
    Debrief,
    ExpenseClaim,
    ExpertFeedback,
    ImpactNote,
    ProgrammeTheme,
    Request,
    RequestType,
    ReviewComment,
    UnitFeedback,
)
from experts.models import Language, Theme
from registry import uploads
from registry.forms import without_blank_radio
from registry.models import Municipality, Organisation, Unit


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]
DEFAULT_DURATION = dt.timedelta(hours=2)
# Units plan a term or two ahead; a date beyond this is a typing mistake (and year 9999 would
# overflow the arithmetic below).
FURTHEST_AHEAD = dt.timedelta(days=2 * 366)


class RequestForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=_("Starts at"), required=False, widget=DateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_INPUT_FORMATS,
        help_text=_("Empty: two hours from the start."),
    )
    themes = forms.ModelMultipleChoiceField(
        queryset=Theme.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Themes")
    )
    languages = forms.ModelMultipleChoiceField(
        queryset=Language.objects.all(), widget=forms.CheckboxSelectMultiple, label=_("Languages")
    )

    class Meta:
        model = Request
        fields = [
            "unit",
            "type",
            "title",
            "purpose",
            "task",
            "audience",
            "audience_size",
            "themes",
            "wished_kind",
            "experts_needed",
            "languages",
            "format",
            "place",
            "starts_at",
            "ends_at",
            "deadline",
            "estimated_hours",
            "preparation_meeting",
            "fee_basis",
            "contact_name",
            "contact_phone",
            "contact_email",
        ]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 4}),
            "task": forms.Textarea(attrs={"rows": 3}),
            "wished_kind": forms.RadioSelect,
            "format": forms.RadioSelect,
            "deadline": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "purpose": _(
                "Why do you want an expert by experience, and what do you hope will change? Do not write anything "
                "that could identify a client: no names, initials, ages or details of a case."
            ),
            "task": _(
                "Do not write anything that could identify a client: no names, initials, ages or details of a case. "
                "The experts offered the request read this."
            ),
            "audience": _("Who will be there? Describe groups, not individual clients."),
            "deadline": _("For a material review: when you need the comments."),
            "estimated_hours": _("For a material review: how many hours the work takes."),
            "experts_needed": _("At most 5."),
        }

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit, type_ = self.fields["unit"], self.fields["type"]
        assert isinstance(unit, forms.ModelChoiceField) and isinstance(type_, forms.ChoiceField)
        unit.queryset = units
        unit.empty_label = None
        type_.choices = [("", _("Choose the type")), *RequestType.choices]
        self.fields["experts_needed"].widget.attrs.update({"min": 1, "max": MAX_EXPERTS_PER_REQUEST})
        self.fields["audience_size"].widget.attrs.update({"min": 1})

    def clean_experts_needed(self) -> int:
        value = self.cleaned_data["experts_needed"]
        if not 1 <= value <= MAX_EXPERTS_PER_REQUEST:
            raise ValidationError(
                _("Ask for 1 to %(max)s experts."), code="range", params={"max": MAX_EXPERTS_PER_REQUEST}
            )
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        now = timezone.now()
        if data.get("type") == RequestType.MATERIAL_REVIEW:
            if not data.get("deadline"):
                self.add_error("deadline", _("A material review needs a deadline."))
            elif data["deadline"] < timezone.localdate():
                self.add_error("deadline", _("The deadline is in the past."))
            elif data["deadline"] > timezone.localdate() + FURTHEST_AHEAD:
                self.add_error("deadline", _("The date is more than two years ahead. Check the year."))
            if not data.get("estimated_hours"):
                self.add_error("estimated_hours", _("Tell us roughly how many hours the review takes."))
            elif data["estimated_hours"] <= 0:
                self.add_error("estimated_hours", _("The number of hours must be positive."))
        else:
            starts, ends = data.get("starts_at"), data.get("ends_at")
            if not starts:
                self.add_error("starts_at", _("Give the date and time the engagement starts."))
            elif starts < now:
                self.add_error("starts_at", _("The start time is in the past."))
            elif starts > now + FURTHEST_AHEAD:
                self.add_error("starts_at", _("The date is more than two years ahead. Check the year."))
                starts = None
            if not ends and starts:
                # Most visits and talks take about two hours; the worker may say otherwise.
                ends = data["ends_at"] = starts + DEFAULT_DURATION
            if starts and ends and ends <= starts:
                self.add_error("ends_at", _("The end time must be after the start time."))
            elif starts and ends and ends - starts > dt.timedelta(hours=12):
                self.add_error("ends_at", _("One engagement can last at most 12 hours."))
        if data.get("format") in (Request.Format.IN_PERSON, Request.Format.HYBRID) and not data.get("place"):
            self.add_error("place", _("Tell us where the engagement takes place."))
        return data


class ProgrammeThemeForm(forms.ModelForm):
    class Meta:
        model = Request
        fields = ["programme_theme"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        theme = self.fields["programme_theme"]
        assert isinstance(theme, forms.ChoiceField)
        theme.choices = [("", _("Not classified")), *ProgrammeTheme.choices]
        theme.help_text = _("The programme reports participants by these themes.")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Attachment"),
        help_text=_(
            "PDF, DOCX or ODT, at most 10 MB. The file, and its name, must not name or show a client: remove "
            "names and case details first."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.odt"}),
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size is None or upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                _("The file is too large. The largest allowed size is %(mb)s MB."),
                code="too_large",
                params={"mb": formats.number_format(settings.ATTACHMENT_MAX_BYTES / (1024 * 1024), decimal_pos=0)},
            )
        # By content, never by name: a PDF is rewritten without scripts, DOCX and ODT are checked.
        self.cleaned_data["clean"] = uploads.clean_upload(
            upload,
            allow=("pdf", "docx", "odt"),
            wrong_type=_("Only PDF, DOCX and ODT documents can be attached."),
        )
        return upload


class OfferForm(forms.Form):
    """The coordinator picks experts from the ranked list and sets the answer-by time."""

    experts = forms.MultipleChoiceField(label=_("Experts"), widget=forms.CheckboxSelectMultiple)
    answer_by = forms.DateTimeField(
        label=_("Answer by"), widget=DateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS
    )

    def __init__(self, *args: Any, candidates: list[Any], request_obj: Request, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_obj = request_obj
        experts = self.fields["experts"]
        assert isinstance(experts, forms.ChoiceField)
        experts.choices = [(str(c.expert.pk), c.expert.display_name) for c in candidates]
        if not self.is_bound:
            self.initial["answer_by"] = default_answer_by(request_obj)

    def clean_answer_by(self) -> dt.datetime:
        value = self.cleaned_data["answer_by"]
        if value <= timezone.now():
            raise ValidationError(_("The answer-by time is in the past."), code="past")
        window = self.request_obj.busy_window()
        if window and value >= window[0]:
            raise ValidationError(_("The answer-by time must be before the engagement starts."), code="late")
        return value


def default_answer_by(request: Request) -> dt.datetime:
    """Three days, but never later than a day before the engagement."""
    answer_by = timezone.localtime() + dt.timedelta(days=3)
    window = request.busy_window()
    if window:
        answer_by = min(answer_by, timezone.localtime(window[0]) - dt.timedelta(days=1))
    return answer_by.replace(second=0, microsecond=0)


NOT_LISTED = "not-listed"


class JoinForm(forms.Form):
    """A worker who has no account yet starts here with a work e-mail address.

    The unit is chosen from the list; only a worker who picks "my unit is not on the list" is asked
    to describe it (the page shows those fields when that option is chosen; without the stylesheet's
    help they come as a second step)."""

    MISSING_UNIT_FIELDS = ("new_organisation", "new_unit_name", "new_unit_sector", "new_unit_municipality")

    name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Work e-mail address"))
    title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    unit = forms.ChoiceField(label=_("Your unit"))
    new_organisation = forms.ModelChoiceField(
        label=_("Organisation of the missing unit"),
        queryset=Organisation.objects.all(),
        required=False,
        empty_label=_("Choose the organisation"),
    )
    new_unit_name = forms.CharField(label=_("Name of the missing unit"), max_length=200, required=False)
    new_unit_sector = forms.ChoiceField(
        label=_("Sector of the missing unit"),
        choices=[("", _("Choose the sector")), *Unit.Sector.choices],
        required=False,
    )
    new_unit_municipality = forms.ModelChoiceField(
        label=_("Municipality of the missing unit"),
        queryset=Municipality.objects.select_related("region"),
        required=False,
        empty_label=_("Choose the municipality"),
    )
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    MISSING_UNIT_ERRORS = {
        "new_organisation": _("Choose the organisation the unit belongs to."),
        "new_unit_name": _("Give the name of the unit."),
        "new_unit_sector": _("Choose the sector of the unit."),
        "new_unit_municipality": _("Choose the municipality the unit is in."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["title"].widget.attrs["autocomplete"] = "organization-title"
        # Listed units first, grouped by organisation; describing a missing unit is the last choice.
        groups: dict[str, list[tuple[str, str]]] = {}
        for unit in Unit.objects.filter(is_active=True).select_related("organisation"):
            groups.setdefault(unit.organisation.name, []).append((str(unit.pk), unit.name))
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = [
            ("", _("Choose your unit")),
            *groups.items(),
            (NOT_LISTED, _("My unit is not on the list")),
        ]
        self.describing_missing_unit = self.data.get(self.add_prefix("unit")) == NOT_LISTED
        self.asking_for_missing_unit = False

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise ValidationError(_("Please leave this field empty."), code="honeypot")
        return ""

    def clean_unit(self) -> Unit | None:
        value = self.cleaned_data["unit"]
        if value == NOT_LISTED:
            return None
        unit = Unit.objects.filter(is_active=True, pk=value).select_related("organisation").first()
        if unit is None:
            raise ValidationError(_("Choose your unit from the list."), code="invalid_choice")
        return unit

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.describing_missing_unit:
            missing = [field for field in self.MISSING_UNIT_FIELDS if not data.get(field)]
            if len(missing) == len(self.MISSING_UNIT_FIELDS) and not self.has_error("unit"):
                # The fields were not on the screen yet (no :has() support): this is the second
                # step, not a mistake, so the page asks for them without error messages.
                self.asking_for_missing_unit = True
                raise ValidationError(_("Tell us about your unit below."), code="second_step")
            for field in missing:
                self.add_error(field, self.MISSING_UNIT_ERRORS[field])
        return data


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's work e-mail address"))
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = units

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class AttendanceForm(forms.Form):
    attended = forms.TypedChoiceField(
        label=_("Attendance"),
        choices=[("yes", _("Attended")), ("no", _("Did not attend"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class UnitFeedbackForm(forms.ModelForm):
    class Meta:
        model = UnitFeedback
        fields = ["participants", "usefulness", "take_forward", "invite_again", "free_text", "share_with_experts"]
        widgets = {
            "usefulness": forms.RadioSelect,
            "take_forward": forms.Textarea(attrs={"rows": 3}),
            "free_text": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "participants": _("How many people took part? The number goes into the statistics."),
            "take_forward": _("Do not name clients or write details of a case."),
            "free_text": _("Do not name clients or write details of a case."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        without_blank_radio(self)

    def clean_participants(self) -> int:
        value = self.cleaned_data["participants"]
        if value < 1 or value > 100_000:
            raise ValidationError(_("Give the number of participants."), code="range")
        return value


class ExpertFeedbackForm(forms.ModelForm):
    class Meta:
        model = ExpertFeedback
        fields = ["how_it_went", "heard", "respected", "preparation", "free_text", "wants_debrief"]
        widgets = {
            "how_it_went": forms.RadioSelect,
            "heard": forms.RadioSelect,
            "respected": forms.RadioSelect,
            "preparation": forms.RadioSelect,
            "free_text": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "free_text": _("Only the coordinators read your feedback. The unit never sees it."),
            "wants_debrief": _("The coordinator will contact you to talk it through."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        without_blank_radio(self)


class ImpactNoteForm(forms.ModelForm):
    class Meta:
        model = ImpactNote
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "text": _(
                "What changed or was decided because of the expert's contribution? The experts who took part read "
                "this. Do not name clients or write details of a case."
            )
        }


class DebriefForm(forms.ModelForm):
    class Meta:
        model = Debrief
        fields = ["held_on", "note"]
        widgets = {"held_on": forms.DateInput(attrs={"type": "date"}), "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["held_on"].required = True

    def clean_held_on(self) -> dt.date:
        day = self.cleaned_data["held_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date is in the future."), code="future")
        return day


class ExpenseClaimForm(forms.ModelForm):
    receipt = forms.FileField(
        label=_("Receipt"),
        required=False,
        help_text=_("For a ticket: a PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    class Meta:
        model = ExpenseClaim
        fields = ["kind", "description", "kilometres", "amount"]
        widgets = {"kind": forms.RadioSelect}
        help_texts = {
            "kilometres": _("For a car journey: the kilometres there and back. The amount is counted for you."),
            "amount": _("For a ticket: the price on the receipt."),
        }

    def __init__(self, *args: Any, km_rate: Decimal | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.km_rate = km_rate
        self.fields["amount"].required = False
        without_blank_radio(self)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")
        if kind == ExpenseClaim.Kind.KILOMETRES:
            km = data.get("kilometres")
            if not km or km <= 0 or km > 5000:
                self.add_error("kilometres", _("Give the kilometres driven."))
            elif self.km_rate is None:
                self.add_error(None, _("No kilometre rate is in force. Please contact the coordinator."))
            else:
                data["amount"] = (km * self.km_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        elif kind == ExpenseClaim.Kind.TICKET:
            amount = data.get("amount")
            if amount is None or amount <= 0 or amount > 10_000:
                self.add_error("amount", _("Give the price of the ticket."))
            receipt = data.get("receipt")
            if not receipt:
                self.add_error("receipt", _("Please attach the receipt."))
            else:
                try:
                    data["receipt_file"], data["receipt_type"] = clean_receipt(receipt)
                except ValidationError as exc:
                    self.add_error("receipt", exc)
        return data


def clean_receipt(upload: UploadedFile) -> tuple[Any, str]:
    """A receipt by content: images are re-encoded (no metadata survives), PDFs are rewritten
    page by page without scripts, actions, embedded files or document information."""
    if upload.size is None or upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(_("The receipt is too large."), code="too_large")
    clean = uploads.clean_upload(
        upload, allow=("pdf", "image"), wrong_type=_("A receipt must be a PDF, JPEG or PNG file.")
    )
    return clean.file, clean.content_type


class CalendarOptionsForm(forms.ModelForm):
    class Meta:
        model = CalendarFeed
        fields = ["include_place", "include_requests"]
        help_texts = {
            "include_place": _(
                "Calendar apps keep the place on their servers and show it on your phone's lock screen."
            ),
            "include_requests": _("Only the time, the type and a link, like your own engagements."),
        }


# Material reviews --------------------------------------------------------------------------------


class ReviewCommentForm(forms.ModelForm):
    class Meta:
        model = ReviewComment
        fields = ["anchor", "text"]
        widgets = {
            "anchor": forms.TextInput(attrs={"autocomplete": "off"}),
            "text": forms.Textarea(attrs={"rows": 6, "data-autosave": "review-comment"}),
        }
        help_texts = {
            "text": _("Saved as a draft: only you see it until you submit the review. Do not name clients."),
        }


class ReviewDocumentForm(AttachmentForm):
    """The commented document: the same checks as every request attachment."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = _("Commented document")


class ReviewQuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question to the reviewer"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One question per comment. The reviewer answers in the service."),
    )


class ReviewAnswerForm(forms.Form):
    answer = forms.CharField(label=_("Your answer"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class AdoptionForm(forms.ModelForm):
    class Meta:
        model = ReviewComment
        fields = ["adoption", "adoption_note"]
        widgets = {"adoption": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["adoption"].required = True
        without_blank_radio(self)
