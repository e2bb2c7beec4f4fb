"""Bad input gets the specified 4xx with {"detail", "errors": [{"loc", "msg"}]} naming the field,
never a 500 (api-v1.md "Conventions", "Batch import")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings

from einblick.portfolio.models import Customer, Line
from tests.apiclient import Api, assert_error
from tests.samples import CLAIM, CONTRACT, CUSTOMER

STAFF = {"name": "Max Betreuer", "email": "max@makler.example", "phone": None, "role": "user"}
LINE = {"label": "Drohnen", "group": "Haftung", "gdv": "040"}
TARIFF_ACCOUNT = {"name": "Vergleichsrechner", "url": "https://rechner.example/?a={account}"}
BODIES = {
    "customers": CUSTOMER,
    "contracts": CONTRACT,
    "claims": CLAIM,
    "staff": STAFF,
    "lines": LINE,
    "tariff-accounts": TARIFF_ACCOUNT,
}
MiB = 1024 * 1024


@pytest.fixture
def existing(api: Api) -> None:
    """K-1001 with contract V-2001, and K-2 with contract V-3 (for cross-customer claims)."""
    batch = {
        "customers": {"K-1001": CUSTOMER, "K-2": {"kind": "person", "last_name": "Zwei"}},
        "contracts": {"V-2001": CONTRACT, "V-3": {**CONTRACT, "customer": "K-2"}},
    }
    assert api.post("/import", batch).json()["errors"] == []


def no_raise(api: Api) -> Api:
    """Let a 500 come back as a response, so the failing assertion shows the status."""
    api.client.raise_request_exception = False
    return api


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


def without(base: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k not in fields}


# (entity, body, the field the error must name)
INVALID: list[tuple[str, dict[str, Any], tuple[str | int, ...]]] = [
    # customers
    ("customers", with_(CUSTOMER, kind=3), ("kind",)),
    ("customers", with_(CUSTOMER, kind="robot"), ("kind",)),
    ("customers", without(CUSTOMER, "kind"), ("kind",)),
    ("customers", with_(CUSTOMER, birth_date="2024-02-30"), ("birth_date",)),
    ("customers", with_(CUSTOMER, birth_date="2023-02-29"), ("birth_date",)),
    ("customers", with_(CUSTOMER, birth_date="03.02.2024"), ("birth_date",)),
    ("customers", with_(CUSTOMER, birth_date="2024-2-3"), ("birth_date",)),
    ("customers", with_(CUSTOMER, birth_date=20240203), ("birth_date",)),
    ("customers", with_(CUSTOMER, birth_date="2024-02-03T10:00:00"), ("birth_date",)),
    ("customers", with_(CUSTOMER, first_name="x" * 201), ("first_name",)),
    ("customers", with_(CUSTOMER, salutation="x" * 51), ("salutation",)),
    ("customers", with_(CUSTOMER, phone="1" * 65), ("phone",)),
    ("customers", with_(CUSTOMER, first_name=["Klara"]), ("first_name",)),
    ("customers", with_(CUSTOMER, emails="klara@example.org"), ("emails",)),
    ("customers", with_(CUSTOMER, emails=["keine-adresse"]), ("emails", 0)),
    ("customers", with_(CUSTOMER, emails=[f"k{i}@example.org" for i in range(21)]), ("emails",)),
    ("customers", with_(CUSTOMER, address=["Musterweg 1"]), ("address",)),
    ("customers", with_(CUSTOMER, address={**CUSTOMER["address"], "zip": "1" * 17}), ("address", "zip")),
    (
        "customers",
        with_(CUSTOMER, address={**CUSTOMER["address"], "country": "Deutschland"}),
        ("address", "country"),
    ),
    ("customers", with_(CUSTOMER, address={**CUSTOMER["address"], "floor": 3}), ("address", "floor")),
    ("customers", with_(CUSTOMER, nickname="Klärchen"), ("nickname",)),
    ("customers", without(CUSTOMER, "last_name"), ("last_name",)),
    ("customers", with_(CUSTOMER, last_name=None), ("last_name",)),
    ("customers", with_(CUSTOMER, last_name="   "), ("last_name",)),
    ("customers", {"kind": "company", "last_name": "Muster"}, ("company_name",)),
    ("customers", {"kind": "company", "company_name": ""}, ("company_name",)),
    # contracts
    ("contracts", with_(CONTRACT, premium=[1]), ("premium",)),
    ("contracts", with_(CONTRACT, premium={"amount": "12.50"}), ("premium",)),
    ("contracts", with_(CONTRACT, premium=True), ("premium",)),
    ("contracts", with_(CONTRACT, premium="-1.00"), ("premium",)),
    ("contracts", with_(CONTRACT, premium=-1), ("premium",)),
    ("contracts", with_(CONTRACT, premium="12.505"), ("premium",)),
    ("contracts", with_(CONTRACT, premium=12.505), ("premium",)),
    ("contracts", with_(CONTRACT, premium="12,50"), ("premium",)),
    ("contracts", with_(CONTRACT, premium="12.50 EUR"), ("premium",)),
    ("contracts", with_(CONTRACT, premium="NaN"), ("premium",)),
    ("contracts", with_(CONTRACT, premium="Infinity"), ("premium",)),
    ("contracts", with_(CONTRACT, premium="1e3"), ("premium",)),
    ("contracts", with_(CONTRACT, premium="12345678901.00"), ("premium",)),
    ("contracts", with_(CONTRACT, status="FOO"), ("status",)),
    ("contracts", with_(CONTRACT, status="eigen"), ("status",)),
    ("contracts", with_(CONTRACT, status=None), ("status",)),
    ("contracts", with_(CONTRACT, payment_interval="weekly"), ("payment_interval",)),
    ("contracts", with_(CONTRACT, payment_interval=12), ("payment_interval",)),
    ("contracts", with_(CONTRACT, start_date="2024-13-01"), ("start_date",)),
    ("contracts", with_(CONTRACT, end_date="2024-02-30"), ("end_date",)),
    ("contracts", with_(CONTRACT, offer_date="01.01.2024"), ("offer_date",)),
    ("contracts", with_(CONTRACT, number="x" * 101), ("number",)),
    ("contracts", with_(CONTRACT, risk="x" * 501), ("risk",)),
    ("contracts", without(CONTRACT, "customer"), ("customer",)),
    ("contracts", with_(CONTRACT, customer="K-404"), ("customer",)),
    ("contracts", with_(CONTRACT, customer="K 1001"), ("customer",)),
    ("contracts", with_(CONTRACT, customer=1001), ("customer",)),
    ("contracts", with_(CONTRACT, line=""), ("line",)),
    ("contracts", with_(CONTRACT, line="x" * 65), ("line",)),
    ("contracts", with_(CONTRACT, line="HR V"), ("line",)),
    ("contracts", with_(CONTRACT, risk_locations={"label": "Wohnung"}), ("risk_locations",)),
    ("contracts", with_(CONTRACT, risk_locations=[{"city": "x" * 201}]), ("risk_locations", 0, "city")),
    ("contracts", with_(CONTRACT, risk_locations=[{"floor": 3}]), ("risk_locations", 0, "floor")),
    ("contracts", with_(CONTRACT, source="portal", premie="12.50"), ("premie",)),
    # claims
    ("claims", with_(CLAIM, status="FOO"), ("status",)),
    ("claims", with_(CLAIM, amount_reserved="-5.00"), ("amount_reserved",)),
    ("claims", with_(CLAIM, amount_paid="1.999"), ("amount_paid",)),
    ("claims", with_(CLAIM, amount_paid=[]), ("amount_paid",)),
    ("claims", with_(CLAIM, loss_date="03.05.2024"), ("loss_date",)),
    ("claims", with_(CLAIM, loss_date="2024-02-30"), ("loss_date",)),
    ("claims", with_(CLAIM, description="x" * 10_001), ("description",)),
    ("claims", with_(CLAIM, customer="K-404"), ("customer",)),
    ("claims", with_(CLAIM, contract="V-404"), ("contract",)),
    ("claims", with_(CLAIM, contract="V-3"), ("contract",)),  # a contract of K-2, not of K-1001
    ("claims", with_(CLAIM, contract="V/3"), ("contract",)),
    ("claims", without(CLAIM, "customer"), ("customer",)),
    # staff
    ("staff", with_(STAFF, role="boss"), ("role",)),
    ("staff", with_(STAFF, role=1), ("role",)),
    ("staff", with_(STAFF, email="max"), ("email",)),
    ("staff", with_(STAFF, name=""), ("name",)),
    ("staff", with_(STAFF, name="x" * 201), ("name",)),
    ("staff", without(STAFF, "name"), ("name",)),
    # lines
    ("lines", with_(LINE, group="Tiere"), ("group",)),
    ("lines", with_(LINE, group=7), ("group",)),
    ("lines", with_(LINE, gdv="13"), ("gdv",)),
    ("lines", with_(LINE, gdv=130), ("gdv",)),
    ("lines", without(LINE, "label"), ("label",)),
    ("lines", with_(LINE, label="x" * 201), ("label",)),
    # tariff accounts
    ("tariff-accounts", with_(TARIFF_ACCOUNT, url="ftp://rechner.example/"), ("url",)),
    ("tariff-accounts", with_(TARIFF_ACCOUNT, url="javascript:alert(1)"), ("url",)),
    ("tariff-accounts", with_(TARIFF_ACCOUNT, name=""), ("name",)),
    ("tariff-accounts", without(TARIFF_ACCOUNT, "url"), ("url",)),
]


def case_id(entity: str, body: dict[str, Any], loc: tuple[str | int, ...]) -> str:
    base = BODIES[entity]
    diff = {k: v for k, v in body.items() if base.get(k, object()) != v}
    missing = sorted(set(base) - set(body))
    text = json.dumps(diff, ensure_ascii=False)[:40] + (f" without {missing}" if missing else "")
    return f"{entity}: {text}"


@pytest.mark.parametrize(("entity", "body", "loc"), INVALID, ids=[case_id(*case) for case in INVALID])
def test_it_refuses_an_invalid_object_with_422_naming_the_field(api, existing, entity, body, loc):
    response = api.put(f"/{entity}/NEW-1", body)

    assert_error(response, 422, *loc)
    assert api.get(f"/{entity}/NEW-1").status_code == 404


@pytest.mark.parametrize(("entity", "body", "loc"), INVALID, ids=[case_id(*case) for case in INVALID])
def test_it_refuses_an_invalid_import_object_naming_entity_id_and_field(api, existing, entity, body, loc):
    section = entity.replace("-", "_")

    response = api.post("/import", {section: {"NEW-1": body}})

    errors = assert_error(response, 422)
    field = ".".join(str(part) for part in loc)
    assert {"entity": section, "external_id": "NEW-1", "field": field} in [
        {k: e[k] for k in ("entity", "external_id", "field")} for e in errors
    ], errors
    assert api.get(f"/{entity}/NEW-1").status_code == 404


def test_it_keeps_an_object_unchanged_when_a_replacement_is_invalid(api, existing):
    before = api.get("/contracts/V-2001").json()

    response = api.put("/contracts/V-2001", with_(CONTRACT, premium="12.50", status="FOO"))

    assert_error(response, 422, "status")
    assert api.get("/contracts/V-2001").json() == before


def test_it_lists_every_broken_rule_of_one_object(api, existing):
    response = api.put(
        "/contracts/NEW-1", with_(CONTRACT, status="FOO", premium="-1", payment_interval="weekly")
    )

    errors = assert_error(response, 422)
    assert {e["loc"][-1] for e in errors} >= {"status", "premium", "payment_interval"}


def test_it_does_not_register_a_line_for_a_refused_contract(api, existing):
    response = api.put("/contracts/NEW-1", with_(CONTRACT, line="NEU", status="FOO"))

    assert_error(response, 422, "status")
    assert api.get("/lines/NEU").status_code == 404


# --- bodies that are not JSON objects -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["{", '{"kind": "person",}', "{'kind': 'person'}", "kind=person", b"\xff\xfe{}", '{"kind": "person"'],
)
@pytest.mark.parametrize("path", ["/customers/K-1", "/import"])
def test_it_refuses_malformed_json_with_400(api, raw, path):
    call = api.put if path.startswith("/customers") else api.post

    assert_error(call(path, raw=raw), 400)
    assert not Customer.objects.exists()


@pytest.mark.parametrize("raw", ["[]", "[{}]", '"person"', "42", "true", "null"])
@pytest.mark.parametrize("path", ["/customers/K-1", "/import"])
def test_it_refuses_json_that_is_not_an_object_with_422(api, raw, path):
    call = api.put if path.startswith("/customers") else api.post

    assert_error(call(path, raw=raw), 422)
    assert not Customer.objects.exists()


def test_it_refuses_an_empty_put_body_without_a_500(api):
    response = api.put("/customers/K-1", raw="")

    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)


# --- external ids -------------------------------------------------------------------------------

BAD_IDS = {
    "space": "K%201",
    "umlaut": "K%C3%A41",
    "65 characters": "a" * 65,
    "trailing newline": "K-1%0A",
    "at sign": "K@1",
    "plus": "K+1",
    "percent": "K%251",
}


@pytest.mark.parametrize("entity", list(BODIES))
@pytest.mark.parametrize("bad_id", list(BAD_IDS.values()), ids=list(BAD_IDS))
def test_it_refuses_forbidden_external_ids_in_the_path(api, existing, entity, bad_id):
    before = api.get(f"/{entity}", limit=1000).json()

    response = api.put(f"/{entity}/{bad_id}", BODIES[entity])

    errors = assert_error(response, 422)
    assert [e["loc"][0] for e in errors] == ["path"], errors
    assert api.get(f"/{entity}", limit=1000).json() == before


def test_it_names_the_line_code_when_refusing_a_forbidden_code_in_the_path(api):
    """api-v1.md calls the path parameter of lines `code` (PUT/GET /lines/{code})."""
    assert_error(api.put("/lines/HR%20V", LINE), 422, "path", "code")


def test_it_refuses_an_external_id_with_a_slash_with_a_json_error(api):
    response = api.put("/customers/K%2F1", CUSTOMER)

    assert response.status_code in (404, 422)
    assert_error(response, response.status_code)
    assert not Customer.objects.exists()


IMPORT_BAD_KEYS = ["K 1", "K/1", "Kä1", "a" * 65, "", "K-1\n", "\nK-1", "K\x001"]


@pytest.mark.parametrize("key", IMPORT_BAD_KEYS, ids=repr)
@pytest.mark.parametrize("section", ["customers", "lines"])
def test_it_refuses_forbidden_external_ids_as_import_keys(api, section, key):
    body = {"customers": CUSTOMER, "staff": STAFF, "lines": LINE}[section]
    lines_before = Line.objects.count()

    response = api.post("/import", {section: {key: body}})

    errors = assert_error(response, 422)
    assert [(e["entity"], e["external_id"]) for e in errors] == [(section, key)]
    assert not Customer.objects.exists()
    assert Line.objects.count() == lines_before


@pytest.mark.parametrize("key", IMPORT_BAD_KEYS, ids=repr)
def test_it_refuses_forbidden_external_ids_in_an_import_in_partial_mode(api, key):
    response = api.post("/import", {"customers": {key: CUSTOMER, "K-1": CUSTOMER}}, mode="partial")

    assert response.status_code == 200
    result = response.json()
    assert [(e["entity"], e["external_id"]) for e in result["errors"]] == [("customers", key)]
    assert result["created"]["customers"] == 1
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["K-1"]


@pytest.mark.parametrize("bad", ["K 1", "K/1", 5, None, "a" * 65])
def test_it_refuses_forbidden_external_ids_in_import_deletions(api, existing, bad):
    response = api.post("/import", {"delete": {"customers": ["K-1001", bad]}})

    errors = assert_error(response, 422)
    assert any(e["loc"][:2] == ["delete", "customers"] for e in errors), errors
    assert api.get("/customers/K-1001").status_code == 200


# --- the batch import: atomic and partial -------------------------------------------------------


def mixed_batch() -> dict[str, Any]:
    """Valid: N-1, N-2, V-1 (with the new line NEU), S-1. Invalid: N-3, V-2, W-3 (customer N-3 rejected),
    S-2 (missing contract), plus a change to the existing K-1001."""
    return {
        "customers": {
            "N-1": CUSTOMER,
            "N-2": {"kind": "company", "company_name": "Muster AG"},
            "N-3": {"kind": "robot", "last_name": "R2"},
            "K-1001": with_(CUSTOMER, last_name="Geändert"),
        },
        "contracts": {
            "V-1": with_(CONTRACT, customer="N-1", line="NEU"),
            "V-2": with_(CONTRACT, customer="N-1", status="FOO"),
            "W-3": with_(CONTRACT, customer="N-3"),
        },
        "claims": {
            "S-1": with_(CLAIM, customer="N-1", contract="V-1"),
            "S-2": with_(CLAIM, customer="N-1", contract="V-404"),
        },
    }


def error_keys(errors: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {(e["entity"], e["external_id"], e["field"]) for e in errors}


EXPECTED_ERRORS = {
    ("customers", "N-3", "kind"),
    ("contracts", "V-2", "status"),
    ("contracts", "W-3", "customer"),
    ("claims", "S-2", "contract"),
}


@pytest.mark.parametrize("params", [{}, {"mode": "atomic"}], ids=["default", "atomic"])
def test_it_writes_nothing_of_an_atomic_batch_with_errors_and_lists_every_error(api, existing, params):
    before = {path: api.get(path).json() for path in ("/customers", "/contracts", "/claims", "/lines")}

    response = api.post("/import", mixed_batch(), **params)

    errors = assert_error(response, 422)
    assert error_keys(errors) == EXPECTED_ERRORS
    for error in errors:
        assert error["loc"][:2] == [error["entity"], error["external_id"]]
    for path in ("/customers/N-1", "/customers/N-2", "/contracts/V-1", "/claims/S-1", "/lines/NEU"):
        assert api.get(path).status_code == 404, path
    assert api.get("/customers/K-1001").json()["last_name"] == "Muster"
    assert {path: api.get(path).json() for path in before} == before


def test_it_applies_every_valid_object_of_a_partial_batch_and_lists_the_rejected(api, existing):
    response = api.post("/import", mixed_batch(), mode="partial")

    assert response.status_code == 200, response.content
    result = response.json()
    assert error_keys(result["errors"]) == EXPECTED_ERRORS
    for error in result["errors"]:
        assert set(error) >= {"entity", "external_id", "field", "msg"}
        assert error["msg"]
    rejected_customer = next(e for e in result["errors"] if e["external_id"] == "W-3")
    assert "N-3" in rejected_customer["msg"] and "rejected" in rejected_customer["msg"]
    assert result["created"]["customers"] == 2
    assert result["updated"]["customers"] == 1
    assert result["created"]["contracts"] == 1
    assert result["created"]["claims"] == 1
    for path in ("/customers/N-1", "/customers/N-2", "/contracts/V-1", "/claims/S-1", "/lines/NEU"):
        assert api.get(path).status_code == 200, path
    for path in ("/customers/N-3", "/contracts/V-2", "/contracts/W-3", "/claims/S-2"):
        assert api.get(path).status_code == 404, path
    assert api.get("/customers/K-1001").json()["last_name"] == "Geändert"


def test_it_rejects_a_claim_whose_contract_was_rejected_in_the_same_partial_batch(api, existing):
    batch = {
        "contracts": {"V-9": with_(CONTRACT, status="FOO")},
        "claims": {"S-9": with_(CLAIM, contract="V-9")},
    }

    result = api.post("/import", batch, mode="partial").json()

    assert error_keys(result["errors"]) == {("contracts", "V-9", "status"), ("claims", "S-9", "contract")}
    assert api.get("/claims/S-9").status_code == 404


@pytest.mark.parametrize(
    ("batch", "entity"),
    [
        ({"customer": {"N-1": CUSTOMER}}, "customer"),
        ({"customers": [CUSTOMER]}, "customers"),
        ({"customers": "N-1"}, "customers"),
        ({"customers": {"N-1": "Klara"}}, "customers"),
        ({"delete": ["N-1"]}, "delete"),
        ({"delete": {"staff": ["U-1"]}}, "delete"),
        ({"delete": {"customers": "N-1"}}, "delete"),
    ],
)
def test_it_refuses_a_batch_not_of_the_import_shape(api, batch, entity):
    errors = assert_error(api.post("/import", batch), 422)

    assert entity in [e["loc"][0] for e in errors if e["loc"]], errors


def test_it_refuses_an_unknown_import_mode(api):
    assert_error(api.post("/import", {"customers": {"N-1": CUSTOMER}}, mode="all"), 422, "mode")
    assert not Customer.objects.exists()


# --- sizes --------------------------------------------------------------------------------------


def padded(body: dict[str, Any], size: int) -> bytes:
    """Valid JSON of exactly `size` bytes: the object followed by whitespace."""
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def test_it_refuses_a_put_body_over_one_mebibyte_with_413(api):
    response = api.put("/customers/K-1", raw=padded(CUSTOMER, MiB + 1))

    assert_error(response, 413)
    assert not Customer.objects.exists()


def test_it_accepts_a_put_body_of_one_mebibyte(api):
    response = api.put("/customers/K-1", raw=padded(CUSTOMER, MiB))

    assert response.status_code == 201


def test_it_refuses_an_import_body_over_64_mebibytes_with_413(api):
    response = api.post("/import", raw=padded({"customers": {"K-1": CUSTOMER}}, 65 * MiB))

    assert_error(response, 413)
    assert not Customer.objects.exists()


def test_it_refuses_an_import_just_over_64_mebibytes_with_413(api):
    response = api.post("/import", raw=padded({"customers": {"K-1": CUSTOMER}}, 64 * MiB + 1))

    assert_error(response, 413)
    assert not Customer.objects.exists()


def test_it_refuses_an_oversized_body_also_without_a_token(anonymous):
    assert_error(anonymous.post("/import", raw=padded({}, 65 * MiB)), 413)


@pytest.mark.parametrize("mode", ["atomic", "partial"])
def test_it_refuses_an_import_of_more_than_50000_objects_with_413(api, mode):
    assert settings.IMPORT_MAX_OBJECTS == 50_000
    customers = {f"K-{i}": {"kind": "person", "last_name": "Muster"} for i in range(50_001)}

    response = api.post("/import", {"customers": customers}, mode=mode)

    assert_error(response, 413)
    assert not Customer.objects.exists()


def test_it_counts_the_objects_of_every_section_towards_the_limit(api):
    batch = {
        "customers": {f"K-{i}": {"kind": "person", "last_name": "Muster"} for i in range(25_000)},
        "staff": {f"U-{i}": STAFF for i in range(25_001)},
    }

    assert_error(api.post("/import", batch), 413)
    assert not Customer.objects.exists()


def test_it_accepts_a_batch_of_exactly_50000_objects(api):
    batch = {"delete": {"customers": [f"K-{i}" for i in range(50_000)]}}

    response = api.post("/import", batch)

    assert response.status_code == 200
    assert response.json()["deleted"]["customers"] == 0


# --- list parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/customers", "/contracts", "/claims", "/staff", "/lines", "/tariff-accounts"]
)
@pytest.mark.parametrize("limit", [0, 1001, -1, "abc", "1.5"])
def test_it_refuses_a_limit_out_of_range(api, path, limit):
    assert_error(api.get(path, limit=limit), 422, "limit")


@pytest.mark.parametrize("limit", [1, 1000])
def test_it_accepts_the_limits_at_the_edges(api, limit):
    total = len(api.get("/lines", limit=1000).json()["items"])

    response = api.get("/lines", limit=limit)

    assert response.status_code == 200
    assert len(response.json()["items"]) == min(limit, total)


def test_it_locates_every_limit_error_in_the_query(api):
    """limit=abc and limit=0 are the same kind of mistake; their errors name the same place."""
    not_a_number = assert_error(api.get("/customers", limit="abc"), 422)
    out_of_range = assert_error(api.get("/customers", limit=0), 422)

    assert not_a_number[0]["loc"] == ["query", "limit"]
    assert out_of_range[0]["loc"] == not_a_number[0]["loc"]


@pytest.mark.parametrize("path", ["/customers"])
@pytest.mark.parametrize(
    "cursor",
    ["not a cursor", "!!!", "%%%", "=", "K-1\x00", "a" * 65, "a" * 5000],
    ids=["words", "exclamation", "percent", "equals", "raw-nul", "65-characters", "long"],
)
def test_it_refuses_an_invalid_cursor_with_422(api, path, cursor):
    api.put("/customers/K-1", CUSTOMER)

    assert_error(no_raise(api).get(path, cursor=cursor), 422, "cursor")


def test_every_cursor_the_openapi_document_allows_is_a_position_in_the_list(api):
    """A cursor is the key of the last item of the page before: "K-10", which no page answered, lists
    what comes after it, so that no request the schema allows is refused (issue 15)."""
    for key in ("K-1", "K-2", "K-3"):
        api.put(f"/customers/{key}", CUSTOMER)
    first = api.get("/customers", limit=1).json()

    assert first["next"] == "K-1"
    assert [c["external_id"] for c in api.get("/customers", cursor=first["next"]).json()["items"]] == [
        "K-2",
        "K-3",
    ]
    assert [c["external_id"] for c in api.get("/customers", cursor="K-10").json()["items"]] == ["K-2", "K-3"]
    assert api.get("/customers", cursor="zzzz").json() == {"items": [], "next": None}
    assert len(api.get("/customers", cursor="").json()["items"]) == 3


# --- never a 500 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/contracts", {"customer": "\x00"}),
        ("/claims", {"customer": "K\x00"}),
        ("/claims", {"contract": "V\x00"}),
        ("/contracts", {"customer": "ä" * 100}),
    ],
)
def test_it_answers_a_filter_that_cannot_be_an_external_id_without_a_500(api, existing, path, params):
    response = no_raise(api).get(path, **params)

    assert response.status_code in (200, 422), response.status_code
    if response.status_code == 200:
        assert response.json() == {"items": [], "next": None}
    else:
        assert_error(response, 422)


@pytest.mark.parametrize(
    ("entity", "body", "field"),
    [
        ("customers", with_(CUSTOMER, last_name="Mu\x00ster"), "last_name"),
        ("customers", with_(CUSTOMER, emails=["klara\x00@example.org"]), "emails"),
        ("claims", with_(CLAIM, description="Wasser\x00schaden"), "description"),
    ],
    ids=["customer last_name", "customer emails", "claim description"],
)
def test_it_answers_text_with_a_nul_character_without_a_500(api, existing, entity, body, field):
    """JSON allows "\\u0000"; it is stored and answered as sent, or refused naming the field."""
    response = no_raise(api).put(f"/{entity}/NEW-1", body)

    assert response.status_code in (201, 422), response.status_code
    if response.status_code == 201:
        assert api.get(f"/{entity}/NEW-1").json()[field] == body[field]
    else:
        errors = assert_error(response, 422)
        assert any(field in error["loc"] for error in errors), errors


def test_it_refuses_a_lone_surrogate_without_a_500(api):
    response = no_raise(api).put("/customers/K-1", raw='{"kind": "person", "last_name": "\\ud800"}')

    assert_error(response, 422, "last_name")


@pytest.mark.parametrize("path", ["/customers/K-1", "/import"])
def test_it_refuses_a_deeply_nested_body_without_a_500(api, path):
    raw = '{"customers": ' + "[" * 100_000 + "]" * 100_000 + "}"
    call = no_raise(api).put if path.startswith("/customers") else no_raise(api).post

    response = call(path, raw=raw)

    assert response.status_code in (400, 422), response.status_code
    assert_error(response, response.status_code)
