"""Shared fixtures: brokers, the personas, API tokens and clients, the SMTP sink, and the settings and
strictness every test runs under. Helpers live in modules of their own (tests/factories.py,
tests/samples.py, tests/apiclient.py, tests/pages.py, tests/mail.py, tests/mfa.py); test modules never
import each other (tests/test_layout.py)."""

from __future__ import annotations

import copy
import json
import logging
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.utils import translation

from einblick.brokers.models import Broker
from einblick.brokers.services import create_token
from tests.apiclient import Api
from tests.factories import (
    KLARA,
    Member,
    Persona,
    klaras_grant,
    make_broker,
    make_user,
    member_persona,
    persona,
    staff_persona,
)
from tests.mail import Sink, start_sink
from tests.samples import CLAIM, CONTRACT, CUSTOMER


@pytest.fixture
def broker(db) -> Broker:
    return make_broker("muster", "Muster Makler GmbH")


@pytest.fixture
def other_broker(db) -> Broker:
    return make_broker("andere", "Andere Makler AG")


# --- personas ----------------------------------------------------------------------------------------


@pytest.fixture
def broker_admin(broker: Broker) -> Persona:
    """Sina Staff, administrator of the broker, with a second factor, logged in."""
    return staff_persona(broker, "chefin@muster-makler.example", "admin", "Sina Staff")


@pytest.fixture
def broker_user(broker: Broker) -> Persona:
    """Max Betreuer, staff of the broker with role user (the inbox, no settings), logged in."""
    return staff_persona(broker, "max@muster-makler.example", "user", "Max Betreuer")


@pytest.fixture
def other_broker_admin(other_broker: Broker) -> Persona:
    """The administrator of the other broker, logged in."""
    return staff_persona(other_broker, "chef@andere.example", "admin", "Chef Andere")


@pytest.fixture
def klara(broker: Broker) -> Member:
    """Klara Muster, customer K-1 with contract V-1 (HR-4711), logged in as an active member of the
    grant "Familie Muster" that shares it (private view, messages to the broker)."""
    return member_persona(klaras_grant(broker), KLARA)


@pytest.fixture
def outsider(db) -> Persona:
    """Otto Außen: an account and a login, but a member of no grant and staff of no broker."""
    return persona(make_user("otto.aussen@example.org"))


# --- the API --------------------------------------------------------------------------------------


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
def documents_dir(settings) -> Path:
    """The directory of the "documents" storage, emptied: what the test finds there, it stored (files
    that earlier tests' rolled-back transactions would have removed on commit stay behind otherwise)."""
    root = Path(settings.STORAGES["documents"]["OPTIONS"]["location"])
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


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
    """For the whole run: fast password hashing, and the files Einblick writes (uploads, documents, the
    outbox, the portal's file cache) in a temporary data directory of this run. With pytest-xdist each
    worker has its own (its own basetemp), so parallel workers never read each other's cache entries or
    uploads, whose keys and names come from each worker's own database. The API's rate limits are off: a test makes
    more calls in a minute than any AMS should, and its counting writes to the database cache, which
    the tests that compare queries would see; tests/api/test_rate_limit.py turns them on."""
    data = tmp_path_factory.mktemp("data")
    caches: dict[str, dict[str, Any]] = copy.deepcopy(django_settings.CACHES)
    if caches["portal"]["BACKEND"].endswith("FileBasedCache"):
        caches["portal"]["LOCATION"] = str(data / "cache" / "portal")
    storages: dict[str, Any] = copy.deepcopy(django_settings.STORAGES)
    storages["documents"]["OPTIONS"]["location"] = data / "documents"
    with override_settings(
        PASSWORD_HASHERS=[FAST_HASHER, *PRODUCTION_HASHERS],
        STORAGES=storages,
        CACHES=caches,
        UPLOAD_ROOT=data / "uploads",
        EMAIL_OUTBOX_DIR=data / "outbox",
        MEDIA_ROOT=data / "media",
        API_RATE=None,
        API_ANON_RATE=None,
    ):
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_stray_database_sessions(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """At the end of a PostgreSQL run, the test database must be free to drop. A session some test
    left open (a thread's connection that was never closed) would make pytest-django's DROP DATABASE
    fail after every test passed; it is reported here by what it ran last, and ended, so that the run
    says what leaked instead of failing on the teardown."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 200) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        stray = cursor.fetchall()
        for pid, application, state, query in stray:
            sys.stderr.write(f"\nA test left a database session open: {application!r} {state} {query!r}\n")
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture(autouse=True)
def _argon2_when_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """@pytest.mark.argon2: the test hashes as production does."""
    if request.node.get_closest_marker("argon2") is None:
        yield
        return
    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS):
        yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the installation's language (German), whatever a request of the test
    before activated (the language middleware activates per request and never resets)."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


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
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        context = frame.f_locals.get("context")
        template = getattr(context, "template", None)
        if template is not None and getattr(template, "origin", None) is not None:
            return "site-packages" in str(template.origin.name)
        frame = frame.f_back
    return False


@pytest.fixture(autouse=True)
def _strict_templates(settings) -> None:
    """Strictness: an unknown template variable fails the test."""
    templates = [dict(engine, OPTIONS=dict(engine.get("OPTIONS", {}))) for engine in settings.TEMPLATES]
    for engine in templates:
        engine["OPTIONS"]["string_if_invalid"] = _InvalidVariable("%s")
    settings.TEMPLATES = templates
