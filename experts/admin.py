from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from experts.models import (
    PLAIN_LANGUAGES,
    PLAIN_QUESTIONS,
    Application,
    AvailabilityException,
    ConsentPlainText,
    ConsentRecord,
    ConsentText,
    EngagementRole,
    ExpertProfile,
    Language,
    Theme,
    Training,
)
from registry.admin import AuditedViewMixin


class AvailabilityExceptionInline(admin.StackedInline):
    model = AvailabilityException
    extra = 0


CONSENT_RECORD_FIELDS = (
    "at",
    "purpose",
    "action",
    "given_by",
    "text",
    "plain_text",
    "expires_at",
    "guardian_name",
    "guardian_email",
)


class ConsentRecordInline(admin.TabularInline):
    """Read-only: consent history is append-only; decisions are made on the expert's and coordinator's pages."""

    model = ConsentRecord
    extra = 0
    fields = CONSENT_RECORD_FIELDS
    readonly_fields = CONSENT_RECORD_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ExpertProfile)
class ExpertProfileAdmin(AuditedViewMixin, admin.ModelAdmin):
    list_display = ["display_name", "kind", "status", "home_region", "birth_year", "created_at", "erased_at"]
    list_filter = ["kind", "status", "home_region", "remote_ok", "roles", "themes"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["home_region"]
    autocomplete_fields = ["user"]
    # Plain checkbox lists rather than the admin's script-built filter boxes, whose search icons
    # carry ARIA that axe rejects (aria-prohibited-attr). Coordinators edit these in the service.
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    readonly_fields = ["erasure_requested_at", "erase_after", "erased_at", "renewal_requested_at"]
    inlines = [ConsentRecordInline, AvailabilityExceptionInline]


LANGUAGE_NAMES = {"fi": _("Finnish"), "sv": _("Swedish"), "en": _("English")}


def _missing(plain: ConsentPlainText | None) -> str:
    if plain is None:
        return gettext("missing")
    languages = plain.missing_languages()
    if not languages:
        return gettext("complete (version %(version)s)") % {"version": plain.version}
    names = ", ".join(str(LANGUAGE_NAMES[language]) for language in languages)
    return gettext("version %(version)s, missing: %(languages)s") % {"version": plain.version, "languages": names}


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """The legal texts. A new version is a change of meaning and asks everyone to renew; its plain
    layers are added under "Plain-language consent texts"; the list shows which are missing."""

    list_display = ["purpose", "version", "valid_from", "young_layer", "guardian_layer"]
    list_filter = ["purpose"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConsentText]:
        return super().get_queryset(request).prefetch_related("plain_texts")

    def _latest(self, obj: ConsentText, audience: str) -> ConsentPlainText | None:
        rows = [plain for plain in obj.plain_texts.all() if plain.audience == audience]
        return max(rows, key=lambda plain: plain.version, default=None)

    @admin.display(description=_("The young person's plain layer"))
    def young_layer(self, obj: ConsentText) -> str:
        return _missing(self._latest(obj, ConsentPlainText.Audience.YOUNG))

    @admin.display(description=_("The guardian's plain layer"))
    def guardian_layer(self, obj: ConsentText) -> str:
        return _missing(self._latest(obj, ConsentPlainText.Audience.GUARDIAN))


# One fieldset of the five answers per language.
_PLAIN_LANGUAGE_FIELDSETS: list[tuple[Any, Any]] = [
    (LANGUAGE_NAMES[language], {"fields": [f"{key}_{language}" for key, _question in PLAIN_QUESTIONS]})
    for language in PLAIN_LANGUAGES
]


@admin.register(ConsentPlainText)
class ConsentPlainTextAdmin(admin.ModelAdmin):
    """The plain-language layers: five short answers in each language. Once someone has agreed to a
    version it cannot be edited; a clearer wording is a new version of the same legal text."""

    list_display = ["__str__", "audience", "version", "valid_from", "missing"]
    list_filter = ["text__purpose", "audience"]
    list_select_related = ["text"]
    fieldsets = [
        (None, {"fields": ["text", "audience", "version", "valid_from"]}),
        *_PLAIN_LANGUAGE_FIELDSETS,
    ]

    actions = ["copy_as_new_version"]

    @admin.action(description=_("Copy as a new version to reword"))
    def copy_as_new_version(self, request: HttpRequest, queryset: QuerySet[ConsentPlainText]) -> None:
        # A version someone agreed to cannot change: rewording starts from a copy, which has the
        # same words (so it changes nothing until edited) and the next number.
        for plain in queryset:
            latest = ConsentPlainText.objects.filter(text=plain.text, audience=plain.audience).order_by("-version")
            plain.pk = None
            plain.version = (latest.values_list("version", flat=True).first() or 0) + 1
            plain.valid_from = timezone.now()
            plain.save()
            self.message_user(request, gettext("Created %(copy)s.") % {"copy": plain})

    @admin.display(description=_("Missing languages"))
    def missing(self, obj: ConsentPlainText) -> str:
        return ", ".join(str(LANGUAGE_NAMES[language]) for language in obj.missing_languages()) or "–"

    def get_readonly_fields(self, request: HttpRequest, obj: ConsentPlainText | None = None) -> list[str]:
        if obj is not None and ConsentRecord.objects.filter(plain_text=obj).exists():
            return [field.name for field in ConsentPlainText._meta.fields]
        return []


@admin.register(Application)
class ApplicationAdmin(AuditedViewMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "region", "status", "created_at", "decided_at"]
    list_filter = ["status", "kind", "region"]
    search_fields = ["name", "email"]
    list_select_related = ["region"]
    readonly_fields = ["privacy_acknowledged_at", "decided_at", "decided_by", "profile"]


for model in (Theme, EngagementRole, Language, Training):
    admin.site.register(model)
