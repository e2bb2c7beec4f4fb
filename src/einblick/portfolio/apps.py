from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "einblick.portfolio"
    label = "portfolio"
