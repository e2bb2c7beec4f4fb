from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from einblick.api.v1 import api

urlpatterns = [
    # Until the portal lands (issue 5), the front page leads to the API documentation.
    path("", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
