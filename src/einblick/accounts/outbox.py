"""The demo's outbox: an e-mail backend that writes each message as a .eml file into the data directory,
and the reading side for the outbox page (EMAIL_URL=outbox:, what `make run` uses)."""

from __future__ import annotations

import email
import email.policy
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage as ParsedMessage
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

from einblick.accounts.mail import BROKER_HEADER

NAME_PATTERN = r"[0-9]{8}T[0-9]{12}-[0-9a-f]{8}\.eml"


def outbox_dir() -> Path:
    return Path(settings.EMAIL_OUTBOX_DIR)


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{datetime.now(tz=UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.message().as_bytes())
        return len(email_messages)


@dataclass
class OutboxMail:
    name: str
    subject: str
    sender: str
    to: str
    date: str
    broker_id: str
    text: str


def _local(header: Any) -> str:
    moment = getattr(header, "datetime", None)
    if moment is None:
        return str(header or "")
    if timezone.is_naive(moment):  # "-0000": Django writes the Date header in UTC
        moment = moment.replace(tzinfo=UTC)
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def _parse(path: Path) -> OutboxMail:
    parsed: Any = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, ParsedMessage)
    body = parsed.get_body(preferencelist=("plain",))
    return OutboxMail(
        name=path.name,
        subject=str(parsed["Subject"] or ""),
        sender=str(parsed["From"] or ""),
        to=str(parsed["To"] or ""),
        date=_local(parsed["Date"]),
        broker_id=str(parsed[BROKER_HEADER] or ""),
        text=body.get_content() if body is not None else "",
    )


def read_outbox(*, broker_ids: set[str] | None, limit: int = 100) -> list[OutboxMail]:
    """The newest mails first; with `broker_ids`, only those sent on behalf of these brokers."""
    folder = outbox_dir()
    if not folder.is_dir():
        return []
    mails = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        mail = _parse(path)
        if broker_ids is None or mail.broker_id in broker_ids:
            mails.append(mail)
        if len(mails) >= limit:
            break
    return mails
