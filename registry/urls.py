from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from registry import staff, views

# The admin signs in through allauth too, so MFA and rate limits apply to it.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", views.front, name="front"),
    path("become-an-expert/", views.become_expert, name="become-expert"),
    path("request-an-expert/", views.request_expert, name="request-expert"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz/", views.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("home/", views.home, name="home"),
    path("home/role/", views.switch_role, name="switch-role"),
    path("staff/roles/", staff.staff_roles, name="staff-roles"),
    path("staff/roles/<int:pk>/remove/", staff.staff_role_remove, name="staff-role-remove"),
    path("", include("experts.urls")),
    path("", include("engagements.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
