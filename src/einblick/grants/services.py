"""Writes for grants and their members."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from einblick.audit.services import Actor, log_action
from einblick.brokers.models import LOGIN_ROLES, Broker, StaffMember, TariffAccount
from einblick.brokers.services import data_changed
from einblick.errors import Conflict, ErrorList, FieldError, Invalid
from einblick.errors import messages as M
from einblick.grants.models import STATUS_OPTIONS, Grant, GrantMember, MemberState
from einblick.grants.payloads import GrantIn
from einblick.portfolio.importing.sql import lookup
from einblick.portfolio.models import Contract, Customer, Line

SCALARS = {
    "share": ("claims", "reference_addresses", "auto_contracts", "shared_processes"),
    "actions": (
        "view",
        "primary_contact",
        "product_names",
        "messages",
        "claim_report",
        "claim_report_on_customer",
        "contract_capture",
        "offer_creation",
        "show_clerk",
    ),
}


@transaction.atomic
def create_grant(*, broker: Broker, actor: Actor, data: GrantIn) -> Grant:
    grant = Grant(broker=broker)
    _write(grant, data)
    log_action(broker=broker, actor=actor, action="grant.created", object_type="grant", object_id=grant.pk)
    return grant


@transaction.atomic
def replace_grant(*, grant: Grant, actor: Actor, data: GrantIn) -> Grant:
    _write(grant, data)
    log_action(
        broker=grant.broker, actor=actor, action="grant.replaced", object_type="grant", object_id=grant.pk
    )
    return grant


@transaction.atomic
def delete_grant(*, grant: Grant, actor: Actor) -> list[str]:
    """Its members lose access at once: visibility asks for grants that exist. Returns their
    addresses: office.members.delete_grant ends the sessions of who has no access left."""
    log_action(
        broker=grant.broker, actor=actor, action="grant.deleted", object_type="grant", object_id=grant.pk
    )
    emails = list(grant.members.filter(state=MemberState.ACTIVE).values_list("email", flat=True))
    grant.delete()
    data_changed(grant.broker_id)
    return emails


def _write(grant: Grant, data: GrantIn) -> None:
    """Validate every reference (422 naming the field), then store the grant and its relations."""
    broker = grant.broker
    errors = ErrorList()
    customers = lookup(broker, Customer, data.customers)
    for i, ext in enumerate(data.customers):
        if ext not in customers:
            errors.add("customers", i, msg=M.CUSTOMER_MISSING % {"id": ext})
    for i, option in enumerate(data.share.statuses):
        if option not in STATUS_OPTIONS:
            errors.add(
                "share", "statuses", i, msg=M.STATUS_OPTION_UNKNOWN % {"options": ", ".join(STATUS_OPTIONS)}
            )
    lines = lookup(broker, Line, data.share.lines, key="code")
    for i, code in enumerate(data.share.lines):
        if code not in lines:
            errors.add("share", "lines", i, msg=M.LINE_MISSING % {"code": code})
    contracts = lookup(broker, Contract, data.share.contracts, "customer_id")
    covered = set(customers.values())
    picked_customers = {customer_id for _, customer_id in contracts.values()} - covered
    if picked_customers and data.intermediaries:  # only the customers of picked contracts matter
        by_number = Customer.objects.filter(pk__in=picked_customers, intermediary__in=data.intermediaries)
        covered |= set(by_number.values_list("pk", flat=True))
    for i, ext in enumerate(data.share.contracts):
        if ext not in contracts:
            errors.add("share", "contracts", i, msg=M.CONTRACT_MISSING % {"id": ext})
        elif contracts[ext][1] not in covered:
            errors.add(
                "share",
                "contracts",
                i,
                msg=M.CONTRACT_OF_OTHER_CUSTOMER % {"id": ext},
            )
    tariff_account = None
    if data.actions.tariff_account is not None:
        tariff_account = TariffAccount.objects.filter(
            broker=broker, external_id=data.actions.tariff_account
        ).first()
        if tariff_account is None:
            errors.add(
                "actions",
                "tariff_account",
                msg=M.TARIFF_ACCOUNT_MISSING % {"id": data.actions.tariff_account},
            )
    clerk = None
    if data.actions.clerk is not None:
        clerk = StaffMember.objects.filter(broker=broker, external_id=data.actions.clerk).first()
        if clerk is None:
            errors.add("actions", "clerk", msg=M.STAFF_MISSING % {"id": data.actions.clerk})
        elif clerk.role not in LOGIN_ROLES:
            errors.add("actions", "clerk", msg=M.CLERK_WITHOUT_LOGIN)
    if errors:
        raise Invalid(M.GRANT_NOT_SAVED, errors.items)

    grant.name = data.name
    grant.intermediaries = sorted(set(data.intermediaries))
    grant.statuses = [option for option in STATUS_OPTIONS if option in data.share.statuses]
    grant.lines = sorted(set(data.share.lines))
    grant.document_keywords = sorted(set(data.share.document_keywords))
    for part, names in SCALARS.items():
        for name in names:
            setattr(grant, name, getattr(getattr(data, part), name))
    grant.tariff_account = tariff_account
    grant.clerk = clerk
    grant.save()
    grant.customers.set(set(customers.values()))
    grant.contracts.set({contracts[ext][0] for ext in data.share.contracts})
    data_changed(broker.pk)


@transaction.atomic
def add_member(
    *, grant: Grant, actor: Actor, email: str, active: bool, declined: bool = False
) -> tuple[GrantMember, bool]:
    """A member by e-mail, active at once (`active`: the person has accepted the broker) or invited; returns
    the member and whether it is new. Who is told what is office.members.share's business."""
    email = email.lower()
    member = GrantMember.objects.filter(grant=grant, email=email).first()
    if member is not None:
        return member, False
    now = timezone.now()
    try:
        with transaction.atomic():
            member = GrantMember.objects.create(
                grant=grant,
                email=email,
                state=MemberState.ACTIVE
                if active
                else MemberState.DECLINED
                if declined
                else MemberState.INVITED,
                invited_at=now,
                joined_at=now if active else None,
            )
    except IntegrityError:  # added at the same moment by another request
        return GrantMember.objects.get(grant=grant, email=email), False
    log_action(
        broker=grant.broker,
        actor=actor,
        action="grant.member_added",
        object_type="grant",
        object_id=grant.pk,
        data={"state": member.state, "email": member.email},
    )
    return member, True


