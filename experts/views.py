"""The public application form and the expert's own pages (mobile first)."""

from __future__ import annotations

import json
from typing import Any

from allauth.core.ratelimit import consume as consume_rate_limit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from experts.access import get_own_profile
from experts.forms import (
    ApplicationForm,
    AvailabilityForm,
    AwayForm,
    ConfirmForm,
    ConsentGiveForm,
    MessageChannelsForm,
    MobileNumberForm,
    PhotoForm,
    ProfileForm,
    VerificationCodeForm,
)
from experts.models import (
    AvailabilityException,
    ConsentPlainText,
    ConsentPurpose,
    ConsentTextChanged,
    ExpertProfile,
    InvalidTransition,
    consent_layers,
)
from experts.notify import notify_coordinators
from registry import textmessages
from registry.access import role_required
from registry.http import AuthenticatedHttpRequest
from registry.models import AuditEvent, Role, current_language
from registry.privacy import export_json as personal_data_json
from registry.privacy import export_person
from registry.sms import display_mobile

# Public application ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None)
    if request.method == "POST":
        if not consume_rate_limit(request, action="expert_application"):
            return render(request, "experts/apply.html", {"form": form, "rate_limited": True}, status=429)
        if form.is_valid():
            application = form.save(commit=False)
            application.language = (get_language() or "fi")[:2]
            application.privacy_acknowledged_at = timezone.now()
            with transaction.atomic():
                application.save()
                form.save_m2m()
                notify_coordinators(
                    application.region,
                    "experts/email/application_received",
                    {"application_id": application.pk, "region": application.region.name},
                )
            return redirect("experts:apply-thanks")
    return render(request, "experts/apply.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def apply_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "experts/apply_thanks.html")


# Profile and photo ------------------------------------------------------------------------------


@role_required(Role.EXPERT)
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    form = ProfileForm(request.POST or None, instance=expert)
    if request.method == "POST" and form.is_valid():
        expert = form.save(commit=False)
        if "bio" in form.changed_data:
            expert.bio_language = current_language() if expert.bio else ""
        expert.save()
        form.save_m2m()
        AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, gettext_noop("profile updated by the expert"))
        messages.success(request, _("Your profile was saved."))
        return redirect("experts:profile")
    context = {"form": form, "expert": expert, "photo_form": PhotoForm()}
    return render(request, "experts/profile.html", context, status=400 if form.errors else 200)


@role_required(Role.EXPERT)
@require_POST
def photo_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        context = {"form": ProfileForm(instance=expert), "expert": expert, "photo_form": form}
        return render(request, "experts/profile.html", context, status=400)
    old = expert.photo.name if expert.photo else None
    expert.photo.save(form.cleaned_data["photo"].name, form.cleaned_data["photo"], save=True)
    if old:
        expert.photo.storage.delete(old)
    AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, gettext_noop("photo uploaded"))
    messages.success(request, _("Your photo was saved."))
    return redirect("experts:profile")


@role_required(Role.EXPERT)
@require_POST
def photo_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    if expert.photo:
        expert.photo.delete(save=True)
        AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, gettext_noop("photo removed"))
        messages.success(request, _("Your photo was removed."))
    return redirect("experts:profile")


# Consent ---------------------------------------------------------------------------------------


def _purpose_or_404(purpose: str) -> str:
    if purpose not in ConsentPurpose.values:
        raise Http404
    return purpose


