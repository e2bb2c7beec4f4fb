from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "einblick.audit"
    label = "audit"
