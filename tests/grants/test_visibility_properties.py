"""Property test: the engine (einblick.grants.visibility) shows exactly what the reference says.

Every example builds a small random portfolio (customers with and without intermediary numbers,
contracts of every status with random offer/application/document dates on several lines, claims with
and without a contract, documents on customers, contracts and claims with random keywords, some without
keywords or without their file) and one to three random grants (customers, intermediary numbers, sharing
flags, a random subset of the eleven status options, a random line filter, hand-picked contracts of the
grant's customers, document keywords, action flags), writes them through import_batch, the documents'
files through store_content and the grants through create_grant for a fresh broker inside a savepoint
that is rolled back, and compares the engine's visible customers, contracts, claims, risk locations,
documents and permissions, for each grant and for the union, with tests/grants/reference.py.
"""

from __future__ import annotations

import os
from typing import Any

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from einblick.grants import visibility
from einblick.grants.payloads import GrantIn
from einblick.grants.services import create_grant
from einblick.office.brokers import create_broker
from einblick.portfolio.importing import import_batch
from einblick.portfolio.models import Document, RiskLocation
from tests.grants import reference as ref

# More examples for a thorough run: EINBLICK_PROPERTY_EXAMPLES=5000 pytest tests/grants
MAX_EXAMPLES = int(os.environ.get("EINBLICK_PROPERTY_EXAMPLES", "500"))
INTERMEDIARIES = ["", "", "VM-1", "VM-2", "VM-3"]  # customers: mostly none
GRANT_INTERMEDIARIES = ["VM-1", "VM-2", "VM-9"]  # VM-9: a number no customer has
LINES = ["HRV", "KFZ", "PHV", "DROHNE"]  # DROHNE: not in the default catalogue, sent by the AMS
FILTER_LINES = ["HRV", "KFZ", "PHV", "DROHNE", "WGV"]  # WGV: in the catalogue, on no contract
EXTRA = {
    "lines": {"DROHNE": {"label": "Drohnenhaftpflicht", "group": "Haftung"}},
    "tariff_accounts": {"TA-1": {"name": "con:center", "url": "https://tarif.example.org/"}},
}

# every status, EIGEN and ANGEBOT (whose options look at dates) more often
STATUSES = (*ref.CONTRACT_STATUSES, "EIGEN", "EIGEN", "EIGEN", "ANGEBOT")
OPTIONS = st.sampled_from(ref.STATUS_OPTIONS)
# The AMS's keywords on documents, and the grants' (compared exactly: "police" is not "POLICE").
KEYWORDS = ["POLICE", "PORTAL", "RECHNUNG", "police"]
GRANT_KEYWORDS = ["POLICE", "PORTAL", "police", "INTERN"]
PDF = b"%PDF-1.7\n%%EOF\n"
dates = st.none() | st.sampled_from(["2023-01-15", "2024-06-30"])


@st.composite
def portfolios(draw: st.DrawFn) -> ref.Portfolio:
    n_customers = draw(st.integers(1, 8))
    customers = [ref.Customer(f"K-{i}", draw(st.sampled_from(INTERMEDIARIES))) for i in range(n_customers)]
    contracts = []
    for i in range(draw(st.integers(0, 25))):
        contracts.append(
            ref.Contract(
                f"V-{i}",
                customer=f"K-{draw(st.integers(0, n_customers - 1))}",
                status=draw(st.sampled_from(STATUSES)),
                line=draw(st.sampled_from(LINES)),
                offer_date=draw(dates),
                application_date=draw(dates),
                document_date=draw(dates),
                intermediary=draw(st.sampled_from(INTERMEDIARIES)),
                risk_locations=tuple(f"RL-{i}-{j}" for j in range(draw(st.integers(0, 2)))),
            )
        )
    claims = []
    for i in range(draw(st.integers(0, 10))):
        customer = f"K-{draw(st.integers(0, n_customers - 1))}"
        own = [c.external_id for c in contracts if c.customer == customer]
        contract = draw(st.none() | st.sampled_from(own)) if own else None
        claims.append(ref.Claim(f"S-{i}", customer, contract))
    documents = []
    for i in range(draw(st.integers(0, 10))):
        customer = f"K-{draw(st.integers(0, n_customers - 1))}"
        own_contracts = [c.external_id for c in contracts if c.customer == customer]
        own_claims = [k.external_id for k in claims if k.customer == customer]
        documents.append(
            ref.Document(
                f"D-{i}",
                customer,
                contract=draw(st.none() | st.sampled_from(own_contracts)) if own_contracts else None,
                claim=draw(st.none() | st.sampled_from(own_claims)) if own_claims else None,
                keywords=tuple(draw(st.lists(st.sampled_from(KEYWORDS), max_size=3))),
                arrived=draw(st.booleans() | st.just(True)),  # mostly with their file
            )
        )
    return ref.Portfolio.of(customers, contracts, claims, documents)


