from django.urls import path

from einblick.portal import branding, capture, choose, claims, messages, views

app_name = "portal"
urlpatterns = [
    path("", choose.home, name="home"),
    path("invitations/", choose.answer, name="answer_invitation"),
    path("brand/<int:broker_id>.css", branding.brand_css, name="brand_css"),
    path("brand/<int:broker_id>/logo", branding.logo, name="logo"),
    path("<str:grant_id>/", views.dashboard, name="dashboard"),
    path("<str:grant_id>/contracts.csv", views.contracts_csv, name="contracts_csv"),
    path("<str:grant_id>/contracts.xlsx", views.contracts_xlsx, name="contracts_xlsx"),
    path("<str:grant_id>/customers/", views.customer_list, name="customers"),
    path("<str:grant_id>/claims/", views.claim_list, name="claims"),
    path("<str:grant_id>/contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("<str:grant_id>/claims/<int:pk>/", views.claim_detail, name="claim"),
    path("<str:grant_id>/customers/<int:pk>/", views.customer_detail, name="customer"),
    # Where processes start (visibility.md §6; the forms come with the processes)
    path("<str:grant_id>/messages/", messages.thread_list, name="messages"),
    path("<str:grant_id>/messages/new/", messages.message_new, name="message_new"),
    path("<str:grant_id>/messages/<str:process_id>/", messages.thread, name="thread"),
    path(
        "<str:grant_id>/messages/<str:process_id>/files/<int:attachment_id>/",
        messages.attachment,
        name="attachment",
    ),
    path("<str:grant_id>/claims/report/", claims.start, name="claim_report"),
    path("<str:grant_id>/claims/report/<str:draft_id>/<str:step>/", claims.step, name="claim_step"),
    path(
        "<str:grant_id>/contracts/<int:contract_pk>/claim/",
        claims.start,
        name="contract_claim_report",
    ),
    path(
        "<str:grant_id>/customers/<int:customer_pk>/claim/",
        claims.start,
        name="customer_claim_report",
    ),
    path("<str:grant_id>/contracts/capture/", capture.contract_capture, name="contract_capture"),
    path("<str:grant_id>/offers/new/", capture.offer_request, name="offer_request"),
]
