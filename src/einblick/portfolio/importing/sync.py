"""The machinery of applying a batch: fingerprints that skip what was sent exactly so before,
validation by the payload schemas, and one pass that inserts new rows and updates changed ones with a
constant number of queries per chunk of objects. apply.py says what each section writes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import models
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError

from einblick.brokers.models import Broker, StaffMember, TariffAccount, is_external_id
from einblick.errors import ErrorList, clean_message
from einblick.portfolio import payloads
from einblick.portfolio.importing.shape import SECTIONS, BatchResult
from einblick.portfolio.importing.sql import chunks, insert, lookup
from einblick.portfolio.models import Claim, Contract, Customer, Document, Line

ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "staff": TypeAdapter(payloads.StaffIn),
    "lines": TypeAdapter(payloads.LineIn),
    "tariff_accounts": TypeAdapter(payloads.TariffAccountIn),
    "customers": TypeAdapter(payloads.CustomerIn),
    "contracts": TypeAdapter(payloads.ContractIn),
    "claims": TypeAdapter(payloads.ClaimIn),
    "documents": TypeAdapter(payloads.DocumentIn),
}
MODELS: dict[str, type[models.Model]] = {
    "staff": StaffMember,
    "lines": Line,
    "tariff_accounts": TariffAccount,
    "customers": Customer,
    "contracts": Contract,
    "claims": Claim,
    "documents": Document,
}
NOUNS = {"lines": "line", "customers": "customer", "contracts": "contract", "claims": "claim"}
BAD_ID = "external id must be 1–64 characters of A-Z a-z 0-9 . _ : -"

# Part of every fingerprint: bump it when validation or storage rules change, and every object
# is judged afresh on its next import (docs/2026-11-27-fingerprints-for-unchanged-objects.md).
FINGERPRINT_VERSION = b"1"


@dataclass
class Batch:
    broker: Broker
    now: Any
    result: BatchResult = field(default_factory=BatchResult)
    errors: ErrorList = field(default_factory=ErrorList)
    rejected: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in SECTIONS})

    def reject(self, section: str, external_id: str, *loc: str | int, msg: str) -> None:
        self.errors.add(section, external_id, *loc, msg=msg)
        self.rejected[section].add(external_id)

    def missing(self, section: str, key: str) -> str:
        if key in self.rejected[section]:
            return f"{NOUNS[section]} {key} was rejected in this batch"
        return f"{NOUNS[section]} {key} does not exist"


@dataclass
class Section:
    """One section of the batch as sent: its fingerprints and what of it is stored already."""

    name: str
    key: str
    hashes: dict[str, str]  # key → fingerprint of the object as sent
    stored: dict[str, tuple[int, str]]  # key → (pk, stored fingerprint)


def fingerprint(raw: Any) -> str:
    if isinstance(raw, BaseModel):
        raw = raw.model_dump(mode="json")
    text = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(text, digest_size=16, key=FINGERPRINT_VERSION).hexdigest()


def drop_unchanged(batch: Batch, name: str, objects: Mapping[str, Any]) -> tuple[Section, dict[str, Any]]:
    """Objects sent exactly as they were last imported are unchanged: no validation, no comparison.
    Only the import stores fingerprints, so any other write makes the next import judge afresh."""
    keyed = {}
    for key, raw in objects.items():
        if is_external_id(key):
            keyed[key] = raw
        else:
            batch.reject(name, key, msg=BAD_ID)
    key_field = "code" if name == "lines" else "external_id"
    section = Section(
        name=name,
        key=key_field,
        hashes={key: fingerprint(raw) for key, raw in keyed.items()},
        stored=lookup(batch.broker, MODELS[name], keyed, "sync_hash", key=key_field),
    )
    fresh = {}
    for key, raw in keyed.items():
        stored_hash = section.stored.get(key, (None, ""))[1]
        if stored_hash and stored_hash == section.hashes[key]:
            batch.result.unchanged[name] += 1
        else:
            fresh[key] = raw
    return section, fresh


def validate(batch: Batch, name: str, objects: Mapping[str, Any]) -> dict[str, Any]:
    adapter = ADAPTERS[name]
    valid: dict[str, Any] = {}
    for key, raw in objects.items():
        if isinstance(raw, BaseModel):
            valid[key] = raw
            continue
        try:
            valid[key] = adapter.validate_python(raw)
        except PydanticError as exc:
            for error in exc.errors(include_url=False, include_context=False, include_input=False):
                batch.reject(name, key, *error["loc"], msg=clean_message(error["msg"]))
    return valid


def sync(
    batch: Batch,
    section: Section,
    rows: dict[str, dict[str, Any]],
    *,
    children: dict[str, list[tuple[str, ...]]] | None = None,
    load_children: Any = None,
) -> tuple[dict[str, int], dict[str, tuple[int, dict[str, Any]]]]:
    """Create new rows, update changed ones, count the rest as unchanged.

    Returns the created (key → pk) and the updated (key → (pk, old values))."""
    if not rows:
        return {}, {}
    model, key, result = MODELS[section.name], section.key, batch.result
    fields = list(next(iter(rows.values())))
    existing: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for chunk in chunks(section.stored[k][0] for k in rows if k in section.stored):
        for pk, k, *values in model._default_manager.filter(pk__in=chunk).values_list("pk", key, *fields):
            existing[k] = (pk, tuple(values))
    old_children = load_children([pk for pk, _ in existing.values()]) if load_children and existing else {}

    # Columns the rows leave out take the model's defaults, as the ORM would give them.
    defaults = {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in fields and not f.primary_key and f.has_default()
    }
    defaults.update(broker_id=batch.broker.pk, created_at=batch.now, updated_at=batch.now)
    new: list[dict[str, Any]] = []
    changed: list[models.Model] = []
    refingerprinted: list[models.Model] = []
    updated: dict[str, tuple[int, dict[str, Any]]] = {}
    for k, row in rows.items():
        found = existing.get(k)
        if found is None:
            new.append({**defaults, key: k, **row, "sync_hash": section.hashes[k]})
            continue
        pk, values = found
        same = values == tuple(row.values())
        if children is not None:
            same = same and old_children.get(pk, []) == children[k]
        if same:
            # Equal, but sent in another spelling: store this spelling, so that next time it is cheap.
            result.unchanged[section.name] += 1
            refingerprinted.append(model(pk=pk, sync_hash=section.hashes[k]))
            continue
        changed.append(
            model(
                pk=pk,
                broker=batch.broker,
                updated_at=batch.now,
                sync_hash=section.hashes[k],
                **{key: k},
                **row,
            )
        )
        updated[k] = (pk, dict(zip(fields, values, strict=True)))
    insert(model, new)
    if changed:
        model._default_manager.bulk_update(changed, [*fields, "updated_at", "sync_hash"], batch_size=250)
    if refingerprinted:
        model._default_manager.bulk_update(refingerprinted, ["sync_hash"], batch_size=500)
    result.created[section.name] += len(new)
    result.updated[section.name] += len(changed)
    created = lookup(batch.broker, model, (row[key] for row in new), key=key) if new else {}
    return created, updated
