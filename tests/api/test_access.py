"""Access edges of every portfolio endpoint: no token, wrong token, revoked token, read-only token,
and another broker's data (api-v1.md "Conventions")."""

from __future__ import annotations

from typing import Any

import pytest

from einblick.brokers.services import create_token, revoke_token
from einblick.portfolio.models import Customer
from tests.apiclient import Api
from tests.samples import CLAIM, CONTRACT, CUSTOMER, DOCUMENT

STAFF = {"name": "Max Betreuer", "email": "max@makler.example", "phone": None, "role": "user"}
LINE = {"label": "Drohnen", "group": "Haftung", "gdv": None}
TARIFF_ACCOUNT = {"name": "Vergleichsrechner", "url": "https://rechner.example/?a={account}"}
IMPORT = {"customers": {"K-2002": {"kind": "person", "last_name": "Neu"}}}

# Every portfolio endpoint with a valid body: (method, path, body).
READS: list[tuple[str, str, Any]] = [
    ("get", "/customers", None),
    ("get", "/customers/K-1001", None),
    ("get", "/contracts", None),
    ("get", "/contracts/V-2001", None),
    ("get", "/claims", None),
    ("get", "/claims/S-1", None),
    ("get", "/staff", None),
    ("get", "/staff/U-1", None),
    ("get", "/lines", None),
    ("get", "/lines/DRO", None),
    ("get", "/tariff-accounts", None),
    ("get", "/tariff-accounts/T-1", None),
    ("get", "/documents", None),
    ("get", "/documents/D-1", None),
]
WRITES: list[tuple[str, str, Any]] = [
    ("put", "/customers/K-1001", {**CUSTOMER, "first_name": "Geändert"}),
    ("delete", "/customers/K-1001", None),
    ("put", "/contracts/V-2001", {**CONTRACT, "premium": "99.99"}),
    ("delete", "/contracts/V-2001", None),
    ("put", "/claims/S-1", {**CLAIM, "status": "closed"}),
    ("delete", "/claims/S-1", None),
    ("put", "/staff/U-1", {**STAFF, "name": "Geändert"}),
    ("delete", "/staff/U-1", None),
    ("put", "/lines/DRO", {**LINE, "label": "Geändert"}),
    ("put", "/tariff-accounts/T-1", {**TARIFF_ACCOUNT, "name": "Geändert"}),
    ("delete", "/tariff-accounts/T-1", None),
    ("put", "/documents/D-1", {**DOCUMENT, "title": "Geändert"}),
    ("delete", "/documents/D-1", None),
    ("post", "/import", IMPORT),
    ("post", "/import?mode=partial", IMPORT),
]
ENDPOINTS = READS + WRITES
SINGLE_OBJECTS = [path for method, path, _ in READS if path.count("/") == 2]


def ids(endpoints: list[tuple[str, str, Any]]) -> list[str]:
    return [f"{method.upper()} {path}" for method, path, _ in endpoints]


def call(api: Api, method: str, path: str, body: Any = None):
    if method == "get":
        return api.get(path)
    if method == "delete":
        return api.delete(path)
    return getattr(api, method)(path, body)


def snapshot(api: Api) -> dict[str, Any]:
    """Everything the broker's portfolio holds, as the API shows it."""
    state = {path: api.get(path).json() for path in SINGLE_OBJECTS}
    state["/customers"] = api.get("/customers", limit=1000).json()
    state["/lines"] = api.get("/lines", limit=1000).json()
    return state


@pytest.fixture
def portfolio(api: Api) -> dict[str, Any]:
    """One object of every kind in the broker's portfolio: K-1001, V-2001, S-1, U-1, DRO, T-1, D-1."""
    for path, body in (
        ("/customers/K-1001", CUSTOMER),
        ("/contracts/V-2001", CONTRACT),
        ("/claims/S-1", CLAIM),
        ("/staff/U-1", STAFF),
        ("/lines/DRO", LINE),
        ("/tariff-accounts/T-1", TARIFF_ACCOUNT),
        ("/documents/D-1", DOCUMENT),
    ):
        assert api.put(path, body).status_code == 201, path
    return snapshot(api)


