"""The batch import (api-v1.md "Batch import"): the one write path for the AMS's portfolio.

Every PUT of a single object is a batch of one, so a customer is judged and written the same way
whichever door it comes through. A batch is applied section by section (staff, lines, tariff
accounts, customers, contracts, claims, then deletions), each section with a constant number of
queries per chunk of objects: existing rows are read by external id, compared field by field, and
only new or changed rows are written. Re-sending a batch therefore writes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError

from einblick.audit.services import Actor, log_action
from einblick.brokers.models import Broker, StaffMember, TariffAccount, is_external_id
from einblick.errors import ErrorList, FieldError, Invalid, TooLarge, clean_message
from einblick.portfolio import payloads
from einblick.portfolio.models import (
    Claim,
    ClaimStatusChange,
    Contract,
    Customer,
    Line,
    LineGroup,
    RiskLocation,
)

Mode = Literal["atomic", "partial"]
SECTIONS = ("staff", "lines", "tariff_accounts", "customers", "contracts", "claims")
DELETABLE = ("customers", "contracts", "claims")
CHUNK = 900  # ids per IN (...) clause, below SQLite's oldest parameter limit

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


def import_batch(*, broker: Broker, actor: Actor, data: Any, mode: Mode = "atomic") -> BatchResult:
    """Apply a batch. Atomic mode raises Invalid listing every error and writes nothing;
    partial mode applies every valid object and returns the rejected ones in `errors`."""
    count = check_shape(data)
    if count > settings.IMPORT_MAX_OBJECTS:
        raise TooLarge(f"A batch holds at most {settings.IMPORT_MAX_OBJECTS} objects; this one has {count}.")
    with transaction.atomic():
        result = _apply(broker, data, mode)
        if mode == "atomic" and result.errors:
            transaction.set_rollback(True)
        elif result.changed:
            log_action(broker=broker, actor=actor, action="portfolio.import", data=result.summary())
    if mode == "atomic" and result.errors:
        raise Invalid(f"The batch was not applied: {len(result.errors)} errors.", result.errors)
    _refresh_statistics(result)
    return result


def put_object(
    *, broker: Broker, actor: Actor, section: str, external_id: str, data: Any
) -> Literal["created", "updated", "unchanged"]:
    """Create or replace one object (PUT); raises Invalid with field-relative locations."""
    with transaction.atomic():
        result = _apply(broker, {section: {external_id: data}}, "atomic")
        if result.errors:
            errors = [FieldError(error.loc[2:], error.msg) for error in result.errors]
            raise Invalid("The object was not saved.", errors)
        outcome: Literal["created", "updated", "unchanged"] = (
            "created" if result.created[section] else "updated" if result.updated[section] else "unchanged"
        )
        if outcome != "unchanged":
            log_action(
                broker=broker,
                actor=actor,
                action=f"{section}.{outcome}",
                object_type=section,
                object_id=external_id,
            )
    return outcome


def delete_object(*, broker: Broker, actor: Actor, section: str, external_id: str) -> bool:
    """Delete one object and what hangs on it; False when there was none."""
    with transaction.atomic():
        deleted, _ = MODELS[section]._default_manager.filter(broker=broker, external_id=external_id).delete()
        if deleted:
            log_action(
                broker=broker,
                actor=actor,
                action=f"{section}.deleted",
                object_type=section,
                object_id=external_id,
            )
    return bool(deleted)


# --- shape and size -----------------------------------------------------------------------------


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


def _refresh_statistics(result: BatchResult) -> None:
    """Keep the query planner's statistics current after large imports (SQLite has no autovacuum)."""
    if connection.vendor == "sqlite" and sum(result.created.values()) >= 1000:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")


# --- applying -----------------------------------------------------------------------------------


@dataclass
class _Batch:
    broker: Broker
    result: BatchResult
    now: Any
    errors: ErrorList = field(default_factory=ErrorList)
    rejected: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in SECTIONS})
    hashes: dict[str, str] = field(default_factory=dict)  # this section's fingerprints
    stored: dict[str, int] = field(default_factory=dict)  # this section's objects already stored → pk

    def reject(self, section: str, external_id: str, *loc: str | int, msg: str) -> None:
        self.errors.add(section, external_id, *loc, msg=msg)
        self.rejected[section].add(external_id)

    def missing(self, section: str, external_id: str) -> str:
        noun = {"customers": "customer", "contracts": "contract"}[section]
        if external_id in self.rejected[section]:
            return f"{noun} {external_id} was rejected in this batch"
        return f"{noun} {external_id} does not exist"


