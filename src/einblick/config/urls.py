from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path

from einblick.accounts import views as account_views
from einblick.api.http import json_error
from einblick.api.v1 import api
from einblick.config import health


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown API paths answer in the API's error shape, not with an HTML page."""
    return json_error(404, "Not found.")


handler500 = "einblick.config.busy.server_error"

urlpatterns = [
    path("", account_views.home, name="home"),
    # For load balancers and monitors; config.health.HealthMiddleware answers them before the rest.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("einblick.accounts.urls")),
    path("portal/", include("einblick.portal.urls")),
    path("staff/", include("einblick.staff.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]
