"""Accounts fixtures: a real SMTP sink, personas with logins, and helpers for links in mails."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from einblick.accounts.models import User
from einblick.brokers.models import Broker, StaffMember
from einblick.grants.models import Grant
from tests.mail import html_of, link_in, text_of  # noqa: F401 - moved; importers follow in the next step

PASSWORD = "ein langer Satz als Passwort 42"


@pytest.fixture
def grant(broker: Broker) -> Grant:
    from einblick.grants.payloads import GrantIn
    from einblick.grants.services import create_grant

    return create_grant(broker=broker, actor=None, data=GrantIn.model_validate({"name": "Familie Muster"}))


def make_user(email: str, password: str = PASSWORD, **extra: Any) -> User:
    return User.objects.create_user(email, password, **extra)


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
