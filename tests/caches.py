"""The default cache on Redis for one test, for the tests of what counts in the cache (login and API
rate limits): db 15 under a key prefix of the test's own, whose keys are removed afterwards, so that
parallel runs never meet."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

REDIS_URL = "redis://127.0.0.1:6379/15"


@contextmanager
def redis_default_cache(settings: Any) -> Iterator[None]:
    """Within: the default cache is Redis (the other caches stay); afterwards something must have been
    written there, and it is removed."""
    prefix = f"einblick-test-{uuid.uuid4().hex}"
    server = redis.Redis.from_url(REDIS_URL)
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        },
    }
    try:
        yield
        assert any(server.scan_iter(f"{prefix}:*")), "nothing was written to Redis"
    finally:
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)
        server.close()
