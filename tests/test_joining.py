"""The public start for unit workers, colleagues' and coordinators' invitations, and the one-time link."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagements.models import Request
from experts.models import ExpertProfile, Language
from registry.models import Municipality, Organisation, Region, Unit, UnitMembership, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Oma-Salasana-2026"
KEY_PATH = re.compile(r"/accounts/password/reset/key/[^/\s]+/")
KEY_LINK = re.compile(r"/accounts/password/reset/key/[^/\s]+/(\?next=[^\s\"]+)?")


# Helpers -------------------------------------------------------------------------------------------


def join_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Maija Meikäläinen",
        "email": "Maija.Meikalainen@Hyvinvointialue.Example",
        "title": "Sosiaalityöntekijä",
        "unit": "",
        "new_organisation": "",
        "new_unit_name": "",
        "new_unit_sector": "",
        "new_unit_municipality": "",
        "website": "",
    }
    data.update(overrides)
    return data


def post_join(client: Client, capture: Any, **overrides: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("engagements:join"), join_data(**overrides))


def key_path(message: Any) -> str:
    found = KEY_PATH.search(message.body)
    assert found, message.body
    return found.group(0)


def key_link(message: Any) -> str:
    """The link's path with its query (where the person lands once the password is set)."""
    found = KEY_LINK.search(message.body)
    assert found, message.body
    return found.group(0)


def set_password(client: Client, path: str, password: str = NEW_PASSWORD) -> Any:
    """allauth's flow: the key URL redirects to a form URL that keeps the key in the session."""
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert not response.context.get("token_fail")
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    return client.post(form_url, {"password1": password})


