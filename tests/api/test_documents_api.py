"""The documents of api-v1.md: metadata by PUT/GET/DELETE, the list, the batch import, and the file
by PUT/GET /documents/{id}/content, with every refusal of issue 16's list of bad input."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory
from django.test.client import ClientHandler

from einblick.portfolio.models import Document
from tests.apiclient import Api, assert_error
from tests.samples import CLAIM, CONTRACT, CUSTOMER, DOCUMENT, HOSTILE, JPEG, png

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
MiB = 1024 * 1024


def put_content(api: Api, external_id: str, body: bytes, content_type: str | None, **extra: Any) -> Any:
    """The body as it is; CONTENT_TYPE also for an empty body (the test client leaves it out then)."""
    kwargs: dict[str, Any] = {"headers": api.headers, "CONTENT_TYPE": content_type or "", **extra}
    return api.client.put(f"/api/v1/documents/{external_id}/content", body, **kwargs)


def download(api: Api, external_id: str) -> tuple[Any, bytes | None]:
    """The answer of GET .../content, and the file when it is one. Reading the file to its end closes
    the answer as the test client does (closing it by hand would end the test's database connection
    on PostgreSQL: request_finished)."""
    response: Any = api.client.get(f"/api/v1/documents/{external_id}/content", headers=api.headers)
    return response, b"".join(response.streaming_content) if response.streaming else None


def stored_files(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def portfolio(api: Api, documents_dir: Path) -> Path:
    """K-1001 with contract V-2001 and claim S-1, another customer K-2 with V-2, and document D-1 (the
    api-v1.md example) without its file yet; the (empty) documents storage directory."""
    for path, body in (
        ("/customers/K-1001", CUSTOMER),
        ("/customers/K-2", {"kind": "company", "company_name": "Andere GmbH"}),
        ("/contracts/V-2001", CONTRACT),
        ("/contracts/V-2", {**CONTRACT, "customer": "K-2"}),
        ("/claims/S-1", CLAIM),
        ("/claims/S-2", {**CLAIM, "customer": "K-2", "contract": None}),
        ("/documents/D-1", DOCUMENT),
    ):
        assert api.put(path, body).status_code == 201, path
    return documents_dir


# --- metadata -------------------------------------------------------------------------------------------


def test_put_creates_and_replaces_a_document_and_get_answers_it_with_its_file_fields(api, portfolio):
    answer = api.get("/documents/D-1").json()
    assert {key: answer[key] for key in DOCUMENT} == DOCUMENT
    assert (answer["external_id"], answer["size"], answer["sha256"], answer["content_type"]) == (
        "D-1",
        None,
        None,
        None,
    )
    assert answer["created_at"] and answer["updated_at"]

    replaced = api.put("/documents/D-1", {**answer, "title": "Neu", "keywords": ["NEU"]})

    assert replaced.status_code == 200
    assert replaced.json()["title"] == "Neu" and replaced.json()["keywords"] == ["NEU"]


def test_delete_removes_a_document_and_then_answers_404(api, portfolio):
    assert api.delete("/documents/D-1").status_code == 204
    assert_error(api.get("/documents/D-1"), 404)
    assert_error(api.delete("/documents/D-1"), 404)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"customer": "K-9"}, "customer", "customer K-9 does not exist"),
        ({"contract": "V-2"}, "contract", "contract V-2 belongs to another customer"),
        ({"contract": None, "claim": "S-2"}, "claim", "claim S-2 belongs to another customer"),
        ({"kind": "brief"}, "kind", None),
        ({"keywords": ["POLICE", "kein Code"]}, "keywords", None),
        ({"filename": "a/b.pdf"}, "filename", None),
        ({"title": None}, "title", None),
        ({"farbe": "blau"}, "farbe", None),
    ],
)
def test_bad_metadata_is_refused_naming_the_field_and_nothing_is_written(
    api, portfolio, changes, field, message
):
    response = api.put("/documents/D-9", {**DOCUMENT, **changes})

    errors = assert_error(response, 422)
    assert any(error["loc"][:2] == ["body", field] for error in errors), errors
    if message:
        assert message in [error["msg"] for error in errors]
    assert_error(api.get("/documents/D-9"), 404)


def test_the_list_filters_by_customer_contract_claim_and_keyword_and_pages(api, portfolio):
    api.put("/documents/D-2", {**DOCUMENT, "contract": None, "claim": "S-1", "keywords": ["SCHADEN"]})
    api.put("/documents/D-3", {**DOCUMENT, "customer": "K-2", "contract": "V-2", "keywords": ["police"]})

    def listed(**params: Any) -> list[str]:
        body = api.get("/documents", **params).json()
        return [item["external_id"] for item in body["items"]]

    assert listed() == ["D-1", "D-2", "D-3"]
    assert listed(customer="K-1001") == ["D-1", "D-2"]
    assert listed(contract="V-2") == ["D-3"]
    assert listed(claim="S-1") == ["D-2"]
    assert listed(keyword="POLICE") == ["D-1"]  # exactly, case-sensitive
    assert listed(keyword="police") == ["D-3"]
    first = api.get("/documents", limit=2).json()
    assert [item["external_id"] for item in first["items"]] == ["D-1", "D-2"] and first["next"] == "D-2"
    assert listed(cursor=first["next"]) == ["D-3"]


def test_the_batch_import_takes_documents_and_their_deletion(api, portfolio):
    response = api.post(
        "/import",
        {"documents": {"D-2": {**DOCUMENT, "contract": None}}, "delete": {"documents": ["D-1"]}},
    )

    assert response.status_code == 200, response.content
    assert response.json()["created"]["documents"] == 1
    assert response.json()["deleted"]["documents"] == 1
    assert_error(api.get("/documents/D-1"), 404)
    assert api.get("/documents/D-2").json()["contract"] is None


def test_the_batch_import_names_a_documents_bad_reference(api, portfolio):
    response = api.post("/import", {"documents": {"D-2": {**DOCUMENT, "claim": "S-2"}}})

    errors = assert_error(response, 422)
    assert [(e["entity"], e["external_id"], e["field"], e["msg"]) for e in errors] == [
        ("documents", "D-2", "claim", "claim S-2 belongs to another customer")
    ]


# --- the file ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (PDF, "application/pdf"),
        (JPEG, "image/jpeg"),
        (png(), "image/png"),
        (b"II*\x00" + b"\x00" * 60, "image/tiff"),
    ],
)
def test_the_file_goes_up_and_comes_back_as_an_attachment(api, portfolio, body, content_type):
    response = put_content(api, "D-1", body, content_type)

    assert response.status_code == 200, response.content
    digest = hashlib.sha256(body).hexdigest()
    assert response.json() == {"size": len(body), "sha256": digest, "content_type": content_type}
    answer = api.get("/documents/D-1").json()
    assert (answer["size"], answer["sha256"], answer["content_type"]) == (len(body), digest, content_type)
    assert len(stored_files(portfolio)) == 1

    answer, content = download(api, "D-1")

    assert answer.status_code == 200
    assert content == body
    assert answer["Content-Type"] == content_type
    extension = {
        "application/pdf": "pdf",
        "image/jpeg": "pdf.jpg",
        "image/png": "pdf.png",
        "image/tiff": "pdf.tif",
    }
    assert answer["Content-Disposition"] == f'attachment; filename="police-2024.{extension[content_type]}"'
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Cache-Control"] == "no-store"


def test_a_file_name_outside_ascii_is_sent_safely(api, portfolio):
    api.put("/documents/D-1", {**DOCUMENT, "filename": 'Schäden "2024"; x.pdf'})
    put_content(api, "D-1", PDF, "application/pdf")

    answer, _ = download(api, "D-1")

    disposition = answer["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert '"' not in disposition.split("''", 1)[1] and ";" not in disposition.split("''", 1)[1]


def test_the_metadata_of_a_document_keeps_its_file(api, portfolio):
    put_content(api, "D-1", PDF, "application/pdf")

    api.put("/documents/D-1", {**DOCUMENT, "title": "Neu"})

    assert api.get("/documents/D-1").json()["size"] == len(PDF)
    assert download(api, "D-1")[1] == PDF


def test_a_document_without_its_file_has_no_content_yet(api, portfolio):
    assert_error(download(api, "D-1")[0], 404)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "loc"),
    [
        (PDF, None, 415, ["header", "Content-Type"]),
        (PDF, "text/html", 415, ["header", "Content-Type"]),
        (PDF, "application/octet-stream", 415, ["header", "Content-Type"]),
        (HOSTILE["an HTML page"], "application/pdf", 422, ["body"]),
        (HOSTILE["an SVG"], "image/png", 422, ["body"]),
        (HOSTILE["an HTML page"], "image/png", 422, ["body"]),
        (HOSTILE["an SVG"], "application/pdf", 422, ["body"]),
        (JPEG, "image/png", 422, ["body"]),
        (b"", "application/pdf", 422, ["body"]),
    ],
)
def test_content_of_another_type_than_it_says_is_refused_and_nothing_is_stored(
    api, portfolio, body, content_type, status, loc
):
    response = put_content(api, "D-1", body, content_type)

    errors = assert_error(response, status)
    assert [error["loc"] for error in errors] == [loc]
    assert stored_files(portfolio) == set()
    assert api.get("/documents/D-1").json()["size"] is None


def test_content_over_the_limit_is_refused_by_its_length_before_it_is_read(api, portfolio):
    response = put_content(api, "D-1", PDF, "application/pdf", CONTENT_LENGTH=str(100 * MiB + 1))

    assert_error(response, 413)
    assert stored_files(portfolio) == set()


def test_content_up_to_the_limit_passes_the_api_edge(api, portfolio, settings):
    """The content route's limit is DOCUMENT_MAX_BYTES, not the API's 1 MiB for other bodies."""
    body = PDF + b"\x00" * (2 * MiB)

    response = put_content(api, "D-1", body, "application/pdf")

    assert response.status_code == 200, response.content
    assert response.json()["size"] == len(body)


def test_content_for_an_unknown_document_is_404(api, portfolio):
    assert_error(put_content(api, "D-9", PDF, "application/pdf"), 404)
    assert stored_files(portfolio) == set()


def test_another_brokers_document_is_404_for_its_content(api, other_api, portfolio):
    put_content(api, "D-1", PDF, "application/pdf")
    before = stored_files(portfolio)

    assert_error(put_content(other_api, "D-1", JPEG, "image/jpeg"), 404)
    assert_error(download(other_api, "D-1")[0], 404)
    assert_error(other_api.get("/documents/D-1"), 404)
    assert stored_files(portfolio) == before


def test_a_read_only_token_may_download_but_not_upload(api, read_only_api, portfolio):
    put_content(api, "D-1", PDF, "application/pdf")
    before = stored_files(portfolio)

    assert_error(put_content(read_only_api, "D-1", JPEG, "image/jpeg"), 403)
    assert_error(read_only_api.put("/documents/D-1", DOCUMENT), 403)
    assert download(read_only_api, "D-1")[1] == PDF
    assert stored_files(portfolio) == before


def test_no_token_no_content(anonymous, portfolio):
    assert_error(put_content(anonymous, "D-1", PDF, "application/pdf"), 401)
    assert_error(download(anonymous, "D-1")[0], 401)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/customers/K-1001", "/contracts/V-2001", "/claims/S-1", "/documents/D-1"])
def test_deleting_through_the_api_removes_the_file_once_committed(api, portfolio, path):
    api.put("/documents/D-1", {**DOCUMENT, "claim": "S-1"})  # on V-2001 and its claim S-1
    put_content(api, "D-1", PDF, "application/pdf")
    put_content(api, "D-1", JPEG, "image/jpeg")  # the first file goes with this commit
    assert len(stored_files(portfolio)) == 1
    api.put("/documents/D-2", {**DOCUMENT, "customer": "K-2", "contract": "V-2"})
    put_content(api, "D-2", PDF, "application/pdf")
    kept = {Document.objects.get(external_id="D-2").stored}

    assert api.delete(path).status_code == 204

    assert stored_files(portfolio) == kept


@pytest.mark.django_db(transaction=True)
def test_deleting_in_a_batch_removes_the_files_once_committed(api, portfolio):
    put_content(api, "D-1", PDF, "application/pdf")

    response = api.post("/import", {"delete": {"customers": ["K-1001"]}})

    assert response.json()["deleted"]["customers"] == 1
    assert stored_files(portfolio) == set()


def test_an_upload_of_20_mb_is_not_held_in_memory(api, portfolio):
    """The whole stack (middleware, token, view, storage) reads the body in chunks: the memory Python
    allocates while it runs stays far below the body's size."""
    body = PDF + b"\x00" * (20 * 1000 * 1000)
    request = RequestFactory().put(
        "/api/v1/documents/D-1/content", body, content_type="application/pdf", headers=api.headers
    )
    handler = ClientHandler()

    tracemalloc.start()
    try:
        response: Any = handler(request.environ)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 200, response.content
    assert json.loads(response.content)["size"] == len(body)
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes for a body of {len(body)}"


# --- what the OpenAPI document says -----------------------------------------------------------------------


def test_the_openapi_document_states_the_content_types_and_the_metadata_rules(anonymous):
    document = anonymous.get("/openapi.json").json()
    put = document["paths"]["/api/v1/documents/{external_id}/content"]["put"]
    assert set(put["requestBody"]["content"]) == {"application/pdf", "image/jpeg", "image/png", "image/tiff"}
    assert {"413", "415"} <= set(put["responses"])
    get = document["paths"]["/api/v1/documents/{external_id}/content"]["get"]
    assert set(get["responses"]["200"]["content"]) == set(put["requestBody"]["content"])
    schema = document["components"]["schemas"]["DocumentIn"]["properties"]
    assert schema["kind"]["enum"] == ["policy", "endorsement", "invoice", "letter", "claim", "other"]
    assert schema["keywords"]["maxItems"] == 50
    assert schema["keywords"]["items"]["pattern"] == "^[A-Za-z0-9._:-]{1,64}$"
    assert schema["title"]["maxLength"] == 200
