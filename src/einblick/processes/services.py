"""Writes for processes: a portal user writes to the office, the office (staff inbox or AMS) answers
or starts a conversation, the AMS acknowledges. Every write checks what the server must check itself
(visibility.md §6: primary contact and the permission; the process visible to the user), is atomic,
and mails after commit: the clerk on a new process, the user on an answer — that there is news, never
the content."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from einblick.accounts import mail
from einblick.accounts.models import User
from einblick.audit.services import Actor, log_action
from einblick.brokers.models import Broker, StaffMember
from einblick.brokers.services import data_changed
from einblick.errors import Conflict, FieldError, Invalid
from einblick.grants import visibility
from einblick.grants.models import Grant, GrantMember, MemberState
from einblick.portfolio.models import (
    ClaimStatus,
    Contract,
    ContractSource,
    ContractStatus,
    Customer,
    Line,
    PaymentInterval,
)
from einblick.processes import files, webhooks
from einblick.processes.models import Attachment, Message, Process, ProcessState, ProcessType, ReadMark

MAX_SUBJECT = 200
MAX_BODY = 20_000


def _text(value: str, field: str, limit: int) -> str:
    """Trimmed text without NUL bytes; Invalid naming the field when empty or too long."""
    text = value.replace("\x00", "").strip()
    if not text:
        raise Invalid("The request is invalid.", [FieldError((field,), "must not be empty")])
    if len(text) > limit:
        raise Invalid("The request is invalid.", [FieldError((field,), f"at most {limit} characters")])
    return text


def _may_write(grant: Grant) -> None:
    if not visibility.permissions(grant)["messages"]:
        raise PermissionDenied("This grant does not allow messages.")


def _user_name(user: User) -> str:
    return user.get_full_name() or user.email


def _attach(message: Message, checked: list[files.Checked]) -> None:
    """Store the files and their rows; the files written so far are removed when anything fails."""
    written: list[str] = []
    try:
        for item in checked:
            fields = files.store(item)
            written.append(fields["stored"])
            Attachment.objects.create(message=message, **fields)
    except BaseException:
        files.remove(written)
        raise


@transaction.atomic
def start_message(
    *, grant: Grant, user: User, subject: str, body: str, uploads: Sequence[UploadedFile] = ()
) -> Process:
    """A portal user writes to the office (type MESSAGE), assigned to the grant's clerk."""
    _may_write(grant)
    checked = files.check(uploads)
    errors = []
    try:
        subject = _text(subject, "subject", MAX_SUBJECT)
    except Invalid as exc:
        errors += exc.errors
    try:
        body = _text(body, "body", MAX_BODY)
    except Invalid as exc:
        errors += exc.errors
    if errors:
        raise Invalid("The message was not sent.", errors)
    process = Process.objects.create(
        broker_id=grant.broker_id,
        grant=grant,
        type=ProcessType.MESSAGE,
        subject=subject,
        created_by=user,
        clerk=grant.clerk,
    )
    message = Message.objects.create(
        process=process, author_user=user, author_name=_user_name(user), body=body
    )
    _attach(message, checked)
    opened(process, grant=grant, user=user)
    return process


def opened(process: Process, *, grant: Grant, user: User) -> None:
    """What every process a portal user starts gets, in its transaction: read by its author, written to
    the audit log, announced to the AMS's webhook and (after commit) to the clerk."""
    mark_read(process, user.email)
    log_action(
        broker=grant.broker,
        actor=user,
        action="process.created",
        object_type="process",
        object_id=process.pk,
        data={"type": process.type},
    )
    webhooks.announce(process)
    _tell_clerk(process)