@transaction.atomic
def renew_invitation(*, member: GrantMember, actor: Actor) -> GrantMember:
    """Link versenden, the grant's part: the member is invited anew (office.members sends the link)."""
    if member.state == MemberState.DECLINED:
        raise Conflict(M.MEMBER_DECLINED % {"days": settings.EINBLICK_DECLINE_QUIET_DAYS})
    if member.state != MemberState.INVITED:
        raise Conflict(M.MEMBER_JOINED)
    member.invited_at = timezone.now()
    member.save(update_fields=["invited_at"])
    log_action(
        broker=member.grant.broker,
        actor=actor,
        action="grant.invitation_resent",
        object_type="grant",
        object_id=member.grant_id,
        data={"email": member.email},
    )
    return member


@transaction.atomic
def remove_member(*, member: GrantMember, actor: Actor) -> None:
    """Access ends at once: visibility asks for active members of existing grants (office.members.unshare
    also logs out who is left with no access)."""
    log_action(
        broker=member.grant.broker,
        actor=actor,
        action="grant.member_removed",
        object_type="grant",
        object_id=member.grant_id,
        data={"email": member.email},
    )
    member.delete()


def drop_uncovered_picks(*, contract_pks: list[int]) -> int:
    """When a customer leaves a grant, their hand-picked contracts leave with them (visibility.md §2).
    Customers leave intermediary grants, and contracts change customer, through the AMS's import,
    which announces the contracts concerned (portfolio.signals.contracts_regrouped, connected in
    GrantsConfig.ready); returns how many picks were dropped."""
    if not contract_pks:
        return 0
    picks = Grant.contracts.through.objects.filter(contract_id__in=contract_pks).values_list(
        "pk", "grant_id", "contract__customer_id", "contract__customer__intermediary"
    )
    rows = list(picks)
    if not rows:
        return 0
    grant_ids = {grant_id for _, grant_id, _, _ in rows}
    customer_ids = {customer_id for _, _, customer_id, _ in rows}
    members = set(
        Grant.customers.through.objects.filter(
            grant_id__in=grant_ids, customer_id__in=customer_ids
        ).values_list("grant_id", "customer_id")
    )
    numbers = dict(Grant.objects.filter(pk__in=grant_ids).values_list("pk", "intermediaries"))
    stale = [
        pk
        for pk, grant_id, customer_id, intermediary in rows
        if (grant_id, customer_id) not in members and not (intermediary and intermediary in numbers[grant_id])
    ]
    Grant.contracts.through.objects.filter(pk__in=stale).delete()
    return len(stale)


