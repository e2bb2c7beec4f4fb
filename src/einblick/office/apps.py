from django.apps import AppConfig


class OfficeConfig(AppConfig):
    """No models: the use cases of the office and their command line (`einblick broker`)."""

    name = "einblick.office"
    label = "office"
