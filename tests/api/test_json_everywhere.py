"""api-v1.md "Conventions": every answer under /api/v1, for any path and any method, is JSON in the
API's error shape and carries `Cache-Control: no-store` (issue 15, item 4). The clients here check
CSRF as a browser's request is checked; the attack was PUT/POST/DELETE on an unknown path answering
Django's HTML CSRF page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from einblick.accounts.models import User
from einblick.processes import services
from einblick.processes.models import Attachment, Process
from tests.apiclient import assert_error
from tests.factories import load, make_grant, member_client
from tests.samples import JPEG, person

METHODS = ["get", "head", "post", "put", "patch", "delete", "options"]
UNKNOWN = [
    "/api/v1/nothing",
    "/api/v1/contracts/V%2Fx",  # an encoded slash: no external id has one
    "/api/v1/customers/K%2F1/x",
    "/api/v1/customers/",
    "/api/v1/",
    "/api/v1",
    "/api/v2/customers",
    "/api/",
]


def answer(client: Client, method: str, path: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method in ("get", "head", "options"):
        return getattr(client, method)(path, headers=headers)
    return getattr(client, method)(
        path, b'{"kind": "person"}', content_type="application/json", headers=headers
    )


def assert_json_error(response: Any, status: int) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    if response.request["REQUEST_METHOD"] != "HEAD":
        assert_error(response, status)


@pytest.mark.parametrize("path", UNKNOWN)
@pytest.mark.parametrize("method", METHODS)
def test_an_unknown_path_is_a_json_404_for_every_method(db, api, method, path):
    token = api.headers["Authorization"].removeprefix("Bearer ")
    for client_token in (token, None, "wrong"):
        response = answer(Client(enforce_csrf_checks=True), method, path, client_token)
        assert_json_error(response, 404)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_signed_in_browser_gets_json_and_no_csrf_page(broker_admin, api, method):
    """Cookies of a signed-in session neither authenticate the API nor make it ask for a CSRF token."""
    client = broker_admin.client
    client.handler.enforce_csrf_checks = True
    assert_json_error(answer(client, method, "/api/v1/nothing"), 404)
    assert_json_error(answer(client, method, "/api/v1/customers/K-1"), 405 if method == "post" else 401)


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_an_encoded_slash_in_an_external_id_is_a_json_404(api, method):
    response = answer(
        Client(enforce_csrf_checks=True), method, "/api/v1/contracts/V%2Fx", api.headers["Authorization"][7:]
    )
    assert_json_error(response, 404)
    assert response.json() == {"detail": "Not found.", "errors": []}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("post", "/api/v1/customers/K-1", {"GET", "PUT", "DELETE"}),
        ("patch", "/api/v1/customers/K-1", {"GET", "PUT", "DELETE"}),
        ("delete", "/api/v1/customers", {"GET"}),
        ("options", "/api/v1/customers", {"GET"}),
        ("put", "/api/v1/import", {"POST"}),
        ("get", "/api/v1/import", {"POST"}),
    ],
)
def test_a_wrong_method_on_a_known_path_is_a_json_405_naming_the_allowed_ones(api, method, path, allowed):
    response = answer(Client(enforce_csrf_checks=True), method, path, api.headers["Authorization"][7:])

    assert_json_error(response, 405)
    assert response.json()["detail"] == "This method is not allowed here."
    assert set(response["Allow"].replace(" ", "").split(",")) == allowed
    assert "default-src 'self'" in response["Content-Security-Policy"]  # the page's other headers stay


def test_a_host_outside_allowed_hosts_is_a_json_400(api, caplog):
    response = Client().get("/api/v1/customers", headers={"Host": "evil.example", **api.headers})

    assert_json_error(response, 400)
    assert [r.name for r in caplog.records if r.levelname == "ERROR"] == ["django.security.DisallowedHost"]
    caplog.clear()


def test_a_server_error_is_json(api, monkeypatch, caplog):
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("einblick.office.admins.import_keeping_an_admin", broken)
    client = Client(raise_request_exception=False)
    response = client.post("/api/v1/import", {}, content_type="application/json", headers=api.headers)

    assert_json_error(response, 500)
    assert response.json()["detail"] == "Internal error; it has been logged."
    assert {r.name for r in caplog.records if r.levelname == "ERROR"} == {"django.request"}
    caplog.clear()


@pytest.fixture
def attachment(broker) -> Attachment:
    clerk = {"name": "Max Betreuer", "email": "max@makler.example", "role": "user"}
    load(broker, staff={"U-1": clerk}, customers={"K-1": person("Muster", "Klara")})
    grant = make_grant(broker, "Familie Muster", ["K-1"], primary_contact=True, messages=True, clerk="U-1")
    member_client(grant, "klara@example.org")
    services.start_message(
        grant=grant,
        user=User.objects.get(email="klara@example.org"),
        subject="Foto",
        body="Anbei",
        uploads=[SimpleUploadedFile("schaden.jpg", JPEG, content_type="image/jpeg")],
    )
    return Attachment.objects.get()


def test_an_attachment_download_is_not_stored_by_caches(api, attachment):
    process = Process.objects.get()
    response = api.get(f"/processes/{process.pk}/attachments/{attachment.pk}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store"


def test_the_docs_and_the_openapi_document_are_not_stored_by_caches(db):
    for path in ("/api/v1/docs", "/api/v1/openapi.json"):
        response = Client().get(path)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("encoding", ["chunked", "gzip, chunked"])
def test_a_body_without_a_length_is_refused_with_411(api, encoding):
    """WSGI gives Django no length for it, and Django would read it as empty (the real server:
    tests/api/test_served.py)."""
    response = api.client.put(
        "/api/v1/customers/K-1",
        b"",
        content_type="application/json",
        headers={**api.headers, "Transfer-Encoding": encoding},
    )

    assert_json_error(response, 411)
    assert api.get("/customers/K-1").status_code == 404
