"""API tokens in the product: made after a fresh two-factor sign-in, shown once, only the owner's
scopes, at most a year, revoked by the owner, an administrator or a whole-area coordinator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registry.models import ApiToken, AuditEvent, Region, StaffRole, User
from tests.conftest import make_user, totp_code, with_totp

pytestmark = pytest.mark.django_db


def reauthenticated(user: User) -> Client:
    """Signed in, and just confirmed with the authenticator code, as allauth asks before a token."""
    client = Client()
    client.force_login(user)
    response = client.get(reverse("api-token-new"))
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    done = client.post(reverse("mfa_reauthenticate"), {"code": totp_code()})
    assert done.status_code == 302, done.content
    return client


def new_token(client: Client, **fields: Any) -> Any:
    data = {"name": "Power BI", "scopes": ["statistics"], "expires_on": timezone.localdate() + dt.timedelta(days=30)}
    data.update(fields)
    return client.post(reverse("api-token-new"), data)


def test_manager_makes_a_token_sees_it_once_and_it_works(manager: User) -> None:
    client = reauthenticated(manager)
    form = client.get(reverse("api-token-new"))
    assert form.status_code == 200
    assert 'value="statistics"' in form.content.decode()
    assert 'value="payments"' not in form.content.decode()  # not a manager's to give
    response = new_token(client)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret in response.content.decode()
    token = ApiToken.objects.get()
    assert token.user == manager and token.scopes == ["statistics"]
    assert timezone.localtime(token.expires_at).date() == timezone.localdate() + dt.timedelta(days=31)
    listing = client.get(reverse("api-tokens")).content.decode()
    assert secret not in listing and "Power BI" in listing
    api = Client().get(reverse("api:statistics"), headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    assert AuditEvent.objects.filter(object_type="registry.apitoken", action="change", actor=manager).exists()


def test_without_a_fresh_sign_in_no_token_is_made(manager: User, client: Client) -> None:
    client.force_login(manager)
    response = new_token(client)
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"scopes": ["payments"]},  # the coordinator's, not the manager's
        {"scopes": []},
        {"scopes": ["everything"]},
        {"expires_on": "2024-02-30"},
        {"expires_on": str(timezone.now().date())},  # today: already as good as expired
        {"expires_on": str(timezone.now().date() + dt.timedelta(days=366))},
        {"name": ""},
        {"name": "x" * 101},
    ],
)
def test_a_token_beyond_the_owners_scopes_or_a_year_is_refused(fields: dict[str, Any], manager: User) -> None:
    client = reauthenticated(manager)
    response = new_token(client, **fields)
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_experts_and_unit_members_cannot_make_tokens(expert: Any, unit_member: User) -> None:
    for user in (expert.user, unit_member):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("api-tokens")).status_code == 403
        assert new_token(client).status_code == 403


def issued(user: User, name: str = "BI") -> ApiToken:
    token, _raw = ApiToken.issue(
        user, name=name, scopes=["vocabularies"], expires_at=timezone.now() + dt.timedelta(days=5)
    )
    return token


def test_owner_revokes_own_token_and_others_cannot_reach_it(manager: User, region: Region) -> None:
    token = issued(manager)
    regional = with_totp(make_user("regional@example.test"))
    StaffRole.objects.create(user=regional, role=StaffRole.Kind.MANAGER, region=region)
    stranger = Client()
    stranger.force_login(regional)
    assert "BI" not in stranger.get(reverse("api-tokens")).content.decode()
    assert stranger.post(reverse("api-token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None

    owner = Client()
    owner.force_login(manager)
    assert owner.post(reverse("api-token-revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    again = owner.post(reverse("api-token-revoke", args=[token.pk]), follow=True)
    # The first message is still unread (no page was followed); the second says "revoked already".
    assert [m.level_tag for m in again.context["messages"]] == ["success", "info"]
    assert AuditEvent.objects.filter(detail="API token revoked").count() == 1


def test_whole_area_coordinator_and_admin_revoke_anyones(manager: User, coordinator: User, admin_user: User) -> None:
    first, second = issued(manager, "first"), issued(manager, "second")
    client = Client()
    client.force_login(coordinator)
    assert "first" in client.get(reverse("api-tokens")).content.decode()
    client.post(reverse("api-token-revoke", args=[first.pk]))
    admin = Client()
    admin.force_login(admin_user)
    admin.post(reverse("admin:registry_apitoken_changelist"), {"action": "revoke", "_selected_action": [second.pk]})
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    revokers = set(AuditEvent.objects.filter(detail="API token revoked").values_list("actor", flat=True))
    assert revokers == {coordinator.pk, admin_user.pk}


def test_token_list_queries_do_not_grow(coordinator: User, manager: User, django_assert_max_num_queries: Any) -> None:
    client = Client()
    client.force_login(coordinator)
    issued(manager)
    client.get(reverse("api-tokens"))
    with django_assert_max_num_queries(14):
        client.get(reverse("api-tokens"))
    for i in range(30):
        issued(manager, f"t{i}")
    with django_assert_max_num_queries(14):
        assert client.get(reverse("api-tokens")).status_code == 200
