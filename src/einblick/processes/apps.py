from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from einblick.brokers.models import Broker


class ProcessesConfig(AppConfig):
    name = "einblick.processes"
    label = "processes"
    verbose_name = "Vorgänge"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from einblick.portfolio import signals
        from einblick.processes.models import Attachment, DraftFile

        post_delete.connect(_forget_file, sender=Attachment, dispatch_uid="processes-attachment-file")
        post_delete.connect(_forget_file, sender=DraftFile, dispatch_uid="processes-draft-file")
        signals.reported_claims_changed.connect(_claims_changed, dispatch_uid="processes-claims-moved")


def _claims_changed(sender: object, *, broker: Broker, changes: list[tuple[str, str]], **kwargs: Any) -> None:
    from einblick.processes.claims import claims_moved

    claims_moved(broker=broker, changes=changes)


def _forget_file(sender: object, instance: object, **kwargs: object) -> None:
    """A file row is gone (removed, a draft discarded, a process or broker deleted): once that has
    committed, the file goes too, unless another row holds it (a submitted draft's files move to the
    process's attachments under the same names)."""
    from django.db import transaction

    from einblick.processes import files
    from einblick.processes.models import Attachment, DraftFile

    stored = instance.stored  # type: ignore[attr-defined]

    def remove() -> None:
        if (
            not Attachment.objects.filter(stored=stored).exists()
            and not DraftFile.objects.filter(stored=stored).exists()
        ):
            files.remove([stored])

    transaction.on_commit(remove)
