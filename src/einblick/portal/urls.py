from django.urls import path

from einblick.portal import actions, branding, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
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
    path("<str:grant_id>/messages/new/", actions.message_new, name="message_new"),
    path("<str:grant_id>/claims/report/", actions.claim_report, name="claim_report"),
    path(
        "<str:grant_id>/contracts/<int:pk>/claim/",
        actions.contract_claim_report,
        name="contract_claim_report",
    ),
    path(
        "<str:grant_id>/customers/<int:pk>/claim/",
        actions.customer_claim_report,
        name="customer_claim_report",
    ),
    path("<str:grant_id>/contracts/capture/", actions.contract_capture, name="contract_capture"),
    path("<str:grant_id>/offers/new/", actions.offer_request, name="offer_request"),
]
