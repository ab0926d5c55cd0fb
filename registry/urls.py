from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from registry import accessibility, apitokens, health, sessions, staff, views

# The admin signs in through allauth too, so MFA and rate limits apply to it.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]  # replacing the view is the point

urlpatterns = [
    path("", views.front, name="front"),
    path("become-an-expert/", views.become_expert, name="become-expert"),
    path("request-an-expert/", views.request_expert, name="request-expert"),
    path("accessibility/", accessibility.statement, name="accessibility"),
    path("accessibility/feedback/", accessibility.feedback, name="accessibility-feedback"),
    path("accessibility/feedback/thanks/", accessibility.feedback_thanks, name="accessibility-feedback-thanks"),
    path("coordinator/accessibility-feedback/", accessibility.feedback_list, name="accessibility-feedback-list"),
    path(
        "coordinator/accessibility-feedback/<int:pk>/",
        accessibility.feedback_detail,
        name="accessibility-feedback-detail",
    ),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz/", health.healthz, name="healthz"),
    # The e-mail provider's delivery reports (bounces, complaints, deliveries), through anymail.
    path("anymail/postmark/tracking/", views.DeliveryReportWebhook.as_view(), name="postmark-tracking"),
    # The text message provider's delivery reports, signed with SMS_WEBHOOK_SECRET.
    path("sms/delivery-report/", views.sms_delivery_report, name="sms-delivery-report"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("home/", views.home, name="home"),
    path("home/role/", views.switch_role, name="switch-role"),
    path("session/continue/", sessions.continue_session, name="continue-session"),
    path("staff/roles/", staff.staff_roles, name="staff-roles"),
    path("staff/roles/<int:pk>/remove/", staff.staff_role_remove, name="staff-role-remove"),
    path("staff/api-tokens/", apitokens.api_tokens, name="api-tokens"),
    path("staff/api-tokens/new/", apitokens.api_token_new, name="api-token-new"),
    path("staff/api-tokens/<int:pk>/revoke/", apitokens.api_token_revoke, name="api-token-revoke"),
    path("", include("experts.urls")),
    path("", include("engagements.urls")),
    path("api/", include("api.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
