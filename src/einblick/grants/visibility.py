"""What a grant shows and allows: the one implementation of visibility.md.

Every portal page, API answer, export and download asks these functions. Each answer is a queryset
built from one Q expression per grant (subqueries, no Python loop over a portfolio), so its cost does
not depend on how much the grant shows, and the union over several grants is the OR of their Qs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypedDict

from django.db.models import Q, QuerySet

from einblick.grants.models import Grant
from einblick.portfolio.models import (
    Claim,
    Contract,
    ContractStatus,
    Customer,
    Document,
    DocumentKeyword,
    Line,
    RiskLocation,
)

NOTHING = Q(pk__in=[])
# Options that match a status as it is (visibility.md §1); ANTRAG, POLICE and EIGEN look at dates.
PLAIN_OPTIONS = ("ANFRAGE", "ANGEBOT", "FREMD", "FREMDTEIL", "GESPERRT", "INFO", "RUHEND", "STORNO")


class Permissions(TypedDict):
    messages: bool
    claim_report: bool
    claim_report_on_customer: bool
    contract_capture: bool
    offer_creation: bool


# --- one grant ---------------------------------------------------------------------------------


def status_q(statuses: Iterable[str]) -> Q:
    """The contracts that match at least one ticked status option (visibility.md §1)."""
    ticked = set(statuses)
    q = NOTHING
    if plain := sorted(ticked.intersection(PLAIN_OPTIONS)):
        q |= Q(status__in=plain)
    if "ANTRAG" in ticked:
        q |= Q(status=ContractStatus.EIGEN, application_date__isnull=False)
    if "POLICE" in ticked:
        q |= Q(status=ContractStatus.EIGEN, document_date__isnull=False)
    if "EIGEN" in ticked:
        q |= Q(status=ContractStatus.EIGEN, application_date__isnull=True, document_date__isnull=True)
        q |= Q(status=ContractStatus.ANGEBOT, offer_date__isnull=False)
    return q


def _of_grant_customers(grant: Grant, field: str = "customer_id") -> Q:
    """Q on `field` (a customer's key): one of the grant's customers (§2), or a customer whose
    intermediary number the grant lists (§5)."""
    picked = Grant.customers.through.objects.filter(grant_id=grant.pk).values("customer_id")
    # A customer without a number has intermediary "": only numbers that say something select.
    if numbers := [number for number in grant.intermediaries if number]:
        # One IN over a UNION ALL, not an OR of two INs: the planner then looks the customers' rows up
        # through the (broker, customer) index instead of scanning every contract of the broker.
        by_number = Customer.objects.filter(broker_id=grant.broker_id, intermediary__in=numbers)
        picked = picked.union(by_number.values("pk"), all=True)
    return Q(**{f"{field}__in": picked})


def customers_q(grant: Grant) -> Q:
    return Q(broker_id=grant.broker_id) & _of_grant_customers(grant, "pk")


def contracts_q(grant: Grant) -> Q:
    """§2: a contract of the grant's customers that is auto-shared or hand-picked."""
    shared = Q(pk__in=Grant.contracts.through.objects.filter(grant_id=grant.pk).values("contract_id"))
    if grant.auto_contracts and grant.statuses:
        auto = status_q(grant.statuses)
        if grant.lines:
            auto &= Q(
                line_id__in=Line.objects.filter(broker_id=grant.broker_id, code__in=grant.lines).values("pk")
            )
        shared |= auto
    return Q(broker_id=grant.broker_id) & _of_grant_customers(grant) & shared


def claims_q(grant: Grant) -> Q:
    """§3: only when claims are shared; a claim on a hidden contract stays hidden."""
    if not grant.claims:
        return NOTHING
    # A claim's contract always belongs to the claim's customer (the import refuses anything else and
    # moves claims along with their contract), so every visible claim is one of the grant's customers'
    # claims: that filter comes first and lets the (broker, customer) index drive the query.
    on_contract = Q(contract_id__in=Contract.objects.filter(contracts_q(grant)).values("pk"))
    return (
        Q(broker_id=grant.broker_id) & _of_grant_customers(grant) & (on_contract | Q(contract__isnull=True))
    )


def documents_q(grant: Grant) -> Q:
    """§4: a document whose file has arrived, with at least one of the grant's keywords (exactly as
    sent), on a visible contract, on a visible claim, or on one of the grant's customers alone. A
    document that names a contract and a claim needs both visible."""
    if not grant.document_keywords:
        return NOTHING
    keyworded = DocumentKeyword.objects.filter(
        broker_id=grant.broker_id, keyword__in=grant.document_keywords
    ).values("document_id")
    on_contract = Q(contract__isnull=True) | Q(
        contract_id__in=Contract.objects.filter(contracts_q(grant)).values("pk")
    )
    on_claim = Q(claim__isnull=True)
    if grant.claims:
        on_claim |= Q(claim_id__in=Claim.objects.filter(claims_q(grant)).values("pk"))
    return (
        Q(broker_id=grant.broker_id)
        & _of_grant_customers(grant)
        & ~Q(stored="")
        & Q(pk__in=keyworded)
        & on_contract
        & on_claim
    )


def customers(grant: Grant) -> QuerySet[Customer]:
    return Customer.objects.filter(customers_q(grant))


def contracts(grant: Grant) -> QuerySet[Contract]:
    return Contract.objects.filter(contracts_q(grant))


def claims(grant: Grant) -> QuerySet[Claim]:
    return Claim.objects.filter(claims_q(grant))


def documents(grant: Grant) -> QuerySet[Document]:
    return Document.objects.filter(documents_q(grant))


def risk_locations(grant: Grant) -> QuerySet[RiskLocation]:
    """§4: the risk locations of visible contracts, only when reference addresses are shared."""
    if not grant.reference_addresses:
        return RiskLocation.objects.none()
    return RiskLocation.objects.filter(contract_id__in=contracts(grant).values("pk"))


def processes_q(grant: Grant, email: str | None) -> Q:
    """§5, on processes (processes.Process, which builds on grants; its manager's `visible()` applies
    this): with shared_processes every member sees the grant's processes; otherwise each user their
    own: those they started and those the office started for them. `email` None (the staff preview,
    which is nobody's): the grant's processes when they are shared, else none."""
    rows = Q(broker_id=grant.broker_id, grant_id=grant.pk)
    if grant.shared_processes:
        return rows
    if email is None:
        return NOTHING
    email = email.lower()
    return rows & (Q(created_by__email__iexact=email) | Q(recipient=email))


def permissions(grant: Grant) -> Permissions:
    """§6: every process-creating permission needs the primary contact."""
    contact = grant.primary_contact
    return {
        "messages": contact and grant.messages,
        "claim_report": contact and grant.claim_report,
        "claim_report_on_customer": contact and grant.claim_report and grant.claim_report_on_customer,
        "contract_capture": contact and grant.contract_capture,
        "offer_creation": contact and grant.offer_creation and grant.tariff_account_id is not None,
    }


# --- a user: the union over their active grants (§7) -------------------------------------------


def active_grants(broker_id: int, email: str) -> QuerySet[Grant]:
    """The grants of one broker in which this e-mail is an active member."""
    return Grant.objects.of_active_member(email).filter(broker_id=broker_id)


def _union(grants: Iterable[Grant], q_of: Callable[[Grant], Q]) -> Q:
    q = NOTHING
    for grant in grants:
        q |= q_of(grant)
    return q


def union_customers(grants: Iterable[Grant]) -> QuerySet[Customer]:
    return Customer.objects.filter(_union(grants, customers_q))


def union_contracts(grants: Iterable[Grant]) -> QuerySet[Contract]:
    return Contract.objects.filter(_union(grants, contracts_q))


def union_claims(grants: Iterable[Grant]) -> QuerySet[Claim]:
    return Claim.objects.filter(_union(grants, claims_q))


def union_documents(grants: Iterable[Grant]) -> QuerySet[Document]:
    return Document.objects.filter(_union(grants, documents_q))


def union_risk_location_contracts(grants: Iterable[Grant]) -> QuerySet[Contract]:
    """The contracts whose risk locations are visible: those shown by a grant that shares them."""
    return Contract.objects.filter(_union([g for g in grants if g.reference_addresses], contracts_q))


def union_permissions(grants: Iterable[Grant]) -> Permissions:
    allowed: Permissions = {
        "messages": False,
        "claim_report": False,
        "claim_report_on_customer": False,
        "contract_capture": False,
        "offer_creation": False,
    }
    for grant in grants:
        for name, value in permissions(grant).items():
            allowed[name] = allowed[name] or value  # type: ignore[literal-required]
    return allowed
