from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "einblick.staff"
    label = "staff"
