"""Sample data for the tests: the examples of api-v1.md, small builders for portfolio payloads, and files
(images, and what only pretends to be one)."""

from __future__ import annotations

import copy
import struct
import zlib
from typing import Any

from einblick.grants.models import STATUS_OPTIONS

# --- the examples of api-v1.md ---------------------------------------------------------------------

CUSTOMER: dict[str, Any] = {
    "kind": "person",
    "salutation": "Frau",
    "first_name": "Klara",
    "last_name": "Muster",
    "company_name": None,
    "birth_date": "1984-03-02",
    "emails": ["klara.muster@example.org"],
    "phone": "+49 89 1234567",
    "intermediary": None,
    "address": {"street": "Musterweg 1", "zip": "80331", "city": "München", "country": "DE"},
}
CONTRACT: dict[str, Any] = {
    "customer": "K-1001",
    "number": "HR-4711",
    "line": "HRV",
    "insurer": "Beispiel Versicherung AG",
    "product": "Hausrat Komfort",
    "risk": "Wohnung Musterweg 1",
    "status": "EIGEN",
    "offer_date": None,
    "application_date": "2023-12-01",
    "document_date": "2024-01-10",
    "start_date": "2024-01-01",
    "end_date": None,
    "premium": "12.50",
    "payment_interval": "monthly",
    "intermediary": None,
    "risk_locations": [
        {"label": "Wohnung", "street": "Musterweg 1", "zip": "80331", "city": "München", "country": "DE"}
    ],
}
CLAIM: dict[str, Any] = {
    "customer": "K-1001",
    "contract": "V-2001",
    "number": "S-2024-17",
    "loss_date": "2024-05-03",
    "status": "open",
    "description": "Leitungswasserschaden Küche",
    "amount_reserved": "2500.00",
    "amount_paid": None,
}
DOCUMENT: dict[str, Any] = {
    "customer": "K-1001",
    "contract": "V-2001",
    "claim": None,
    "title": "Versicherungsschein 2024",
    "date": "2024-01-10",
    "kind": "policy",
    "keywords": ["POLICE", "PORTAL"],
    "filename": "police-2024.pdf",
}
# The example of api-v1.md "Grants" (over K-1001 and K-1002).
GRANT: dict[str, Any] = {
    "name": "Familie Muster",
    "customers": ["K-1001", "K-1002"],
    "intermediaries": [],
    "profile": None,
    "share": {
        "claims": True,
        "reference_addresses": False,
        "auto_contracts": True,
        "statuses": ["POLICE", "ANTRAG"],
        "lines": ["HRV", "KFZ"],
        "contracts": [],
        "shared_processes": False,
        "document_keywords": ["PORTAL"],
    },
    "actions": {
        "view": "private",
        "primary_contact": True,
        "product_names": False,
        "messages": True,
        "claim_report": True,
        "claim_report_on_customer": False,
        "contract_capture": False,
        "offer_creation": False,
        "tariff_account": None,
        "clerk": "U-1",
        "show_clerk": True,
    },
}


def example_grant(name: str = "Familie Muster", customers: list[str] | None = None) -> dict[str, Any]:
    """The grant example over K-1001 alone (or `customers`), without its clerk U-1, whom the portfolios
    of these tests do not have."""
    body = copy.deepcopy(GRANT)
    body.update(name=name, customers=customers or ["K-1001"])
    body["actions"]["clerk"] = None
    return body


# --- portfolio payloads, built small ------------------------------------------------------------------

# Every status option of visibility.md §1: a grant that lists them all shares every status.
ALL_STATUSES = list(STATUS_OPTIONS)

_PERSON: dict[str, Any] = {
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
_CONTRACT: dict[str, Any] = {
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
_CLAIM: dict[str, Any] = {
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
    return {**copy.deepcopy(_PERSON), "first_name": first_name, "last_name": last_name, **changes}


def contract(customer: str, number: str, line: str, **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(_CONTRACT), "customer": customer, "number": number, "line": line, **changes}


def claim(customer: str, contract_id: str | None, number: str, **changes: Any) -> dict[str, Any]:
    return {**_CLAIM, "customer": customer, "contract": contract_id, "number": number, **changes}


# --- files ---------------------------------------------------------------------------------------------


def png(width: int = 4, height: int = 2) -> bytes:
    """A real PNG (one colour), built from its chunks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x0f\x76\x6e" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
# What a logo upload must refuse, by name.
HOSTILE = {
    "a PDF": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
    "an SVG": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "an HTML page": b"<!doctype html><html><script>alert(1)</script></html>",
    "a GIF": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    "a PNG signature without its header": b"\x89PNG\r\n\x1a\n" + b"<html>" * 10,
    "a JPEG start without its end": JPEG[:-2] + b"<script>",
    "text": b"just text",
}
