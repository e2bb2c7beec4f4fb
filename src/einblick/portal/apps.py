from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "einblick.portal"
    label = "portal"
