"""Unit members' requests, experts' offers and engagements, notifications, calendars."""

from __future__ import annotations

from typing import Any

from allauth.core.ratelimit import consume as consume_rate_limit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagements import answerlinks, calendar
from engagements.access import (
    get_assignment_for_answer_link,
    get_assignment_for_expert,
    get_assignment_for_short_link,
    get_request_for_member,
    member_units,
    unit_member_required,
    units_for_new_request,
)
from engagements.forms import (
    AttachmentForm,
    CalendarOptionsForm,
    InviteForm,
    JoinForm,
    OptionalReasonForm,
    ReasonForm,
    RequestForm,
)
from engagements.invitations import invite_unit_member, tell_existing_account
from engagements.models import Assignment, Attachment, CalendarFeed, InvalidTransition, Request
from engagements.notifications import Notification, message_html
from experts.models import ConsentPurpose, ExpertProfile, Language
from registry.access import role_required
from registry.files import private_file_response
from registry.http import AuthenticatedHttpRequest
from registry.models import AuditEvent, Role, StaffRole, Unit, User, current_language, regions_in_scope
from registry.pagination import CappedPaginator

# Unit members ------------------------------------------------------------------------------------


@unit_member_required
@require_GET
def unit_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    requests = Request.objects.listed_for_unit_member(request.user).select_related("unit").order_by("-created_at")
    pending = request.user.unit_memberships.filter(approved_at__isnull=True).select_related("unit")
    page = CappedPaginator(requests, 25).get_page(request.GET.get("page"))
    return render(request, "engagements/unit/request_list.html", {"page_obj": page, "pending": pending})


@unit_member_required
@require_http_methods(["GET", "POST"])
def request_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    units = units_for_new_request(request.user)
    form = RequestForm(request.POST or None, units=units, initial=request_initial(request.user, units))
    if request.method == "POST" and form.is_valid():
        as_draft = "draft" in request.POST
        with transaction.atomic():
            obj = form.save(commit=False)
            obj.created_by = request.user
            obj.text_language = current_language()
            obj.save()
            form.save_m2m()
            if not as_draft:
                # One step: "Send" submits at once; a draft is for those who want one.
                obj.submit(request.user)
        if as_draft:
            messages.success(request, _("The request was saved as a draft. Check it and send it to the coordinator."))
        else:
            messages.success(request, _("The request was sent to the coordinator."))
        return redirect("engagements:unit-request", pk=obj.pk)
    context = {"form": form, "retention_days": settings.REQUEST_TEXT_RETENTION_DAYS}
    return render(request, "engagements/unit/request_form.html", context, status=400 if form.errors else 200)


def request_initial(user: User, units: QuerySet[Unit]) -> dict[str, Any]:
    """What is already known: the worker's name, e-mail and language, and their unit's place."""
    unit = units.select_related("municipality").first()
    place = ""
    if unit is not None:
        place = unit.name
        if unit.municipality and unit.municipality.name not in unit.name:
            place = f"{unit.name}, {unit.municipality.name}"
    return {
        "unit": unit.pk if unit is not None else None,
        "contact_name": user.get_full_name(),
        "contact_email": user.email,
        "experts_needed": 1,
        "languages": list(Language.objects.filter(code=user.preferred_language).values_list("pk", flat=True)),
        "place": place,
    }


def _confirmed_with_contacts(obj: Request) -> list[tuple[Assignment, bool, bool]]:
    """Confirmed experts, whether each allows the unit to contact them directly, and whether their
    photo may be shown. Both, and the expert's introduction, only until UNIT_CONTACT_GRACE_DAYS
    after the engagement (see Request.shares_experts_details)."""
    took_part = [Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED]
    confirmed = list(obj.assignments.filter(status__in=took_part).select_related("expert__user", "role"))
    if not obj.shares_experts_details():
        return [(assignment, False, False) for assignment in confirmed]
    ids = [a.expert_id for a in confirmed]

    def allowed(purpose: str) -> set[int]:
        return set(ExpertProfile.objects.with_current_consent(purpose).filter(pk__in=ids).values_list("pk", flat=True))

    direct, photo = allowed(ConsentPurpose.DIRECT_CONTACT), allowed(ConsentPurpose.PHOTO)
    return [
        (assignment, assignment.expert_id in direct, assignment.expert_id in photo and bool(assignment.expert.photo))
        for assignment in confirmed
    ]


