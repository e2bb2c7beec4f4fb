"""What the API answers: output shapes and the functions that fill them from the models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from ninja import Schema

from einblick.brokers.models import StaffMember, TariffAccount
from einblick.errors import FieldError
from einblick.grants.services import as_payload
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


def _local(moment: datetime) -> datetime:
    """In the portal's time zone (the default one; nobody activates another)."""
    return moment.astimezone(timezone.get_default_timezone())


def _opt(value: str) -> str | None:
    return value or None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _stamps(obj: Any) -> dict[str, Any]:
    return {
        "external_id": obj.external_id,
        "created_at": _local(obj.created_at),
        "updated_at": _local(obj.updated_at),
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
        "created_at": _local(row["created_at"]),
        "updated_at": _local(row["updated_at"]),
        "customer": row["customer__external_id"],
        "number": _opt(row["number"]),
        "line": row["line__code"],
        "insurer": _opt(row["insurer"]),
        "product": _opt(row["product"]),
        "risk": _opt(row["risk"]),
        "status": row["status"],
        "offer_date": row["offer_date"],
        "application_date": row["application_date"],
        "document_date": row["document_date"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "premium": _money(row["premium"]),
        "payment_interval": row["payment_interval"],
        "intermediary": _opt(row["intermediary"]),
        "source": row["source"],
    }
    if locations is not None:
        out["risk_locations"] = locations
    return out


def _location(r: Any) -> dict[str, Any]:
    return {"label": _opt(r.label), **_address(r)}


LOCATION_VALUES = ("label", "street", "zip", "city", "country")


def location_row_out(values: list[str]) -> dict[str, Any]:
    """A risk location from the values of LOCATION_VALUES."""
    return {name: _opt(value) for name, value in zip(LOCATION_VALUES, values, strict=True)}


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
        "created_at": _local(line.created_at),
        "updated_at": _local(line.updated_at),
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


# --- grants -------------------------------------------------------------------------------------


class ShareOut(Schema):
    claims: bool
    reference_addresses: bool
    auto_contracts: bool
    statuses: list[str]
    lines: list[str]
    contracts: list[str]
    shared_processes: bool
    document_keywords: list[str]


class ActionsOut(Schema):
    view: str
    primary_contact: bool
    product_names: bool
    messages: bool
    claim_report: bool
    claim_report_on_customer: bool
    contract_capture: bool
    offer_creation: bool
    tariff_account: str | None
    clerk: str | None
    show_clerk: bool


class MemberOut(Schema):
    email: str
    state: str
    invited_at: datetime
    joined_at: datetime | None


class GrantOut(Schema):
    id: str
    name: str
    customers: list[str]
    intermediaries: list[str]
    profile: None
    share: ShareOut
    actions: ActionsOut
    members: list[MemberOut]
    created_at: datetime
    updated_at: datetime


class GrantPage(Schema):
    next: str | None
    items: list[GrantOut]


class ViewCustomerOut(Schema):
    external_id: str
    display_name: str
    kind: str


class ClerkOut(Schema):
    name: str
    email: str
    phone: str | None


class PermissionsOut(Schema):
    messages: bool
    claim_report: bool
    claim_report_on_customer: bool
    contract_capture: bool
    offer_creation: bool


class ViewOut(Schema):
    customers: list[ViewCustomerOut]
    contracts: list[dict[str, Any]]
    claims: list[ClaimOut]
    permissions: PermissionsOut
    clerk: ClerkOut | None


def member_out(member: Any) -> dict[str, Any]:
    joined = _local(member.joined_at) if member.joined_at else None
    return {
        "email": member.email,
        "state": member.state,
        "invited_at": _local(member.invited_at),
        "joined_at": joined,
    }


def grant_out(grant: Any) -> dict[str, Any]:
    """Needs select_related("tariff_account", "clerk") and prefetch_related("customers", "contracts", "members")."""
    payload = as_payload(grant)
    return {
        "id": grant.pk,
        "name": payload["name"],
        "customers": payload["customers"],
        "intermediaries": payload["intermediaries"],
        "profile": None,
        "share": payload["share"],
        "actions": payload["actions"],
        "members": [member_out(m) for m in grant.members.all()],
        "created_at": _local(grant.created_at),
        "updated_at": _local(grant.updated_at),
    }


def view_customer_out(c: Customer) -> dict[str, Any]:
    return {"external_id": c.external_id, "display_name": c.display_name, "kind": c.kind}


def clerk_out(staff: StaffMember) -> dict[str, Any]:
    return {"name": staff.name, "email": staff.email, "phone": _opt(staff.phone)}