def _apply(broker: Broker, data: Mapping[str, Any], mode: Mode) -> BatchResult:
    batch = _Batch(broker=broker, result=BatchResult(), now=timezone.now())
    for section in SECTIONS:
        objects = data.get(section)
        if objects:
            valid = _validate(batch, section, _drop_unchanged(batch, section, objects))
            _SECTION_WRITERS[section](batch, valid, data)
    if data.get("delete"):
        _delete(batch, data["delete"])
    batch.result.errors = batch.errors.items
    return batch.result


# Part of every fingerprint: bump it when validation or storage rules change, and every object
# is judged afresh on its next import.
FINGERPRINT_VERSION = b"1"


def _fingerprint(raw: Any) -> str:
    if isinstance(raw, BaseModel):
        raw = raw.model_dump(mode="json")
    text = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(text, digest_size=16, key=FINGERPRINT_VERSION).hexdigest()


def _drop_unchanged(batch: _Batch, section: str, objects: Mapping[str, Any]) -> dict[str, Any]:
    """Objects sent exactly as they were last imported are unchanged: no validation, no comparison.
    A fingerprint is stored only by the import, so any other write makes the next import judge afresh."""
    keyed = {}
    for ext, raw in objects.items():
        if is_external_id(ext):
            keyed[ext] = raw
        else:
            batch.reject(section, ext, msg="external id must be 1–64 characters of A-Z a-z 0-9 . _ : -")
    batch.hashes = {ext: _fingerprint(raw) for ext, raw in keyed.items()}
    key = "code" if section == "lines" else "external_id"
    stored = _pks(batch.broker, MODELS[section], keyed, "sync_hash", key=key)
    batch.stored = {ext: pk for ext, (pk, _) in stored.items()}
    fresh = {}
    for ext, raw in keyed.items():
        found = stored.get(ext)
        if found and found[1] and found[1] == batch.hashes[ext]:
            batch.result.unchanged[section] += 1
        else:
            fresh[ext] = raw
    return fresh


def _validate(batch: _Batch, section: str, objects: Mapping[str, Any]) -> dict[str, BaseModel]:
    adapter = ADAPTERS[section]
    valid: dict[str, BaseModel] = {}
    for external_id, raw in objects.items():
        if isinstance(raw, BaseModel):
            valid[external_id] = raw
            continue
        try:
            valid[external_id] = adapter.validate_python(raw)
        except PydanticError as exc:
            for error in exc.errors(include_url=False, include_context=False, include_input=False):
                batch.reject(section, external_id, *error["loc"], msg=clean_message(error["msg"]))
    return valid


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        yield chunk


def _pks(
    broker: Broker,
    model: type[models.Model],
    external_ids: Iterable[str],
    *extra: str,
    key: str = "external_id",
) -> dict[str, Any]:
    """key → pk, or → (pk, *extra columns) when extra columns are named; read in chunks.

    Plain SQL: building the ORM's IN lookup costs more than the query (keys and ids only)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in (key, "id", *extra))
    found: dict[str, Any] = {}
    select = f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE broker_id = %s AND {quote(key)}"  # noqa: S608
    with connection.cursor() as cursor:
        for chunk in _chunks(set(external_ids)):
            if connection.vendor == "postgresql":  # one array parameter, one plan
                cursor.execute(f"{select} = ANY(%s)", [broker.pk, chunk])
            else:
                cursor.execute(f"{select} IN ({', '.join(['%s'] * len(chunk))})", [broker.pk, *chunk])
            for external_id, *rest in cursor.fetchall():
                found[external_id] = rest[0] if not extra else tuple(rest)
    return found


def _insert(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT many rows at once: COPY on PostgreSQL, one executemany on SQLite. The ORM's
    bulk_create spends most of an import preparing values one by one; here the driver adapts them."""
    if not rows:
        return
    names = list(rows[0])
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[name] for name in names]
    columns = list(zip(names, [_adapter(f) for f in fields], strict=True))
    quote = connection.ops.quote_name
    table = f"{quote(model._meta.db_table)} ({', '.join(quote(str(f.column)) for f in fields)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([adapt(row[name]) for name, adapt in columns])
            return
        sql = f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        for chunk in _chunks(rows):
            cursor.executemany(sql, [[adapt(row[name]) for name, adapt in columns] for row in chunk])


def _adapter(field: Any) -> Any:
    if isinstance(field, models.DateTimeField):
        return functools.lru_cache(maxsize=8)(connection.ops.adapt_datetimefield_value)  # mostly batch.now
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return lambda value: value  # text, numbers, keys, dates and decimals: the driver adapts them


