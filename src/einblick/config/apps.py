from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ConfigConfig(AppConfig):
    """Holds the deployment commands (`einblick serve`); no models."""

    default = True
    name = "einblick.config"
    label = "config"


class OperatorAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "einblick.config.admin.OperatorAdminSite"
