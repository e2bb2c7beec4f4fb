"""The portfolio routes of api-v1.md ("Portfolio", "Batch import"), field by field."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from einblick.portfolio.models import Claim, Contract, Customer
from tests.samples import DOCUMENT

STAMPS = {"external_id", "created_at", "updated_at"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONEY = re.compile(r"^\d+\.\d{2}$")

STAFF = {"name": "Max Betreuer", "email": "max@makler.example", "phone": "+49 89 7654321", "role": "admin"}
LINE = {"label": "Drohnen", "group": "Haftung", "gdv": "040"}
TARIFF_ACCOUNT = {
    "name": "Vergleichsrechner",
    "url": "https://rechner.example/start?account={account}&line={line}",
}


def body_of(entity: str, sample: dict[str, Any]) -> dict[str, Any]:
    return {
        "customers": sample["customer"],
        "contracts": sample["contract"],
        "claims": sample["claim"],
        "staff": dict(STAFF),
        "lines": dict(LINE),
        "tariff-accounts": dict(TARIFF_ACCOUNT),
    }[entity]


# entity path → (an external id / code, a field to change, its changed value)
ENTITIES = {
    "customers": ("K-1001", "first_name", "Klaudia"),
    "contracts": ("V-2001", "premium", "13.75"),
    "claims": ("S-1", "status", "settled"),
    "staff": ("U-1", "role", "user"),
    "lines": ("DRO", "label", "Drohnenhaftpflicht"),
    "tariff-accounts": ("T-1", "name", "Rechner 2"),
}
DELETABLE = ["customers", "contracts", "claims", "staff", "tariff-accounts"]


def create_prerequisites(api, sample, entity: str) -> None:
    """A contract needs its customer, a claim its customer and contract."""
    if entity in ("contracts", "claims"):
        assert api.put("/customers/K-1001", sample["customer"]).status_code == 201
    if entity == "claims":
        assert api.put("/contracts/V-2001", sample["contract"]).status_code == 201


def assert_timestamp(value: str) -> datetime:
    assert TIMESTAMP.match(value), value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None and parsed.utcoffset() is not None
    return parsed


def walk(api, path: str, limit: int, **params: Any) -> tuple[list[str], list[int]]:
    """Follow `next` through a list; the keys seen, in order, and the page sizes."""
    key = "code" if path == "/lines" else "external_id"
    seen: list[str] = []
    sizes: list[int] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, **query)
        assert response.status_code == 200, response.content
        page = response.json()
        assert set(page) == {"items", "next"}
        assert len(page["items"]) <= limit
        seen += [item[key] for item in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next"]
        if cursor is None:
            return seen, sizes
        assert isinstance(cursor, str) and cursor
        assert len(sizes) < 1000, "the list never ends"


def import_(api, batch: dict[str, Any], **params: Any):
    return api.post("/import", batch, **params)


# --- PUT / GET: create, replace, unchanged ---------------------------------------------------------


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_it_creates_with_201_and_answers_what_was_put_with_its_stamps(api, sample, entity):
    create_prerequisites(api, sample, entity)
    key, _, _ = ENTITIES[entity]
    body = body_of(entity, sample)

    created = api.put(f"/{entity}/{key}", body)

    assert created.status_code == 201, created.content
    assert created["Content-Type"] == "application/json; charset=utf-8"
    got = api.get(f"/{entity}/{key}")
    assert got.status_code == 200
    data = got.json()
    assert data == created.json()
    assert {field: data[field] for field in body} == body
    id_field = "code" if entity == "lines" else "external_id"
    assert data[id_field] == key
    assert set(data) >= set(body) | {"created_at", "updated_at"}
    assert assert_timestamp(data["created_at"]) <= assert_timestamp(data["updated_at"])


def test_it_answers_a_contract_with_its_source_ams(api, sample):
    create_prerequisites(api, sample, "contracts")
    api.put("/contracts/V-2001", sample["contract"])

    data = api.get("/contracts/V-2001").json()

    assert data["source"] == "ams"
    assert set(data) >= set(sample["contract"]) | STAMPS | {"source"}


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_it_replaces_with_200_keeping_created_at_and_moving_updated_at(api, sample, entity):
    create_prerequisites(api, sample, entity)
    key, field, value = ENTITIES[entity]
    body = body_of(entity, sample)
    before = api.put(f"/{entity}/{key}", body).json()

    replaced = api.put(f"/{entity}/{key}", {**body, field: value})

    assert replaced.status_code == 200, replaced.content
    after = api.get(f"/{entity}/{key}").json()
    assert after[field] == value
    assert after["created_at"] == before["created_at"]
    assert assert_timestamp(after["updated_at"]) > assert_timestamp(before["updated_at"])


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_it_answers_200_and_keeps_updated_at_when_nothing_changed(api, sample, entity):
    create_prerequisites(api, sample, entity)
    key, _, _ = ENTITIES[entity]
    body = body_of(entity, sample)
    before = api.put(f"/{entity}/{key}", body).json()

    again = api.put(f"/{entity}/{key}", body)

    assert again.status_code == 200
    assert again.json() == before


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_it_takes_back_its_own_answer_as_an_unchanged_put(api, sample, entity):
    """Read-only fields of a GET (external_id, code, stamps, source) are ignored in a PUT."""
    create_prerequisites(api, sample, entity)
    key, _, _ = ENTITIES[entity]
    before = api.put(f"/{entity}/{key}", body_of(entity, sample)).json()

    again = api.put(f"/{entity}/{key}", before)

    assert again.status_code == 200, again.content
    assert again.json() == before


def test_it_replaces_the_whole_customer_so_omitted_fields_are_cleared(api, sample):
    api.put("/customers/K-1001", sample["customer"])

    response = api.put("/customers/K-1001", {"kind": "person", "last_name": "Muster"})

    assert response.status_code == 200
    data = api.get("/customers/K-1001").json()
    assert data["last_name"] == "Muster"
    assert data["first_name"] is None
    assert data["salutation"] is None
    assert data["birth_date"] is None
    assert data["emails"] == []
    assert data["phone"] is None
    assert all(value is None for value in data["address"].values())


def test_it_replaces_the_risk_locations_of_a_contract(api, sample):
    create_prerequisites(api, sample, "contracts")
    api.put("/contracts/V-2001", sample["contract"])
    locations = [
        {"label": "Garage", "street": "Hofweg 2", "zip": "80333", "city": "München", "country": "DE"},
        {"label": "Keller", "street": None, "zip": None, "city": "Wien", "country": "AT"},
    ]

    response = api.put("/contracts/V-2001", {**sample["contract"], "risk_locations": locations})

    assert response.status_code == 200
    assert api.get("/contracts/V-2001").json()["risk_locations"] == locations
    assert (
        api.put("/contracts/V-2001", {**sample["contract"], "risk_locations": locations}).status_code == 200
    )
    emptied = api.put("/contracts/V-2001", {**sample["contract"], "risk_locations": []})
    assert emptied.status_code == 200
    assert api.get("/contracts/V-2001").json()["risk_locations"] == []


def test_it_creates_a_company_customer(api):
    response = api.put("/customers/F-1", {"kind": "company", "company_name": "Muster GmbH"})

    assert response.status_code == 201
    assert response.json()["company_name"] == "Muster GmbH"
    assert response.json()["kind"] == "company"


@pytest.mark.parametrize("external_id", ["a", "A" * 64, "K.1_2:3-4", "0", "k-1001"])
def test_it_accepts_every_external_id_of_the_allowed_alphabet(api, external_id):
    response = api.put(f"/customers/{external_id}", {"kind": "person", "last_name": "Muster"})

    assert response.status_code == 201, response.content
    assert api.get(f"/customers/{external_id}").json()["external_id"] == external_id


def test_it_keeps_external_ids_apart_that_differ_only_in_case(api):
    api.put("/customers/k-1", {"kind": "person", "last_name": "Klein"})
    api.put("/customers/K-1", {"kind": "person", "last_name": "Groß"})

    assert api.get("/customers/k-1").json()["last_name"] == "Klein"
    assert api.get("/customers/K-1").json()["last_name"] == "Groß"


# --- money and dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ("12.50", "12.50"),
        ("12.5", "12.50"),
        ("12", "12.00"),
        (12, "12.00"),
        ("0", "0.00"),
        ("0.07", "0.07"),
        ("9999999999.99", "9999999999.99"),
    ],
)
def test_it_answers_premiums_as_decimal_strings_with_two_places(api, sample, sent, answered):
    create_prerequisites(api, sample, "contracts")

    response = api.put("/contracts/V-2001", {**sample["contract"], "premium": sent})

    assert response.status_code == 201, response.content
    assert api.get("/contracts/V-2001").json()["premium"] == answered


def test_it_answers_claim_amounts_as_decimal_strings_with_two_places(api, sample):
    create_prerequisites(api, sample, "claims")

    api.put("/claims/S-1", {**sample["claim"], "amount_reserved": "2500", "amount_paid": "99.9"})

    data = api.get("/claims/S-1").json()
    assert data["amount_reserved"] == "2500.00"
    assert data["amount_paid"] == "99.90"
    assert MONEY.match(data["amount_reserved"]) and MONEY.match(data["amount_paid"])


def test_it_answers_dates_as_year_month_day_and_empty_dates_as_null(api, sample):
    create_prerequisites(api, sample, "contracts")
    contract = {**sample["contract"], "offer_date": "2023-11-02", "end_date": None}
    del contract["application_date"]  # an absent date is an empty date

    api.put("/contracts/V-2001", contract)

    data = api.get("/contracts/V-2001").json()
    assert data["offer_date"] == "2023-11-02"
    assert data["start_date"] == "2024-01-01"
    assert data["end_date"] is None
    assert data["application_date"] is None
    assert all(DATE.match(data[f]) for f in ("offer_date", "document_date", "start_date"))
    assert api.get("/customers/K-1001").json()["birth_date"] == "1984-03-02"


def test_it_accepts_the_29th_of_february_of_a_leap_year(api):
    response = api.put(
        "/customers/K-1", {"kind": "person", "last_name": "Muster", "birth_date": "2024-02-29"}
    )

    assert response.status_code == 201
    assert response.json()["birth_date"] == "2024-02-29"


# --- DELETE -------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", DELETABLE)
def test_it_deletes_with_204_and_then_answers_404(api, sample, entity):
    create_prerequisites(api, sample, entity)
    key, _, _ = ENTITIES[entity]
    api.put(f"/{entity}/{key}", body_of(entity, sample))

    deleted = api.delete(f"/{entity}/{key}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = api.get(f"/{entity}/{key}")
    assert gone.status_code == 404
    assert gone.json()["detail"]
    assert api.delete(f"/{entity}/{key}").status_code == 404
    assert key not in [item["external_id"] for item in api.get(f"/{entity}").json()["items"]]


@pytest.mark.parametrize("entity", DELETABLE)
def test_it_answers_404_for_a_missing_object(api, entity):
    for response in (api.get(f"/{entity}/NOPE"), api.delete(f"/{entity}/NOPE")):
        assert response.status_code == 404
        assert set(response.json()) >= {"detail", "errors"}


def test_it_answers_404_for_a_missing_line_code(api):
    assert api.get("/lines/NOPE").status_code == 404


def test_it_deletes_a_customers_contracts_and_claims_with_the_customer(api, sample):
    api.put("/customers/K-1001", sample["customer"])
    api.put("/customers/K-1002", {"kind": "person", "last_name": "Nachbar"})
    api.put("/contracts/V-2001", sample["contract"])
    api.put("/contracts/V-2002", {**sample["contract"], "number": "KFZ-1", "line": "KFZ"})
    api.put("/contracts/V-3001", {**sample["contract"], "customer": "K-1002"})
    api.put("/claims/S-1", sample["claim"])
    api.put("/claims/S-2", {**sample["claim"], "contract": None})
    api.put("/claims/S-3", {**sample["claim"], "customer": "K-1002", "contract": "V-3001"})

    assert api.delete("/customers/K-1001").status_code == 204

    for path in ("/customers/K-1001", "/contracts/V-2001", "/contracts/V-2002", "/claims/S-1", "/claims/S-2"):
        assert api.get(path).status_code == 404, path
    assert [c["external_id"] for c in api.get("/contracts").json()["items"]] == ["V-3001"]
    assert [c["external_id"] for c in api.get("/claims").json()["items"]] == ["S-3"]
    assert api.get("/customers/K-1002").status_code == 200
    assert not Contract.objects.filter(customer__external_id="K-1001").exists()
    assert not Claim.objects.filter(customer__external_id="K-1001").exists()


# --- lists --------------------------------------------------------------------------------------


def seed(api, sample, entity: str, keys: list[str]) -> None:
    """Create one object per key through the batch import."""
    body = body_of(entity, sample)
    section = entity.replace("-", "_")
    batch: dict[str, Any] = {section: {key: body for key in keys}}
    if entity in ("contracts", "claims"):
        batch["customers"] = {"K-1001": sample["customer"]}
    if entity == "claims":
        batch["contracts"] = {"V-2001": sample["contract"]}
    response = import_(api, batch)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("entity", DELETABLE)
def test_it_walks_a_list_with_a_cursor_returning_each_object_once_in_order(api, sample, entity):
    keys = ["E-05", "E-02", "E-07", "E-01", "E-06", "E-03", "E-04"]
    seed(api, sample, entity, keys)

    seen, sizes = walk(api, f"/{entity}", limit=3)

    assert seen == sorted(keys)
    assert sizes == [3, 3, 1]


def test_it_walks_the_line_catalogue_with_a_cursor(api):
    everything = [line["code"] for line in api.get("/lines", limit=1000).json()["items"]]

    seen, _ = walk(api, "/lines", limit=3)

    assert seen == everything
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)


def test_it_walks_ids_of_every_allowed_character_each_exactly_once(api):
    keys = ["a", "A", "0", "Z.9", "z_9", "z-9", "z:9", "a.b", "A-B", "ab", "aB", "a" * 64, "9"]
    import_(api, {"customers": {key: {"kind": "person", "last_name": "X"} for key in keys}})

    for limit in (1, 2, 5):
        seen, _ = walk(api, "/customers", limit=limit)
        assert sorted(seen) == sorted(keys)
        assert len(seen) == len(keys)


def test_it_keeps_walking_correctly_when_the_last_object_of_a_page_is_deleted(api, sample):
    seed(api, sample, "customers", [f"K-{i}" for i in range(1, 7)])
    first = api.get("/customers", limit=3).json()
    assert [c["external_id"] for c in first["items"]] == ["K-1", "K-2", "K-3"]

    api.delete("/customers/K-3")
    api.put("/customers/K-0", sample["customer"])  # sorts before the cursor: not seen any more
    api.put("/customers/K-9", sample["customer"])  # sorts after the cursor: seen
    second = api.get("/customers", limit=3, cursor=first["next"]).json()

    assert [c["external_id"] for c in second["items"]] == ["K-4", "K-5", "K-6"]
    third = api.get("/customers", limit=3, cursor=second["next"]).json()
    assert [c["external_id"] for c in third["items"]] == ["K-9"]
    assert third["next"] is None


def test_it_answers_an_empty_list_with_no_next(api):
    assert api.get("/customers").json() == {"items": [], "next": None}


def test_it_pages_100_objects_by_default(api, sample):
    seed(api, sample, "customers", [f"K-{i:04d}" for i in range(101)])

    page = api.get("/customers").json()

    assert len(page["items"]) == 100
    assert page["next"] is not None
    rest = api.get("/customers", cursor=page["next"]).json()
    assert [c["external_id"] for c in rest["items"]] == ["K-0100"]
    assert rest["next"] is None


def test_it_pages_at_most_1000_objects(api):
    import_(api, {"customers": {f"K-{i:04d}": {"kind": "person", "last_name": "X"} for i in range(1001)}})

    page = api.get("/customers", limit=1000).json()

    assert len(page["items"]) == 1000
    assert page["next"] is not None
    assert len(api.get("/customers", limit=1000, cursor=page["next"]).json()["items"]) == 1


def test_it_lists_full_objects_the_same_as_a_single_get(api, sample):
    create_prerequisites(api, sample, "claims")
    api.put("/claims/S-1", sample["claim"])

    for entity, key in (("customers", "K-1001"), ("contracts", "V-2001"), ("claims", "S-1")):
        assert api.get(f"/{entity}").json()["items"] == [api.get(f"/{entity}/{key}").json()]


@pytest.fixture
def two_customers(api, sample):
    """K-1 with contracts V-1, V-2 and claims S-1 (on V-1), S-2 (on the customer); K-2 with V-3, S-3."""
    claim = sample["claim"]
    batch = {
        "customers": {"K-1": sample["customer"], "K-2": {"kind": "company", "company_name": "Muster AG"}},
        "contracts": {
            "V-1": {**sample["contract"], "customer": "K-1"},
            "V-2": {**sample["contract"], "customer": "K-1", "line": "KFZ"},
            "V-3": {**sample["contract"], "customer": "K-2"},
        },
        "claims": {
            "S-1": {**claim, "customer": "K-1", "contract": "V-1"},
            "S-2": {**claim, "customer": "K-1", "contract": None},
            "S-3": {**claim, "customer": "K-2", "contract": "V-3"},
        },
    }
    assert import_(api, batch).status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"customer": "K-1"}, ["V-1", "V-2"]),
        ({"customer": "K-2"}, ["V-3"]),
        ({"customer": "K-404"}, []),
        ({}, ["V-1", "V-2", "V-3"]),
    ],
)
def test_it_filters_contracts_by_customer(api, two_customers, query, expected):
    response = api.get("/contracts", **query)

    assert response.status_code == 200
    assert [c["external_id"] for c in response.json()["items"]] == expected
    assert all(c["customer"] == query["customer"] for c in response.json()["items"] if query)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"customer": "K-1"}, ["S-1", "S-2"]),
        ({"customer": "K-2"}, ["S-3"]),
        ({"contract": "V-1"}, ["S-1"]),
        ({"contract": "V-2"}, []),
        ({"customer": "K-1", "contract": "V-1"}, ["S-1"]),
        ({"customer": "K-1", "contract": "V-3"}, []),
        ({"customer": "K-2", "contract": "V-3"}, ["S-3"]),
        ({}, ["S-1", "S-2", "S-3"]),
    ],
)
def test_it_filters_claims_by_customer_and_contract(api, two_customers, query, expected):
    response = api.get("/claims", **query)

    assert response.status_code == 200
    assert [c["external_id"] for c in response.json()["items"]] == expected


def test_it_keeps_the_filter_while_walking_a_filtered_list(api, two_customers):
    seen, _ = walk(api, "/contracts", limit=1, customer="K-1")

    assert seen == ["V-1", "V-2"]


# --- the line catalogue -------------------------------------------------------------------------


def test_it_gives_a_new_broker_the_default_lines(api):
    codes = {line["code"]: line for line in api.get("/lines", limit=1000).json()["items"]}

    assert {"KFZ", "HRV", "PHV", "HPV", "WGV", "UNF", "RS"} <= set(codes)
    assert {k: codes["HRV"][k] for k in ("label", "group", "gdv")} == {
        "label": "Hausrat",
        "group": "Wohnen",
        "gdv": "130",
    }
    hrv = api.get("/lines/HRV")
    assert hrv.status_code == 200
    assert hrv.json()["code"] == "HRV"
    assert_timestamp(hrv.json()["created_at"])


def test_it_replaces_a_default_line_with_200(api):
    response = api.put("/lines/HRV", {"label": "Hausratversicherung", "group": "Wohnen", "gdv": None})

    assert response.status_code == 200
    assert api.get("/lines/HRV").json()["label"] == "Hausratversicherung"
    assert api.get("/lines/HRV").json()["gdv"] is None


def test_it_registers_an_unknown_line_code_of_a_contract_instead_of_refusing_it(api, sample):
    create_prerequisites(api, sample, "contracts")
    assert api.get("/lines/DROHNE").status_code == 404

    response = api.put("/contracts/V-2001", {**sample["contract"], "line": "DROHNE"})

    assert response.status_code == 201, response.content
    assert response.json()["line"] == "DROHNE"
    line = api.get("/lines/DROHNE")
    assert line.status_code == 200
    assert line.json()["label"] == "DROHNE"
    assert api.put("/contracts/V-2002", {**sample["contract"], "line": "DROHNE"}).status_code == 201
    codes = [item["code"] for item in api.get("/lines", limit=1000).json()["items"]]
    assert codes.count("DROHNE") == 1


def test_it_lets_the_ams_name_a_registered_line_afterwards(api, sample):
    create_prerequisites(api, sample, "contracts")
    api.put("/contracts/V-2001", {**sample["contract"], "line": "DROHNE"})

    response = api.put("/lines/DROHNE", {"label": "Drohnenhaftpflicht", "group": "Haftung", "gdv": "040"})

    assert response.status_code == 200
    assert api.get("/contracts/V-2001").json()["line"] == "DROHNE"
    assert api.get("/lines/DROHNE").json()["label"] == "Drohnenhaftpflicht"


# --- contracts and claims that reference each other ---------------------------------------------


def test_it_never_leaves_a_claim_on_a_contract_of_another_customer(api, two_customers):
    """Moving V-1 (with claim S-1) to K-2 must either be refused or take the claim along."""
    response = api.put("/contracts/V-1", {**api.get("/contracts/V-1").json(), "customer": "K-2"})

    contract = api.get("/contracts/V-1").json()
    claim = api.get("/claims/S-1").json()
    assert claim["contract"] == "V-1"
    assert claim["customer"] == contract["customer"]
    if response.status_code == 200:
        assert contract["customer"] == "K-2"
    else:
        assert response.status_code in (409, 422)
        assert ["body", "customer"] in [e["loc"] for e in response.json()["errors"]]
        assert contract["customer"] == "K-1"


def test_it_moves_a_contract_without_claims_to_another_customer(api, two_customers):
    response = api.put("/contracts/V-2", {**api.get("/contracts/V-2").json(), "customer": "K-2"})

    assert response.status_code == 200
    assert [c["external_id"] for c in api.get("/contracts", customer="K-2").json()["items"]] == ["V-2", "V-3"]


def test_it_accepts_a_claim_on_the_customer_without_a_contract(api, sample):
    create_prerequisites(api, sample, "contracts")

    response = api.put("/claims/S-1", {**sample["claim"], "contract": None})

    assert response.status_code == 201
    assert response.json()["contract"] is None


# --- the batch import ---------------------------------------------------------------------------


def full_batch(sample) -> dict[str, Any]:
    return {
        "staff": {"U-1": STAFF},
        "lines": {"DRO": LINE},
        "tariff_accounts": {"T-1": TARIFF_ACCOUNT},
        "customers": {"K-1001": sample["customer"]},
        "contracts": {"V-2001": {**sample["contract"], "line": "DRO"}},
        "claims": {"S-1": sample["claim"]},
        "documents": {"D-1": DOCUMENT},
    }


def counts(**nonzero: int) -> dict[str, int]:
    sections = ("staff", "lines", "tariff_accounts", "customers", "contracts", "claims", "documents")
    return {section: nonzero.get(section, 0) for section in sections}


def test_it_imports_every_section_with_references_inside_the_batch(api, sample):
    response = import_(api, full_batch(sample))

    assert response.status_code == 200, response.content
    result = response.json()
    assert result["created"] == counts(
        staff=1, lines=1, tariff_accounts=1, customers=1, contracts=1, claims=1, documents=1
    )
    assert result["updated"] == counts()
    assert result["unchanged"] == counts()
    assert result["deleted"] == {"customers": 0, "contracts": 0, "claims": 0, "documents": 0}
    assert result["errors"] == []
    assert api.get("/staff/U-1").json()["name"] == "Max Betreuer"
    assert api.get("/lines/DRO").json()["label"] == "Drohnen"
    assert api.get("/tariff-accounts/T-1").json()["url"] == TARIFF_ACCOUNT["url"]
    assert api.get("/customers/K-1001").json()["last_name"] == "Muster"
    assert api.get("/contracts/V-2001").json()["line"] == "DRO"
    assert api.get("/claims/S-1").json()["contract"] == "V-2001"
    assert api.get("/documents/D-1").json()["contract"] == "V-2001"


def test_it_imports_the_same_objects_a_put_would_create(api, sample):
    import_(api, full_batch(sample))

    contract = api.get("/contracts/V-2001").json()
    assert {k: contract[k] for k in sample["contract"]} == {**sample["contract"], "line": "DRO"}
    assert contract["source"] == "ams"
    claim = api.get("/claims/S-1").json()
    assert {k: claim[k] for k in sample["claim"]} == sample["claim"]


def test_it_reports_everything_unchanged_when_a_batch_is_sent_again(api, sample):
    import_(api, full_batch(sample))
    before = {
        path: api.get(path).json() for path in ("/customers/K-1001", "/contracts/V-2001", "/claims/S-1")
    }

    result = import_(api, full_batch(sample)).json()

    assert result["created"] == counts()
    assert result["updated"] == counts()
    assert result["unchanged"] == counts(
        staff=1, lines=1, tariff_accounts=1, customers=1, contracts=1, claims=1, documents=1
    )
    assert {path: api.get(path).json() for path in before} == before


def test_it_restores_objects_changed_since_the_last_import_when_the_batch_is_sent_again(api, sample):
    batch = full_batch(sample)
    import_(api, batch)
    api.put("/customers/K-1001", {**sample["customer"], "last_name": "Geändert"})
    api.put("/contracts/V-2001", {**sample["contract"], "line": "DRO", "premium": "1.00"})
    api.put("/staff/U-1", {**STAFF, "role": "none"})
    api.put("/lines/DRO", {**LINE, "label": "Geändert"})

    result = import_(api, batch).json()

    assert result["updated"] == counts(staff=1, lines=1, customers=1, contracts=1)
    assert result["unchanged"] == counts(tariff_accounts=1, claims=1, documents=1)
    assert api.get("/customers/K-1001").json()["last_name"] == "Muster"
    assert api.get("/contracts/V-2001").json()["premium"] == "12.50"
    assert api.get("/staff/U-1").json()["role"] == "admin"
    assert api.get("/lines/DRO").json()["label"] == "Drohnen"


def test_it_recreates_objects_deleted_since_the_last_import_when_the_batch_is_sent_again(api, sample):
    batch = full_batch(sample)
    import_(api, batch)
    api.delete("/customers/K-1001")  # and with it V-2001, S-1 and D-1
    api.delete("/tariff-accounts/T-1")

    result = import_(api, batch).json()

    assert result["errors"] == []
    assert result["created"] == counts(tariff_accounts=1, customers=1, contracts=1, claims=1, documents=1)
    assert result["unchanged"] == counts(staff=1, lines=1)
    for path in (
        "/customers/K-1001",
        "/contracts/V-2001",
        "/claims/S-1",
        "/documents/D-1",
        "/tariff-accounts/T-1",
    ):
        assert api.get(path).status_code == 200, path


def test_it_imports_what_a_put_created_as_unchanged(api, sample):
    for path, body in (
        ("/customers/K-1001", sample["customer"]),
        ("/contracts/V-2001", sample["contract"]),
        ("/claims/S-1", sample["claim"]),
    ):
        api.put(path, body)
    batch = {
        "customers": {"K-1001": sample["customer"]},
        "contracts": {"V-2001": sample["contract"]},
        "claims": {"S-1": sample["claim"]},
    }

    result = import_(api, batch).json()

    assert result["created"] == counts()
    assert result["updated"] == counts()
    assert result["unchanged"] == counts(customers=1, contracts=1, claims=1)


def test_it_counts_changed_objects_as_updated(api, sample):
    import_(api, full_batch(sample))
    batch = full_batch(sample)
    batch["contracts"]["V-2001"]["premium"] = "99.00"

    result = import_(api, batch).json()

    assert result["updated"] == counts(contracts=1)
    assert result["unchanged"] == counts(
        staff=1, lines=1, tariff_accounts=1, customers=1, claims=1, documents=1
    )
    assert api.get("/contracts/V-2001").json()["premium"] == "99.00"


def test_it_applies_deletions_last(api, sample):
    import_(api, full_batch(sample))

    result = import_(
        api,
        {
            "customers": {"K-2": {"kind": "person", "last_name": "Neu"}},
            "claims": {"S-1": {**sample["claim"], "status": "closed"}},
            "delete": {"claims": ["S-1"], "customers": ["K-2"]},
        },
    ).json()

    assert result["errors"] == []
    assert result["created"]["customers"] == 1  # created first ...
    assert result["updated"]["claims"] == 1  # ... the claim was still there to be updated ...
    assert result["deleted"] == {
        "customers": 1,
        "contracts": 0,
        "claims": 1,
        "documents": 0,
    }  # ... then deleted
    assert api.get("/customers/K-2").status_code == 404
    assert api.get("/claims/S-1").status_code == 404
    assert api.get("/customers/K-1001").status_code == 200
    assert api.get("/contracts/V-2001").status_code == 200


def test_it_deletes_a_customer_with_its_contracts_and_claims_in_an_import(api, sample):
    import_(api, full_batch(sample))

    result = import_(api, {"delete": {"customers": ["K-1001"]}}).json()

    assert result["deleted"]["customers"] == 1
    assert api.get("/contracts/V-2001").status_code == 404
    assert api.get("/claims/S-1").status_code == 404


def test_it_accepts_an_empty_batch(api):
    response = import_(api, {})

    assert response.status_code == 200
    assert response.json()["created"] == counts()
    assert response.json()["errors"] == []


def test_it_registers_unknown_line_codes_from_an_import(api, sample):
    batch = {
        "customers": {"K-1001": sample["customer"]},
        "contracts": {"V-1": {**sample["contract"], "line": "XYZ"}},
    }

    result = import_(api, batch).json()

    assert result["errors"] == []
    assert result["created"]["contracts"] == 1
    assert api.get("/lines/XYZ").json()["label"] == "XYZ"


def test_it_imports_in_partial_mode_when_everything_is_valid(api, sample):
    response = import_(api, full_batch(sample), mode="partial")

    assert response.status_code == 200
    assert response.json()["created"]["claims"] == 1
    assert response.json()["errors"] == []


# --- property: re-sending a batch changes nothing -----------------------------------------------

_ids = st.from_regex(r"\A[A-Za-z0-9._:-]{1,64}\Z")
_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
_dates = st.none() | st.dates().map(lambda d: d.isoformat())
_money = st.none() | st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2).map(
    lambda d: f"{d:.2f}"
)


@st.composite
def batches(draw) -> dict[str, Any]:
    customer_ids = draw(st.lists(_ids, min_size=1, max_size=4, unique=True))
    customers = {
        ext: {
            "kind": "person",
            "first_name": draw(_text),
            "last_name": draw(_text.filter(lambda s: s.strip())),
            "birth_date": draw(_dates),
            "emails": draw(
                st.lists(
                    st.from_regex(r"\A[a-z0-9]{1,5}(\.[a-z0-9]{1,5}){0,2}@[a-z]{1,10}\.de\Z"), max_size=3
                )
            ),
            "address": {
                "street": draw(_text),
                "city": draw(_text),
                "country": draw(st.sampled_from(["", "DE"])),
            },
        }
        for ext in customer_ids
    }
    contract_ids = draw(st.lists(_ids, max_size=4, unique=True))
    contracts = {
        ext: {
            "customer": draw(st.sampled_from(customer_ids)),
            "line": draw(st.sampled_from(["HRV", "KFZ", "NEU-1"])),
            "status": draw(st.sampled_from(["EIGEN", "FREMD", "STORNO"])),
            "start_date": draw(_dates),
            "premium": draw(_money),
            "payment_interval": draw(st.sampled_from([None, "monthly", "yearly"])),
            "risk_locations": draw(
                st.lists(st.fixed_dictionaries({"label": _text, "city": _text}), max_size=2)
            ),
        }
        for ext in contract_ids
    }
    claims = {}
    for ext in draw(st.lists(_ids, max_size=3, unique=True)) if contract_ids else []:
        contract = draw(st.sampled_from(contract_ids))
        claims[ext] = {
            "customer": contracts[contract]["customer"],
            "contract": contract,
            "status": draw(st.sampled_from(["open", "closed"])),
            "amount_reserved": draw(_money),
            "description": draw(_text),
        }
    return {"customers": customers, "contracts": contracts, "claims": claims}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches())
def test_it_changes_nothing_when_any_valid_batch_is_sent_twice(api, batch):
    Claim.objects.all().delete()
    Contract.objects.all().delete()
    Customer.objects.all().delete()
    first = import_(api, batch)
    assert first.status_code == 200, first.content
    assert first.json()["errors"] == []
    stored = {
        (section, ext): api.get(f"/{section}/{ext}").json() for section in batch for ext in batch[section]
    }

    second = import_(api, batch).json()

    assert second["created"] == counts()
    assert second["updated"] == counts()
    for section in ("customers", "contracts", "claims"):
        assert second["unchanged"][section] == len(batch[section])
    # The same objects one by one, and as the API answered them: unchanged too.
    for (section, ext), answer in stored.items():
        for body in (batch[section][ext], answer):
            response = api.put(f"/{section}/{ext}", body)
            assert response.status_code == 200, response.content
            assert response.json() == answer
