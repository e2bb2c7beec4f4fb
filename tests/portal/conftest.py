"""Portal fixtures: a portfolio pushed in through the API, grants with members, and clients for portal
users and staff (staff with a TOTP factor, since the staff and preview pages require one)."""

from __future__ import annotations

import copy
import re
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client

from einblick.accounts.models import User
from einblick.brokers.models import Broker, StaffMember
from einblick.grants.models import Grant
from einblick.office.members import share
from tests.conftest import Api

# Every status option of visibility.md §1: the grant shares every status.
ALL_STATUSES = [
    "ANFRAGE",
    "ANGEBOT",
    "FREMD",
    "FREMDTEIL",
    "GESPERRT",
    "INFO",
    "RUHEND",
    "STORNO",
    "ANTRAG",
    "POLICE",
    "EIGEN",
]

PERSON: dict[str, Any] = {
    "kind": "person",
    "salutation": "Frau",
    "first_name": "Klara",
    "last_name": "Muster",
    "company_name": None,
    "birth_date": "1984-03-02",
    "emails": ["klara.muster@example.org", "klara@work.example"],
    "phone": "+49 89 1234567",
    "intermediary": None,
    "address": {"street": "Musterweg 1", "zip": "80331", "city": "München", "country": "DE"},
}
CONTRACT: dict[str, Any] = {
    "customer": "K-1",
    "number": "HR-4711",
    "line": "HRV",
    "insurer": "Beispiel Versicherung AG",
    "product": "Hausrat Komfort",
    "risk": "Wohnung Musterweg 1",
    "status": "EIGEN",
    "offer_date": None,
    "application_date": "2023-12-01",
    "document_date": "2024-01-10",
    "start_date": "2024-01-15",
    "end_date": None,
    "premium": "12.50",
    "payment_interval": "monthly",
    "intermediary": None,
}
CLAIM: dict[str, Any] = {
    "customer": "K-1",
    "contract": None,
    "number": "S-1",
    "loss_date": "2024-05-03",
    "status": "open",
    "description": "Leitungswasserschaden Küche",
    "amount_reserved": "2500.00",
    "amount_paid": None,
}


def person(last_name: str, first_name: str = "", **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(PERSON), "first_name": first_name, "last_name": last_name, **changes}


def contract(customer: str, number: str, line: str, **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(CONTRACT), "customer": customer, "number": number, "line": line, **changes}


def claim(customer: str, contract_id: str | None, number: str, **changes: Any) -> dict[str, Any]:
    return {**CLAIM, "customer": customer, "contract": contract_id, "number": number, **changes}


def load(api: Api, **batch: Any) -> None:
    """One atomic batch through POST /api/v1/import; every object must be taken."""
    response = api.post("/import", batch)
    assert response.status_code == 200, response.content
    assert response.json()["errors"] == []


def make_grant(
    api: Api,
    name: str,
    customers: list[str],
    share: dict[str, Any] | None = None,
    *,
    intermediaries: list[str] | None = None,
    **actions: Any,
) -> Grant:
    """A grant through POST /api/v1/grants. Default sharing: claims, automatic POLICE/ANTRAG/EIGEN."""
    body = {
        "name": name,
        "customers": customers,
        "intermediaries": intermediaries or [],
        "share": {"claims": True, "auto_contracts": True, "statuses": ["POLICE", "ANTRAG", "EIGEN"]}
        | (share or {}),
        "actions": {"view": "private"} | actions,
    }
    response = api.post("/grants", body)
    assert response.status_code == 201, response.content
    return Grant.objects.get(pk=response.json()["id"])


def account(email: str) -> User:
    """A portal or staff account without a usable password (the tests log in with force_login)."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, None)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def join(grant: Grant, email: str) -> User:
    """An active member of the grant (Teilen with an address that has an account)."""
    user = account(email)
    share(grant=grant, actor=None, email=email)
    return user


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def member_client(grant: Grant, email: str) -> Client:
    return client_of(join(grant, email))


def staff_client(broker: Broker, email: str, role: str = "admin") -> Client:
    StaffMember.objects.create(
        broker=broker,
        external_id=f"ST-{StaffMember.objects.count() + 1}",
        name="Sina Staff",
        email=email,
        role=role,
    )
    user = account(email)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return client_of(user)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def csv_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode("utf-8")


def portal_part(html: str) -> str:
    """The page below the frame (banner, context switcher): from the first heading to the end of main."""
    match = re.search(r"<h1>.*</main>", html, re.S)
    assert match, html
    return match.group(0)
