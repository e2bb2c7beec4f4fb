"""The API's edge against the real server (`einblick serve`, gunicorn) with raw HTTP: a chunked body
(Transfer-Encoding, no Content-Length) reaches Django without a length, and Django would read it as
empty; it is refused with 411 instead (issue 15, item 4). Unknown paths answer JSON whatever the
method, also over the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.servers import Server, serving

CUSTOMER = json.dumps({"kind": "company", "company_name": "Musterfirma GmbH"}).encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    with serving(tmp_path_factory.mktemp("served")) as server:
        yield server, server.token()


def request(method: str, path: str, token: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {token}"]
    lines += [f"{name}: {value}" for name, value in {"Connection": "close", **headers}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(body: bytes, size: int = 16) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in parts) + b"0\r\n\r\n"


def test_a_chunked_body_is_refused_with_411_and_nothing_is_written(served):
    server, token = served
    status, headers, body = server.raw(
        request(
            "PUT",
            "/api/v1/customers/K-CHUNKED",
            token,
            {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            chunked(CUSTOMER),
        )
    )

    assert status == 411
    assert headers["content-type"].startswith("application/json")
    assert headers["cache-control"] == "no-store"
    assert json.loads(body) == {
        "detail": "A request body needs a Content-Length header; chunked bodies are not accepted.",
        "errors": [],
    }
    status, _, _ = server.raw(request("GET", "/api/v1/customers/K-CHUNKED", token, {}))
    assert status == 404


def test_a_chunked_import_is_refused_with_411(served):
    server, token = served
    batch = json.dumps({"customers": {"K-BATCH": json.loads(CUSTOMER)}}).encode()
    status, headers, body = server.raw(
        request(
            "POST",
            "/api/v1/import",
            token,
            {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            chunked(batch),
        )
    )

    assert status == 411 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["detail"].startswith("A request body needs a Content-Length")
    status, _, _ = server.raw(request("GET", "/api/v1/customers/K-BATCH", token, {}))
    assert status == 404


def test_the_same_body_with_its_length_is_taken(served):
    server, token = served
    status, headers, body = server.raw(
        request(
            "PUT",
            "/api/v1/customers/K-LENGTH",
            token,
            {"Content-Type": "application/json", "Content-Length": str(len(CUSTOMER))},
            CUSTOMER,
        )
    )

    assert status == 201, body
    assert json.loads(body)["company_name"] == "Musterfirma GmbH"
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
def test_an_unknown_path_answers_json_over_the_wire(served, method):
    server, token = served
    for path in ("/api/v1/nothing", "/api/v1/contracts/V%2Fx"):
        status, headers, body = server.raw(
            request(method, path, token, {"Content-Type": "application/json", "Content-Length": "2"}, b"{}")
        )
        assert status == 404, body
        assert headers["content-type"].startswith("application/json")
        assert json.loads(body) == {"detail": "Not found.", "errors": []}
