from django.apps import AppConfig
from django.db.models.signals import post_delete


class PortfolioConfig(AppConfig):
    name = "einblick.portfolio"
    label = "portfolio"

    def ready(self) -> None:
        from einblick.portfolio.documents import document_deleted
        from einblick.portfolio.models import Document

        # A document's file is removed after the commit, whatever deleted its row (itself, or its
        # customer, contract, claim or broker cascading).
        post_delete.connect(document_deleted, sender=Document, dispatch_uid="document_file")
