from django.apps import AppConfig


class BrokersConfig(AppConfig):
    name = "einblick.brokers"
    label = "brokers"
