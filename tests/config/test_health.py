"""/healthz and /readyz (issue 15, item 10): for load balancers and monitors, without authentication and
without data; answered before the rest of the middleware, so that no Host check, redirect or session
gets in a load balancer's way."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http.request import validate_host
from django.test import Client

from einblick.accounts.middleware import SEEN_AT
from einblick.config import health
from tests.factories import client_of, make_staff, staff_client
from tests.ports import free_port

NOT_ALLOWED_HOST = "10.20.30.40:8000"  # the server's address, as a load balancer's probe names it


def assert_bare(response) -> None:
    """JSON, not cached, and no cookie of any kind."""
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies and "Set-Cookie" not in response


def test_healthz_answers_ok_without_touching_the_database():
    """No `db` fixture: pytest-django fails any test that touches the database."""
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert_bare(response)


def test_readyz_answers_ready_when_database_migrations_and_caches_are(db):
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert_bare(response)


def test_readyz_is_503_while_a_migration_is_not_applied(db, caplog):
    """A real unapplied migration: the database's record of the last migration of `processes` is
    taken back (inside the test's transaction, which rolls it back), and readyz asks the migration
    executor as `migrate` would."""
    graph = MigrationLoader(connection).graph
    last = next(node for node in graph.leaf_nodes() if node[0] == "processes")
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied(*last)
    try:
        response = Client().get("/readyz")
    finally:
        recorder.record_applied(*last)

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "migrations": False, "cache": True},
    }
    assert_bare(response)
    assert f"1 migrations are not applied, first {last[0]}.{last[1]}" in caplog.text
    assert Client().get("/readyz").status_code == 200  # recorded again: ready again


def test_readyz_is_503_when_a_cache_does_not_answer(db, settings):
    """The security state (rate limits, the TOTP replay guard) in a Redis nobody listens on."""
    unreachable = {"BACKEND": "django.core.cache.backends.redis.RedisCache"}
    unreachable["LOCATION"] = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "default": unreachable}

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "migrations": True, "cache": False},
    }


def test_the_database_checks_fail_for_a_database_that_does_not_answer(db, tmp_path):
    """The same engine as the tests' database, aimed where nothing answers: a PostgreSQL port nobody
    listens on, or an SQLite file in a directory that does not exist."""
    default = connections["default"]
    aimed = {**default.settings_dict}
    if default.vendor == "sqlite":
        aimed["NAME"] = str(tmp_path / "missing" / "einblick.sqlite3")
    else:
        aimed.update(HOST="127.0.0.1", PORT=str(free_port()))
    unreachable = type(default)(aimed, alias="unreachable")
    try:
        assert health.database_ready(default) and health.migrations_applied(default)
        assert not health.database_ready(unreachable)
        assert not health.migrations_applied(unreachable)
    finally:
        unreachable.close()


def test_a_probe_with_the_servers_address_as_host_is_answered(db):
    assert not validate_host(NOT_ALLOWED_HOST.split(":")[0], django_settings.ALLOWED_HOSTS)
    client = Client(HTTP_HOST=NOT_ALLOWED_HOST)

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json() == {"status": "ready"}


@pytest.mark.django_db(transaction=True)
def test_a_real_server_answers_a_probe_that_names_the_servers_address(live_server):
    """Over a socket, as a load balancer asks: the Host header is the server's IP, and HEAD too."""
    address = urlsplit(live_server.url)
    probe = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        for method, path in [("GET", "/healthz"), ("GET", "/readyz"), ("HEAD", "/readyz")]:
            probe.request(method, path, headers={"Host": NOT_ALLOWED_HOST})
            response = probe.getresponse()
            body = response.read()
            assert response.status == 200, (method, path, body)
            assert response.getheader("Cache-Control") == "no-store"
            assert response.getheader("Set-Cookie") is None
            if method == "GET":
                assert json.loads(body) in ({"status": "ok"}, {"status": "ready"})
    finally:
        probe.close()


def test_they_are_not_redirected_to_https(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    assert client.get("/accounts/login/").status_code == 301  # the rest of the site is
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_a_probe_with_a_session_neither_reads_nor_prolongs_it_and_gets_no_cookie(broker):
    client = staff_client(broker, "chefin@muster-makler.example")
    session = client.session
    idle_since = int(time.time()) - 120
    session[SEEN_AT] = idle_since
    session.save()

    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert_bare(response)
    assert client.session[SEEN_AT] == idle_since

    assert client.get("/staff/").status_code == 200  # a page does prolong it
    assert client.session[SEEN_AT] > idle_since


def test_staff_without_a_second_factor_are_not_sent_to_set_one_up(broker):
    client = client_of(make_staff(broker, "neu@muster-makler.example", totp=False))
    assert client.get("/staff/").status_code == 302  # to the second factor's setup

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json() == {"status": "ready"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_they_answer_get_and_head_only(db, path):
    client = Client()
    assert client.head(path).status_code == 200
    refused = client.post(path)
    assert refused.status_code == 405 and refused["Allow"] == "GET, HEAD"


def test_the_url_conf_names_them():
    from django.urls import reverse

    assert (reverse("healthz"), reverse("readyz")) == ("/healthz", "/readyz")