@transaction.atomic
def rename_grant(*, grant: Grant, actor: Actor, name: str) -> Grant:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Invalid(M.GRANT_NOT_RENAMED, [FieldError(("name",), M.GRANT_NAME_LENGTH)])
    grant.name = name
    grant.save(update_fields=["name", "updated_at"])
    log_action(
        broker=grant.broker, actor=actor, action="grant.renamed", object_type="grant", object_id=grant.pk
    )
    return grant


@transaction.atomic
def copy_grant(*, grant: Grant, actor: Actor, name: str) -> Grant:
    """A new grant with the same customers, sharing, picks, actions and clerk; no members (the copy
    is for other people)."""
    copy = Grant.objects.get(pk=grant.pk)
    copy.pk = None  # a new opaque id from the field's default
    copy.id = Grant._meta.get_field("id").get_default()
    copy.name = " ".join(name.split())[:200] or grant.name
    copy._state.adding = True
    copy.save(force_insert=True)
    copy.customers.set(grant.customers.all())
    copy.contracts.set(grant.contracts.all())
    data_changed(grant.broker_id)
    log_action(
        broker=grant.broker, actor=actor, action="grant.copied", object_type="grant", object_id=copy.pk,
        data={"from": grant.pk},
    )  # fmt: skip
    return copy


def as_payload(grant: Grant) -> dict[str, Any]:
    """The grant as GrantIn takes it: the API's GET shows it (with its read-only parts), the editor
    changes a part and hands it to replace_grant, which judges every reference again. Reads customers
    and contracts through .all(), so a prefetch serves them."""
    return {
        "name": grant.name,
        "customers": sorted(c.external_id for c in grant.customers.all()),
        "intermediaries": grant.intermediaries,
        "share": {
            "claims": grant.claims,
            "reference_addresses": grant.reference_addresses,
            "auto_contracts": grant.auto_contracts,
            "statuses": grant.statuses,
            "lines": grant.lines,
            "contracts": sorted(c.external_id for c in grant.contracts.all()),
            "shared_processes": grant.shared_processes,
            "document_keywords": grant.document_keywords,
        },
        "actions": {
            "view": grant.view,
            "primary_contact": grant.primary_contact,
            "product_names": grant.product_names,
            "messages": grant.messages,
            "claim_report": grant.claim_report,
            "claim_report_on_customer": grant.claim_report_on_customer,
            "contract_capture": grant.contract_capture,
            "offer_creation": grant.offer_creation,
            "tariff_account": grant.tariff_account.external_id if grant.tariff_account else None,
            "clerk": grant.clerk.external_id if grant.clerk else None,
            "show_clerk": grant.show_clerk,
        },
    }