@transaction.atomic
def reply_as_user(
    *, process: Process, grant: Grant, user: User, body: str, uploads: Sequence[UploadedFile] = ()
) -> Message:
    """A portal user answers in a process the grant shows them (the caller looked it up through
    visibility.processes); writing needs the messages permission."""
    _may_write(grant)
    if (
        process.grant_id != grant.pk
        or not visibility.processes(grant, user.email).filter(pk=process.pk).exists()
    ):
        raise PermissionDenied("Not a process of this user.")
    if process.state == ProcessState.CLOSED:
        raise Conflict("The process is closed.", [FieldError(("process",), "closed; start a new message")])
    checked = files.check(uploads)
    message = Message.objects.create(
        process=process, author_user=user, author_name=_user_name(user), body=_text(body, "body", MAX_BODY)
    )
    _attach(message, checked)
    Process.objects.filter(pk=process.pk).update(office_unread=True, updated_at=timezone.now())
    mark_read(process, user.email)
    _tell_clerk(process)
    return message


@transaction.atomic
def reply_as_office(*, process: Process, author: StaffMember, body: str, actor: Actor) -> Message:
    """The office answers (staff inbox or POST /processes/{id}/messages); the user is told."""
    if author.broker_id != process.broker_id:
        raise Invalid(
            "The request is invalid.", [FieldError(("author",), "not a staff member of this broker")]
        )
    message = Message.objects.create(
        process=process, author_staff=author, author_name=author.name, body=_text(body, "body", MAX_BODY)
    )
    Process.objects.filter(pk=process.pk).update(updated_at=timezone.now())
    log_action(
        broker=author.broker,
        actor=actor,
        action="process.answered",
        object_type="process",
        object_id=process.pk,
    )
    _tell_user(process)
    return message


@transaction.atomic
def start_conversation(
    *, grant: Grant, recipient: str, subject: str, body: str, author: StaffMember, actor: Actor
) -> Process:
    """The office writes to an active member of the grant (POST /processes)."""
    recipient = recipient.strip().lower()
    errors = []
    if author.broker_id != grant.broker_id:
        errors.append(FieldError(("author",), "not a staff member of this broker"))
    if not GrantMember.objects.filter(grant=grant, email=recipient, state=MemberState.ACTIVE).exists():
        errors.append(FieldError(("recipient",), "not an active member of this grant"))
    for field, value, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        try:
            _text(value, field, limit)
        except Invalid as exc:
            errors += exc.errors
    if errors:
        raise Invalid("The conversation was not started.", errors)
    process = Process.objects.create(
        broker_id=grant.broker_id,
        grant=grant,
        type=ProcessType.MESSAGE,
        subject=_text(subject, "subject", MAX_SUBJECT),
        created_by=User.objects.filter(email__iexact=recipient).first(),
        recipient=recipient,
        clerk=grant.clerk,
        office_unread=False,
    )
    Message.objects.create(
        process=process, author_staff=author, author_name=author.name, body=_text(body, "body", MAX_BODY)
    )
    log_action(
        broker=grant.broker,
        actor=actor,
        action="process.started_by_office",
        object_type="process",
        object_id=process.pk,
        data={"recipient": recipient},
    )
    webhooks.announce(process)
    _tell_user(process)
    return process


@transaction.atomic
def acknowledge(*, process: Process, ams_reference: str, actor: Actor) -> Process:
    """The AMS has taken the process over. Idempotent: the same reference again changes nothing; a
    different one is a conflict (409)."""
    reference = _text(ams_reference, "ams_reference", 100)
    locked = Process.objects.select_for_update().get(pk=process.pk)
    if locked.ams_reference:
        if locked.ams_reference != reference:
            raise Conflict(
                "The process was acknowledged with another reference.",
                [FieldError(("ams_reference",), f"already {locked.ams_reference}")],
            )
        return locked
    locked.ams_reference = reference
    locked.acknowledged_at = timezone.now()
    if locked.state == ProcessState.NEW:
        locked.state = ProcessState.ACKNOWLEDGED
    locked.save(update_fields=["ams_reference", "acknowledged_at", "state", "updated_at"])
    log_action(
        broker=locked.broker,
        actor=actor,
        action="process.acknowledged",
        object_type="process",
        object_id=locked.pk,
    )
    return locked


