"""A document's file against the real server (`einblick serve`, gunicorn) with raw HTTP: what the test
client cannot send — a length over the limit with no body behind it, a chunked body, a body that ends
before its Content-Length — and a file up and down the wire. Nothing refused leaves a file behind."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Server, serving

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
CUSTOMER = {"kind": "company", "company_name": "Musterfirma GmbH"}
DOCUMENT = {
    "customer": "K-1",
    "title": "Versicherungsschein",
    "kind": "policy",
    "keywords": ["POLICE"],
    "filename": "police.pdf",
}
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    with serving(tmp_path_factory.mktemp("documents")) as server:
        token = server.token()
        for path, body in (("/api/v1/customers/K-1", CUSTOMER), ("/api/v1/documents/D-1", DOCUMENT)):
            status, _, answer = server.raw(request("PUT", path, token, json_body(body)))
            assert status == 201, answer
        yield server, token


def json_body(body: dict) -> tuple[dict[str, str], bytes]:
    data = json.dumps(body).encode()
    return {"Content-Type": "application/json", "Content-Length": str(len(data))}, data


def request(
    method: str, path: str, token: str, headers_and_body: tuple[dict[str, str], bytes] = ({}, b"")
) -> bytes:
    headers, body = headers_and_body
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {token}",
        "Connection: close",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def stored(server: Server) -> set[str]:
    root = Path(server.env["EINBLICK_DATA_DIR"]) / "documents"
    return {path.name for path in root.rglob("*") if path.is_file()}


def test_a_file_goes_up_and_comes_back_over_the_wire(served):
    server, token = served
    body = PDF + b"\x00" * (3 * MiB)
    headers = {"Content-Type": "application/pdf", "Content-Length": str(len(body))}

    status, _, answer = server.raw(request("PUT", "/api/v1/documents/D-1/content", token, (headers, body)))

    assert status == 200, answer
    assert json.loads(answer) == {
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "content_type": "application/pdf",
    }
    status, headers, content = server.raw(request("GET", "/api/v1/documents/D-1/content", token))
    assert status == 200 and content == body
    assert headers["content-disposition"] == 'attachment; filename="police.pdf"'
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"
    assert len(stored(server)) == 1


def test_a_length_over_100_mib_is_refused_before_a_byte_of_the_body_is_sent(served):
    server, token = served
    before = stored(server)
    headers = {"Content-Type": "application/pdf", "Content-Length": str(100 * MiB + 1)}

    status, headers, answer = server.raw(
        request("PUT", "/api/v1/documents/D-1/content", token, (headers, b""))
    )

    assert status == 413 and headers["content-type"].startswith("application/json")
    assert json.loads(answer)["detail"] == f"The request body is larger than {100 * MiB} bytes."
    assert stored(server) == before


def test_a_body_without_a_length_is_refused_and_nothing_is_stored(served):
    server, token = served
    before = stored(server)
    chunk = PDF + b"\x00" * 1000
    chunked = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n"
    headers = {"Content-Type": "application/pdf", "Transfer-Encoding": "chunked"}

    status, _, answer = server.raw(request("PUT", "/api/v1/documents/D-1/content", token, (headers, chunked)))

    assert status == 411, answer
    assert stored(server) == before


def test_a_body_that_ends_before_its_length_is_refused_and_nothing_is_stored(served):
    server, token = served
    before = stored(server)
    headers = {"Content-Type": "application/pdf", "Content-Length": "500000"}

    status, _, answer = server.raw(
        request("PUT", "/api/v1/documents/D-1/content", token, (headers, PDF + b"\x00" * 1000)),
        half_close=True,
    )

    assert status == 400, answer
    assert json.loads(answer)["errors"][0]["loc"] == ["body"]
    assert stored(server) == before


def test_a_renamed_html_page_is_refused_and_nothing_is_stored(served):
    server, token = served
    before = stored(server)
    page = b"<!doctype html><html><script>alert(1)</script></html>"
    headers = {"Content-Type": "application/pdf", "Content-Length": str(len(page))}

    status, _, answer = server.raw(request("PUT", "/api/v1/documents/D-1/content", token, (headers, page)))

    assert status == 422, answer
    assert stored(server) == before
