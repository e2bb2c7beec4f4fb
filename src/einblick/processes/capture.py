"""Contract capture (ONLINE_VERTRAG) and offer requests (OFFER_REQUEST): a portal user records a
contract they hold elsewhere, or asks for an offer (the tariff calculator or the office)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from einblick.accounts.models import User
from einblick.brokers.services import data_changed
from einblick.errors import FieldError, Invalid
from einblick.errors import messages as M
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portfolio.models import (
    Contract,
    ContractSource,
    ContractStatus,
    Customer,
    Line,
    PaymentInterval,
)
from einblick.processes import files
from einblick.processes.models import Message, Process, ProcessType
from einblick.processes.services import MAX_BODY, MAX_SUBJECT, attach, clean_text, opened, user_name


def _require(grant: Grant, permission: str) -> None:
    if not visibility.permissions(grant)[permission]:  # type: ignore[literal-required]
        raise PermissionDenied(f"This grant does not allow {permission}.")


@transaction.atomic
def capture_contract(
    *,
    grant: Grant,
    user: User,
    customer: Customer,
    data: dict[str, Any],
    uploads: Sequence[UploadedFile] = (),
) -> Process:
    """A contract the user holds elsewhere: a contract with status FREMD, source portal, picked into
    this grant (so its users see it at once), and an ONLINE_VERTRAG process for the office and the AMS.
    `data`: insurer, line (a Line of the broker), number, premium, payment_interval, start_date."""
    _require(grant, "contract_capture")
    if not visibility.customers(grant).filter(pk=customer.pk).exists():
        raise PermissionDenied("Not a customer of this grant.")
    line: Line = data["line"]
    if line.broker_id != grant.broker_id:
        raise Invalid(M.CONTRACT_NOT_RECORDED, [FieldError(("line",), M.NOT_A_LINE)])
    checked = files.check(uploads)
    contract = Contract.objects.create(
        broker_id=grant.broker_id,
        external_id="portal:" + secrets.token_hex(8),
        customer=customer,
        line=line,
        insurer=data["insurer"],
        number=data.get("number") or "",
        premium=data.get("premium"),
        payment_interval=data.get("payment_interval") or None,
        start_date=data.get("start_date"),
        status=ContractStatus.FREMD,
        source=ContractSource.PORTAL,
    )
    grant.contracts.add(contract)
    payload = {
        "insurer": contract.insurer,
        "line": line.code,
        "number": contract.number,
        "premium": str(contract.premium) if contract.premium is not None else None,
        "payment_interval": contract.payment_interval,
        "start_date": contract.start_date.isoformat() if contract.start_date else None,
    }
    process = Process.objects.create(
        broker_id=grant.broker_id,
        grant=grant,
        type=ProcessType.ONLINE_VERTRAG,
        subject=f"{line.label}: {contract.insurer}"[:MAX_SUBJECT],
        created_by=user,
        customer=customer,
        contract=contract,
        clerk=grant.clerk,
        payload=payload,
    )
    message = Message.objects.create(
        process=process, author_user=user, author_name=user_name(user), body=_summary(payload, line)
    )
    attach(message, checked)
    data_changed(grant.broker_id)  # the grant shows one contract more
    opened(process, grant=grant, user=user)
    return process


def _summary(payload: dict[str, Any], line: Line) -> str:
    """The message the office reads: what was recorded, in words."""
    rows = [
        (_("Line"), line.label),
        (_("Insurer"), payload["insurer"]),
        (_("Policy number"), payload["number"] or "–"),
        (_("Premium"), f"{payload['premium']} €".replace(".", ",") if payload["premium"] else "–"),
        (
            _("Payment interval"),
            str(PaymentInterval(payload["payment_interval"]).label) if payload["payment_interval"] else "–",
        ),
        (_("Start"), payload["start_date"] or "–"),
    ]
    return "\n".join(f"{label}: {value}" for label, value in rows)


@transaction.atomic
def request_offer(*, grant: Grant, user: User, line: Line | None, wishes: str, calculator: bool) -> Process:
    """An OFFER_REQUEST: the user opened the tariff calculator (calculator=True) or asks for advice."""
    _require(grant, "offer_creation")
    if line is not None and line.broker_id != grant.broker_id:
        raise Invalid(M.OFFER_NOT_SENT, [FieldError(("line",), M.NOT_A_LINE)])
    wishes = wishes.replace("\x00", "").strip()
    if not calculator:
        wishes = clean_text(wishes, "wishes", MAX_BODY, free=True)
    subject = (line.label if line else str(_("Offer"))) + (
        " – " + str(_("tariff calculator")) if calculator else ""
    )
    process = Process.objects.create(
        broker_id=grant.broker_id,
        grant=grant,
        type=ProcessType.OFFER_REQUEST,
        subject=subject[:MAX_SUBJECT],
        created_by=user,
        clerk=grant.clerk,
        payload={"line": line.code if line else None, "calculator": calculator},
    )
    body = wishes or str(_("Opened the tariff calculator."))
    Message.objects.create(process=process, author_user=user, author_name=user_name(user), body=body)
    opened(process, grant=grant, user=user)
    return process


def calculator_url(grant: Grant, line: Line | None) -> str:
    """The tariff calculator's address from the account's template: the account and the line code,
    never anything about the person."""
    account = grant.tariff_account
    if account is None:
        raise PermissionDenied("No tariff account.")
    return account.url.replace("{account}", quote(account.external_id, safe="")).replace(
        "{line}", quote(line.code if line else "", safe="")
    )
