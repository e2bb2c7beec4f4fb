"""The OpenAPI document and the interactive docs (api-v1.md "Conventions", "Portfolio")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from openapi_spec_validator import validate

from einblick.config.middleware import CSP
from tests.apiclient import operations_of
from tests.samples import CLAIM, CONTRACT, CUSTOMER

# api-v1.md "Portfolio": every call of the table, as path → methods.
PORTFOLIO_TABLE = {
    "/customers/{external_id}": {"put", "get", "delete"},
    "/customers": {"get"},
    "/contracts/{external_id}": {"put", "get", "delete"},
    "/contracts": {"get"},
    "/claims/{external_id}": {"put", "get", "delete"},
    "/claims": {"get"},
    "/staff/{external_id}": {"put", "get", "delete"},
    "/staff": {"get"},
    "/lines/{code}": {"put", "get"},
    "/lines": {"get"},
    "/tariff-accounts/{external_id}": {"put", "get", "delete"},
    "/tariff-accounts": {"get"},
    "/import": {"post"},
}
# The fields of each single-object answer: what is PUT plus the stamps (api-v1.md).
ANSWER_FIELDS = {
    "/customers/{external_id}": {*CUSTOMER, "external_id", "created_at", "updated_at"},
    "/contracts/{external_id}": {*CONTRACT, "external_id", "created_at", "updated_at", "source"},
    "/claims/{external_id}": {*CLAIM, "external_id", "created_at", "updated_at"},
    "/staff/{external_id}": {"name", "email", "phone", "role", "external_id", "created_at", "updated_at"},
    "/tariff-accounts/{external_id}": {"name", "url", "external_id", "created_at", "updated_at"},
}


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def test_it_publishes_a_valid_openapi_3_document_without_a_token(openapi):
    validate(openapi)

    assert openapi["openapi"].startswith("3.")


@pytest.mark.parametrize(("path", "methods"), PORTFOLIO_TABLE.items(), ids=list(PORTFOLIO_TABLE))
def test_it_documents_every_call_of_the_portfolio_table(openapi, path, methods):
    documented = openapi["paths"].get("/api/v1" + path)

    assert documented is not None, f"{path} is not documented; documented: {sorted(openapi['paths'])}"
    assert methods <= set(documented)


def test_it_documents_that_every_call_needs_the_bearer_token(openapi):
    schemes = openapi["components"]["securitySchemes"]
    bearer = {name for name, scheme in schemes.items() if scheme == {"type": "http", "scheme": "bearer"}}

    assert bearer
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            assert {name for entry in operation["security"] for name in entry} <= bearer, (method, path)
            assert operation["security"], (method, path)


def test_it_documents_the_list_and_import_parameters(openapi):
    def parameters(path: str, method: str = "get") -> dict[str, dict[str, Any]]:
        operation = openapi["paths"]["/api/v1" + path][method]
        return {p["name"]: p for p in operation.get("parameters", [])}

    for path in ("/customers", "/contracts", "/claims", "/staff", "/lines", "/tariff-accounts"):
        assert {"limit", "cursor"} <= set(parameters(path)), path
        assert parameters(path)["limit"]["schema"].get("default") == 100
    assert "customer" in parameters("/contracts")
    assert {"customer", "contract"} <= set(parameters("/claims"))
    mode = parameters("/import", "post")["mode"]["schema"]
    assert mode.get("default") == "atomic"
    assert set(mode["enum"]) == {"atomic", "partial"}


def test_it_documents_the_status_codes_of_put_and_delete(openapi):
    for path, methods in PORTFOLIO_TABLE.items():
        operations = operations_of(openapi, path)
        if "put" in methods:
            assert {"200", "201", "401", "403", "404", "422"} <= set(operations["put"]["responses"]), path
            assert "requestBody" in operations["put"], path
        if "delete" in methods:
            assert {"204", "401", "403", "404"} <= set(operations["delete"]["responses"]), path


@pytest.mark.parametrize("path", list(ANSWER_FIELDS))
def test_it_documents_every_field_of_a_single_object_answer(openapi, path):
    schema = resolve(
        openapi,
        openapi["paths"]["/api/v1" + path]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ],
    )

    assert ANSWER_FIELDS[path] <= set(schema["properties"])


def test_it_documents_the_import_body_with_every_section(openapi):
    body = openapi["paths"]["/api/v1/import"]["post"]["requestBody"]["content"]["application/json"]["schema"]

    sections = set(resolve(openapi, body)["properties"])

    assert sections == {
        "staff",
        "lines",
        "tariff_accounts",
        "customers",
        "contracts",
        "claims",
        "documents",
        "delete",
    }


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> Path:
    """The static files as `einblick serve` collects them before it starts."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


def test_it_serves_the_interactive_docs_without_a_token(anonymous, settings, collected_static):
    settings.STATIC_ROOT = collected_static

    response = anonymous.get("/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"/api/v1/openapi.json" in response.content


def test_the_document_names_no_key_twice(anonymous):
    """JSON parsers keep the last of two equal keys, Swagger UI's YAML parser refuses the document
    (the attachment's 200 was documented once as a number and once as a string)."""
    twice: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        twice.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(items)

    json.loads(anonymous.get("/openapi.json").content, object_pairs_hook=pairs)

    assert twice == []


def test_the_interactive_docs_have_the_content_security_policy_of_every_page(anonymous):
    """No exception for Swagger UI: it starts from a script file (tests/browser/test_api_docs.py
    renders it in Chromium under this policy)."""
    response = anonymous.get("/docs")

    assert response["Content-Security-Policy"] == CSP
    assert "<script>" not in response.content.decode()
