"""Applying a batch: section by section, with a constant number of queries per chunk of objects.

For each section: look up the stored fingerprints, skip what was sent exactly so before, validate
the rest, compare it with the stored rows, insert the new rows and update the changed ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import models
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError

from einblick.brokers.models import Broker, StaffMember, TariffAccount, is_external_id
from einblick.errors import ErrorList, clean_message
from einblick.portfolio import payloads
from einblick.portfolio.importing.shape import DELETABLE, SECTIONS, BatchResult
from einblick.portfolio.importing.sql import chunks, insert, lookup
from einblick.portfolio.models import (
    Claim,
    ClaimStatusChange,
    Contract,
    Customer,
    Line,
    LineGroup,
    RiskLocation,
)

ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "staff": TypeAdapter(payloads.StaffIn),
    "lines": TypeAdapter(payloads.LineIn),
    "tariff_accounts": TypeAdapter(payloads.TariffAccountIn),
    "customers": TypeAdapter(payloads.CustomerIn),
    "contracts": TypeAdapter(payloads.ContractIn),
    "claims": TypeAdapter(payloads.ClaimIn),
}
MODELS: dict[str, type[models.Model]] = {
    "staff": StaffMember,
    "lines": Line,
    "tariff_accounts": TariffAccount,
    "customers": Customer,
    "contracts": Contract,
    "claims": Claim,
}
NOUNS = {"lines": "line", "customers": "customer", "contracts": "contract"}
BAD_ID = "external id must be 1–64 characters of A-Z a-z 0-9 . _ : -"

# Part of every fingerprint: bump it when validation or storage rules change, and every object
# is judged afresh on its next import (docs/2026-11-27-fingerprints-for-unchanged-objects.md).
FINGERPRINT_VERSION = b"1"


@dataclass
class _Batch:
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
class _Section:
    """One section of the batch as sent: its fingerprints and what of it is stored already."""

    name: str
    key: str
    hashes: dict[str, str]  # key → fingerprint of the object as sent
    stored: dict[str, tuple[int, str]]  # key → (pk, stored fingerprint)


def apply(broker: Broker, data: Mapping[str, Any]) -> BatchResult:
    """Apply every valid object of a batch of the import shape; the rejected ones are in `errors`."""
    batch = _Batch(broker=broker, now=timezone.now())
    for name in SECTIONS:
        if objects := data.get(name):
            section, fresh = _drop_unchanged(batch, name, objects)
            _WRITERS[name](batch, section, _validate(batch, name, fresh))
    if data.get("delete"):
        _delete(batch, data["delete"])
    batch.result.errors = batch.errors.items
    return batch.result


def fingerprint(raw: Any) -> str:
    if isinstance(raw, BaseModel):
        raw = raw.model_dump(mode="json")
    text = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(text, digest_size=16, key=FINGERPRINT_VERSION).hexdigest()


def _drop_unchanged(batch: _Batch, name: str, objects: Mapping[str, Any]) -> tuple[_Section, dict[str, Any]]:
    """Objects sent exactly as they were last imported are unchanged: no validation, no comparison.
    Only the import stores fingerprints, so any other write makes the next import judge afresh."""
    keyed = {}
    for key, raw in objects.items():
        if is_external_id(key):
            keyed[key] = raw
        else:
            batch.reject(name, key, msg=BAD_ID)
    key_field = "code" if name == "lines" else "external_id"
    section = _Section(
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


def _validate(batch: _Batch, name: str, objects: Mapping[str, Any]) -> dict[str, Any]:
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


def _sync(
    batch: _Batch,
    section: _Section,
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


def _write_staff(batch: _Batch, section: _Section, valid: dict[str, Any]) -> None:
    rows = {k: {"name": p.name, "email": p.email, "phone": p.phone, "role": p.role} for k, p in valid.items()}
    _sync(batch, section, rows)


def _write_lines(batch: _Batch, section: _Section, valid: dict[str, Any]) -> None:
    _sync(batch, section, {k: {"label": p.label, "group": p.group, "gdv": p.gdv} for k, p in valid.items()})


def _write_tariff_accounts(batch: _Batch, section: _Section, valid: dict[str, Any]) -> None:
    _sync(batch, section, {k: {"name": p.name, "url": p.url} for k, p in valid.items()})


def _write_customers(batch: _Batch, section: _Section, valid: dict[str, Any]) -> None:
    rows = {}
    for k, p in valid.items():
        if p.kind == "person" and not p.last_name:
            batch.reject("customers", k, "last_name", msg="a person needs a last name")
            continue
        if p.kind == "company" and not p.company_name:
            batch.reject("customers", k, "company_name", msg="a company needs a company name")
            continue
        address = p.address or payloads.AddressIn()
        rows[k] = {
            "kind": p.kind,
            "salutation": p.salutation,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "company_name": p.company_name,
            "birth_date": p.birth_date,
            "emails": p.emails,
            "phone": p.phone,
            "intermediary": p.intermediary,
            "street": address.street,
            "zip": address.zip,
            "city": address.city,
            "country": address.country,
        }
    _, updated = _sync(batch, section, rows)
    renumbered = [pk for k, (pk, old) in updated.items() if old["intermediary"] != rows[k]["intermediary"]]
    if renumbered:
        _drop_uncovered_picks(
            # only the picked ones: the renumbered customers may have many contracts
            list(
                Contract.objects.filter(customer_id__in=renumbered, grants__isnull=False)
                .values_list("pk", flat=True)
                .distinct()
            )
        )


def _line_pks(batch: _Batch, codes: set[str]) -> dict[str, int]:
    """The catalogue's pks for these codes; unknown codes from the AMS are registered, never rejected
    (except a code whose line the same batch sent and had rejected)."""
    known = lookup(batch.broker, Line, codes, key="code")
    unknown = sorted(codes - known.keys() - batch.rejected["lines"])
    if unknown:
        Line.objects.bulk_create(
            [Line(broker=batch.broker, code=code, label=code, group=LineGroup.SONSTIGES) for code in unknown]
        )
        known.update(lookup(batch.broker, Line, unknown, key="code"))
        batch.result.created["lines"] += len(unknown)
    return known


LOCATION_FIELDS = ("label", "street", "zip", "city", "country")


def _load_risk_locations(contract_pks: list[int]) -> dict[int, list[tuple[str, ...]]]:
    found: dict[int, list[tuple[str, ...]]] = {}
    for chunk in chunks(contract_pks):
        rows = RiskLocation.objects.filter(contract_id__in=chunk).order_by("contract_id", "position")
        for contract_id, *values in rows.values_list("contract_id", *LOCATION_FIELDS):
            found.setdefault(contract_id, []).append(tuple(values))
    return found


def _write_contracts(batch: _Batch, section: _Section, valid: dict[str, Any]) -> None:
    customers = lookup(batch.broker, Customer, (p.customer for p in valid.values()))
    lines = _line_pks(batch, {p.line for p in valid.values() if p.customer in customers})
    rows, locations = {}, {}
    for k, p in valid.items():
        if p.customer not in customers:
            batch.reject("contracts", k, "customer", msg=batch.missing("customers", p.customer))
            continue
        if p.line not in lines:
            batch.reject("contracts", k, "line", msg=batch.missing("lines", p.line))
            continue
        rows[k] = {
            "customer_id": customers[p.customer],
            "number": p.number,
            "line_id": lines[p.line],
            "insurer": p.insurer,
            "product": p.product,
            "risk": p.risk,
            "status": p.status,
            "offer_date": p.offer_date,
            "application_date": p.application_date,
            "document_date": p.document_date,
            "start_date": p.start_date,
            "end_date": p.end_date,
            "premium": p.premium,
            "payment_interval": p.payment_interval,
            "intermediary": p.intermediary,
        }
        locations[k] = [tuple(getattr(r, name) for name in LOCATION_FIELDS) for r in p.risk_locations]
    created, updated = _sync(batch, section, rows, children=locations, load_children=_load_risk_locations)
    moved = [pk for k, (pk, old) in updated.items() if old["customer_id"] != rows[k]["customer_id"]]
    _move_claims_along(batch, moved)
    _drop_uncovered_picks(moved)
    for chunk in chunks(pk for pk, _ in updated.values()):
        RiskLocation.objects.filter(contract_id__in=chunk).delete()
    written = {**created, **{k: pk for k, (pk, _) in updated.items()}}
    insert(
        RiskLocation,
        [
            {
                "broker_id": batch.broker.pk,
                "contract_id": pk,
                "position": position,
                **dict(zip(LOCATION_FIELDS, location, strict=True)),
            }
            for k, pk in written.items()
            for position, location in enumerate(locations[k])
        ],
    )


def _drop_uncovered_picks(contract_pks: list[int]) -> None:
    """A customer who leaves a grant takes their hand-picked contracts along (visibility.md §2)."""
    from einblick.grants.services import drop_uncovered_picks  # grants build on the portfolio

    for chunk in chunks(contract_pks):
        drop_uncovered_picks(contract_pks=chunk)


def _move_claims_along(batch: _Batch, contract_pks: list[int]) -> None:
    """A contract that moves to another customer takes its claims along: a claim always belongs to
    the customer of its contract. Claims of the same batch are applied afterwards and win. The moved
    claims lose their fingerprint (the AMS did not send them so), and are counted with the contract."""
    new_customer = Contract.objects.filter(pk=OuterRef("contract_id")).values("customer_id")[:1]
    for chunk in chunks(contract_pks):
        Claim.objects.filter(broker=batch.broker, contract_id__in=chunk).exclude(
            customer_id=F("contract__customer_id")
        ).update(customer_id=Subquery(new_customer), sync_hash="", updated_at=batch.now)


def _write_claims(batch: _Batch, section: _Section, valid: dict[str, Any]) -> None:
    customers = lookup(batch.broker, Customer, (p.customer for p in valid.values()))
    contracts = lookup(
        batch.broker, Contract, (p.contract for p in valid.values() if p.contract), "customer_id"
    )
    rows = {}
    for k, p in valid.items():
        if p.customer not in customers:
            batch.reject("claims", k, "customer", msg=batch.missing("customers", p.customer))
            continue
        contract_id = None
        if p.contract:
            if p.contract not in contracts:
                batch.reject("claims", k, "contract", msg=batch.missing("contracts", p.contract))
                continue
            contract_id, contract_customer = contracts[p.contract]
            if contract_customer != customers[p.customer]:
                batch.reject(
                    "claims", k, "contract", msg=f"contract {p.contract} belongs to another customer"
                )
                continue
        rows[k] = {
            "customer_id": customers[p.customer],
            "contract_id": contract_id,
            "number": p.number,
            "loss_date": p.loss_date,
            "status": p.status,
            "description": p.description,
            "amount_reserved": p.amount_reserved,
            "amount_paid": p.amount_paid,
        }
    created, updated = _sync(batch, section, rows)
    steps = [(pk, rows[k]["status"]) for k, pk in created.items()]
    moved = {k: pk for k, (pk, old) in updated.items() if old["status"] != rows[k]["status"]}
    steps += [(pk, rows[k]["status"]) for k, pk in moved.items()]
    reported = [(k, rows[k]["status"]) for k in moved if k.startswith("portal:")]
    if reported:  # claims the portal reported: their reports hear of it
        from einblick.processes.services import claims_moved

        claims_moved(broker=batch.broker, changes=reported)
    insert(
        ClaimStatusChange,
        [
            {"broker_id": batch.broker.pk, "claim_id": pk, "status": status, "changed_at": batch.now}
            for pk, status in steps
        ],
    )


_WRITERS = {
    "staff": _write_staff,
    "lines": _write_lines,
    "tariff_accounts": _write_tariff_accounts,
    "customers": _write_customers,
    "contracts": _write_contracts,
    "claims": _write_claims,
}


def _delete(batch: _Batch, deletions: Mapping[str, list[Any]]) -> None:
    """Deletions come last (api-v1.md), so a batch may send an object and delete it, or what it hangs
    on; re-sending such a batch does that again. Deleting what does not exist is a no-op."""
    for name in DELETABLE:
        keys = []
        for position, key in enumerate(deletions.get(name) or []):
            if is_external_id(key):
                keys.append(key)
            else:
                batch.errors.add("delete", name, position, msg=BAD_ID)
        model = MODELS[name]._default_manager
        for chunk in chunks(keys):
            pks = list(lookup(batch.broker, MODELS[name], chunk).values())
            if pks:
                model.filter(pk__in=pks).delete()
                batch.result.deleted[name] += len(pks)
