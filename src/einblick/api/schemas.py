"""What the API answers: output shapes and the functions that fill them from the models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from ninja import Schema

from einblick.brokers.models import StaffMember, TariffAccount
from einblick.errors import FieldError
from einblick.portfolio import payloads
from einblick.portfolio.importing import BatchResult
from einblick.portfolio.models import Claim, Contract, Customer, Line


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str


class ErrorBody(Schema):
    detail: str
    errors: list[ErrorItem] = []


class Address(Schema):
    street: str | None
    zip: str | None
    city: str | None
    country: str | None


class RiskLocationOut(Address):
    label: str | None


class Stamps(Schema):
    external_id: str
    created_at: datetime
    updated_at: datetime


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


class Page(Schema):
    next: str | None


class CustomerPage(Page):
    items: list[CustomerOut]


class ContractPage(Page):
    items: list[ContractOut]


class ClaimPage(Page):
    items: list[ClaimOut]


class StaffPage(Page):
    items: list[StaffOut]


class TariffAccountPage(Page):
    items: list[TariffAccountOut]


class LinePage(Page):
    items: list[LineOut]


class ImportBatch(Schema):
    """The body of POST /import (documentation; the body is validated object by object)."""

    staff: dict[str, payloads.StaffIn] = {}
    lines: dict[str, payloads.LineIn] = {}
    tariff_accounts: dict[str, payloads.TariffAccountIn] = {}
    customers: dict[str, payloads.CustomerIn] = {}
    contracts: dict[str, payloads.ContractIn] = {}
    claims: dict[str, payloads.ClaimIn] = {}
    delete: dict[Literal["customers", "contracts", "claims"], list[str]] = {}


def _opt(value: str) -> str | None:
    return value or None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _stamps(obj: Any) -> dict[str, Any]:
    return {
        "external_id": obj.external_id,
        "created_at": timezone.localtime(obj.created_at),
        "updated_at": timezone.localtime(obj.updated_at),
    }


def _address(obj: Any) -> dict[str, str | None]:
    return {
        "street": _opt(obj.street),
        "zip": _opt(obj.zip),
        "city": _opt(obj.city),
        "country": _opt(obj.country),
    }


def customer_out(c: Customer) -> dict[str, Any]:
    return {
        **_stamps(c),
        "kind": c.kind,
        "salutation": _opt(c.salutation),
        "first_name": _opt(c.first_name),
        "last_name": _opt(c.last_name),
        "company_name": _opt(c.company_name),
        "birth_date": c.birth_date,
        "emails": c.emails,
        "phone": _opt(c.phone),
        "intermediary": _opt(c.intermediary),
        "address": _address(c),
    }


def contract_out(c: Contract) -> dict[str, Any]:
    """Needs select_related("customer", "line") and prefetch_related("risk_locations")."""
    return {
        **_stamps(c),
        "customer": c.customer.external_id,
        "number": _opt(c.number),
        "line": c.line.code,
        "insurer": _opt(c.insurer),
        "product": _opt(c.product),
        "risk": _opt(c.risk),
        "status": c.status,
        "offer_date": c.offer_date,
        "application_date": c.application_date,
        "document_date": c.document_date,
        "start_date": c.start_date,
        "end_date": c.end_date,
        "premium": _money(c.premium),
        "payment_interval": c.payment_interval,
        "intermediary": _opt(c.intermediary),
        "risk_locations": [{"label": _opt(r.label), **_address(r)} for r in c.risk_locations.all()],
        "source": c.source,
    }


def claim_out(k: Claim) -> dict[str, Any]:
    """Needs select_related("customer", "contract")."""
    return {
        **_stamps(k),
        "customer": k.customer.external_id,
        "contract": k.contract.external_id if k.contract else None,
        "number": _opt(k.number),
        "loss_date": k.loss_date,
        "status": k.status,
        "description": _opt(k.description),
        "amount_reserved": _money(k.amount_reserved),
        "amount_paid": _money(k.amount_paid),
    }


def staff_out(s: StaffMember) -> dict[str, Any]:
    return {**_stamps(s), "name": s.name, "email": s.email, "phone": _opt(s.phone), "role": s.role}


def tariff_account_out(t: TariffAccount) -> dict[str, Any]:
    return {**_stamps(t), "name": t.name, "url": t.url}


def line_out(line: Line) -> dict[str, Any]:
    return {
        "code": line.code,
        "label": line.label,
        "group": line.group,
        "gdv": line.gdv,
        "created_at": timezone.localtime(line.created_at),
        "updated_at": timezone.localtime(line.updated_at),
    }


def error_item(error: FieldError) -> dict[str, Any]:
    return {"loc": list(error.loc), "msg": error.msg}


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
