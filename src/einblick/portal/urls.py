from django.urls import path

from einblick.portal import branding, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("brand/<int:broker_id>.css", branding.brand_css, name="brand_css"),
    path("<str:grant_id>/", views.dashboard, name="dashboard"),
    path("<str:grant_id>/contracts.csv", views.contracts_csv, name="contracts_csv"),
    path("<str:grant_id>/contracts.xlsx", views.contracts_xlsx, name="contracts_xlsx"),
    path("<str:grant_id>/customers/", views.customer_list, name="customers"),
    path("<str:grant_id>/claims/", views.claim_list, name="claims"),
    path("<str:grant_id>/contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("<str:grant_id>/claims/<int:pk>/", views.claim_detail, name="claim"),
    path("<str:grant_id>/customers/<int:pk>/", views.customer_detail, name="customer"),
]
