from django.urls import path

from einblick.staff import appearance, audit, editor, grants, inbox, lines, tariffs, team, tokens, views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("grants/<str:grant_id>/preview/", views.preview, name="preview"),
    path("<int:broker_id>/grants/", grants.grant_list, name="grants"),
    path("<int:broker_id>/grants/new/", grants.grant_new, name="grant_new"),
    path("<int:broker_id>/grants/<str:grant_id>/", editor.editor, name="grant"),
    path("<int:broker_id>/grants/<str:grant_id>/delete/", grants.grant_delete, name="grant_delete"),
    path("<int:broker_id>/tariffs/", tariffs.tariff_list, name="tariffs"),
    path("<int:broker_id>/tariffs/<int:pk>/", tariffs.tariff_edit, name="tariff"),
    path("<int:broker_id>/tariffs/<int:pk>/delete/", tariffs.tariff_delete, name="tariff_delete"),
    path("<int:broker_id>/staff/", team.team, name="team"),
    path("<int:broker_id>/staff/<int:pk>/", team.team_member, name="team_member"),
    path("<int:broker_id>/staff/<int:pk>/delete/", team.team_member_delete, name="team_member_delete"),
    path("<int:broker_id>/lines/", lines.line_list, name="lines"),
    path("<int:broker_id>/lines/<int:pk>/", lines.line_edit, name="line"),
    path("<int:broker_id>/api/", tokens.token_list, name="tokens"),
    path("<int:broker_id>/api/<int:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("<int:broker_id>/api/webhook/", tokens.webhook, name="webhook"),
    path("<int:broker_id>/appearance/", appearance.appearance, name="appearance"),
    path("<int:broker_id>/appearance/logo/", appearance.logo, name="appearance_logo"),
    path("<int:broker_id>/audit/", audit.audit_log, name="audit"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<str:process_id>/", inbox.process_detail, name="process"),
    path("inbox/<str:process_id>/files/<int:attachment_id>/", inbox.attachment, name="attachment"),
]
