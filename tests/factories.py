"""Brokers, accounts, staff, portfolios, grants and members for the tests, built through Einblick's own
services (the broker service, the import, the grant services), so that test data is data the
application could have made. The personas of tests/conftest.py are built from these. When a service
moves to another app, most of the tests' imports of it to follow are here."""

from __future__ import annotations

import base64
import itertools
import secrets
from dataclasses import dataclass
from typing import Any

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client

from einblick.accounts import consent
from einblick.accounts.models import User
from einblick.brokers.models import Broker, StaffMember
from einblick.grants.models import Grant, MemberState
from einblick.grants.payloads import GrantIn
from einblick.grants.services import create_grant
from einblick.office.brokers import create_broker
from einblick.office.members import share
from einblick.portfolio.importing import import_batch, put_object
from tests.samples import CONTRACT, CUSTOMER, contract, person

PASSWORD = "ein langer Satz als Passwort 42"


# --- brokers and accounts --------------------------------------------------------------------------


def make_broker(slug: str = "muster", name: str = "Muster Makler GmbH") -> Broker:
    return create_broker(slug=slug, name=name)


def make_user(email: str, password: str | None = PASSWORD, **extra: Any) -> User:
    """An account (its address verified, as every account's: accounts.addresses; password None: an
    account without a usable password, for tests that log in with force_login)."""
    return User.objects.create_user(email, password, **extra)


def accepted(broker: Broker | Grant | str, email: str, *, staff: bool = False) -> None:
    """The person has said yes to the broker (domain.md §3), as accepting one of its invitations
    leaves it (with `staff`: a staff invitation); the broker may be given by a grant or a grant's id
    (of an API answer)."""
    if isinstance(broker, str):
        broker = Grant.objects.get(pk=broker)
    if isinstance(broker, Grant):
        broker = broker.broker
    consent.record(broker=broker, email=email, staff=staff)


def account(email: str) -> User:
    """The account of this address, made without a password when there is none yet."""
    return User.objects.filter(email__iexact=email).first() or make_user(email, None)


def give_totp(user: User) -> tuple[str, list[str]]:
    """A TOTP authenticator and recovery codes stored as allauth stores them (encrypted); the secret and
    the codes."""
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    return secret, codes


def make_staff(
    broker: Broker,
    email: str,
    role: str = "admin",
    *,
    name: str = "Max Betreuer",
    password: str | None = PASSWORD,
    totp: bool = False,
) -> User:
    """A member of the broker's staff as the AMS sends one (PUT /staff/ST-n), with an account; with
    totp=True also a second factor, which the office asks of staff."""
    taken = set(StaffMember.objects.filter(broker=broker).values_list("external_id", flat=True))
    external_id = next(f"ST-{n}" for n in itertools.count(1) if f"ST-{n}" not in taken)
    put_object(
        broker=broker,
        actor=None,
        section="staff",
        external_id=external_id,
        data={"name": name, "email": email, "role": role},
    )
    user = account(email) if password is None else make_user(email, password)
    accepted(broker, email, staff=True)  # as if they had accepted the staff invitation
    if totp:
        give_totp(user)
    return user


# --- portfolio and grants --------------------------------------------------------------------------


def load(broker: Broker, **batch: Any) -> None:
    """One atomic batch through the import (POST /api/v1/import's service); every object must be taken."""
    import_batch(broker=broker, actor=None, data=batch)


def example_portfolio(broker: Broker) -> None:
    """Customer K-1001 of api-v1.md with two contracts: HR-4711 (HRV, "Wohnung Musterweg 1") and PH-0815
    (PHV, "Privathaftpflicht", outside the lines of the grant example)."""
    liability = {**CONTRACT, "number": "PH-0815", "line": "PHV", "risk": "Privathaftpflicht"}
    liability.pop("risk_locations")
    load(
        broker,
        customers={"K-1001": CUSTOMER},
        contracts={"V-2001": {**CONTRACT, "number": "HR-4711", "line": "HRV"}, "V-2002": liability},
    )


def make_grant(
    broker: Broker,
    name: str,
    customers: list[str] | None = None,
    share: dict[str, Any] | None = None,
    *,
    intermediaries: list[str] | None = None,
    **actions: Any,
) -> Grant:
    """A grant as POST /api/v1/grants makes it. Default sharing: claims, and contracts in POLICE, ANTRAG
    and EIGEN automatically; the private view."""
    body = {
        "name": name,
        "customers": customers or [],
        "intermediaries": intermediaries or [],
        "share": {"claims": True, "auto_contracts": True, "statuses": ["POLICE", "ANTRAG", "EIGEN"]}
        | (share or {}),
        "actions": {"view": "private"} | actions,
    }
    return create_grant(broker=broker, actor=None, data=GrantIn.model_validate(body))


def join(grant: Grant, email: str, password: str | None = None) -> User:
    """An active member of the grant (Teilen with a person who has accepted the broker): the account of
    the address, or a new one (with `password`: a new account with that password)."""
    user = account(email) if password is None else make_user(email, password)
    accepted(grant, email)
    member, _ = share(grant=grant, actor=None, email=email)
    assert member.state == MemberState.ACTIVE
    return user


# --- logged-in clients -----------------------------------------------------------------------------


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def member_client(grant: Grant, email: str) -> Client:
    return client_of(join(grant, email))


def staff_client(broker: Broker, email: str, role: str = "admin", *, name: str = "Sina Staff") -> Client:
    """Staff with a second factor (the office and the preview require one), logged in."""
    return client_of(make_staff(broker, email, role, name=name, password=None, totp=True))


# --- personas (fixtures in tests/conftest.py) ------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    """Someone logged in: the account and a test client with its session."""

    user: User
    client: Client

    @property
    def email(self) -> str:
        return self.user.email


@dataclass(frozen=True)
class Member(Persona):
    """Someone logged in who is an active member of `grant`."""

    grant: Grant


def persona(user: User) -> Persona:
    return Persona(user, client_of(user))


def staff_persona(broker: Broker, email: str, role: str, name: str) -> Persona:
    """Staff with a password and a second factor, logged in."""
    return persona(make_staff(broker, email, role, name=name, totp=True))


def member_persona(grant: Grant, email: str) -> Member:
    """An active member of the grant with a password, logged in."""
    user = join(grant, email, PASSWORD)
    return Member(user, client_of(user), grant)


KLARA = "klara.muster@example.org"


def klaras_grant(broker: Broker) -> Grant:
    """Klara Muster (customer K-1) with her household contract V-1 (HR-4711, HRV, EIGEN) and the grant
    "Familie Muster" that shares it in the private view, with messages to the broker."""
    load(
        broker,
        customers={"K-1": person("Muster", "Klara", emails=[KLARA])},
        contracts={"V-1": contract("K-1", "HR-4711", "HRV")},
    )
    return make_grant(broker, "Familie Muster", ["K-1"], primary_contact=True, messages=True)
