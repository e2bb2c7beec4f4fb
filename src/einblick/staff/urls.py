from django.urls import path

from einblick.staff import inbox, views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("grants/<str:grant_id>/preview/", views.preview, name="preview"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<str:process_id>/", inbox.process_detail, name="process"),
    path("inbox/<str:process_id>/files/<int:attachment_id>/", inbox.attachment, name="attachment"),
]