@transaction.atomic
def close(*, process: Process, actor: Actor) -> None:
    """Done: the thread takes no more answers from the user (the office may still write)."""
    if process.state == ProcessState.CLOSED:
        return
    Process.objects.filter(pk=process.pk).update(state=ProcessState.CLOSED, closed_at=timezone.now())
    log_action(
        broker=process.broker,
        actor=actor,
        action="process.closed",
        object_type="process",
        object_id=process.pk,
    )


def mark_read(process: Process, email: str) -> None:
    ReadMark.objects.update_or_create(
        process=process, email=email.lower(), defaults={"read_at": timezone.now()}
    )


def unread_for(processes: list[Process], email: str) -> set[str]:
    """The ids of those processes with an office message the user has not read yet."""
    marks = dict(
        ReadMark.objects.filter(process__in=processes, email=email.lower()).values_list(
            "process_id", "read_at"
        )
    )
    last_office = dict(
        Message.objects.filter(process__in=processes, author_user__isnull=True)
        .order_by()
        .values("process_id")
        .annotate(last=Max("created_at"))
        .values_list("process_id", "last")
    )
    return {pk for pk, last in last_office.items() if pk not in marks or marks[pk] < last}


# --- notifications: that there is news, never the content ----------------------------------------


def _portal_url(process: Process) -> str:
    return settings.BASE_URL + reverse("portal:thread", args=[process.grant_id, process.pk])


def _tell_user(process: Process) -> None:
    """The member the process is for: who started it, or whom the office wrote to."""
    to = process.recipient or (process.created_by.email if process.created_by else "")
    if not to or process.grant is None:
        return
    message = mail.render(
        "process_news", to=to, context={"url": _portal_url(process)}, broker=process.grant.broker
    )
    mail.send_after_commit(message)


def _tell_clerk(process: Process) -> None:
    clerk = process.clerk
    if clerk is None or not clerk.email or process.grant is None:
        return
    url = settings.BASE_URL + reverse("staff:home")
    message = mail.render(
        "process_new",
        to=clerk.email,
        context={"url": url, "kind": process.get_type_display()},
        broker=process.grant.broker,
    )
    mail.send_after_commit(message)


# --- contract capture (ONLINE_VERTRAG) and offer requests (OFFER_REQUEST) ------------------------


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
        raise Invalid("The contract was not recorded.", [FieldError(("line",), "not a line of this broker")])
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
        process=process, author_user=user, author_name=_user_name(user), body=_summary(payload, line)
    )
    _attach(message, checked)
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
        raise Invalid("The request was not sent.", [FieldError(("line",), "not a line of this broker")])
    wishes = wishes.replace("\x00", "").strip()
    if not calculator:
        wishes = _text(wishes, "wishes", MAX_BODY)
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
    Message.objects.create(process=process, author_user=user, author_name=_user_name(user), body=body)
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


def claims_moved(*, broker: Broker, changes: Sequence[tuple[str, str]]) -> None:
    """The AMS changed the status of claims the portal reported ((external id, new status); the import
    calls this in its transaction): each report's thread gets a note from the office, and its reporter
    an e-mail that there is news (never the content)."""
    status_of = dict(changes)
    reports = Process.objects.filter(
        broker=broker, type=ProcessType.CLAIM_REPORT, payload__claim__in=list(status_of)
    ).select_related("grant__broker", "created_by")
    for process in reports:
        with translation.override(settings.LANGUAGE_CODE):  # the portal's language, whoever imports
            status = ClaimStatus(status_of[process.payload["claim"]]).label
            body = _("The status of your claim is now: %(status)s.") % {"status": status}
        Message.objects.create(process=process, author_name=broker.name, body=body)
        Process.objects.filter(pk=process.pk).update(updated_at=timezone.now())
        _tell_user(process)