@role_required(Role.EXPERT)
@require_GET
def consents(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    states = expert.consent_states()
    # Every expert reads the young person's layer: written for a 13-year-old, plain for everyone.
    layers = consent_layers(ConsentPlainText.Audience.YOUNG)
    rows = [(ConsentPurpose(p), states[p], layers[p]) for p in ConsentPurpose.values]
    history = expert.consent_records.select_related("text", "plain_text").order_by("-at", "-pk")
    context = {
        "expert": expert,
        "rows": rows,
        "history": history,
        "is_minor": expert.is_minor(),
        "guardian_consent": expert.guardian_consent(),
    }
    return render(request, "experts/consents.html", context)


@role_required(Role.EXPERT)
@require_POST
def consent_give(request: AuthenticatedHttpRequest, purpose: str) -> HttpResponse:
    expert = get_own_profile(request)
    _purpose_or_404(purpose)
    back_to_text = f"{reverse('experts:consents')}#consent-{purpose}"
    form = ConsentGiveForm(request.POST)
    if not form.is_valid():
        # Not sent from the page that shows the texts: nothing was read, so nothing is agreed.
        messages.error(request, _("Please read the consent text first."))
        return redirect(back_to_text)
    try:
        expert.give_consent(purpose, by_user=request.user, shown=form.shown())
    except ConsentTextChanged as exc:
        messages.error(request, str(exc))
        return redirect(back_to_text)
    except InvalidTransition as exc:  # no consent text published for the purpose yet
        raise Http404 from exc
    AuditEvent.record(
        request.user,
        AuditEvent.Action.CONSENT,
        expert,
        gettext_noop("consent given: %(purpose)s"),
        {"purpose": AuditEvent.in_languages(ConsentPurpose(purpose).label)},
    )
    messages.success(request, _("Thank you. Your consent was saved."))
    return redirect("experts:consents")


@role_required(Role.EXPERT)
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: AuthenticatedHttpRequest, purpose: str) -> HttpResponse:
    expert = get_own_profile(request)
    purpose = _purpose_or_404(purpose)
    needs_confirmation = purpose == ConsentPurpose.REGISTRY
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        if not needs_confirmation:
            return redirect("experts:consents")
        return render(request, "experts/withdraw_registry.html", {"form": form})
    if needs_confirmation and not form.is_valid():
        return render(request, "experts/withdraw_registry.html", {"form": form}, status=400)
    with transaction.atomic():
        expert.withdraw_consent(purpose, by_user=request.user)
        AuditEvent.record(
            request.user,
            AuditEvent.Action.CONSENT,
            expert,
            gettext_noop("consent withdrawn: %(purpose)s"),
            {"purpose": AuditEvent.in_languages(ConsentPurpose(purpose).label)},
        )
        if purpose == ConsentPurpose.REGISTRY:
            notify_coordinators(
                expert.home_region,
                "experts/email/registry_consent_withdrawn",
                {"expert_id": expert.pk, "display_name": expert.display_name},
            )
    messages.success(request, _("Your consent was withdrawn."))
    return redirect("experts:consents")


# Text messages ---------------------------------------------------------------------------------


