"""The grants' answers (GET/PUT /grants, members, the views of a grant and of a user)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema

from einblick.api.schemas.common import local_time, text_or_none
from einblick.api.schemas.portfolio import ClaimOut, DocumentOut
from einblick.brokers.models import StaffMember
from einblick.grants.services import as_payload
from einblick.portfolio.models import Customer


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
    documents: list[DocumentOut]
    permissions: PermissionsOut
    clerk: ClerkOut | None


def member_out(member: Any) -> dict[str, Any]:
    joined = local_time(member.joined_at) if member.joined_at else None
    return {
        "email": member.email,
        "state": member.state,
        "invited_at": local_time(member.invited_at),
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
        "created_at": local_time(grant.created_at),
        "updated_at": local_time(grant.updated_at),
    }


def view_customer_out(c: Customer) -> dict[str, Any]:
    return {"external_id": c.external_id, "display_name": c.display_name, "kind": c.kind}


def clerk_out(staff: StaffMember) -> dict[str, Any]:
    return {"name": staff.name, "email": staff.email, "phone": text_or_none(staff.phone)}
