"""API rate limits (issue 15): each token may make settings.API_RATE requests per window (default 600
a minute, EINBLICK_API_RATE); requests without a valid token (none, a wrong or a revoked one)
settings.API_ANON_RATE per client address (default 60 a minute, EINBLICK_API_ANON_RATE; IPv6 per /64,
which one client holds whole). Every request counts once, whatever it does: a batch import of 50,000
objects is one request. Over the limit the API answers 429 with Retry-After in its error shape, before
any work.

Fixed windows, counted in the default cache, which every server process shares: Redis when REDIS_URL
is set (SET NX and INCR: exact under parallel requests), else the database cache (a read and a write:
parallel requests may be undercounted by a few). Around a window's boundary up to twice the rate can
pass, which is enough to keep one client from monopolising the server. When the cache fails, requests
pass and a warning is logged: the limit guards the API's availability and must not take it down."""

from __future__ import annotations

import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError

from einblick.api.auth import bearer, find_token
from einblick.api.http import json_error
from einblick.audit.context import client_ip

logger = logging.getLogger(__name__)
CACHE_ERRORS = (DatabaseError, RedisError, OSError)
UNITS = {1: "second", 60: "minute", 3600: "hour"}
_ANONYMOUS = "without a valid token from this address"


def throttle(request: HttpRequest) -> HttpResponse | None:
    """Count the request; a 429 when it is one too many."""
    if settings.API_RATE is None and settings.API_ANON_RATE is None:
        return None
    raw = bearer(request)
    token = find_token(request, raw) if raw else None
    if token is not None:
        rate, key, who = settings.API_RATE, f"token:{token.pk}", "for this token"
    else:
        rate, key, who = settings.API_ANON_RATE, f"address:{_address(request)}", _ANONYMOUS
    if rate is None:
        return None
    limit, seconds = rate
    now = time.time()
    window = int(now // seconds)
    try:
        count = _count(f"einblick:api-rate:{key}:{seconds}:{window}", seconds)
    except CACHE_ERRORS as exc:
        logger.warning("API rate limit not applied: the cache failed (%s: %s)", type(exc).__name__, exc)
        return None
    if count <= limit:
        return None
    retry = max(1, math.ceil((window + 1) * seconds - now))
    response = json_error(
        429, f"Too many requests {who}: at most {limit} per {_per(seconds)}. Retry in {retry} s."
    )
    response["Retry-After"] = str(retry)
    return response


def _count(key: str, seconds: int) -> int:
    """This window's requests so far, this one included."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        cache.add(key, 0, timeout=seconds + 1)
        try:
            return int(cache.incr(key))
        except ValueError:  # the key expired between the two calls
            cache.set(key, 1, timeout=seconds + 1)
            return 1
    # The database cache's incr is a get and a set too, and would reset the key's expiry.
    count = int(cache.get(key) or 0) + 1
    cache.set(key, count, timeout=seconds + 1)
    return count


def _address(request: HttpRequest) -> str:
    ip = client_ip(request) or "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _per(seconds: int) -> str:
    if seconds in UNITS:
        return UNITS[seconds]
    unit = max(u for u in UNITS if seconds % u == 0)
    return f"{seconds // unit} {UNITS[unit]}s"
