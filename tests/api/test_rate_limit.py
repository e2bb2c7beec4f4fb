"""API rate limits (issue 15, item 3; api/throttle.py): per token, and per client address for requests
without a valid token; 429 with Retry-After in the API's error shape, before any work; a batch import
is one request; counted in the configured cache (the database cache, and Redis), shared by every server
process. The suite runs with the limits off (tests/conftest.py); each test here sets small ones."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from einblick.brokers.services import create_token, revoke_token
from einblick.config.env import env_rate
from einblick.portfolio.models import Customer
from tests.apiclient import Api, assert_error
from tests.caches import redis_default_cache
from tests.samples import person
from tests.servers import serving

# The middle of a window: a test's calls do not straddle two windows (time stands still).
START = datetime(2026, 12, 5, 10, 0, 30, tzinfo=UTC)


@pytest.fixture(params=["database", "redis"])
def cache_backend(request, settings) -> Iterator[str]:
    """The default database cache, and Redis (db 15) under a key prefix of this test's own, whose keys
    are removed afterwards."""
    if request.param == "redis":
        with redis_default_cache(settings):
            yield "redis"
    else:
        assert type(caches["default"]).__name__ == "DatabaseCache"
        yield "database"


@pytest.fixture
def limits(settings) -> Iterator[None]:
    """3 requests a minute per token, 2 without a valid token per address."""
    settings.API_RATE = (3, 60)
    settings.API_ANON_RATE = (2, 60)
    with time_machine.travel(START, tick=False):
        yield


def assert_limited(response: Any, retry_after: int = 30) -> None:
    assert_error(response, 429)
    assert response["Retry-After"] == str(retry_after)
    assert response["Cache-Control"] == "no-store"


def from_address(address: str, token: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(REMOTE_ADDR=address, headers=headers)


def test_a_token_gets_429_with_retry_after_once_it_has_made_its_requests(api, limits, cache_backend):
    answers = [api.get("/customers").status_code for _ in range(3)]
    refused = api.get("/customers")

    assert answers == [200, 200, 200]
    assert_limited(refused, retry_after=30)  # the minute's window ends 30 s after START
    assert refused.json() == {
        "detail": "Too many requests for this token: at most 3 per minute. Retry in 30 s.",
        "errors": [],
    }


def test_the_next_window_lets_the_token_in_again(api, limits, cache_backend):
    for _ in range(3):
        api.get("/customers")
    assert_limited(api.get("/customers"))

    with time_machine.travel(START + timedelta(seconds=29), tick=False):
        assert_limited(api.get("/customers"), retry_after=1)
    with time_machine.travel(START + timedelta(seconds=30), tick=False):
        assert api.get("/customers").status_code == 200


def test_each_token_has_its_own_count(api, broker, other_api, limits, cache_backend):
    _, second = create_token(broker=broker, name="Zweites System")
    for _ in range(3):
        api.get("/customers")
    assert_limited(api.get("/customers"))

    assert Api(second).get("/customers").status_code == 200
    assert other_api.get("/customers").status_code == 200


def test_a_refused_request_does_no_work(api, limits, sample):
    for _ in range(3):
        api.get("/customers")

    assert_limited(api.put("/customers/K-1", sample["customer"]))
    assert_limited(api.post("/import", {"customers": {"K-2": person("Muster", "Klara")}}))
    assert not Customer.objects.exists()


def test_a_batch_import_is_one_request_however_many_objects_it_holds(api, limits, cache_backend):
    batch = {"customers": {f"K-{n}": person(f"Kunde {n}", "Klara") for n in range(200)}}

    imported = api.post("/import", batch)
    second = api.get("/customers")
    third = api.get("/customers/K-7")
    fourth = api.get("/customers")

    assert imported.status_code == 200 and imported.json()["created"]["customers"] == 200
    assert (second.status_code, third.status_code) == (200, 200)
    assert_limited(fourth)


def test_every_kind_of_answer_counts(api, limits):
    """404s, 405s and refused bodies are requests too: a client cannot flood with them."""
    assert api.get("/nothing").status_code == 404
    assert api.post("/customers/K-1", {}).status_code == 405
    assert api.put("/customers/K-1", {"kind": "person"}).status_code == 422

    assert_limited(api.get("/customers"))


def test_requests_without_a_valid_token_are_limited_per_address(db, broker, limits, cache_backend):
    _, token = create_token(broker=broker, name="AMS")
    old, revoked = create_token(broker=broker, name="Alt")
    revoke_token(token=old)
    flood = "198.51.100.7"

    answers = [
        from_address(flood).get("/api/v1/customers").status_code,
        from_address(flood, "ebk_wrong").get("/api/v1/customers").status_code,
    ]
    refused = [
        from_address(flood, revoked).get("/api/v1/customers"),
        from_address(flood).get("/api/v1/docs"),
        from_address(flood).put("/api/v1/nothing"),
    ]

    assert answers == [401, 401]
    for response in refused:
        assert_limited(response)
    assert refused[0].json()["detail"] == (
        "Too many requests without a valid token from this address: at most 2 per minute. Retry in 30 s."
    )
    assert from_address("198.51.100.8").get("/api/v1/customers").status_code == 401  # another address
    assert from_address(flood, token).get("/api/v1/customers").status_code == 200  # a token counts apart


def test_an_ipv6_client_is_counted_by_its_64_bit_prefix(db, limits):
    assert from_address("2001:db8:1:2::1").get("/api/v1/customers").status_code == 401
    assert from_address("2001:db8:1:2:ffff::9").get("/api/v1/customers").status_code == 401

    assert_limited(from_address("2001:db8:1:2:abcd::1").get("/api/v1/customers"))
    assert from_address("2001:db8:1:3::1").get("/api/v1/customers").status_code == 401


def test_behind_a_proxy_the_address_the_proxy_saw_counts(db, limits, settings):
    settings.EINBLICK_BEHIND_PROXY = True
    proxy = "10.0.0.2"

    def via_proxy(client_address: str) -> int:
        client = Client(REMOTE_ADDR=proxy, headers={"X-Forwarded-For": f"203.0.113.66, {client_address}"})
        return int(client.get("/api/v1/customers").status_code)

    assert [via_proxy("192.0.2.1"), via_proxy("192.0.2.1"), via_proxy("192.0.2.1")] == [401, 401, 429]
    assert via_proxy("192.0.2.2") == 401


def test_a_limit_set_off_counts_nothing(api, settings):
    settings.API_RATE = None
    settings.API_ANON_RATE = (1, 60)

    assert [api.get("/customers").status_code for _ in range(5)] == [200] * 5


def test_a_failing_cache_lets_requests_pass_with_a_warning(api, settings, caplog):
    settings.API_RATE = (1, 60)
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    caplog.set_level(logging.WARNING, logger="einblick.api.throttle")

    assert [api.get("/customers").status_code for _ in range(2)] == [200, 200]
    assert "API rate limit not applied: the cache failed" in caplog.text


# --- configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rate"),
    [
        ("600/m", (600, 60)),
        ("10/s", (10, 1)),
        ("100/10s", (100, 10)),
        ("5000/h", (5000, 3600)),
        ("OFF", None),
    ],
)
def test_a_rate_is_read_from_the_environment(monkeypatch, raw, rate):
    monkeypatch.setenv("EINBLICK_API_RATE", raw)

    assert env_rate("EINBLICK_API_RATE", "600/m") == rate


@pytest.mark.parametrize("raw", ["600", "600/d", "0/m", "-1/m", "10/0s", "10/05s", "ten/m", "600 per minute"])
def test_a_bad_rate_fails_loudly_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("EINBLICK_API_RATE", raw)

    with pytest.raises(ImproperlyConfigured, match="EINBLICK_API_RATE"):
        env_rate("EINBLICK_API_RATE", "600/m")


def test_the_defaults_are_600_a_minute_per_token_and_60_per_address(monkeypatch):
    monkeypatch.delenv("EINBLICK_API_RATE", raising=False)
    monkeypatch.delenv("EINBLICK_API_ANON_RATE", raising=False)

    assert env_rate("EINBLICK_API_RATE", "600/m") == (600, 60)
    assert env_rate("EINBLICK_API_ANON_RATE", "60/m") == (60, 60)


# --- the real server ------------------------------------------------------------------------------


def test_the_real_server_counts_in_its_cache_over_its_workers(tmp_path):
    """`einblick serve` with two worker processes and the database cache its installation makes."""
    with serving(tmp_path, workers=2, EINBLICK_API_RATE="4/m", EINBLICK_API_ANON_RATE="off") as server:
        token = server.token()
        get = f"GET /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        if time.time() % 60 > 50:  # six requests take well under a second: all in one window
            time.sleep(60 - time.time() % 60)
        answers = [server.raw((get + "Connection: close\r\n\r\n").encode()) for _ in range(6)]

    assert [status for status, _, _ in answers] == [200, 200, 200, 200, 429, 429]
    _, headers, body = answers[-1]
    assert headers["content-type"].startswith("application/json")
    assert headers["cache-control"] == "no-store"
    assert 1 <= int(headers["retry-after"]) <= 60
    assert b"Too many requests for this token: at most 4 per minute" in body


def test_every_operation_documents_the_429(openapi):
    missing = [
        f"{method.upper()} {path}"
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
        if "429" not in operation["responses"]
    ]

    assert missing == []