def assert_error_body(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    return body


@pytest.fixture
def revoked_api(broker) -> Api:
    token, secret = create_token(broker=broker, name="Old AMS")
    revoke_token(token=token)
    return Api(secret)


# --- 401 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ids(ENDPOINTS))
def test_it_refuses_every_endpoint_without_a_token(anonymous, api, portfolio, method, path, body):
    response = call(anonymous, method, path, body)

    assert_error_body(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(api) == portfolio


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ids(ENDPOINTS))
def test_it_refuses_every_endpoint_with_a_wrong_token(api, portfolio, method, path, body):
    wrong = Api("ebk_" + "x" * 43)

    assert_error_body(call(wrong, method, path, body), 401)
    assert snapshot(api) == portfolio


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ids(ENDPOINTS))
def test_it_refuses_every_endpoint_with_a_revoked_token(api, portfolio, revoked_api, method, path, body):
    assert_error_body(call(revoked_api, method, path, body), 401)
    assert snapshot(api) == portfolio


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNzd29yZA==", "Bearer", "Bearer ", "Token {token}", "{token}", "Bearer {token}x"],
)
def test_it_refuses_a_malformed_authorization_header(broker, header):
    _, secret = create_token(broker=broker, name="AMS")
    client = Api(None)
    client.headers = {"Authorization": header.format(token=secret)}

    assert_error_body(client.get("/customers"), 401)


def test_it_stops_accepting_a_token_at_once_when_it_is_revoked(broker):
    token, secret = create_token(broker=broker, name="AMS")
    client = Api(secret)
    assert client.get("/customers").status_code == 200

    revoke_token(token=token)

    assert_error_body(client.get("/customers"), 401)
    assert_error_body(client.put("/customers/K-1", {"kind": "person", "last_name": "X"}), 401)
    assert not Customer.objects.exists()


def test_it_checks_the_token_before_it_reads_the_body(anonymous, read_only_api):
    assert_error_body(anonymous.put("/customers/K-1", raw="{not json"), 401)
    assert_error_body(anonymous.post("/import", raw="{not json"), 401)
    assert_error_body(read_only_api.put("/customers/K-1", {"kind": "robot"}), 403)
    assert_error_body(read_only_api.post("/import", raw="{not json"), 403)


# --- read-only tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), READS, ids=ids(READS))
def test_it_lets_a_read_only_token_read(api, read_only_api, portfolio, method, path, body):
    response = call(read_only_api, method, path, body)

    assert response.status_code == 200
    assert response.json() == api.get(path).json()


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=ids(WRITES))
def test_it_refuses_writes_with_a_read_only_token(api, read_only_api, portfolio, method, path, body):
    assert_error_body(call(read_only_api, method, path, body), 403)
    assert snapshot(api) == portfolio


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=ids(WRITES))
def test_it_lets_a_read_write_token_write(api, portfolio, method, path, body):
    """The counterpart of the read-only refusals: the same calls with a read-write token succeed."""
    response = call(api, method, path, body)

    assert response.status_code in {"put": (200,), "delete": (204,), "post": (200,)}[method], response.content
    assert snapshot(api) != portfolio


# --- another broker -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", SINGLE_OBJECTS)
def test_it_hides_an_object_from_another_broker_as_404(other_api, api, portfolio, path):
    assert_error_body(other_api.get(path), 404)
    missing = api.get(path.rsplit("/", 1)[0] + "/NOPE")
    assert other_api.get(path).json() == missing.json()


@pytest.mark.parametrize("path", [p for p in SINGLE_OBJECTS if not p.startswith("/lines/")])
def test_it_refuses_to_delete_another_brokers_object(other_api, api, portfolio, path):
    assert_error_body(other_api.delete(path), 404)
    assert snapshot(api) == portfolio


@pytest.mark.parametrize(
    "path",
    [
        "/customers",
        "/contracts",
        "/claims",
        "/staff",
        "/tariff-accounts",
        "/documents",
        "/contracts?customer=K-1001",
        "/documents?customer=K-1001",
        "/documents?keyword=POLICE",
    ],
)
def test_it_lists_nothing_of_another_broker(other_api, portfolio, path):
    base, _, query = path.partition("?")
    params = dict(part.split("=") for part in query.split("&")) if query else {}

    response = other_api.get(base, **params)

    assert response.status_code == 200
    assert response.json() == {"items": [], "next": None}


