from django.urls import include, path

from einblick.accounts import views

urlpatterns = [
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("invitation/", views.invitation, name="invitation"),
    path("overview/", views.overview, name="account_overview"),
    path("export/", views.export, name="account_export"),
    path("delete/", views.delete, name="account_delete"),
    path("outbox/", views.outbox, name="outbox"),
    # The e-mail address is the identity that grants and staff memberships hang on: it is not
    # changed or added to by the user (allauth's e-mail management is switched off).
    path("email/", views.no_email_management),
    path("", include("allauth.urls")),
]
