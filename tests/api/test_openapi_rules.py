"""Issue 15, item 11: the OpenAPI document states the rules the server enforces, and the server
enforces no other rule a JSON schema could state: limits, enums, patterns, and lengths counted on the
text as it was sent. tests/api/test_openapi_fuzz.py lets schemathesis look for the exceptions."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from einblick.api.processes import ProcessStateName
from einblick.brokers.models import StaffMember
from einblick.grants import visibility
from einblick.grants.models import STATUS_OPTIONS, Grant
from einblick.processes.models import ProcessState
from tests.apiclient import assert_error
from tests.factories import accepted
from tests.samples import CONTRACT, CUSTOMER

LISTS = (
    "/customers",
    "/contracts",
    "/claims",
    "/staff",
    "/lines",
    "/tariff-accounts",
    "/grants",
    "/processes",
)


def parameters(openapi: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p["schema"] for p in openapi["paths"]["/api/v1" + path]["get"]["parameters"]}


def string_branch(schema: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "string")


@pytest.mark.parametrize("path", LISTS)
def test_every_list_documents_its_limit_and_cursor(openapi, path):
    limit = parameters(openapi, path)["limit"]
    cursor = string_branch(parameters(openapi, path)["cursor"])

    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 1000, 100)
    assert cursor["pattern"].startswith("^") and cursor["pattern"].endswith("$")


@pytest.mark.parametrize("limit", [0, 1001])
@pytest.mark.parametrize("path", LISTS)
def test_a_limit_out_of_the_documented_range_is_refused_naming_it(api, path, limit):
    assert_error(api.get(path, limit=limit), 422, "query", "limit")


def test_the_process_states_are_an_enum_of_the_model_states(openapi, api):
    state = string_branch(parameters(openapi, "/processes")["state"])

    assert state["enum"] == list(ProcessState.values) == list(get_args(ProcessStateName))
    assert_error(api.get("/processes", state=""), 422, "query", "state")


def test_a_process_cursor_of_the_documented_form_is_a_position(api):
    assert api.get("/processes", cursor="9999999999999999:p_x").json() == {"items": [], "next": None}
    assert_error(api.get("/processes", cursor="1:x"), 422, "query", "cursor")


def test_the_status_options_are_an_enum(openapi):
    share = openapi["components"]["schemas"]["ShareIn"]["properties"]["statuses"]
    assert share["items"]["enum"] == list(STATUS_OPTIONS)


# --- money: a decimal string or whole euros, nothing else ----------------------------------------


@pytest.mark.parametrize("premium", ["12.50", "12", 12, 285.0, None])
def test_documented_money_is_taken(api, premium):
    api.put(f"/customers/{CONTRACT['customer']}", CUSTOMER)
    assert api.put("/contracts/V-1", {**CONTRACT, "premium": premium}).status_code == 201


@pytest.mark.parametrize(
    "premium",
    [" 12.50", "12.50\n", "+12", "1e3", 12.5, True, "", "12,50", -1, 10**10, 10**30, 1e300, 2.4e16],
)
def test_undocumented_money_is_refused(api, premium):
    api.put(f"/customers/{CONTRACT['customer']}", CUSTOMER)
    assert_error(api.put("/contracts/V-1", {**CONTRACT, "premium": premium}), 422, "premium")
    batch = api.post("/import", {"contracts": {"V-2": {**CONTRACT, "premium": premium}}}, mode="partial")
    assert [error["loc"][-1] for error in batch.json()["errors"]] == ["premium"]  # 10**30 was a 500


def test_the_document_states_the_money_rule(openapi):
    premium = openapi["components"]["schemas"]["ContractIn"]["properties"]["premium"]
    branches = {branch["type"]: branch for branch in premium["anyOf"]}

    assert branches["string"]["pattern"] == r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
    assert (branches["integer"]["minimum"], branches["integer"]["maximum"]) == (0, 9_999_999_999)
    assert set(branches) == {"string", "integer", "null"}


# --- text: lengths as sent, blanks taken out afterwards ------------------------------------------


def test_a_length_counts_what_was_sent_not_what_is_left_after_blanks(api):
    assert_error(api.put("/staff/S-1", {"name": "M" * 200 + " ", "email": "m@example.org"}), 422, "name")
    assert api.put("/staff/S-1", {"name": " " + "M" * 198 + " ", "email": "m@example.org"}).status_code == 201
    assert StaffMember.objects.get(external_id="S-1").name == "M" * 198


@pytest.mark.parametrize("name", [" ", "\u200b", "\x1c", "\u3000\u2066"])
def test_a_name_without_a_visible_character_is_refused(api, name):
    assert_error(api.put("/staff/S-1", {"name": name, "email": "m@example.org"}), 422, "name")
    assert not StaffMember.objects.exists()


def test_blanks_and_invisible_characters_leave_texts_and_list_items(api):
    api.put("/customers/K-1", CUSTOMER)
    grant = api.post("/grants", {"name": " Familie\u200b ", "intermediaries": [" VM-7 "]}).json()

    stored = Grant.objects.get(pk=grant["id"])
    assert (stored.name, stored.intermediaries) == ("Familie", ["VM-7"])


# --- refusals in words, not regular expressions ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"name": "Max", "email": "not-an-email"}, "email", "not a valid e-mail address"),
        ({"name": "   ", "email": "m@example.org"}, "name", "must not be blank"),
        ({"name": "Max\x00", "email": "m@example.org"}, "name", "must not be blank"),
    ],
)
def test_a_broken_pattern_is_said_in_words(api, body, field, words):
    [error] = assert_error(api.put("/staff/S-1", body), 422, field)

    assert error["msg"] == words


def test_every_pattern_of_the_document_is_said_in_words(api):
    customer = {**CUSTOMER, "address": {**CUSTOMER["address"], "country": "Germany"}, "phone": "1\x00"}
    errors = assert_error(api.put("/customers/K-1", customer), 422)
    assert {error["msg"] for error in errors} == {
        "a country code of two capital letters, such as DE",
        "must not contain NUL characters",
    }
    assert_error(api.get("/customers", cursor="no cursor"), 422)
    for response in (api.get("/customers", cursor="no cursor"), api.get("/grants/x!/view")):
        assert "pattern" not in response.content.decode()


# --- the review of these rules (issue 15) ------------------------------------------------------


@pytest.mark.parametrize("number", [" ", "\u200b", "\u3164"])
def test_a_blank_intermediary_number_is_refused_and_never_selects_customers_without_one(api, broker, number):
    """A number tidied to "" would have matched every customer without one (intermediary "")."""
    api.put("/customers/K-1", CUSTOMER)
    assert_error(
        api.post("/grants", {"name": "Vermittler", "intermediaries": [number]}), 422, "intermediaries", 0
    )

    legacy = Grant.objects.create(broker=broker, name="Alt", intermediaries=[""])  # stored before the rule
    assert not visibility.customers(legacy).exists()


@pytest.mark.parametrize("address", ["klara@straße.de", "klara@ſparkasse.de", "klara@İnfo.de", "a@xn--ä.de"])
def test_an_address_that_idna_would_send_elsewhere_is_refused(api, address):
    grant = api.post("/grants", {"name": "Familie"}).json()["id"]
    assert_error(api.post(f"/grants/{grant}/members", {"email": address}), 422, "email")


@pytest.mark.parametrize("name", ["\u3164", "\u2800", "\u00ad", "\ufe0f", "\U000e0041", "\u115f"])
def test_a_name_of_fillers_and_tags_is_blank(api, name):
    assert_error(api.put("/staff/S-1", {"name": name, "email": "m@example.org"}), 422, "name")


def test_the_view_of_a_user_whose_address_holds_a_slash(api, broker):
    accepted(broker, "a/b@example.org")
    grant = api.post("/grants", {"name": "Familie"}).json()["id"]
    api.post(f"/grants/{grant}/members", {"email": "a/b@example.org"})

    assert api.get("/users/a%2Fb@example.org/view").status_code == 200