def local_input(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def request_data(unit: Unit, **overrides: Any) -> dict[str, Any]:
    starts = timezone.localtime().replace(hour=13, minute=0, second=0, microsecond=0) + dt.timedelta(days=21)
    data: dict[str, Any] = {
        "unit": str(unit.pk),
        "type": "panel",
        "title": "Nuorten paneeli sijaishuollosta",
        "purpose": "Haluamme kuulla nuorten kokemuksia.",
        "task": "Osallistu paneeliin.",
        "audience": "Sosiaalityöntekijät",
        "audience_size": "30",
        "wished_kind": "either",
        "experts_needed": "1",
        "languages": [str(Language.objects.get(code="fi").pk)],
        "format": "in_person",
        "place": "Kuopio, kaupungintalo",
        "starts_at": local_input(starts),
        "ends_at": local_input(starts + dt.timedelta(hours=2)),
        "fee_basis": "schedule",
        "contact_name": "Maija Meikäläinen",
        "contact_email": "maija.meikalainen@hyvinvointialue.example",
    }
    data.update(overrides)
    return data


def create_and_submit_request(client: Client, unit: Unit, capture: Any, **overrides: Any) -> Request:
    """One step: the form's "Send" saves and submits the request."""
    with capture(execute=True):
        response = client.post(reverse("engagements:request-create"), {**request_data(unit, **overrides), "send": "1"})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    obj = Request.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert obj.status == Request.Status.SUBMITTED
    return obj


def take_into_matching(coordinator: User, obj: Request, capture: Any) -> None:
    staff = Client()
    staff.force_login(coordinator)
    with capture(execute=True):
        response = staff.post(reverse("engagements:take", args=[obj.pk]))
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.status == Request.Status.MATCHING


@pytest.fixture
def municipality(region: Region) -> Municipality:
    return Municipality.objects.create(region=region, name="Kuopio", name_sv="Kuopio")


@pytest.fixture
def organisation(db: None) -> Organisation:
    return Organisation.objects.create(name="Pohjois-Savon hyvinvointialue")


# Joining with an existing unit ---------------------------------------------------------------------


def test_join_creates_pending_member_without_password_and_sends_one_link(
    client: Client, unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    response = post_join(client, django_capture_on_commit_callbacks, unit=str(unit.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("engagements:join-sent")

    user = User.objects.get(email="maija.meikalainen@hyvinvointialue.example")
    assert (user.first_name, user.last_name) == ("Maija", "Meikäläinen")
    assert not user.has_usable_password()
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (user.email, True, True)
    membership = UnitMembership.objects.get(user=user)
    assert membership.unit == unit
    assert membership.approved_at is None
    assert membership.title == "Sosiaalityöntekijä"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert key_path(message)


def test_joined_worker_sets_password_signs_in_and_writes_a_request(
    client: Client,
    unit: Unit,
    coordinator: User,
    make_request: Callable[..., Request],
    django_capture_on_commit_callbacks: Any,
) -> None:
    colleagues_request = make_request()
    post_join(client, django_capture_on_commit_callbacks, unit=str(unit.pk))
    link = key_link(mail.outbox[0])
    assert link.endswith(f"?next={reverse('engagements:request-create').replace('/', '%2F')}")

    # Setting the password signs the worker in and lands them in the request form they came for.
    worker = Client()
    response = set_password(worker, link)
    assert response.status_code == 302
    assert response["Location"] == reverse("engagements:request-create")
    assert worker.session["_auth_user_id"] == str(
        User.objects.get(email="maija.meikalainen@hyvinvointialue.example").pk
    )
    form = worker.get(response["Location"])
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert initial["contact_email"] == "maija.meikalainen@hyvinvointialue.example"
    assert initial["languages"] == [Language.objects.get(code="fi").pk]
    assert worker.get(reverse("home"))["Location"] == reverse("engagements:unit-home")
    assert worker.get(reverse("engagements:unit-home")).status_code == 200

    own = create_and_submit_request(worker, unit, django_capture_on_commit_callbacks)
    user = User.objects.get(email="maija.meikalainen@hyvinvointialue.example")
    assert own.created_by == user
    assert own.unit == unit
    assert worker.get(reverse("engagements:unit-request", args=[own.pk])).status_code == 200

    # While the membership waits, the unit's other requests do not exist for them.
    assert worker.get(reverse("engagements:unit-request", args=[colleagues_request.pk])).status_code == 404
    listed = worker.get(reverse("engagements:unit-requests")).context["page_obj"].object_list
    assert list(listed) == [own]

    take_into_matching(coordinator, own, django_capture_on_commit_callbacks)
    assert UnitMembership.objects.get(user=user, unit=unit).approved_at is not None
    assert worker.get(reverse("engagements:unit-request", args=[colleagues_request.pk])).status_code == 200
    assert set(worker.get(reverse("engagements:unit-requests")).context["page_obj"].object_list) == {
        own,
        colleagues_request,
    }


def test_join_with_an_inactive_unit_is_refused(client: Client, make_unit: Callable[..., Unit]) -> None:
    closed = make_unit("Lakkautettu yksikkö", is_active=False)
    response = client.post(reverse("engagements:join"), join_data(unit=str(closed.pk)))
    assert response.status_code == 400
    assert response.context["form"].errors["unit"]
    assert not User.objects.filter(email="maija.meikalainen@hyvinvointialue.example").exists()


# Joining when the unit is missing ------------------------------------------------------------------


def test_missing_unit_is_created_inactive_and_activated_when_the_first_request_is_taken(
    client: Client,
    organisation: Organisation,
    municipality: Municipality,
    coordinator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    response = post_join(
        client,
        django_capture_on_commit_callbacks,
        unit="not-listed",
        new_organisation=str(organisation.pk),
        new_unit_name="  Perhetyön tiimi  ",
        new_unit_sector=Unit.Sector.FAMILY_SOCIAL_WORK,
        new_unit_municipality=str(municipality.pk),
    )
    assert response.status_code == 302
    new_unit = Unit.objects.get(name="Perhetyön tiimi")
    assert new_unit.is_active is False
    assert new_unit.organisation == organisation
    assert new_unit.region == municipality.region
    assert new_unit.municipality == municipality
    assert new_unit.sector == Unit.Sector.FAMILY_SOCIAL_WORK
    user = User.objects.get(email="maija.meikalainen@hyvinvointialue.example")
    membership = UnitMembership.objects.get(user=user)
    assert membership.unit == new_unit
    assert membership.approved_at is None
    assert len(mail.outbox) == 1

    worker = Client()
    worker.force_login(user)
    obj = create_and_submit_request(worker, new_unit, django_capture_on_commit_callbacks)
    take_into_matching(coordinator, obj, django_capture_on_commit_callbacks)
    new_unit.refresh_from_db()
    assert new_unit.is_active is True
    membership.refresh_from_db()
    assert membership.approved_at is not None


# Bad input -----------------------------------------------------------------------------------------


def test_no_unit_chosen_gets_one_error_and_input_kept(
    client: Client, unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    users_before = User.objects.count()
    response = post_join(client, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"unit"}  # one error, not four about a missing unit nobody described
    page = response.content.decode()
    assert 'value="Maija Meikäläinen"' in page
    assert User.objects.count() == users_before
    assert not UnitMembership.objects.filter(user__email__icontains="meikalainen").exists()
    assert list(Unit.objects.all()) == [unit]
    assert mail.outbox == []


def test_join_page_lists_units_first_and_hides_the_missing_unit_fields(client: Client, unit: Unit) -> None:
    form = client.get(reverse("engagements:join")).context["form"]
    choices = list(form.fields["unit"].choices)
    assert choices[0][0] == ""  # "Choose your unit", and nothing chosen for the worker
    assert choices[1] == (unit.organisation.name, [(str(unit.pk), unit.name)])
    assert choices[-1][0] == "not-listed"
    page = client.get(reverse("engagements:join")).content.decode()
    assert 'class="missing-unit"' in page  # hidden by the stylesheet until "not on the list" is chosen


def test_choosing_not_listed_without_a_stylesheet_asks_for_the_unit_as_a_second_step(
    client: Client, unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    response = post_join(client, django_capture_on_commit_callbacks, unit="not-listed")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.asking_for_missing_unit
    assert not any(form.errors.get(field) for field in form.MISSING_UNIT_FIELDS)
    page = response.content.decode()
    assert 'class="missing-unit is-shown"' in page
    assert 'value="Maija Meikäläinen"' in page
    assert not User.objects.filter(email__icontains="meikalainen").exists()
    assert mail.outbox == []


def test_partly_described_missing_unit_is_refused(
    client: Client, organisation: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    response = post_join(
        client,
        django_capture_on_commit_callbacks,
        unit="not-listed",
        new_organisation=str(organisation.pk),
        new_unit_name="Tiimi",
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"new_unit_sector", "new_unit_municipality"}
    assert list(errors["new_unit_sector"]) != list(errors["new_unit_municipality"])
    assert not Unit.objects.exists()
    assert mail.outbox == []


def test_honeypot_filled_is_refused_and_nothing_created(
    client: Client, unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    users_before = User.objects.count()
    response = post_join(client, django_capture_on_commit_callbacks, unit=str(unit.pk), website="http://spam.example")
    assert response.status_code == 400
    assert response.context["form"].errors["website"]
    assert User.objects.count() == users_before
    assert not UnitMembership.objects.exists()
    assert mail.outbox == []


def test_third_join_from_the_same_address_is_rate_limited(
    client: Client, unit: Unit, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "unit_join": "2/h/ip"}
    for number in (1, 2):
        response = post_join(
            client, django_capture_on_commit_callbacks, unit=str(unit.pk), email=f"worker{number}@example.test"
        )
        assert response.status_code == 302
    response = post_join(client, django_capture_on_commit_callbacks, unit=str(unit.pk), email="worker3@example.test")
    assert response.status_code == 429
    assert response.context["rate_limited"]
    assert not User.objects.filter(email="worker3@example.test").exists()
    assert len(mail.outbox) == 2


def test_join_page_is_public(client: Client, unit: Unit) -> None:
    response = client.get(reverse("engagements:join"))
    assert response.status_code == 200
    assert unit.name in response.content.decode()


# Invitations ---------------------------------------------------------------------------------------


def test_unit_member_invites_a_colleague_who_is_approved_at_once(
    client: Client, unit_member: User, unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(unit_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("engagements:invite-colleague"), {"email": "Kollega@Example.test", "unit": str(unit.pk)}
        )
    assert response.status_code == 302
    colleague = User.objects.get(email="kollega@example.test")
    assert not colleague.has_usable_password()
    assert EmailAddress.objects.filter(user=colleague, verified=True, primary=True).exists()
    membership = UnitMembership.objects.get(user=colleague)
    assert membership.unit == unit
    assert membership.approved_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kollega@example.test"]
    path = key_path(mail.outbox[0])

    invitee = Client()
    assert set_password(invitee, path).status_code == 302
    assert invitee.login(email="kollega@example.test", password=NEW_PASSWORD)
    assert invitee.get(reverse("home"))["Location"] == reverse("engagements:unit-home")


def test_unit_member_cannot_invite_to_a_unit_they_do_not_belong_to(
    client: Client, unit_member: User, other_unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(unit_member)
    assert other_unit not in client.get(reverse("engagements:invite-colleague")).context["form"].fields["unit"].queryset
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("engagements:invite-colleague"), {"email": "kollega@example.test", "unit": str(other_unit.pk)}
        )
    assert response.status_code == 400
    assert response.context["form"].errors["unit"]
    assert not User.objects.filter(email="kollega@example.test").exists()
    assert mail.outbox == []


def test_pending_member_cannot_invite_to_their_pending_unit(
    client: Client, unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    pending = User.objects.create_user(email="pending@example.test", password=NEW_PASSWORD)
    UnitMembership.objects.create(user=pending, unit=unit)
    client.force_login(pending)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("engagements:invite-colleague"), {"email": "kollega@example.test", "unit": str(unit.pk)}
        )
    assert response.status_code == 400
    assert not User.objects.filter(email="kollega@example.test").exists()
    assert mail.outbox == []


def test_expert_without_membership_cannot_open_the_invite_page(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    assert client.get(reverse("engagements:invite-colleague")).status_code == 403


def test_coordinator_invites_to_any_unit_in_scope(
    client: Client, coordinator: User, other_unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("engagements:invite-member"), {"email": "uusi@example.test", "unit": str(other_unit.pk)}
        )
    assert response.status_code == 302
    membership = UnitMembership.objects.get(user__email="uusi@example.test")
    assert membership.unit == other_unit
    assert membership.approved_at is not None
    assert len(mail.outbox) == 1
    assert key_path(mail.outbox[0])


def test_inviting_an_existing_user_adds_membership_without_a_password_link(
    client: Client,
    unit_member: User,
    unit: Unit,
    expert: ExpertProfile,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(unit_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("engagements:invite-colleague"), {"email": expert.user.email.upper(), "unit": str(unit.pk)}
        )
    assert response.status_code == 302
    assert User.objects.filter(email__iexact=expert.user.email).count() == 1
    membership = UnitMembership.objects.get(user=expert.user)
    assert membership.unit == unit
    assert membership.approved_at is not None
    expert.user.refresh_from_db()
    assert expert.user.has_usable_password()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in body
    assert "/accounts/login/" in body


def test_colleagues_invitation_approves_an_existing_pending_membership(
    client: Client, unit_member: User, unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    pending = User.objects.create_user(email="odottaa@example.test", password=NEW_PASSWORD)
    UnitMembership.objects.create(user=pending, unit=unit)
    client.force_login(unit_member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("engagements:invite-colleague"), {"email": pending.email, "unit": str(unit.pk)})
    assert UnitMembership.objects.get(user=pending, unit=unit).approved_at is not None


# The one-time link ---------------------------------------------------------------------------------


def test_invitation_link_expires(
    client: Client, unit: Unit, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    post_join(client, django_capture_on_commit_callbacks, unit=str(unit.pk))
    path = key_path(mail.outbox[0])
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = Client().get(path, follow=True)
    assert response.status_code == 200
    assert response.context.get("token_fail")


def test_invitation_link_works_only_once(client: Client, unit: Unit, django_capture_on_commit_callbacks: Any) -> None:
    post_join(client, django_capture_on_commit_callbacks, unit=str(unit.pk))
    path = key_path(mail.outbox[0])
    assert set_password(Client(), path).status_code == 302

    response = Client().get(path, follow=True)
    assert response.context.get("token_fail")
    # Nor can someone holding the old link set another password.
    user = User.objects.get(email="maija.meikalainen@hyvinvointialue.example")
    assert user.check_password(NEW_PASSWORD)


def test_public_start_never_changes_an_existing_account(
    client: Client, coordinator: User, unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    from registry.models import UnitMembership

    roles_before = coordinator.roles()
    response = post_join(client, django_capture_on_commit_callbacks, email=coordinator.email.upper(), unit=str(unit.pk))
    assert response.status_code == 302
    assert not UnitMembership.objects.filter(user=coordinator).exists()
    coordinator.refresh_from_db()
    del coordinator._roles_cache
    assert coordinator.roles() == roles_before
    assert coordinator.has_usable_password()
    message = mail.outbox[-1]
    assert message.to == [coordinator.email]
    assert "/accounts/password/reset/key/" not in message.body
