from __future__ import annotations

from django.urls import path

from experts import coordination, views

app_name = "experts"

urlpatterns = [
    # Public
    path("become-an-expert/apply/", views.apply, name="apply"),
    path("become-an-expert/thanks/", views.apply_thanks, name="apply-thanks"),
    # The expert's own pages
    path("me/profile/", views.profile, name="profile"),
    path("me/photo/", views.photo_upload, name="photo-upload"),
    path("me/photo/delete/", views.photo_delete, name="photo-delete"),
    path("me/consents/", views.consents, name="consents"),
    path("me/consents/<slug:purpose>/give/", views.consent_give, name="consent-give"),
    path("me/consents/<slug:purpose>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
    path("me/text-messages/", views.text_messages, name="text-messages"),
    path("me/text-messages/number/", views.mobile_number, name="mobile-number"),
    path("me/text-messages/verify/", views.mobile_verify, name="mobile-verify"),
    path("me/text-messages/remove/", views.mobile_remove, name="mobile-remove"),
    path("me/availability/", views.availability, name="availability"),
    path("me/availability/away/", views.away_add, name="away-add"),
    path("me/availability/away/<int:pk>/delete/", views.away_delete, name="away-delete"),
    path("me/data/", views.my_data, name="my-data"),
    path("me/data/export.json", views.export_json, name="export-json"),
    path("me/data/export/", views.export_html, name="export-html"),
    path("me/data/erase/", views.erase, name="erase"),
    path("me/data/erase/cancel/", views.cancel_erasure, name="cancel-erasure"),
    # Photos, for those who may see them
    # Coordinator
    path("coordinator/applications/", coordination.applications, name="applications"),
    path("coordinator/applications/<int:pk>/", coordination.application_detail, name="application"),
    path("coordinator/applications/<int:pk>/note/", coordination.application_note, name="application-note"),
    path("coordinator/applications/<int:pk>/accept/", coordination.application_accept, name="application-accept"),
    path("coordinator/applications/<int:pk>/reject/", coordination.application_reject, name="application-reject"),
    path("coordinator/experts/", coordination.expert_list, name="expert-list"),
    path("coordinator/experts/<int:pk>/", coordination.expert_detail, name="expert"),
    path("coordinator/experts/<int:pk>/guardian-consent/", coordination.guardian_consent, name="guardian-consent"),
    path(
        "coordinator/experts/<int:pk>/guardian-withdrawal/",
        coordination.guardian_withdrawal,
        name="guardian-withdrawal",
    ),
    path("coordinator/experts/<int:pk>/access-log/", coordination.expert_access_log, name="access-log"),
    path("coordinator/experts/<int:pk>/status/", coordination.expert_status, name="expert-status"),
    path("coordinator/experts/<int:pk>/trainings/", coordination.expert_trainings, name="expert-trainings"),
    path("coordinator/experts/<int:pk>/notes/", coordination.expert_notes, name="expert-notes"),
    path("coordinator/experts/<int:pk>/exclusions/", coordination.expert_exclusions, name="expert-exclusions"),
]
