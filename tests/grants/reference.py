"""An independent reference implementation of visibility.md §1–§6, in plain Python.

It works on plain data (frozen dataclasses keyed by external ids) and is written from the spec, line
by line, not from einblick.grants.visibility: the tests compare the engine's querysets with it. It
also knows how to turn its data into an import batch and a grant payload (plain dicts), so that the
same portfolio and grant can be written through import_batch and create_grant.

Reading of §5 used here: a grant may list customers and intermediary numbers at once; its
"customers" are then the listed customers plus every customer whose intermediary number is listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# §1: the eleven status options, and the nine statuses a contract can have.
STATUS_OPTIONS = (
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
)
CONTRACT_STATUSES = (
    "ANFRAGE",
    "ANGEBOT",
    "EIGEN",
    "FREMD",
    "FREMDTEIL",
    "GESPERRT",
    "INFO",
    "RUHEND",
    "STORNO",
)
PERMISSIONS = ("messages", "claim_report", "claim_report_on_customer", "contract_capture", "offer_creation")


@dataclass(frozen=True)
class Customer:
    external_id: str
    intermediary: str = ""


@dataclass(frozen=True)
class Contract:
    external_id: str
    customer: str
    status: str
    line: str = "HRV"
    offer_date: str | None = None
    application_date: str | None = None
    document_date: str | None = None
    intermediary: str = ""  # the contract's own number; §5 looks at the customer's, never at this
    risk_locations: tuple[str, ...] = ()  # labels, unique over the portfolio


@dataclass(frozen=True)
class Claim:
    external_id: str
    customer: str
    contract: str | None = None


@dataclass(frozen=True)
class Document:
    external_id: str
    customer: str
    contract: str | None = None
    claim: str | None = None
    keywords: tuple[str, ...] = ()
    arrived: bool = True  # whether its file has arrived


@dataclass
class Portfolio:
    customers: dict[str, Customer] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        customers: Iterable[Customer],
        contracts: Iterable[Contract],
        claims: Iterable[Claim] = (),
        documents: Iterable[Document] = (),
    ):
        return cls(
            {c.external_id: c for c in customers},
            {c.external_id: c for c in contracts},
            {k.external_id: k for k in claims},
            {d.external_id: d for d in documents},
        )


@dataclass(frozen=True)
class Grant:
    customers: frozenset[str] = frozenset()
    intermediaries: frozenset[str] = frozenset()
    claims: bool = False
    reference_addresses: bool = False
    auto_contracts: bool = False
    statuses: frozenset[str] = frozenset()
    lines: frozenset[str] = frozenset()
    contracts: frozenset[str] = frozenset()  # hand-picked
    document_keywords: frozenset[str] = frozenset()
    primary_contact: bool = False
    messages: bool = False
    claim_report: bool = False
    claim_report_on_customer: bool = False
    contract_capture: bool = False
    offer_creation: bool = False
    tariff_account: str | None = None


# --- §1 ---------------------------------------------------------------------------------------------


def has_date(value: str | None) -> bool:
    """ "Has a date" means the field is not empty."""
    return value is not None and value != ""


def matches(option: str, contract: Contract) -> bool:
    """Whether one status option matches a contract (the table of §1)."""
    status = contract.status
    if option in ("ANFRAGE", "ANGEBOT", "FREMD", "FREMDTEIL", "GESPERRT", "INFO", "RUHEND", "STORNO"):
        return status == option
    if option == "ANTRAG":
        return status == "EIGEN" and has_date(contract.application_date)
    if option == "POLICE":
        return status == "EIGEN" and has_date(contract.document_date)
    if option == "EIGEN":
        neither = not has_date(contract.application_date) and not has_date(contract.document_date)
        return (status == "EIGEN" and neither) or (status == "ANGEBOT" and has_date(contract.offer_date))
    raise ValueError(f"unknown status option {option!r}")


def matching_options(contract: Contract) -> set[str]:
    return {option for option in STATUS_OPTIONS if matches(option, contract)}


def auto_shared(grant: Grant, contract: Contract) -> bool:
    """Auto-shared: matches at least one ticked option (none ticked: nothing)."""
    return any(matches(option, contract) for option in grant.statuses)


# --- §2, §5 -----------------------------------------------------------------------------------------


def visible_customers(grant: Grant, portfolio: Portfolio) -> set[str]:
    """The grant's customers (§2), by intermediary number for an intermediary grant (§5)."""
    found = {ext for ext in grant.customers if ext in portfolio.customers}
    found |= {
        c.external_id
        for c in portfolio.customers.values()
        if c.intermediary != "" and c.intermediary in grant.intermediaries
    }
    return found


def contract_visible(grant: Grant, contract: Contract, customers: set[str]) -> bool:
    if contract.customer not in customers:
        return False
    if contract.external_id in grant.contracts:
        return True
    return (
        grant.auto_contracts
        and auto_shared(grant, contract)
        and (len(grant.lines) == 0 or contract.line in grant.lines)
    )


def visible_contracts(grant: Grant, portfolio: Portfolio) -> set[str]:
    customers = visible_customers(grant, portfolio)
    return {c.external_id for c in portfolio.contracts.values() if contract_visible(grant, c, customers)}


# --- §3 ---------------------------------------------------------------------------------------------


