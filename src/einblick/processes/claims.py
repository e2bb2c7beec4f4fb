"""The claim report (Schadenmeldung, domain.md §5): a draft the user fills step by step and may resume,
then one submission that creates a claim with status `reported` (which the user sees at once), a
CLAIM_REPORT process with the answers, the user's files and a PDF of the report."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from einblick.accounts.models import User
from einblick.brokers.models import Broker
from einblick.brokers.services import data_changed
from einblick.errors import FieldError, Invalid
from einblick.errors import messages as M
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portfolio.models import Claim, ClaimStatus, ClaimStatusChange, Contract, Customer, LineGroup
from einblick.processes import files, notices, pdf
from einblick.processes.models import Attachment, ClaimDraft, DraftFile, Message, Process, ProcessType
from einblick.processes.services import opened

# Which questions a line group asks (the "details" step); anything else asks the generic ones only.
KINDS = {LineGroup.MOBILITAET: "motor", LineGroup.WOHNEN: "property", LineGroup.HAFTUNG: "liability"}


def kind_of(draft: ClaimDraft) -> str:
    if draft.contract is None:
        return "other"
    return KINDS.get(draft.contract.line.group, "other")  # type: ignore[call-overload]


def valid_iban(value: str) -> bool:
    """ISO 13616: two letters, two check digits, up to 30 letters and digits, mod 97 = 1."""
    iban = re.sub(r"\s+", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return False
    if iban.startswith("DE") and len(iban) != 22:
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def _allowed(grant: Grant, draft: ClaimDraft) -> None:
    permissions = visibility.permissions(grant)
    if draft.contract_id is not None:
        if not permissions["claim_report"]:
            raise PermissionDenied("This grant does not allow claim reports.")
        if not visibility.contracts(grant).filter(pk=draft.contract_id).exists():
            raise PermissionDenied("The contract is no longer shared.")
    else:
        if not permissions["claim_report_on_customer"]:
            raise PermissionDenied("This grant does not allow claim reports on a customer.")
        if not visibility.customers(grant).filter(pk=draft.customer_id).exists():
            raise PermissionDenied("Not a customer of this grant.")


def start(
    *, grant: Grant, user: User, contract: Contract | None = None, customer: Customer | None = None
) -> ClaimDraft:
    """A new draft on a contract the grant shows, or on one of its customers."""
    if contract is not None:
        customer = contract.customer
    assert customer is not None
    draft = ClaimDraft(
        broker_id=grant.broker_id, grant=grant, user=user, contract=contract, customer=customer
    )
    _allowed(grant, draft)
    draft.save()
    return draft


def _locked(draft: ClaimDraft) -> ClaimDraft:
    """The draft's row locked for the rest of the transaction (parallel requests wait; a draft that
    is gone meanwhile: Http404)."""
    try:
        return (
            ClaimDraft.objects.select_for_update(of=("self",))
            .select_related("contract__line", "customer")
            .get(pk=draft.pk)
        )
    except ClaimDraft.DoesNotExist:
        raise Http404 from None


def _within_limits(count: int, total: int) -> None:
    limit_files, limit_bytes = files.settings.UPLOAD_MAX_FILES, files.settings.UPLOAD_MAX_BYTES
    if count > limit_files:
        raise Invalid(
            M.TOO_MANY_FILES,
            [FieldError(("attachments",), M.AT_MOST_FILES % {"limit": limit_files, "count": count})],
        )
    if total > limit_bytes:
        size = f"{total / 1048576:.1f}".replace(".", ",")
        raise Invalid(
            M.FILES_TOO_LARGE,
            [
                FieldError(
                    ("attachments",), M.AT_MOST_MB % {"limit": limit_bytes // (1024 * 1024), "size": size}
                )
            ],
        )


def add_files(draft: ClaimDraft, uploads: Sequence[UploadedFile]) -> None:
    """Files join the draft: all of its files together within the limits of processes/files.py,
    counted under the draft's lock (parallel uploads cannot pass them)."""
    checked = files.check(uploads)
    written: list[str] = []
    try:
        with transaction.atomic():
            draft = _locked(draft)
            present = list(draft.files.values_list("size", flat=True))
            _within_limits(
                len(present) + len(checked), sum(present) + sum(c.upload.size or 0 for c in checked)
            )
            for item in checked:
                fields = files.store(item)
                written.append(fields["stored"])
                DraftFile.objects.create(draft=draft, **fields)
            ClaimDraft.objects.filter(pk=draft.pk).update(updated_at=timezone.now())
    except BaseException:
        files.remove(written)
        raise


@transaction.atomic
def remove_file(draft: ClaimDraft, file_id: int) -> None:
    """The row goes now; the file once the deletion has committed (processes/apps.py)."""
    _locked(draft).files.filter(pk=file_id).delete()


@transaction.atomic
def discard(draft: ClaimDraft) -> None:
    _locked(draft).delete()


