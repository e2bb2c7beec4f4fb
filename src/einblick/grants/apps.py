from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "einblick.grants"
    label = "grants"

    def ready(self) -> None:
        from einblick.portfolio import signals

        signals.contracts_regrouped.connect(_regrouped, dispatch_uid="grants-drop-uncovered-picks")


def _regrouped(sender: object, *, contract_pks: list[int], **kwargs: Any) -> None:
    from einblick.grants.services import drop_uncovered_picks

    drop_uncovered_picks(contract_pks=contract_pks)
