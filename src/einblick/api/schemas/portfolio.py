"""The portfolio's answers (customers, contracts, claims, staff, tariff accounts, lines, imports): output
shapes and the functions that fill them from the models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from einblick.api.schemas.common import (
    Address,
    ErrorItem,
    Page,
    Stamps,
    address_of,
    error_item,
    local_time,
    money,
    stamps_of,
    text_or_none,
)
from einblick.brokers.models import StaffMember, TariffAccount
from einblick.errors import FieldError
from einblick.portfolio import payloads
from einblick.portfolio.importing import BatchResult
from einblick.portfolio.models import Claim, Contract, Customer, Document, Line


class RiskLocationOut(Address):
    label: str | None


class CustomerOut(Stamps):
    kind: str
    salutation: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    birth_date: date | None
    emails: list[str]
    phone: str | None
    intermediary: str | None
    address: Address


class ContractOut(Stamps):
    customer: str
    number: str | None
    line: str
    insurer: str | None
    product: str | None
    risk: str | None
    status: str
    offer_date: date | None
    application_date: date | None
    document_date: date | None
    start_date: date | None
    end_date: date | None
    premium: str | None
    payment_interval: str | None
    intermediary: str | None
    risk_locations: list[RiskLocationOut]
    source: str


class ClaimOut(Stamps):
    customer: str
    contract: str | None
    number: str | None
    loss_date: date | None
    status: str
    description: str | None
    amount_reserved: str | None
    amount_paid: str | None


class DocumentOut(Stamps):
    customer: str
    contract: str | None
    claim: str | None
    title: str
    date: date | None
    kind: str
    keywords: list[str]
    filename: str | None
    size: int | None = Field(description="bytes; null until the file has arrived")
    sha256: str | None = Field(description="hex; null until the file has arrived")
    content_type: str | None = Field(description="null until the file has arrived")


class DocumentContentOut(Schema):
    size: int
    sha256: str
    content_type: Literal["application/pdf", "image/jpeg", "image/png", "image/tiff"]


class StaffOut(Stamps):
    name: str
    email: str
    phone: str | None
    role: str


class TariffAccountOut(Stamps):
    name: str
    url: str


class LineOut(Schema):
    code: str
    label: str
    group: str
    gdv: str | None
    created_at: datetime
    updated_at: datetime


class ImportErrorItem(ErrorItem):
    entity: str | None
    external_id: str | None
    field: str | None


class ImportResultOut(Schema):
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    deleted: dict[str, int]
    errors: list[ImportErrorItem]


class CustomerPage(Page):
    items: list[CustomerOut]


class ContractPage(Page):
    items: list[ContractOut]


class ClaimPage(Page):
    items: list[ClaimOut]


class DocumentPage(Page):
    items: list[DocumentOut]


class StaffPage(Page):
    items: list[StaffOut]


class TariffAccountPage(Page):
    items: list[TariffAccountOut]


class LinePage(Page):
    items: list[LineOut]


# Keys are external ids (lines: codes) and nothing else: patternProperties alone would allow any key.
_KEYED: Any = Field(default={}, json_schema_extra={"additionalProperties": False})


class ImportBatch(Schema):
    """The body of POST /import (documentation; the body is validated object by object)."""

    model_config = ConfigDict(extra="forbid")

    staff: dict[payloads.ExternalId, payloads.StaffIn] = _KEYED
    lines: dict[payloads.ExternalId, payloads.LineIn] = _KEYED
    tariff_accounts: dict[payloads.ExternalId, payloads.TariffAccountIn] = _KEYED
    customers: dict[payloads.ExternalId, payloads.CustomerIn] = _KEYED
    contracts: dict[payloads.ExternalId, payloads.ContractIn] = _KEYED
    claims: dict[payloads.ExternalId, payloads.ClaimIn] = _KEYED
    documents: dict[payloads.ExternalId, payloads.DocumentIn] = _KEYED
    delete: dict[Literal["customers", "contracts", "claims", "documents"], list[payloads.ExternalId]] = {}


def customer_out(c: Customer) -> dict[str, Any]:
    return {
        **stamps_of(c),
        "kind": c.kind,
        "salutation": text_or_none(c.salutation),
        "first_name": text_or_none(c.first_name),
        "last_name": text_or_none(c.last_name),
        "company_name": text_or_none(c.company_name),
        "birth_date": c.birth_date,
        "emails": c.emails,
        "phone": text_or_none(c.phone),
        "intermediary": text_or_none(c.intermediary),
        "address": address_of(c),
    }


# The columns a contract answer is made of, for querysets read with .values(*CONTRACT_VALUES).
CONTRACT_VALUES = (
    "external_id",
    "created_at",
    "updated_at",
    "customer__external_id",
    "number",
    "line__code",
    "insurer",
    "product",
    "risk",
    "status",
    "offer_date",
    "application_date",
    "document_date",
    "start_date",
    "end_date",
    "premium",
    "payment_interval",
    "intermediary",
    "source",
)


def contract_out(c: Contract, *, with_locations: bool = True) -> dict[str, Any]:
    """Needs select_related("customer", "line") and, with locations, prefetch_related("risk_locations")."""
    row = {name: getattr(c, name) for name in CONTRACT_VALUES if "__" not in name}
    row.update(customer__external_id=c.customer.external_id, line__code=c.line.code)
    locations = [_location(r) for r in c.risk_locations.all()] if with_locations else None
    return contract_row_out(row, locations)


def contract_row_out(row: dict[str, Any], locations: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A contract answer from a row of CONTRACT_VALUES; `locations` None leaves risk_locations out."""
    out = {
        "external_id": row["external_id"],
        "created_at": local_time(row["created_at"]),
        "updated_at": local_time(row["updated_at"]),
        "customer": row["customer__external_id"],
        "number": text_or_none(row["number"]),
        "line": row["line__code"],
        "insurer": text_or_none(row["insurer"]),
        "product": text_or_none(row["product"]),
        "risk": text_or_none(row["risk"]),
        "status": row["status"],
        "offer_date": row["offer_date"],
        "application_date": row["application_date"],
        "document_date": row["document_date"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "premium": money(row["premium"]),
        "payment_interval": row["payment_interval"],
        "intermediary": text_or_none(row["intermediary"]),
        "source": row["source"],
    }
    if locations is not None:
        out["risk_locations"] = locations
    return out


def _location(r: Any) -> dict[str, Any]:
    return {"label": text_or_none(r.label), **address_of(r)}


LOCATION_VALUES = ("label", "street", "zip", "city", "country")


def location_row_out(values: list[str]) -> dict[str, Any]:
    """A risk location from the values of LOCATION_VALUES."""
    return {name: text_or_none(value) for name, value in zip(LOCATION_VALUES, values, strict=True)}


def claim_out(k: Claim) -> dict[str, Any]:
    """Needs select_related("customer", "contract")."""
    return {
        **stamps_of(k),
        "customer": k.customer.external_id,
        "contract": k.contract.external_id if k.contract else None,
        "number": text_or_none(k.number),
        "loss_date": k.loss_date,
        "status": k.status,
        "description": text_or_none(k.description),
        "amount_reserved": money(k.amount_reserved),
        "amount_paid": money(k.amount_paid),
    }


def document_out(d: Document) -> dict[str, Any]:
    """Needs select_related("customer", "contract", "claim")."""
    arrived = bool(d.stored)
    return {
        **stamps_of(d),
        "customer": d.customer.external_id,
        "contract": d.contract.external_id if d.contract else None,
        "claim": d.claim.external_id if d.claim else None,
        "title": d.title,
        "date": d.date,
        "kind": d.kind,
        "keywords": d.keywords,
        "filename": text_or_none(d.filename),
        "size": d.size if arrived else None,
        "sha256": d.sha256 if arrived else None,
        "content_type": d.content_type if arrived else None,
    }


def staff_out(s: StaffMember) -> dict[str, Any]:
    return {**stamps_of(s), "name": s.name, "email": s.email, "phone": text_or_none(s.phone), "role": s.role}


def tariff_account_out(t: TariffAccount) -> dict[str, Any]:
    return {**stamps_of(t), "name": t.name, "url": t.url}


def line_out(line: Line) -> dict[str, Any]:
    return {
        "code": line.code,
        "label": line.label,
        "group": line.group,
        "gdv": line.gdv,
        "created_at": local_time(line.created_at),
        "updated_at": local_time(line.updated_at),
    }


def import_error_item(error: FieldError) -> dict[str, Any]:
    """An import error in both shapes: `loc` as everywhere, and entity / external_id / field.
    A deletion's error names the list: ("delete", "customers", 3) is entity "customers", field "delete.3"."""
    if error.loc[:1] == ("delete",) and len(error.loc) == 3:
        return {
            **error_item(error),
            "entity": error.loc[1],
            "external_id": None,
            "field": f"delete.{error.loc[2]}",
        }
    entity = error.loc[0] if error.loc else None
    external_id = error.loc[1] if len(error.loc) > 1 else None
    rest = error.loc[2:]
    return {
        **error_item(error),
        "entity": entity,
        "external_id": None if external_id is None else str(external_id),
        "field": ".".join(str(part) for part in rest) or None,
    }


def import_result_out(result: BatchResult) -> dict[str, Any]:
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "deleted": result.deleted,
        "errors": [import_error_item(error) for error in result.errors],
    }
