"""Shared fixtures: brokers, API tokens and clients, and the strictness every test runs under."""

from __future__ import annotations

import copy
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings

from einblick.brokers.models import Broker
from einblick.brokers.services import create_broker, create_token
from tests.mail import Sink, start_sink


class Api:
    """A JSON client for /api/v1 with one bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(
        self, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None, **params: Any
    ):
        url = "/api/v1" + path
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = {"headers": self.headers, "content_type": "application/json"}
        if method == "get":
            return self.client.get(url, params, headers=self.headers)
        if params:
            url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        return getattr(self.client, method)(url, data, **kwargs)

    def get(self, path: str, **params: Any):
        return self.call("get", path, **params)

    def put(self, path: str, body: Any = None, **kwargs: Any):
        return self.call("put", path, body, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any):
        return self.call("post", path, body, **kwargs)

    def delete(self, path: str):
        return self.call("delete", path)


def assert_error(response, status: int, *loc: str | int) -> list[dict[str, Any]]:
    """The error body of api-v1.md; with `loc`, some error's location ends with it."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert isinstance(error["loc"], list)
        assert isinstance(error["msg"], str) and error["msg"]
    if loc:
        locs = [error["loc"] for error in body["errors"]]
        assert any(found[-len(loc) :] == list(loc) for found in locs), f"no error at {loc}: {locs}"
    return body["errors"]


@pytest.fixture
def broker(db) -> Broker:
    return create_broker(slug="muster", name="Muster Makler GmbH")


@pytest.fixture
def other_broker(db) -> Broker:
    return create_broker(slug="andere", name="Andere Makler AG")


@pytest.fixture
def api(broker: Broker) -> Api:
    _, token = create_token(broker=broker, name="AMS")
    return Api(token)


@pytest.fixture
def read_only_api(broker: Broker) -> Api:
    _, token = create_token(broker=broker, name="Reporting", read_only=True)
    return Api(token)


@pytest.fixture
def other_api(other_broker: Broker) -> Api:
    _, token = create_token(broker=other_broker, name="AMS")
    return Api(token)


@pytest.fixture
def anonymous(db) -> Api:
    return Api(None)


@pytest.fixture
def smtp(settings) -> Iterator[Sink]:
    """A real SMTP server on a free port; Django sends to it through its SMTP backend."""
    sink = Sink()
    controller = start_sink(sink)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


CUSTOMER = {
    "kind": "person",
    "salutation": "Frau",
    "first_name": "Klara",
    "last_name": "Muster",
    "company_name": None,
    "birth_date": "1984-03-02",
    "emails": ["klara.muster@example.org"],
    "phone": "+49 89 1234567",
    "intermediary": None,
    "address": {"street": "Musterweg 1", "zip": "80331", "city": "München", "country": "DE"},
}
CONTRACT = {
    "customer": "K-1001",
    "number": "HR-4711",
    "line": "HRV",
    "insurer": "Beispiel Versicherung AG",
    "product": "Hausrat Komfort",
    "risk": "Wohnung Musterweg 1",
    "status": "EIGEN",
    "offer_date": None,
    "application_date": "2023-12-01",
    "document_date": "2024-01-10",
    "start_date": "2024-01-01",
    "end_date": None,
    "premium": "12.50",
    "payment_interval": "monthly",
    "intermediary": None,
    "risk_locations": [
        {"label": "Wohnung", "street": "Musterweg 1", "zip": "80331", "city": "München", "country": "DE"}
    ],
}
CLAIM = {
    "customer": "K-1001",
    "contract": "V-2001",
    "number": "S-2024-17",
    "loss_date": "2024-05-03",
    "status": "open",
    "description": "Leitungswasserschaden Küche",
    "amount_reserved": "2500.00",
    "amount_paid": None,
}


@pytest.fixture
def sample() -> dict[str, dict[str, Any]]:
    """Fresh copies of the api-v1.md examples."""
    return json.loads(json.dumps({"customer": CUSTOMER, "contract": CONTRACT, "claim": CLAIM}))


# Production hashes passwords with Argon2id, which costs tens of milliseconds per hash on purpose; the
# tests log in thousands of times. They hash with MD5 first (still a real hasher; the production hashers
# stay listed, so their hashes verify). A test about the production hashes is marked `argon2`.
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
PRODUCTION_HASHERS = list(django_settings.PASSWORD_HASHERS)


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """For the whole run: fast password hashing, and the files Einblick writes (uploads, the outbox, the
    portal's file cache) in a temporary data directory of this run. With pytest-xdist each worker has its
    own (its own basetemp), so parallel workers never read each other's cache entries or uploads, whose
    keys and names come from each worker's own database."""
    data = tmp_path_factory.mktemp("data")
    caches = copy.deepcopy(django_settings.CACHES)
    if caches["portal"]["BACKEND"].endswith("FileBasedCache"):
        caches["portal"]["LOCATION"] = str(data / "cache" / "portal")
    with override_settings(
        PASSWORD_HASHERS=[FAST_HASHER, *PRODUCTION_HASHERS],
        CACHES=caches,
        UPLOAD_ROOT=data / "uploads",
        EMAIL_OUTBOX_DIR=data / "outbox",
        MEDIA_ROOT=data / "media",
    ):
        yield


@pytest.fixture(autouse=True)
def _argon2_when_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """@pytest.mark.argon2: the test hashes as production does."""
    if request.node.get_closest_marker("argon2") is None:
        yield
        return
    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS):
        yield


@pytest.fixture(autouse=True)
def _no_logged_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Strictness: a test fails when anything logs an ERROR (a 500 logs one)."""
    caplog.set_level(logging.WARNING)
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, f"logged errors: {[r.getMessage() for r in errors]}"


@pytest.fixture(autouse=True)
def _plain_static_files(settings) -> None:
    """Tests run without `collectstatic`: static URLs come from the finders, not a manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


class _InvalidVariable(str):
    """Fails on an unknown variable in our templates. django-allauth's own templates test variables
    by printing them ({{ authenticators.totp }}), so pages whose top template is allauth's are let be."""

    def __mod__(self, name: object) -> str:
        if _top_template_is_third_party():
            return ""
        raise AssertionError(f"unknown template variable {name!r}")


def _top_template_is_third_party() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        context = frame.f_locals.get("context")
        template = getattr(context, "template", None)
        if template is not None and getattr(template, "origin", None) is not None:
            return "site-packages" in str(template.origin.name)
        frame = frame.f_back  # type: ignore[assignment]
    return False


@pytest.fixture(autouse=True)
def _strict_templates(settings) -> None:
    """Strictness: an unknown template variable fails the test."""
    templates = [dict(engine, OPTIONS=dict(engine.get("OPTIONS", {}))) for engine in settings.TEMPLATES]
    for engine in templates:
        engine["OPTIONS"]["string_if_invalid"] = _InvalidVariable("%s")
    settings.TEMPLATES = templates
