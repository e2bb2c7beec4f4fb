from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path

from einblick.accounts import views as account_views
from einblick.api.v1 import api


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown API paths answer in the API's error shape, not with an HTML page."""
    return JsonResponse({"detail": "Not found.", "errors": []}, status=404)


handler500 = "einblick.config.busy.server_error"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("einblick.accounts.urls")),
    path("portal/", include("einblick.portal.urls")),
    path("staff/", include("einblick.staff.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]
