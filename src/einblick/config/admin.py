from django.contrib.admin import AdminSite
from django.http import HttpRequest


class OperatorAdminSite(AdminSite):
    """The Django admin is for operators (superusers) only; it is not the broker's UI."""

    site_header = "Einblick operators"
    site_title = "Einblick operators"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)