@unit_member_required
@require_GET
def unit_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _unit_request_page(request, get_request_for_member(request, pk))


def _unit_request_page(
    request: AuthenticatedHttpRequest,
    obj: Request,
    attachment_form: AttachmentForm | None = None,
    status: int = 200,
    cancel_form: ReasonForm | None = None,
) -> HttpResponse:
    confirmed = _confirmed_with_contacts(obj)
    shares_details = obj.shares_experts_details()
    if shares_details:
        # The unit reads each confirmed expert's introduction; contact details, where the expert
        # allows them, are in the expert's access log separately.
        AuditEvent.record_many(
            request.user,
            AuditEvent.Action.VIEW,
            ExpertProfile,
            [assignment.expert_id for assignment, _direct, _photo in confirmed],
            gettext_noop("introduction on request %(request)s"),
            {"request": obj.pk},
        )
    for assignment, direct, _photo in confirmed:
        if direct:
            AuditEvent.record(
                request.user, AuditEvent.Action.VIEW, assignment.expert, gettext_noop("contact details shown to a unit")
            )
    context = {
        "obj": obj,
        "confirmed": confirmed,
        "shares_details": shares_details,
        "grace_days": settings.UNIT_CONTACT_GRACE_DAYS,
        "attachments": obj.attachments.all(),
        "attachment_form": attachment_form or AttachmentForm(),
        "cancel_form": cancel_form or ReasonForm(),
        "themes": list(obj.themes.all()),
        "languages": list(obj.languages.all()),
    }
    return render(request, "engagements/unit/request_detail.html", context, status=status)


@unit_member_required
@require_http_methods(["GET", "POST"])
def request_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_member(request, pk)
    if not obj.is_editable:
        messages.error(request, _("A confirmed request can no longer be edited. Contact the coordinator."))
        return redirect("engagements:unit-request", pk=obj.pk)
    form = RequestForm(request.POST or None, instance=obj, units=units_for_new_request(request.user))
    if request.method == "POST" and form.is_valid():
        # A draft can be sent in the same step as it is saved ("Send"), or kept as a draft.
        send = obj.status == Request.Status.DRAFT and "send" in request.POST
        fields = [name for name in form.fields if name in {f.name for f in Request._meta.concrete_fields}]
        edited = form.save(commit=False)
        if set(form.changed_data) & set(Request.WRITTEN_FIELDS):
            # Whoever rewrites the texts writes them in the language of their page.
            edited.text_language = current_language()
            fields.append("text_language")
        try:
            with transaction.atomic():
                edited.save_edits(fields, by=request.user)
                form.save_m2m()
                if send:
                    obj.submit(request.user)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            if send:
                messages.success(request, _("The request was sent to the coordinator."))
            else:
                messages.success(request, _("The request was saved."))
        return redirect("engagements:unit-request", pk=obj.pk)
    context = {"form": form, "obj": obj, "retention_days": settings.REQUEST_TEXT_RETENTION_DAYS}
    return render(request, "engagements/unit/request_form.html", context, status=400 if form.errors else 200)


