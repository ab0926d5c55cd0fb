from __future__ import annotations

from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("v1/statistics/", views.statistics, name="statistics"),
    path("v1/payments/", views.payments, name="payments"),
    path("v1/payments/paid/", views.payments_paid, name="payments-paid"),
    path("v1/vocabularies/", views.vocabularies, name="vocabularies"),
    path("v1/openapi.json", views.openapi, name="openapi"),
    path("v1/docs/", views.docs, name="docs"),
    # Anything else under the API answers in JSON too, not with an HTML page.
    path("<path:rest>", views.not_found, name="not-found"),
]
