"""What a batch looks like (api-v1.md "Batch import") and what applying one reports."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from einblick.errors import ErrorList, FieldError, Invalid

Mode = Literal["atomic", "partial"]
SECTIONS = ("staff", "lines", "tariff_accounts", "customers", "contracts", "claims", "documents")
DELETABLE = ("customers", "contracts", "claims", "documents")


def _counts() -> dict[str, int]:
    return dict.fromkeys(SECTIONS, 0)


@dataclass
class BatchResult:
    created: dict[str, int] = field(default_factory=_counts)
    updated: dict[str, int] = field(default_factory=_counts)
    unchanged: dict[str, int] = field(default_factory=_counts)
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DELETABLE, 0))
    errors: list[FieldError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(itertools.chain(self.created.values(), self.updated.values(), self.deleted.values()))

    def summary(self) -> dict[str, dict[str, int]]:
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted}


def check_shape(data: Any) -> int:
    """Raise Invalid unless `data` is of the import shape; return how many objects it holds."""
    if not isinstance(data, Mapping):
        raise Invalid("The batch must be a JSON object.", [FieldError((), "must be a JSON object")])
    errors = ErrorList()
    count = 0
    for key, value in data.items():
        if key == "delete":
            if not isinstance(value, Mapping):
                errors.add("delete", msg="must be an object of lists")
                continue
            for entity, ids in value.items():
                if entity not in DELETABLE:
                    errors.add("delete", entity, msg=f"unknown section; use {', '.join(DELETABLE)}")
                elif not isinstance(ids, list):
                    errors.add("delete", entity, msg="must be a list of external ids")
                else:
                    count += len(ids)
        elif key not in SECTIONS:
            errors.add(key, msg=f"unknown section; use {', '.join((*SECTIONS, 'delete'))}")
        elif not isinstance(value, Mapping):
            errors.add(key, msg="must be an object mapping external ids to objects")
        else:
            count += len(value)
    if errors:
        raise Invalid("The batch is not of the import shape.", errors.items)
    return count