@unit_member_required
@require_POST
def request_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_member(request, pk)
    try:
        obj.submit(request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The request was sent to the coordinator."))
    return redirect("engagements:unit-request", pk=obj.pk)


@unit_member_required
@require_POST
def request_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_member(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _unit_request_page(request, obj, cancel_form=form, status=400)
    try:
        obj.cancel(request.user, form.cleaned_data["reason"])
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The request was cancelled and everyone involved was told."))
    return redirect("engagements:unit-request", pk=obj.pk)


@unit_member_required
@require_POST
def attachment_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = get_request_for_member(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not obj.is_editable:
        messages.error(request, _("Attachments can no longer be added to this request."))
        return redirect("engagements:unit-request", pk=obj.pk)
    if not form.is_valid():
        return _unit_request_page(request, obj, form, status=400)
    upload, clean = form.cleaned_data["file"], form.cleaned_data["clean"]
    Attachment.objects.create(
        request=obj,
        file=clean.file,
        original_name=upload.name[:200],
        content_type=clean.content_type,
        size=clean.size,
        uploaded_by=request.user,
    )
    messages.success(request, _("The attachment was added."))
    return redirect("engagements:unit-request", pk=obj.pk)


@login_required
@require_GET
@never_cache
def attachment_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """Attachments go to the unit, coordinators in scope, and the experts confirmed to the request."""
    user = request.user
    allowed = Q(request__in=Request.objects.visible_to(user))
    if user.has_role(Role.EXPERT):
        allowed |= Q(
            request__assignments__expert__user=user,
            request__assignments__status__in=[Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED],
        )
    attachment = Attachment.objects.filter(allowed).distinct().filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return private_file_response(
        attachment.file, content_type=attachment.content_type, filename=attachment.original_name
    )


@unit_member_required
@require_http_methods(["GET", "POST"])
def invite_colleague(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, units=member_units(request.user))
    if request.method == "POST" and form.is_valid():
        invite_unit_member(form.cleaned_data["email"], form.cleaned_data["unit"], invited_by=request.user)
        messages.success(request, _("The invitation was sent."))
        return redirect("engagements:unit-requests")
    return render(request, "engagements/invite.html", {"form": form}, status=400 if form.errors else 200)


# Public start for units ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """A worker without an account gives a work e-mail and their unit; the link we send proves the
    address, and the coordinator approves the membership when triaging the first request."""
    form = JoinForm(request.POST or None)
    if request.method == "POST":
        if not consume_rate_limit(request, action="unit_join"):
            return render(request, "engagements/join.html", {"form": form, "rate_limited": True}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                unit = data["unit"]
                if unit is None:
                    unit = Unit.objects.get_or_create_pending(
                        organisation=data["new_organisation"],
                        name=data["new_unit_name"],
                        sector=data["new_unit_sector"],
                        municipality=data["new_unit_municipality"],
                    )
                existing = User.objects.filter(email__iexact=data["email"]).first()
                if existing is not None:
                    # Nobody may change someone else's account from a public form: the owner is
                    # only told how to join.
                    tell_existing_account(existing)
                else:
                    # The link signs them in and opens the request form they came for.
                    invite_unit_member(
                        data["email"],
                        unit,
                        invited_by=None,
                        name=data["name"],
                        title=data["title"],
                        next_url=reverse("engagements:request-create"),
                    )
            return redirect("engagements:join-sent")
    status = 400 if form.errors and not form.asking_for_missing_unit else 200
    return render(request, "engagements/join.html", {"form": form}, status=status)


@require_GET
def join_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "engagements/join_sent.html")


# Photos ------------------------------------------------------------------------------------------


@require_GET
@never_cache
def expert_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Photos are personal data: the expert, coordinators in scope, and — with the expert's photo
    consent — members of units whose request the expert is confirmed to."""
    if not request.user.is_authenticated:
        raise Http404
    user = request.user
    experts = ExpertProfile.objects.not_erased()
    if not (hasattr(user, "expert_profile") and user.expert_profile.pk == pk):
        if user.has_role(Role.COORDINATOR):
            experts = experts.in_regions(regions_in_scope(user, StaffRole.Kind.COORDINATOR))
        else:
            confirmed_to_my_units = Assignment.objects.filter(
                status__in=[Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED],
                request__in=Request.objects.visible_to_unit_member(user),
            ).values("expert_id")
            experts = experts.filter(pk__in=confirmed_to_my_units).with_current_consent(ConsentPurpose.PHOTO)
            # Only while the unit still sees the expert's details (the engagement plus a grace period).
            recent = Request.objects.visible_to_unit_member(user).sharing_experts_details()
            experts = experts.filter(
                pk__in=Assignment.objects.filter(
                    status__in=[Assignment.Status.CONFIRMED, Assignment.Status.ATTENDED], request__in=recent
                ).values("expert_id")
            )
    expert = get_object_or_404(experts, pk=pk)
    if expert.user_id != user.pk:
        AuditEvent.record(user, AuditEvent.Action.VIEW, expert, "photo")
    return private_file_response(expert.photo, content_type="image/jpeg", filename="photo.jpg", inline=True)


# Experts: offers and engagements ----------------------------------------------------------------


@role_required(Role.EXPERT)
@require_GET
def my_offers(request: AuthenticatedHttpRequest) -> HttpResponse:
    mine = Assignment.objects.filter(expert__user=request.user).select_related("request__unit", "role")
    now = timezone.now()
    context = {
        "offers": mine.open_offers(now).order_by("offer_expires_at"),
        "upcoming": mine.filter(status__in=[Assignment.Status.ACCEPTED, Assignment.Status.CONFIRMED]).order_by(
            "request__starts_at", "request__deadline"
        ),
        "past": mine.exclude(status__in=Assignment.LIVE_STATUSES).order_by("-offered_at")[:20],
    }
    return render(request, "engagements/expert/offers.html", context)


@role_required(Role.EXPERT)
@require_GET
def offer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _offer_page(request, get_assignment_for_expert(request, pk))


def _offer_page(
    request: AuthenticatedHttpRequest, assignment: Assignment, status: int = 200, **forms_: Any
) -> HttpResponse:
    return render(
        request,
        "engagements/expert/offer.html",
        {
            "assignment": assignment,
            "obj": assignment.request,
            "decline_form": forms_.get("decline_form") or OptionalReasonForm(),
            "cancel_form": forms_.get("cancel_form") or ReasonForm(),
            "themes": list(assignment.request.themes.all()),
            "languages": list(assignment.request.languages.all()),
            "attachments": assignment.request.attachments.all()
            if assignment.status == Assignment.Status.CONFIRMED
            else [],
        },
        status=status,
    )


# The offer e-mail's link: one offer, accept or decline, no password (engagements/answerlinks.py) ---


@require_GET
@never_cache
def offer_link(request: HttpRequest, token: str) -> HttpResponse:
    assignment, nonce = get_assignment_for_answer_link(token)
    usable = bool(nonce) and assignment.answer_nonce == nonce and assignment.is_open_offer
    context: dict[str, Any] = {"assignment": assignment, "token": token, "usable": usable}
    if usable:
        # Only this offer's own facts; nothing else of the expert's is shown without a sign-in.
        context.update(
            {
                "obj": assignment.request,
                "themes": list(assignment.request.themes.all()),
                "languages": list(assignment.request.languages.all()),
                "decline_form": OptionalReasonForm(),
            }
        )
    # The token is in the address; the site-wide Referrer-Policy (same-origin) keeps it out of other
    # sites' logs. ("no-referrer" here would make the browser send "Origin: null" with the answer,
    # which the CSRF check rightly refuses.)
    return render(request, "engagements/expert/offer_link.html", context)


@require_GET
@never_cache
def offer_short_link(request: HttpRequest, pk: int, nonce: str) -> HttpResponse:
    """A text message's short link: on to the signed link of the same offer, while it works."""
    assignment = get_assignment_for_short_link(pk, nonce)
    return redirect("engagements:offer-link", token=answerlinks.sign(assignment.pk, assignment.answer_nonce))


def _answer_with_link(request: HttpRequest, token: str, *, accept: bool) -> HttpResponse:
    assignment, nonce = get_assignment_for_answer_link(token)
    form = OptionalReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reason is too long."))
        return redirect("engagements:offer-link", token=token)
    try:
        assignment.answer_with_link(nonce, accept=accept, reason=form.cleaned_data["reason"])
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        if accept:
            messages.success(request, _("Thank you! The coordinator will confirm the engagement."))
        else:
            messages.success(request, _("You declined the offer. Thank you for letting us know."))
    return redirect("engagements:offer-link", token=token)


@require_POST
def offer_link_accept(request: HttpRequest, token: str) -> HttpResponse:
    return _answer_with_link(request, token, accept=True)


@require_POST
def offer_link_decline(request: HttpRequest, token: str) -> HttpResponse:
    return _answer_with_link(request, token, accept=False)


@role_required(Role.EXPERT)
@require_POST
def offer_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_expert(request, pk)
    try:
        assignment.accept(request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you! The coordinator will confirm the engagement."))
    return redirect("engagements:offer", pk=assignment.pk)


@role_required(Role.EXPERT)
@require_POST
def offer_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_expert(request, pk)
    form = OptionalReasonForm(request.POST)
    if not form.is_valid():
        return _offer_page(request, assignment, 400, decline_form=form)
    try:
        assignment.decline(request.user, reason=form.cleaned_data["reason"])
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("You declined the offer. Thank you for letting us know."))
    return redirect("engagements:my-offers")


@role_required(Role.EXPERT)
@require_POST
def expert_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_expert(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _offer_page(request, assignment, 400, cancel_form=form)
    try:
        assignment.cancel(request.user, form.cleaned_data["reason"])
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The engagement was cancelled. The coordinator was told."))
    return redirect("engagements:my-offers")


# Calendar ----------------------------------------------------------------------------------------


@login_required
@require_GET
def assignment_ics(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One confirmed engagement as an .ics file, for the expert, the unit or a coordinator in scope."""
    user = request.user
    allowed = Q(expert__user=user) | Q(request__in=Request.objects.visible_to(user))
    assignment = get_object_or_404(
        Assignment.objects.filter(allowed, status=Assignment.Status.CONFIRMED)
        .select_related("request__unit", "expert", "role")
        .distinct(),
        pk=pk,
    )
    if assignment.request.busy_window() is None:
        raise Http404
    body = calendar.ics_for([assignment], user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="engagement-{assignment.pk}.ics"'
    return response


def _may_include_requests(user: User) -> bool:
    return user.has_role(Role.UNIT) or user.has_role(Role.COORDINATOR)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    feed = calendar.feed_for(request.user)
    form = CalendarOptionsForm(request.POST or None, instance=feed)
    if not _may_include_requests(request.user):
        del form.fields["include_requests"]
    if request.method == "POST":
        if feed is None:
            raise Http404
        if form.is_valid():
            form.save()
            messages.success(request, _("Your calendar settings were saved."))
            return redirect("engagements:calendar")
    context = {
        "feed": feed,
        "feed_url": request.build_absolute_uri(calendar.feed_path(feed)) if feed else None,
        "form": form,
        "unused_days": settings.CALENDAR_FEED_UNUSED_DAYS,
    }
    return render(request, "engagements/calendar.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def calendar_turn_on(request: AuthenticatedHttpRequest) -> HttpResponse:
    calendar.turn_on(request.user)
    messages.success(request, _("Your private calendar address is ready."))
    return redirect("engagements:calendar")


@login_required
@require_POST
def calendar_turn_off(request: AuthenticatedHttpRequest) -> HttpResponse:
    CalendarFeed.objects.filter(user=request.user).delete()
    messages.success(request, _("Your calendar address was turned off. It no longer works anywhere."))
    return redirect("engagements:calendar")


@login_required
@require_POST
def calendar_rotate(request: AuthenticatedHttpRequest) -> HttpResponse:
    feed = calendar.feed_for(request.user)
    if feed is None:
        raise Http404
    feed.rotate()
    messages.success(request, _("Your calendar address was changed. The old address no longer works."))
    return redirect("engagements:calendar")


@require_GET
@never_cache
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    body = calendar.feed_body(token)
    if body is None:
        raise Http404
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


# Notifications -----------------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    items = list(Notification.objects.filter(user=request.user).select_related("request").order_by("-created_at")[:50])
    rows = [(item, message_html(item.kind, item.request)) for item in items]
    return render(request, "engagements/notifications.html", {"rows": rows})


@login_required
@require_POST
def notifications_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("engagements:notifications")


@login_required
@require_GET
def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Notification, pk=pk, user=request.user)
    if item.read_at is None:
        item.read_at = timezone.now()
        item.save(update_fields=["read_at"])
    return redirect(item.url)
