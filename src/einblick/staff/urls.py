from django.urls import path

from einblick.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("grants/<str:grant_id>/preview/", views.preview, name="preview"),
]
