from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class OperatorAdminSite(AdminSite):
    """The Django admin is for operators (superusers) only; it is not the broker's UI. Operators log
    in through the one login (allauth: rate limits, audit, second factor), never the admin's own form."""

    site_header = "Einblick operators"
    site_title = "Einblick operators"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(reverse("account_login") + "?" + urlencode({"next": target}))
