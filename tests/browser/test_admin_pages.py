"""The Django admin, which stays for vocabularies and repairs, passes the same checks as our pages:
the changelist and a change form of every registered model, as the administrator sees them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from tests.browser.conftest import PageFactory, check_admin_page, sign_in, visit

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def admin_pages() -> list[str]:
    """The index, and for each registered model its changelist and the change form of its first
    object (the add form when there is none and adding is allowed)."""
    from django.test import RequestFactory

    from registry.models import User

    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(email="admin@demo.test")
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append(reverse(f"{prefix}_changelist"))
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"{prefix}_change", args=[first.pk]))
        elif model_admin.has_add_permission(request):
            pages.append(reverse(f"{prefix}_add"))
    return pages


@pytest.mark.parametrize("language", ["fi", "en"])
def test_every_admin_changelist_and_change_form_passes_axe(
    page: PageFactory, live_server: LiveServer, language: str
) -> None:
    call_command("seed", force=True, verbosity=0)
    from registry.demo import DEMO_PASSWORD

    tab = page(language, viewport={"width": 1280, "height": 900})
    sign_in(tab, live_server, "admin@demo.test", DEMO_PASSWORD, totp=True, audit_landing=False)
    failures = []
    for path in admin_pages():
        try:
            # The admin has its own stylesheet, not site.css: axe and the structure checks only.
            visit(tab, path, audit=False)
            check_admin_page(tab)
        except BaseException as error:  # collect every page's findings, then fail once
            failures.append(f"{path}: {str(error)[:3000]}")
    assert not failures, f"{len(failures)} admin pages fail:\n\n" + "\n\n".join(failures)