def test_it_filters_claims_of_another_broker_to_nothing(other_api, portfolio):
    for params in (
        {"customer": "K-1001"},
        {"contract": "V-2001"},
        {"customer": "K-1001", "contract": "V-2001"},
    ):
        assert other_api.get("/claims", **params).json() == {"items": [], "next": None}


def test_it_keeps_a_brokers_own_lines_to_itself(other_api, portfolio):
    codes = [line["code"] for line in other_api.get("/lines", limit=1000).json()["items"]]

    assert "DRO" not in codes
    assert {"HRV", "KFZ"} <= set(codes)


def test_it_keeps_the_same_external_ids_of_two_brokers_apart(api, other_api, portfolio):
    other = {
        "/customers/K-1001": {"kind": "company", "company_name": "Andere GmbH"},
        "/contracts/V-2001": {**CONTRACT, "number": "ANDERS-1", "line": "KFZ"},
        "/claims/S-1": {**CLAIM, "number": "ANDERS-S"},
        "/staff/U-1": {**STAFF, "name": "Andere Betreuerin"},
        "/lines/DRO": {**LINE, "label": "Andere Drohnen"},
        "/tariff-accounts/T-1": {**TARIFF_ACCOUNT, "name": "Anderer Rechner"},
    }

    for path, body in other.items():
        assert other_api.put(path, body).status_code == 201, path  # created, not replaced

    assert snapshot(api) == portfolio
    for path, body in other.items():
        data = other_api.get(path).json()
        assert {k: data[k] for k in body} == body
    assert [c["company_name"] for c in other_api.get("/customers").json()["items"]] == ["Andere GmbH"]
    assert [c["last_name"] for c in api.get("/customers").json()["items"]] == ["Muster"]

    assert other_api.delete("/customers/K-1001").status_code == 204
    assert snapshot(api) == portfolio
    assert other_api.get("/contracts/V-2001").status_code == 404
    assert api.get("/contracts/V-2001").status_code == 200


def test_it_refuses_references_to_another_brokers_objects(other_api, portfolio):
    contract = other_api.put("/contracts/V-9", CONTRACT)  # names the first broker's K-1001
    assert ["body", "customer"] in [e["loc"] for e in assert_error_body(contract, 422)["errors"]]

    other_api.put("/customers/K-1001", {"kind": "person", "last_name": "Andere"})
    claim = other_api.put("/claims/S-9", CLAIM)  # names the first broker's V-2001
    assert ["body", "contract"] in [e["loc"] for e in assert_error_body(claim, 422)["errors"]]
    assert other_api.get("/contracts/V-9").status_code == 404
    assert other_api.get("/claims/S-9").status_code == 404


def test_it_refuses_references_to_another_brokers_objects_in_an_import(other_api, portfolio):
    response = other_api.post("/import", {"contracts": {"V-9": CONTRACT}}, mode="partial")

    assert response.status_code == 200
    assert [(e["entity"], e["external_id"], e["field"]) for e in response.json()["errors"]] == [
        ("contracts", "V-9", "customer")
    ]
    assert other_api.get("/contracts/V-9").status_code == 404


def test_it_deletes_nothing_of_another_broker_in_an_import(api, other_api, portfolio):
    batch = {
        "delete": {"customers": ["K-1001"], "contracts": ["V-2001"], "claims": ["S-1"], "documents": ["D-1"]}
    }

    response = other_api.post("/import", batch)

    assert response.status_code == 200
    assert response.json()["deleted"] == {"customers": 0, "contracts": 0, "claims": 0, "documents": 0}
    assert snapshot(api) == portfolio


def test_it_replaces_nothing_of_another_broker_in_an_import(api, other_api, portfolio):
    batch = {"customers": {"K-1001": {"kind": "person", "last_name": "Fremd"}}}

    response = other_api.post("/import", batch)

    assert response.json()["created"]["customers"] == 1
    assert response.json()["updated"]["customers"] == 0
    assert snapshot(api) == portfolio