def _sync(
    batch: _Batch,
    section: str,
    rows: dict[str, dict[str, Any]],
    *,
    key: str = "external_id",
    children: dict[str, list[tuple[str, ...]]] | None = None,
    load_children: Any = None,
) -> tuple[dict[str, int], dict[str, tuple[int, dict[str, Any]]]]:
    """Create new rows, update changed ones, count the rest as unchanged.

    Returns the created (external id → pk) and the updated (external id → (pk, old values))."""
    model = MODELS[section]
    result = batch.result
    if not rows:
        return {}, {}
    fields = list(next(iter(rows.values())))
    existing: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for chunk in _chunks(batch.stored[ext] for ext in rows if ext in batch.stored):
        for pk, ext, *values in model._default_manager.filter(pk__in=chunk).values_list("pk", key, *fields):
            existing[ext] = (pk, tuple(values))
    old_children = load_children([pk for pk, _ in existing.values()]) if load_children and existing else {}

    # Columns the rows leave out take the model's defaults, as the ORM would give them.
    defaults = {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in rows[next(iter(rows))] and not f.primary_key and f.has_default()
    }
    defaults.update(broker_id=batch.broker.pk, created_at=batch.now, updated_at=batch.now)
    new: list[dict[str, Any]] = []
    changed: list[models.Model] = []
    updated: dict[str, tuple[int, dict[str, Any]]] = {}
    for ext, row in rows.items():
        found = existing.get(ext)
        if found is None:
            new.append({**defaults, key: ext, **row, "sync_hash": batch.hashes.get(ext, "")})
            continue
        pk, values = found
        same = values == tuple(row.values())
        if children is not None:
            same = same and old_children.get(pk, []) == children[ext]
        if same:
            result.unchanged[section] += 1
            continue
        changed.append(
            model(
                pk=pk,
                broker=batch.broker,
                updated_at=batch.now,
                sync_hash=batch.hashes.get(ext, ""),
                **{key: ext},
                **row,
            )
        )
        updated[ext] = (pk, dict(zip(fields, values, strict=True)))
    _insert(model, new)
    if changed:
        model._default_manager.bulk_update(changed, [*fields, "updated_at", "sync_hash"], batch_size=250)
    result.created[section] += len(new)
    result.updated[section] += len(changed)
    return _pks(batch.broker, model, (row[key] for row in new), key=key) if new else {}, updated


def _write_staff(batch: _Batch, valid: dict[str, Any], data: Mapping[str, Any]) -> None:
    rows = {
        ext: {"name": p.name, "email": p.email, "phone": p.phone, "role": p.role} for ext, p in valid.items()
    }
    _sync(batch, "staff", rows)


def _write_lines(batch: _Batch, valid: dict[str, Any], data: Mapping[str, Any]) -> None:
    rows = {code: {"label": p.label, "group": p.group, "gdv": p.gdv} for code, p in valid.items()}
    _sync(batch, "lines", rows, key="code")


def _write_tariff_accounts(batch: _Batch, valid: dict[str, Any], data: Mapping[str, Any]) -> None:
    _sync(batch, "tariff_accounts", {ext: {"name": p.name, "url": p.url} for ext, p in valid.items()})


