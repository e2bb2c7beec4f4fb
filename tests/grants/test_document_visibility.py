"""visibility.md §4 for documents, one named test per rule, against the engine; and the API's grant and
user views, which list the visible documents (api-v1.md "View")."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from einblick.brokers.models import Broker
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.grants.payloads import GrantIn
from einblick.grants.services import create_grant
from einblick.portfolio.documents import store_content
from einblick.portfolio.importing import import_batch
from einblick.portfolio.models import Document
from tests.factories import join
from tests.grants import reference as ref

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%%EOF\n"
ALL = frozenset(ref.STATUS_OPTIONS)

# K-1 has a shared contract V-1 (EIGEN with a document date) and a hidden one V-2 (STORNO), a claim on
# each and one on the customer alone; K-2 (intermediary VM-1) has V-3 (EIGEN). Documents on all of them.
PORTFOLIO = ref.Portfolio.of(
    [ref.Customer("K-1"), ref.Customer("K-2", intermediary="VM-1"), ref.Customer("K-3")],
    [
        ref.Contract("V-1", "K-1", "EIGEN", document_date="2024-01-10"),
        ref.Contract("V-2", "K-1", "STORNO"),
        ref.Contract("V-3", "K-2", "EIGEN", document_date="2024-01-10"),
    ],
    [ref.Claim("S-1", "K-1", "V-1"), ref.Claim("S-2", "K-1", "V-2"), ref.Claim("S-3", "K-1")],
    [
        ref.Document("D-customer", "K-1", keywords=("PORTAL",)),
        ref.Document("D-contract", "K-1", contract="V-1", keywords=("POLICE", "PORTAL")),
        ref.Document("D-hidden-contract", "K-1", contract="V-2", keywords=("PORTAL",)),
        ref.Document("D-claim", "K-1", claim="S-1", keywords=("PORTAL",)),
        ref.Document("D-claim-on-hidden", "K-1", claim="S-2", keywords=("PORTAL",)),
        ref.Document("D-claim-alone", "K-1", claim="S-3", keywords=("PORTAL",)),
        ref.Document("D-no-keywords", "K-1"),
        ref.Document("D-lower-case", "K-1", keywords=("portal",)),
        ref.Document("D-no-file", "K-1", keywords=("PORTAL",), arrived=False),
        ref.Document("D-other-customer", "K-3", keywords=("PORTAL",)),
        ref.Document("D-intermediary", "K-2", contract="V-3", keywords=("PORTAL",)),
    ],
)
SHARING: dict[str, Any] = {"auto_contracts": True, "statuses": ALL - {"STORNO"}}


@pytest.fixture
def broker_with_documents(broker: Broker) -> Broker:
    import_batch(broker=broker, actor=None, data=ref.import_data(PORTFOLIO))
    for document in Document.objects.filter(broker=broker, external_id__in=ref.arrived(PORTFOLIO)):
        store_content(
            broker=broker,
            actor=None,
            document=document,
            stream=io.BytesIO(PDF),
            content_type="application/pdf",
            length=len(PDF),
        )
    return broker


def make_grant(broker: Broker, name: str = "Freischaltung", **fields: Any) -> tuple[Grant, ref.Grant]:
    values: dict[str, Any] = {k: frozenset(v) if isinstance(v, (set, list)) else v for k, v in fields.items()}
    spec = ref.Grant(**values)
    grant = create_grant(
        broker=broker, actor=None, data=GrantIn.model_validate(ref.grant_payload(spec, name))
    )
    return grant, spec


def shown(grant: Grant) -> set[str]:
    return set(visibility.documents(grant).values_list("external_id", flat=True))


def test_a_grant_shows_documents_with_one_of_its_keywords_on_what_it_shows(broker_with_documents):
    grant, spec = make_grant(
        broker_with_documents, customers={"K-1"}, claims=True, document_keywords={"PORTAL"}, **SHARING
    )

    assert shown(grant) == {"D-customer", "D-contract", "D-claim", "D-claim-alone"}
    assert shown(grant) == ref.visible_documents(spec, PORTFOLIO)


def test_a_document_on_a_hidden_contract_stays_hidden(broker_with_documents):
    grant, _ = make_grant(
        broker_with_documents, customers={"K-1"}, claims=True, document_keywords={"PORTAL"}, **SHARING
    )

    assert {"D-hidden-contract", "D-claim-on-hidden"}.isdisjoint(shown(grant))


def test_a_document_on_a_claim_needs_the_claims_shared(broker_with_documents):
    grant, _ = make_grant(
        broker_with_documents, customers={"K-1"}, claims=False, document_keywords={"PORTAL"}, **SHARING
    )

    assert shown(grant) == {"D-customer", "D-contract"}


def test_a_document_on_a_contract_shows_once_the_contract_is_picked(broker_with_documents):
    grant, _ = make_grant(
        broker_with_documents, customers={"K-1"}, contracts={"V-2"}, document_keywords={"PORTAL"}
    )

    assert shown(grant) == {"D-customer", "D-hidden-contract"}


def test_keywords_are_compared_exactly_as_sent(broker_with_documents):
    grant, _ = make_grant(broker_with_documents, customers={"K-1"}, document_keywords={"portal"})
    assert shown(grant) == {"D-lower-case"}

    grant, _ = make_grant(broker_with_documents, customers={"K-1"}, document_keywords={"POLICE"}, **SHARING)
    assert shown(grant) == {"D-contract"}


def test_a_grant_without_keywords_shows_no_document(broker_with_documents):
    grant, _ = make_grant(broker_with_documents, customers={"K-1", "K-2", "K-3"}, claims=True, **SHARING)

    assert shown(grant) == set()


def test_a_document_without_keywords_or_without_its_file_is_never_shown(broker_with_documents):
    grant, _ = make_grant(
        broker_with_documents,
        customers={"K-1"},
        claims=True,
        document_keywords={"PORTAL", "POLICE", "portal", "RECHNUNG"},
        **SHARING,
    )

    assert {"D-no-keywords", "D-no-file"}.isdisjoint(shown(grant))


def test_an_intermediary_grant_shows_the_documents_of_its_customers(broker_with_documents):
    grant, spec = make_grant(
        broker_with_documents, intermediaries={"VM-1"}, document_keywords={"PORTAL"}, **SHARING
    )

    assert shown(grant) == {"D-intermediary"} == ref.visible_documents(spec, PORTFOLIO)


def test_the_union_over_grants_shows_what_any_of_them_shows(broker_with_documents):
    first, a = make_grant(broker_with_documents, "A", customers={"K-1"}, document_keywords={"portal"})
    second, b = make_grant(broker_with_documents, "B", customers={"K-3"}, document_keywords={"PORTAL"})

    union = set(visibility.union_documents([first, second]).values_list("external_id", flat=True))

    assert union == {"D-lower-case", "D-other-customer"} == ref.union_documents([a, b], PORTFOLIO)


def test_what_a_grant_shows_of_documents_is_one_query(broker_with_documents):
    grant, _ = make_grant(
        broker_with_documents,
        customers={"K-1"},
        intermediaries={"VM-1"},
        claims=True,
        document_keywords={"PORTAL"},
        **SHARING,
    )
    grant = Grant.objects.get(pk=grant.pk)

    with CaptureQueriesContext(connection) as queries:
        found = list(visibility.documents(grant))

    assert len(found) == 5 and len(queries) == 1


# --- the API's views ---------------------------------------------------------------------------------------


def test_the_grant_view_lists_the_visible_documents_sorted(api, broker_with_documents):
    grant, spec = make_grant(
        broker_with_documents, customers={"K-1"}, claims=True, document_keywords={"PORTAL"}, **SHARING
    )

    view = api.get(f"/grants/{grant.pk}/view").json()

    listed = [d["external_id"] for d in view["documents"]]
    assert listed == sorted(ref.visible_documents(spec, PORTFOLIO))
    first = view["documents"][0]
    assert first["external_id"] == "D-claim"
    assert (first["customer"], first["contract"], first["claim"], first["kind"]) == (
        "K-1",
        None,
        "S-1",
        "letter",
    )
    assert (first["size"], first["content_type"], first["keywords"]) == (
        len(PDF),
        "application/pdf",
        ["PORTAL"],
    )


def test_the_user_view_lists_the_documents_of_all_their_grants(api, broker_with_documents):
    first, _ = make_grant(broker_with_documents, "A", customers={"K-1"}, document_keywords={"portal"})
    second, _ = make_grant(broker_with_documents, "B", customers={"K-3"}, document_keywords={"PORTAL"})
    for grant in (first, second):
        join(grant, "nutzer@example.org")

    view = api.get("/users/nutzer@example.org/view").json()

    assert [d["external_id"] for d in view["documents"]] == ["D-lower-case", "D-other-customer"]


def test_a_grant_view_without_document_keywords_lists_no_documents(api, broker_with_documents):
    grant, _ = make_grant(broker_with_documents, customers={"K-1"}, claims=True, **SHARING)

    assert api.get(f"/grants/{grant.pk}/view").json()["documents"] == []
