"""Applying a batch: section by section, with a constant number of queries per chunk of objects.

For each section: look up the stored fingerprints, skip what was sent exactly so before, validate
the rest, compare it with the stored rows, insert the new rows and update the changed ones (sync.py);
what each section's rows are, and what a change means for the rest of the portfolio, is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from einblick.brokers.models import Broker, is_external_id
from einblick.portfolio import payloads, signals
from einblick.portfolio.importing.shape import DELETABLE, SECTIONS, BatchResult
from einblick.portfolio.importing.sql import chunks, insert, lookup
from einblick.portfolio.importing.sync import (
    BAD_ID,
    MODELS,
    Batch,
    Section,
    drop_unchanged,
    sync,
    validate,
)
from einblick.portfolio.models import (
    Claim,
    ClaimStatusChange,
    Contract,
    Customer,
    Document,
    DocumentKeyword,
    Line,
    LineGroup,
    RiskLocation,
)
from einblick.text import clean_file_name


def apply(broker: Broker, data: Mapping[str, Any]) -> BatchResult:
    """Apply every valid object of a batch of the import shape; the rejected ones are in `errors`."""
    batch = Batch(broker=broker, now=timezone.now())
    for name in SECTIONS:
        if objects := data.get(name):
            section, fresh = drop_unchanged(batch, name, objects)
            _WRITERS[name](batch, section, validate(batch, name, fresh))
    if data.get("delete"):
        _delete(batch, data["delete"])
    batch.result.errors = batch.errors.items
    return batch.result


def _write_staff(batch: Batch, section: Section, valid: dict[str, Any]) -> None:
    rows = {k: {"name": p.name, "email": p.email, "phone": p.phone, "role": p.role} for k, p in valid.items()}
    sync(batch, section, rows)


def _write_lines(batch: Batch, section: Section, valid: dict[str, Any]) -> None:
    sync(batch, section, {k: {"label": p.label, "group": p.group, "gdv": p.gdv} for k, p in valid.items()})


def _write_tariff_accounts(batch: Batch, section: Section, valid: dict[str, Any]) -> None:
    sync(batch, section, {k: {"name": p.name, "url": p.url} for k, p in valid.items()})


def _write_customers(batch: Batch, section: Section, valid: dict[str, Any]) -> None:
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
    _, updated = sync(batch, section, rows)
    renumbered = [pk for k, (pk, old) in updated.items() if old["intermediary"] != rows[k]["intermediary"]]
    if renumbered:
        _regrouped(
            # only the picked ones: the renumbered customers may have many contracts
            list(
                Contract.objects.filter(customer_id__in=renumbered, grants__isnull=False)
                .values_list("pk", flat=True)
                .distinct()
            )
        )


def _line_pks(batch: Batch, codes: set[str]) -> dict[str, int]:
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


def _write_contracts(batch: Batch, section: Section, valid: dict[str, Any]) -> None:
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
    created, updated = sync(batch, section, rows, children=locations, load_children=_load_risk_locations)
    moved = [pk for k, (pk, old) in updated.items() if old["customer_id"] != rows[k]["customer_id"]]
    _move_claims_along(batch, moved)
    _move_documents_along(batch, "contract", moved)
    _regrouped(moved)
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


def _regrouped(contract_pks: list[int]) -> None:
    """Contracts changed customer, or their customer's intermediary number changed: a customer who
    leaves a grant takes their hand-picked contracts along (visibility.md §2; grants listen)."""
    for chunk in chunks(contract_pks):
        signals.contracts_regrouped.send(sender=Contract, contract_pks=chunk)


def _move_claims_along(batch: Batch, contract_pks: list[int]) -> None:
    """A contract that moves to another customer takes its claims along: a claim always belongs to
    the customer of its contract. Claims of the same batch are applied afterwards and win. The moved
    claims lose their fingerprint (the AMS did not send them so), and are counted with the contract."""
    new_customer = Contract.objects.filter(pk=OuterRef("contract_id")).values("customer_id")[:1]
    for chunk in chunks(contract_pks):
        moved = list(
            Claim.objects.filter(broker=batch.broker, contract_id__in=chunk)
            .exclude(customer_id=F("contract__customer_id"))
            .values_list("pk", flat=True)
        )
        Claim.objects.filter(pk__in=moved).update(
            customer_id=Subquery(new_customer), sync_hash="", updated_at=batch.now
        )
        _move_documents_along(batch, "claim", moved)


def _move_documents_along(batch: Batch, attachment: str, pks: list[int]) -> None:
    """Documents on a contract or claim that moved to another customer move with it (a document
    belongs to the customer of what it is attached to), as claims move with their contract; they lose
    their fingerprint. Documents of the same batch are applied afterwards and win."""
    model = Contract if attachment == "contract" else Claim
    new_customer = model.objects.filter(pk=OuterRef(f"{attachment}_id")).values("customer_id")[:1]
    for chunk in chunks(pks):
        Document.objects.filter(broker=batch.broker, **{f"{attachment}_id__in": chunk}).exclude(
            customer_id=F(f"{attachment}__customer_id")
        ).update(customer_id=Subquery(new_customer), sync_hash="", updated_at=batch.now)


def _write_claims(batch: Batch, section: Section, valid: dict[str, Any]) -> None:
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
    created, updated = sync(batch, section, rows)
    _move_documents_along(
        batch,
        "claim",
        [pk for k, (pk, old) in updated.items() if old["customer_id"] != rows[k]["customer_id"]],
    )
    steps = [(pk, rows[k]["status"]) for k, pk in created.items()]
    moved = {k: pk for k, (pk, old) in updated.items() if old["status"] != rows[k]["status"]}
    steps += [(pk, rows[k]["status"]) for k, pk in moved.items()]
    reported = [(k, rows[k]["status"]) for k in moved if k.startswith("portal:")]
    if reported:  # claims the portal reported: their reports hear of it (processes listen)
        signals.reported_claims_changed.send(sender=Claim, broker=batch.broker, changes=reported)
    insert(
        ClaimStatusChange,
        [
            {"broker_id": batch.broker.pk, "claim_id": pk, "status": status, "changed_at": batch.now}
            for pk, status in steps
        ],
    )


def _write_documents(batch: Batch, section: Section, valid: dict[str, Any]) -> None:
    """A document's contract and claim belong to its customer. Replacing the metadata keeps the file;
    the keyword rows follow the keywords."""
    customers = lookup(batch.broker, Customer, (p.customer for p in valid.values()))
    attached = {
        "contract": lookup(
            batch.broker, Contract, (p.contract for p in valid.values() if p.contract), "customer_id"
        ),
        "claim": lookup(batch.broker, Claim, (p.claim for p in valid.values() if p.claim), "customer_id"),
    }
    rows = {}
    for k, p in valid.items():
        if p.customer not in customers:
            batch.reject("documents", k, "customer", msg=batch.missing("customers", p.customer))
            continue
        ids: dict[str, int | None] = {"contract": None, "claim": None}
        for name, found in attached.items():
            key = getattr(p, name)
            if not key:
                continue
            if key not in found:
                batch.reject("documents", k, name, msg=batch.missing(f"{name}s", key))
                break
            ids[name], owner = found[key]
            if owner != customers[p.customer]:
                batch.reject("documents", k, name, msg=f"{name} {key} belongs to another customer")
                break
        else:
            rows[k] = {
                "customer_id": customers[p.customer],
                "contract_id": ids["contract"],
                "claim_id": ids["claim"],
                "title": p.title,
                "date": p.date,
                "kind": p.kind,
                "keywords": p.keywords,
                "filename": clean_file_name(p.filename) if p.filename else "",
            }
    created, updated = sync(batch, section, rows)
    rekeyed = {k: pk for k, (pk, old) in updated.items() if old["keywords"] != rows[k]["keywords"]}
    for chunk in chunks(rekeyed.values()):
        DocumentKeyword.objects.filter(document_id__in=chunk).delete()
    written = {**created, **rekeyed}
    insert(
        DocumentKeyword,
        [
            {"broker_id": batch.broker.pk, "document_id": pk, "keyword": keyword}
            for k, pk in written.items()
            for keyword in dict.fromkeys(rows[k]["keywords"])
        ],
    )


_WRITERS = {
    "staff": _write_staff,
    "lines": _write_lines,
    "tariff_accounts": _write_tariff_accounts,
    "customers": _write_customers,
    "contracts": _write_contracts,
    "claims": _write_claims,
    "documents": _write_documents,
}


def _delete(batch: Batch, deletions: Mapping[str, list[Any]]) -> None:
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