def _write_customers(batch: _Batch, valid: dict[str, Any], data: Mapping[str, Any]) -> None:
    rows = {}
    for ext, p in valid.items():
        if p.kind == "person" and not p.last_name:
            batch.reject("customers", ext, "last_name", msg="a person needs a last name")
            continue
        if p.kind == "company" and not p.company_name:
            batch.reject("customers", ext, "company_name", msg="a company needs a company name")
            continue
        address = p.address or payloads.AddressIn()
        rows[ext] = {
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
    _sync(batch, "customers", rows)


def _line_pks(batch: _Batch, codes: set[str]) -> dict[str, int]:
    """The catalogue's pks for these codes; unknown codes from the AMS are registered, never rejected."""
    known = dict(Line.objects.filter(broker=batch.broker, code__in=codes).values_list("code", "pk"))
    unknown = sorted(codes - known.keys())
    if unknown:
        Line.objects.bulk_create(
            [Line(broker=batch.broker, code=code, label=code, group=LineGroup.SONSTIGES) for code in unknown]
        )
        known.update(Line.objects.filter(broker=batch.broker, code__in=unknown).values_list("code", "pk"))
        batch.result.created["lines"] += len(unknown)
    return known


LOCATION_FIELDS = ("label", "street", "zip", "city", "country")


def _load_risk_locations(contract_pks: list[int]) -> dict[int, list[tuple[str, ...]]]:
    found: dict[int, list[tuple[str, ...]]] = {}
    for chunk in _chunks(contract_pks):
        rows = RiskLocation.objects.filter(contract_id__in=chunk).order_by("contract_id", "position")
        for contract_id, *values in rows.values_list("contract_id", *LOCATION_FIELDS):
            found.setdefault(contract_id, []).append(tuple(values))
    return found


def _write_contracts(batch: _Batch, valid: dict[str, Any], data: Mapping[str, Any]) -> None:
    customers = _pks(batch.broker, Customer, (p.customer for p in valid.values()))
    for ext in [ext for ext, p in valid.items() if p.customer not in customers]:
        batch.reject("contracts", ext, "customer", msg=batch.missing("customers", valid.pop(ext).customer))
    lines = _line_pks(batch, {p.line for p in valid.values()})
    rows, locations = {}, {}
    for ext, p in valid.items():
        rows[ext] = {
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
        locations[ext] = [tuple(getattr(r, name) for name in LOCATION_FIELDS) for r in p.risk_locations]
    created, updated = _sync(batch, "contracts", rows, children=locations, load_children=_load_risk_locations)
    _move_claims_along(
        batch, [pk for ext, (pk, old) in updated.items() if old["customer_id"] != rows[ext]["customer_id"]]
    )
    changed = {**created, **{ext: pk for ext, (pk, _) in updated.items()}}
    for chunk in _chunks(pk for pk, _ in updated.values()):
        RiskLocation.objects.filter(contract_id__in=chunk).delete()
    _insert(
        RiskLocation,
        [
            {
                "broker_id": batch.broker.pk,
                "contract_id": pk,
                "position": position,
                **dict(zip(LOCATION_FIELDS, location, strict=True)),
            }
            for ext, pk in changed.items()
            for position, location in enumerate(locations[ext])
        ],
    )


def _move_claims_along(batch: _Batch, contract_pks: list[int]) -> None:
    """A contract that moves to another customer takes its claims along: a claim always belongs to
    the customer of its contract. Claims of the same batch are applied afterwards and win. The moved
    claims lose their fingerprint (the AMS did not send them so), and are counted with the contract."""
    new_customer = Contract.objects.filter(pk=OuterRef("contract_id")).values("customer_id")[:1]
    for chunk in _chunks(contract_pks):
        Claim.objects.filter(broker=batch.broker, contract_id__in=chunk).exclude(
            customer_id=F("contract__customer_id")
        ).update(customer_id=Subquery(new_customer), sync_hash="", updated_at=batch.now)


def _write_claims(batch: _Batch, valid: dict[str, Any], data: Mapping[str, Any]) -> None:
    customers = _pks(batch.broker, Customer, (p.customer for p in valid.values()))
    contracts = _pks(
        batch.broker, Contract, (p.contract for p in valid.values() if p.contract), "customer_id"
    )
    rows = {}
    for ext, p in valid.items():
        if p.customer not in customers:
            batch.reject("claims", ext, "customer", msg=batch.missing("customers", p.customer))
            continue
        contract_id = None
        if p.contract:
            if p.contract not in contracts:
                batch.reject("claims", ext, "contract", msg=batch.missing("contracts", p.contract))
                continue
            contract_id, contract_customer = contracts[p.contract]
            if contract_customer != customers[p.customer]:
                batch.reject(
                    "claims", ext, "contract", msg=f"contract {p.contract} belongs to another customer"
                )
                continue
        rows[ext] = {
            "customer_id": customers[p.customer],
            "contract_id": contract_id,
            "number": p.number,
            "loss_date": p.loss_date,
            "status": p.status,
            "description": p.description,
            "amount_reserved": p.amount_reserved,
            "amount_paid": p.amount_paid,
        }
    created, updated = _sync(batch, "claims", rows)
    steps = [(pk, rows[ext]["status"]) for ext, pk in created.items()]
    steps += [
        (pk, rows[ext]["status"])
        for ext, (pk, old) in updated.items()
        if old["status"] != rows[ext]["status"]
    ]
    _insert(
        ClaimStatusChange,
        [
            {"broker_id": batch.broker.pk, "claim_id": pk, "status": status, "changed_at": batch.now}
            for pk, status in steps
        ],
    )


_SECTION_WRITERS = {
    "staff": _write_staff,
    "lines": _write_lines,
    "tariff_accounts": _write_tariff_accounts,
    "customers": _write_customers,
    "contracts": _write_contracts,
    "claims": _write_claims,
}


def _delete(batch: _Batch, deletions: Mapping[str, list[Any]]) -> None:
    for section in DELETABLE:
        ids = []
        for position, ext in enumerate(deletions.get(section) or []):
            if is_external_id(ext):
                ids.append(ext)
            else:
                batch.errors.add("delete", section, position, msg="must be an external id")
        for chunk in _chunks(ids):
            pks = list(
                MODELS[section]
                ._default_manager.filter(broker=batch.broker, external_id__in=chunk)
                .values_list("pk", flat=True)
            )
            if pks:
                MODELS[section]._default_manager.filter(pk__in=pks).delete()
                batch.result.deleted[section] += len(pks)