def subset(items: list[str]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(items)) if items else st.just(frozenset())


@st.composite
def grants(draw: st.DrawFn, portfolio: ref.Portfolio) -> ref.Grant:
    kind = draw(st.sampled_from(["customers", "customers", "intermediaries", "both"]))
    customers = draw(subset(sorted(portfolio.customers))) if kind != "intermediaries" else frozenset()
    intermediaries = draw(subset(GRANT_INTERMEDIARIES)) if kind != "customers" else frozenset()
    covered = ref.visible_customers(ref.Grant(customers=customers, intermediaries=intermediaries), portfolio)
    pickable = sorted(c.external_id for c in portfolio.contracts.values() if c.customer in covered)
    return ref.Grant(
        customers=customers,
        intermediaries=intermediaries,
        claims=draw(st.booleans()),
        reference_addresses=draw(st.booleans()),
        auto_contracts=draw(st.booleans()),
        statuses=draw(st.frozensets(OPTIONS, max_size=2) | st.frozensets(OPTIONS)),  # often few options
        lines=draw(st.just(frozenset()) | subset(FILTER_LINES)),
        contracts=draw(subset(pickable)),
        document_keywords=draw(subset(GRANT_KEYWORDS)),
        primary_contact=draw(st.booleans()),
        messages=draw(st.booleans()),
        claim_report=draw(st.booleans()),
        claim_report_on_customer=draw(st.booleans()),
        contract_capture=draw(st.booleans()),
        offer_creation=draw(st.booleans()),
        tariff_account=draw(st.sampled_from([None, "TA-1"])),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ref.Portfolio, list[ref.Grant]]:
    portfolio = draw(portfolios())
    return portfolio, draw(st.lists(grants(portfolio), min_size=1, max_size=3))


def ext(queryset: Any) -> set[str]:
    return set(queryset.values_list("external_id", flat=True))


def labels(queryset: Any) -> set[str]:
    return set(queryset.values_list("label", flat=True))


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_the_engine_shows_exactly_what_the_reference_says(
    db: None, scenario: tuple[ref.Portfolio, list[ref.Grant]]
) -> None:
    portfolio, specs = scenario
    with transaction.atomic():
        broker = create_broker(slug="eigenschaft", name="Eigenschaft Makler")
        import_batch(broker=broker, actor=None, data={**ref.import_data(portfolio), **EXTRA})
        # The files' arrival as store_content records it (tests/portfolio/test_documents.py stores real
        # files): written files would outlive the savepoint's rollback, thousands per run.
        Document.objects.filter(broker=broker, external_id__in=ref.arrived(portfolio)).update(
            stored="ab/arrived", size=len(PDF), content_type="application/pdf", file_at=timezone.now()
        )
        made = [
            create_grant(
                broker=broker, actor=None, data=GrantIn.model_validate(ref.grant_payload(spec, f"G{i}"))
            )
            for i, spec in enumerate(specs)
        ]
        for spec, grant in zip(specs, made, strict=True):
            assert ext(visibility.customers(grant)) == ref.visible_customers(spec, portfolio)
            assert ext(visibility.contracts(grant)) == ref.visible_contracts(spec, portfolio)
            assert ext(visibility.claims(grant)) == ref.visible_claims(spec, portfolio)
            assert labels(visibility.risk_locations(grant)) == ref.visible_risk_locations(spec, portfolio)
            assert ext(visibility.documents(grant)) == ref.visible_documents(spec, portfolio)
            assert dict(visibility.permissions(grant)) == ref.permissions(spec)
        assert ext(visibility.union_customers(made)) == ref.union_customers(specs, portfolio)
        assert ext(visibility.union_contracts(made)) == ref.union_contracts(specs, portfolio)
        assert ext(visibility.union_claims(made)) == ref.union_claims(specs, portfolio)
        assert ext(visibility.union_documents(made)) == ref.union_documents(specs, portfolio)
        shown_locations = RiskLocation.objects.filter(
            contract__in=visibility.union_risk_location_contracts(made)
        )
        assert labels(shown_locations) == ref.union_risk_locations(specs, portfolio)
        assert dict(visibility.union_permissions(made)) == ref.union_permissions(specs)
        transaction.set_rollback(True)