def _text_messages_page(
    request: AuthenticatedHttpRequest,
    expert: ExpertProfile,
    *,
    number_form: MobileNumberForm | None = None,
    code_form: VerificationCodeForm | None = None,
    channels_form: MessageChannelsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    pending = textmessages.pending(user)
    context = {
        "expert": expert,
        "number": display_mobile(user.mobile_number),
        "number_works": bool(user.text_number()),
        "pending_number": display_mobile(pending.number) if pending else "",
        "number_form": number_form or MobileNumberForm(),
        "code_form": code_form or VerificationCodeForm(),
        "channels_form": channels_form or MessageChannelsForm(instance=expert, has_number=bool(user.text_number())),
    }
    return render(request, "experts/text_messages.html", context, status=status)


@role_required(Role.EXPERT)
@require_http_methods(["GET", "POST"])
def text_messages(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The number, and per kind of message: e-mail, text message or both."""
    expert = get_own_profile(request)
    if request.method == "GET":
        return _text_messages_page(request, expert)
    form = MessageChannelsForm(request.POST, instance=expert, has_number=bool(request.user.text_number()))
    if not form.is_valid():
        return _text_messages_page(request, expert, channels_form=form, status=400)
    form.save()
    AuditEvent.record(request.user, AuditEvent.Action.CHANGE, expert, "message channels chosen by the expert")
    messages.success(request, _("Your choices were saved."))
    return redirect("experts:text-messages")


@role_required(Role.EXPERT)
@require_POST
def mobile_number(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Add or change the number: a code is sent to it; the number is used once the code is typed."""
    expert = get_own_profile(request)
    form = MobileNumberForm(request.POST)
    if not form.is_valid():
        return _text_messages_page(request, expert, number_form=form, status=400)
    try:
        textmessages.start(request.user, form.cleaned_data["mobile"])
    except textmessages.VerificationError as exc:
        form.add_error("mobile", str(exc))
        status = 429 if isinstance(exc, textmessages.TooManyCodes) else 400
        return _text_messages_page(request, expert, number_form=form, status=status)
    messages.success(
        request,
        _("We sent a code to %(number)s. Type it below.") % {"number": display_mobile(form.cleaned_data["mobile"])},
    )
    return redirect(reverse("experts:text-messages") + "#code")


@role_required(Role.EXPERT)
@require_POST
def mobile_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    form = VerificationCodeForm(request.POST)
    if not form.is_valid():
        return _text_messages_page(request, expert, code_form=form, status=400)
    try:
        textmessages.confirm(request.user, form.cleaned_data["code"])
    except textmessages.VerificationError as exc:
        form.add_error("code", str(exc))
        return _text_messages_page(request, expert, code_form=form, status=400)
    messages.success(request, _("Your mobile number is verified. Choose below which messages come as text."))
    return redirect("experts:text-messages")


@role_required(Role.EXPERT)
@require_POST
def mobile_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    """No more text messages: the number is forgotten and every message goes by e-mail."""
    get_own_profile(request)
    if textmessages.remove(request.user):
        messages.success(request, _("Your mobile number was removed. Messages come by e-mail."))
    return redirect("experts:text-messages")


# Availability ----------------------------------------------------------------------------------


@role_required(Role.EXPERT)
@require_http_methods(["GET", "POST"])
def availability(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    form = AvailabilityForm(request.POST or None, instance=expert)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your availability was saved."))
        return redirect("experts:availability")
    return _availability_page(request, expert, form, AwayForm(), status=400 if form.errors else 200)


def _availability_page(
    request: AuthenticatedHttpRequest, expert: ExpertProfile, form: Any, away_form: Any, status: int
) -> HttpResponse:
    context = {"form": form, "away_form": away_form, "exceptions": expert.exceptions.all(), "expert": expert}
    return render(request, "experts/availability.html", context, status=status)


@role_required(Role.EXPERT)
@require_POST
def away_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    form = AwayForm(request.POST)
    if not form.is_valid():
        return _availability_page(request, expert, AvailabilityForm(instance=expert), form, status=400)
    away = form.save(commit=False)
    away.expert = expert
    away.save()
    messages.success(request, _("The time away was added."))
    return redirect("experts:availability")


@role_required(Role.EXPERT)
@require_POST
def away_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    away = get_object_or_404(AvailabilityException, pk=pk, expert__user=request.user)
    away.delete()
    messages.success(request, _("The time away was removed."))
    return redirect("experts:availability")


# My data ---------------------------------------------------------------------------------------


@role_required(Role.EXPERT)
@require_GET
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "experts/my_data.html", {"expert": get_own_profile(request)})


@role_required(Role.EXPERT)
@require_GET
@never_cache
def export_json(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    AuditEvent.record(request.user, AuditEvent.Action.EXPORT, expert, gettext_noop("JSON export by the expert"))
    body = json.dumps(personal_data_json(request.user), ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@role_required(Role.EXPERT)
@require_GET
@never_cache
def export_html(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    AuditEvent.record(request.user, AuditEvent.Action.EXPORT, expert, gettext_noop("readable export by the expert"))
    # Built from the inventory of personal data (registry/privacy.py), like the JSON file and erasure.
    sections = [section for section in export_person(request.user) if section.rows]
    return render(request, "experts/export.html", {"sections": sections, "expert": expert})


@role_required(Role.EXPERT)
@require_http_methods(["GET", "POST"])
def erase(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            context = {"form": form, "expert": expert, "grace_days": settings.ERASURE_GRACE_DAYS}
            return render(request, "experts/erase.html", context, status=400)
        with transaction.atomic():
            expert.request_erasure(request.user)
            notify_coordinators(
                expert.home_region,
                "experts/email/erasure_requested",
                {"expert_id": expert.pk, "display_name": expert.display_name},
            )
        logout(request)
        messages.success(request, _("Your data will be erased. You have been signed out."))
        return redirect("front")
    context = {"form": form, "expert": expert, "grace_days": settings.ERASURE_GRACE_DAYS}
    return render(request, "experts/erase.html", context)


@role_required(Role.EXPERT)
@require_POST
def cancel_erasure(request: AuthenticatedHttpRequest) -> HttpResponse:
    expert = get_own_profile(request)
    try:
        expert.cancel_erasure(request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Your data will not be erased. Give again the consents you want on your consents page.")
        )
    return redirect("experts:my-data")
