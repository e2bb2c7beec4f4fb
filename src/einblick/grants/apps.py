from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "einblick.grants"
    label = "grants"