def rows(draft: ClaimDraft) -> list[tuple[str, str]]:
    """The answers as (label, text), for the review step, the office's message and the PDF."""
    data = draft.data
    out: list[tuple[str, str]] = []
    if draft.contract is not None:
        c = draft.contract
        out.append(
            (_("Contract"), f"{c.line.label}: {c.risk or c.product or ''} ({c.insurer}, {c.number or '–'})")
        )
    out.append((_("Customer"), draft.customer.display_name))
    when = data.get("loss_date", "")
    if when:
        when = date.fromisoformat(when).strftime("%d.%m.%Y") + (
            f", {data['loss_time']}" if data.get("loss_time") else ""
        )
    out += [
        (_("Date of loss"), when),
        (_("Place"), data.get("place", "")),
        (_("What happened"), data.get("description", "")),
    ]
    for key, label in DETAIL_LABELS.items():
        if key in data and data[key] not in ("", None):
            value = data[key]
            out.append(
                (str(label()), (_("yes") if value else _("no")) if isinstance(value, bool) else str(value))
            )
    if data.get("amount"):
        out.append(
            (
                _("Estimated amount"),
                f"{Decimal(data['amount']):,.2f} €".replace(",", "X").replace(".", ",").replace("X", "."),
            )
        )
    if data.get("iban"):
        out.append((_("IBAN for payment"), data["iban"]))
        out.append((_("Account holder"), data.get("account_holder", "")))
    return out


DETAIL_LABELS = {
    "vehicle": lambda: _("Vehicle"),
    "registration": lambda: _("Registration"),
    "other_party": lambda: _("Other party"),
    "police": lambda: _("Police involved"),
    "police_station": lambda: _("Police station, file number"),
    "items": lambda: _("Affected items"),
    "cause": lambda: _("Cause"),
    "injured_party": lambda: _("Injured party"),
}


def missing(draft: ClaimDraft) -> list[str]:
    """The steps not done yet (the review refuses to submit before)."""
    data = draft.data
    out = []
    if not (data.get("loss_date") and data.get("place") and data.get("description")):
        out.append("loss")
    return out


@transaction.atomic
def submit(*, draft: ClaimDraft, grant: Grant, user: User) -> Process:
    """The report: a claim with status `reported`, the CLAIM_REPORT process with its files and PDF."""
    draft = _locked(draft)  # a second submission waits here and then finds no draft (404)
    _allowed(grant, draft)
    present = list(draft.files.values_list("size", flat=True))
    _within_limits(len(present), sum(present))
    if missing(draft):
        raise Invalid(M.REPORT_INCOMPLETE, [FieldError(("loss",), M.REPORT_LOSS_MISSING)])
    data = draft.data
    now = timezone.now()
    claim = Claim.objects.create(
        broker_id=grant.broker_id,
        external_id="portal:" + secrets.token_hex(8),
        customer=draft.customer,
        contract=draft.contract,
        loss_date=date.fromisoformat(data["loss_date"]),
        status=ClaimStatus.REPORTED,
        description=data["description"][:10_000],
    )
    ClaimStatusChange.objects.create(
        broker_id=grant.broker_id, claim=claim, status=ClaimStatus.REPORTED, changed_at=now
    )
    line = draft.contract.line.label if draft.contract else _("Claim")
    process = Process.objects.create(
        broker_id=grant.broker_id,
        grant=grant,
        type=ProcessType.CLAIM_REPORT,
        subject=f"{_('Claim report')}: {line}"[:200],
        created_by=user,
        customer=draft.customer,
        contract=draft.contract,
        clerk=grant.clerk,
        payload={"claim": claim.external_id, "kind": kind_of(draft), **data},
    )
    answers = rows(draft)
    message = Message.objects.create(
        process=process,
        author_user=user,
        author_name=user.get_full_name() or user.email,
        body="\n".join(f"{label}: {value}" for label, value in answers),
    )
    for item in draft.files.all():
        Attachment.objects.create(
            message=message, name=item.name, stored=item.stored, content_type=item.content_type,
            size=item.size, sha256=item.sha256,
        )  # fmt: skip
    title = f"{_('Claim report')} – {draft.customer.display_name} – {now:%d.%m.%Y}"
    report = pdf.report(title, answers)
    Attachment.objects.create(
        message=message, **files.store_bytes(report, "schadenmeldung.pdf", "application/pdf")
    )
    ClaimDraft.objects.filter(pk=draft.pk).delete()  # its files now belong to the process
    data_changed(grant.broker_id)  # the claim is shown at once
    opened(process, grant=grant, user=user)
    return process


def parse_amount(value: str) -> Decimal | None:
    text = value.strip().replace("€", "").replace(" ", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10") or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError
    return amount


def today() -> date:
    return timezone.localdate()


def as_time(value: str) -> str:
    datetime.strptime(value, "%H:%M")  # ValueError unless HH:MM
    return value


def answers_of(draft: ClaimDraft) -> dict[str, Any]:
    return dict(draft.data)


def claims_moved(*, broker: Broker, changes: Sequence[tuple[str, str]]) -> None:
    """The AMS changed the status of claims the portal reported ((external id, new status); the import
    announces them in its transaction, portfolio.signals.reported_claims_changed): each report's thread
    gets a note from the office, and its reporter an e-mail that there is news (never the content)."""
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
        notices.tell_user(process)
