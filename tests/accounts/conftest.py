"""Accounts fixtures: a real SMTP sink, personas with logins, and helpers for links in mails."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from einblick.accounts.models import User
from einblick.brokers.models import Broker, StaffMember
from einblick.grants.models import Grant

PASSWORD = "ein langer Satz als Passwort 42"


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

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"expected {count} mails, got {len(self.messages)}"
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings) -> Iterator[Sink]:
    """A real SMTP server on a free port; Django sends to it through its SMTP backend."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


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


@pytest.fixture
def grant(broker: Broker) -> Grant:
    from einblick.grants.payloads import GrantIn
    from einblick.grants.services import create_grant

    return create_grant(broker=broker, actor=None, data=GrantIn.model_validate({"name": "Familie Muster"}))


def make_user(email: str, password: str = PASSWORD, **extra: Any) -> User:
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(email, password, **extra)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def make_staff(broker: Broker, email: str, role: str = "admin") -> User:
    StaffMember.objects.create(
        broker=broker,
        external_id=f"U-{StaffMember.objects.count() + 1}",
        name="Max Betreuer",
        email=email,
        role=role,
    )
    return make_user(email)


def log_in(client: Client, email: str, password: str = PASSWORD, **headers: Any):
    return client.post("/accounts/login/", {"login": email, "password": password}, headers=headers)
