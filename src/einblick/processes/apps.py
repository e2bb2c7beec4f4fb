from django.apps import AppConfig


class ProcessesConfig(AppConfig):
    name = "einblick.processes"
    label = "processes"
    verbose_name = "Vorgänge"
