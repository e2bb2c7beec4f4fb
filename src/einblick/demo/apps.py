from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "einblick.demo"
    label = "demo"
