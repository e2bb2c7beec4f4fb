from django.urls import path

from einblick.staff import audit, editor, grants, inbox, views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("grants/<str:grant_id>/preview/", views.preview, name="preview"),
    path("<int:broker_id>/grants/", grants.grant_list, name="grants"),
    path("<int:broker_id>/grants/new/", grants.grant_new, name="grant_new"),
    path("<int:broker_id>/grants/<str:grant_id>/", editor.editor, name="grant"),
    path("<int:broker_id>/grants/<str:grant_id>/delete/", grants.grant_delete, name="grant_delete"),
    path("<int:broker_id>/audit/", audit.audit_log, name="audit"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<str:process_id>/", inbox.process_detail, name="process"),
    path("inbox/<str:process_id>/files/<int:attachment_id>/", inbox.attachment, name="attachment"),
]
