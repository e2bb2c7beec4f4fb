"""The real SMTP sink the tests send to (fixture `smtp` in tests/conftest.py), and readers for its mails."""

from __future__ import annotations

import email
import email.policy
import re
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.ports import free_port


class Sink:
    """Collects what arrives over SMTP, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        parsed["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(parsed)
        return "250 OK"

    def wait(self, count: int = 1, timeout: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"expected {count} mails, got {len(self.messages)}"
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def start_sink(sink: Sink, attempts: int = 5) -> Controller:
    """An SMTP server for `sink` on a free port. aiosmtpd cannot listen on port 0, so a port is picked
    first; when a parallel test worker took it in between, the next free one is tried."""
    for attempt in range(attempts):
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        try:
            controller.start()
        except OSError:
            if attempt == attempts - 1:
                raise
            continue
        return controller
    raise AssertionError("unreachable")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def link_in(message: EmailMessage, base_url: str = "http://127.0.0.1:8000") -> str:
    """The path of the first link to the portal in the mail's text part."""
    match = re.search(re.escape(base_url) + r"(/\S+)", text_of(message))
    assert match, text_of(message)
    return match.group(1)