def visible_claims(grant: Grant, portfolio: Portfolio) -> set[str]:
    if not grant.claims:
        return set()
    customers = visible_customers(grant, portfolio)
    contracts = visible_contracts(grant, portfolio)
    found = set()
    for claim in portfolio.claims.values():
        if claim.contract is not None:
            if claim.contract in contracts:
                found.add(claim.external_id)
        elif claim.customer in customers:
            found.add(claim.external_id)
    return found


# --- §4 ---------------------------------------------------------------------------------------------


def visible_risk_locations(grant: Grant, portfolio: Portfolio) -> set[str]:
    if not grant.reference_addresses:
        return set()
    contracts = visible_contracts(grant, portfolio)
    return {label for ext in contracts for label in portfolio.contracts[ext].risk_locations}


def visible_documents(grant: Grant, portfolio: Portfolio) -> set[str]:
    """Visible when what it is attached to is visible (a contract, a claim, both when it names both,
    else its customer being in the grant) and one of its keywords is one of the grant's, exactly; never
    before its file has arrived."""
    customers = visible_customers(grant, portfolio)
    contracts = visible_contracts(grant, portfolio)
    claims = visible_claims(grant, portfolio)
    found = set()
    for document in portfolio.documents.values():
        if not document.arrived:
            continue
        if not any(keyword in grant.document_keywords for keyword in document.keywords):
            continue
        if document.contract is not None and document.contract not in contracts:
            continue
        if document.claim is not None and document.claim not in claims:
            continue
        if document.customer in customers:
            found.add(document.external_id)
    return found


# --- §6 ---------------------------------------------------------------------------------------------


def permissions(grant: Grant) -> dict[str, bool]:
    contact = grant.primary_contact
    return {
        "messages": contact and grant.messages,
        "claim_report": contact and grant.claim_report,
        "claim_report_on_customer": contact and grant.claim_report and grant.claim_report_on_customer,
        "contract_capture": contact and grant.contract_capture,
        "offer_creation": contact and grant.offer_creation and grant.tariff_account is not None,
    }


# --- §7: the union over several grants ----------------------------------------------------------------


def union_customers(grants: Iterable[Grant], portfolio: Portfolio) -> set[str]:
    return set().union(*(visible_customers(g, portfolio) for g in grants))


def union_contracts(grants: Iterable[Grant], portfolio: Portfolio) -> set[str]:
    return set().union(*(visible_contracts(g, portfolio) for g in grants))


def union_claims(grants: Iterable[Grant], portfolio: Portfolio) -> set[str]:
    return set().union(*(visible_claims(g, portfolio) for g in grants))


def union_risk_locations(grants: Iterable[Grant], portfolio: Portfolio) -> set[str]:
    return set().union(*(visible_risk_locations(g, portfolio) for g in grants))


def union_documents(grants: Iterable[Grant], portfolio: Portfolio) -> set[str]:
    return set().union(*(visible_documents(g, portfolio) for g in grants))


def union_permissions(grants: Iterable[Grant]) -> dict[str, bool]:
    allowed = dict.fromkeys(PERMISSIONS, False)
    for grant in grants:
        for name, value in permissions(grant).items():
            allowed[name] = allowed[name] or value
    return allowed


# --- writing the same data through the application (plain dicts) --------------------------------------


def import_data(portfolio: Portfolio) -> dict[str, dict[str, Any]]:
    """The portfolio as one import batch (api-v1.md "Batch import")."""
    return {
        "customers": {
            c.external_id: {
                "kind": "person",
                "last_name": f"Kunde {c.external_id}",
                "intermediary": c.intermediary,
            }
            for c in portfolio.customers.values()
        },
        "contracts": {
            c.external_id: {
                "customer": c.customer,
                "line": c.line,
                "status": c.status,
                "offer_date": c.offer_date,
                "application_date": c.application_date,
                "document_date": c.document_date,
                "intermediary": c.intermediary,
                "risk_locations": [{"label": label, "city": "München"} for label in c.risk_locations],
            }
            for c in portfolio.contracts.values()
        },
        "claims": {
            k.external_id: {"customer": k.customer, "contract": k.contract, "status": "open"}
            for k in portfolio.claims.values()
        },
        "documents": {
            d.external_id: {
                "customer": d.customer,
                "contract": d.contract,
                "claim": d.claim,
                "title": f"Dokument {d.external_id}",
                "kind": "letter",
                "keywords": list(d.keywords),
            }
            for d in portfolio.documents.values()
        },
    }


def arrived(portfolio: Portfolio) -> list[str]:
    """The documents whose file is to be sent (PUT .../content) after the import."""
    return [d.external_id for d in portfolio.documents.values() if d.arrived]


def grant_payload(grant: Grant, name: str = "Freischaltung") -> dict[str, Any]:
    """The grant as the AMS sends it (GrantIn)."""
    return {
        "name": name,
        "customers": sorted(grant.customers),
        "intermediaries": sorted(grant.intermediaries),
        "share": {
            "claims": grant.claims,
            "reference_addresses": grant.reference_addresses,
            "auto_contracts": grant.auto_contracts,
            "statuses": sorted(grant.statuses),
            "lines": sorted(grant.lines),
            "contracts": sorted(grant.contracts),
            "document_keywords": sorted(grant.document_keywords),
        },
        "actions": {
            "primary_contact": grant.primary_contact,
            "messages": grant.messages,
            "claim_report": grant.claim_report,
            "claim_report_on_customer": grant.claim_report_on_customer,
            "contract_capture": grant.contract_capture,
            "offer_creation": grant.offer_creation,
            "tariff_account": grant.tariff_account,
        },
    }
