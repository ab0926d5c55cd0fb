from __future__ import annotations

from django.urls import path

from engagements import aftercare, coordination, homes, reviews, statistics_views, views

app_name = "engagements"

urlpatterns = [
    # Each role's home page
    path("home/expert/", homes.expert_home, name="expert-home"),
    path("home/unit/", homes.unit_home, name="unit-home"),
    path("home/coordinator/", homes.coordinator_home, name="coordinator-home"),
    path("home/manager/", homes.manager_home, name="manager-home"),
    # Public start for workers without an account
    path("request-an-expert/start/", views.join, name="join"),
    path("request-an-expert/check-your-email/", views.join_sent, name="join-sent"),
    # Photos of experts (the expert, coordinators, confirmed units with the photo consent)
    path("experts/<int:pk>/photo/", views.expert_photo, name="expert-photo"),
    # Unit members
    path("unit/requests/", views.unit_requests, name="unit-requests"),
    path("unit/requests/new/", views.request_create, name="request-create"),
    path("unit/requests/<int:pk>/", views.unit_request, name="unit-request"),
    path("unit/requests/<int:pk>/edit/", views.request_edit, name="request-edit"),
    path("unit/requests/<int:pk>/submit/", views.request_submit, name="request-submit"),
    path("unit/requests/<int:pk>/cancel/", views.request_cancel, name="request-cancel"),
    path("unit/requests/<int:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path("unit/invite/", views.invite_colleague, name="invite-colleague"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    # Experts
    path("me/offers/", views.my_offers, name="my-offers"),
    path("me/offers/<int:pk>/", views.offer, name="offer"),
    path("me/offers/<int:pk>/accept/", views.offer_accept, name="offer-accept"),
    path("me/offers/<int:pk>/decline/", views.offer_decline, name="offer-decline"),
    path("me/offers/<int:pk>/cancel/", views.expert_cancel, name="expert-cancel"),
    # Material reviews: the reviewer's work space, the unit's reading, questions and adoption
    path("me/reviews/<int:pk>/", reviews.review, name="review"),
    path("me/reviews/<int:pk>/comments/<int:comment_pk>/", reviews.review_comment_edit, name="review-comment"),
    path(
        "me/reviews/<int:pk>/comments/<int:comment_pk>/remove/",
        reviews.review_comment_delete,
        name="review-comment-delete",
    ),
    path("me/reviews/<int:pk>/comments/<int:comment_pk>/answer/", reviews.review_answer, name="review-answer"),
    path("me/reviews/<int:pk>/document/", reviews.review_document, name="review-document"),
    path("me/reviews/<int:pk>/submit/", reviews.review_submit, name="review-submit"),
    path("reviews/<int:pk>/document/", reviews.review_document_download, name="review-document-download"),
    path("unit/requests/<int:pk>/review/", reviews.unit_review, name="unit-review"),
    path("unit/requests/<int:pk>/review.csv", reviews.unit_review_csv, name="unit-review-csv"),
    path("unit/requests/<int:pk>/review.docx", reviews.unit_review_docx, name="unit-review-docx"),
    path("unit/review-comments/<int:pk>/question/", reviews.review_question, name="review-question"),
    path("unit/review-comments/<int:pk>/adoption/", reviews.review_adoption, name="review-adoption"),
    # The offer e-mail's signed, single-use link (no sign-in; this one offer only)
    path("offer/<str:token>/", views.offer_link, name="offer-link"),
    path("o/<int:pk>/<str:nonce>/", views.offer_short_link, name="offer-short-link"),
    path("offer/<str:token>/accept/", views.offer_link_accept, name="offer-link-accept"),
    path("offer/<str:token>/decline/", views.offer_link_decline, name="offer-link-decline"),
    # After the engagement: units and experts
    path("unit/requests/<int:pk>/feedback/", aftercare.unit_feedback, name="unit-feedback"),
    path("unit/requests/<int:pk>/impact/", aftercare.impact_note, name="impact"),
    path("me/history/", aftercare.history, name="history"),
    path("me/offers/<int:pk>/feedback/", aftercare.expert_feedback, name="expert-feedback"),
    path("me/offers/<int:pk>/expenses/", aftercare.expense_claim, name="expense-claim"),
    path("me/receipts/<int:pk>/", aftercare.receipt, name="receipt"),
    # Calendar
    path("engagements/<int:pk>/calendar.ics", views.assignment_ics, name="assignment-ics"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/new-address/", views.calendar_rotate, name="calendar-rotate"),
    path("calendar/turn-on/", views.calendar_turn_on, name="calendar-turn-on"),
    path("calendar/turn-off/", views.calendar_turn_off, name="calendar-turn-off"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    # Notifications
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("notifications/<int:pk>/", views.notification_open, name="notification"),
    # Manager
    path("manager/statistics/", statistics_views.statistics, name="statistics"),
    path("manager/statistics/<slug:table>.csv", statistics_views.statistics_csv, name="statistics-csv"),
    # Coordinator
    path("coordinator/overview/", coordination.overview, name="overview"),
    path("coordinator/mail/<int:pk>/resend/", coordination.resend_mail, name="resend-mail"),
    path("coordinator/requests/", coordination.inbox, name="inbox"),
    path("coordinator/requests/<int:pk>/", coordination.coordinator_request, name="coordinator-request"),
    path("coordinator/requests/<int:pk>/matching/", coordination.matching, name="matching"),
    path("coordinator/requests/<int:pk>/matching/excluded/", coordination.matching_excluded, name="excluded"),
    path("coordinator/requests/<int:pk>/take/", coordination.take_into_matching, name="take"),
    path("coordinator/requests/<int:pk>/decline/", coordination.decline_request, name="decline"),
    path("coordinator/requests/<int:pk>/cancel/", coordination.coordinator_cancel_request, name="coordinator-cancel"),
    path("coordinator/requests/<int:pk>/offers/", coordination.make_offers, name="make-offers"),
    path("coordinator/requests/<int:pk>/programme-theme/", coordination.programme_theme, name="programme-theme"),
    path("coordinator/assignments/<int:pk>/confirm/", coordination.confirm_assignment, name="confirm"),
    path("coordinator/assignments/<int:pk>/cancel/", coordination.cancel_assignment, name="cancel-assignment"),
    path("coordinator/invite/", coordination.invite_member, name="invite-member"),
    path("coordinator/assignments/<int:pk>/attendance/", coordination.mark_attendance, name="attendance"),
    path("coordinator/debriefs/", coordination.debriefs, name="debriefs"),
    path("coordinator/debriefs/<int:pk>/", coordination.record_debrief, name="record-debrief"),
    path("coordinator/expenses/", coordination.expenses, name="expenses"),
    path("coordinator/expenses/<int:pk>/approve/", coordination.approve_expense, name="approve-expense"),
    path("coordinator/expenses/<int:pk>/return/", coordination.return_expense, name="return-expense"),
    path("coordinator/expenses/<int:pk>/receipt/", coordination.expense_receipt, name="expense-receipt"),
    path("coordinator/payments/", coordination.payments, name="payments"),
    path("coordinator/payments.csv", coordination.payments_export, name="payments-export"),
    path("coordinator/payments/paid/", coordination.payments_mark_paid, name="payments-paid"),
]
