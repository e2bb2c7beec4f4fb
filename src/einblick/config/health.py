"""Health endpoints for load balancers and monitors (issue 15, item 10).

- GET /healthz: the process answers. 200 {"status": "ok"}; touches nothing else, not the database.
- GET /readyz: ready to serve. The database answers a trivial query, every migration of this code is
  applied, and each cache stores and returns a key: 200 {"status": "ready"}, else 503
  {"status": "unavailable", "checks": {"database": …, "migrations": …, "cache": …}} with booleans and
  nothing else (a WARNING in the log names what failed and why).

No authentication, no data, `Cache-Control: no-store`. HealthMiddleware, first in MIDDLEWARE, answers
both before any other middleware runs, so they are the same for every caller: whatever the Host header
(a load balancer probes with the server's IP, which ALLOWED_HOSTS need not list; these answers build
nothing from the host), never redirected (to https, a slash, a login or the second factor), and
without a session: no cookie is set, and a probe that carries a session cookie neither reads nor
prolongs the session. The URL conf lists them as well (reverse("readyz")), where they are reached only
if the middleware is not installed."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.core.cache import BaseCache, caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)


def database_ready(connection: BaseDatabaseWrapper) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as exc:  # whatever the driver raises: not ready
        log.warning("readyz: the database does not answer: %s", exc)
        return False


def migrations_applied(connection: BaseDatabaseWrapper) -> bool:
    """No migration of this code waits to be applied to the database (what `migrate` would do)."""
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        log.warning("readyz: the migrations cannot be read: %s", exc)
        return False
    if plan:
        log.warning("readyz: %d migrations are not applied, first %s", len(plan), plan[0][0])
    return not plan


def cache_ready(cache: BaseCache) -> bool:
    key, value = f"einblick:readyz:{secrets.token_hex(8)}", secrets.token_hex(8)
    try:
        cache.set(key, value, timeout=30)
        stored = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        log.warning("readyz: a cache does not answer: %s", exc)
        return False
    return bool(stored == value)


def checks() -> dict[str, bool]:
    connection = connections[DEFAULT_DB_ALIAS]
    return {
        "database": database_ready(connection),
        "migrations": migrations_applied(connection),
        "cache": all([cache_ready(caches[alias]) for alias in caches.settings]),
    }


def _answer(payload: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(payload, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return _answer({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    result = checks()
    if all(result.values()):
        return _answer({"status": "ready"})
    response = _answer({"status": "unavailable", "checks": result}, status=503)
    # Not ready is a state a load balancer asks about (during a deploy, say), not a server error: the
    # checks above logged a WARNING; Django would log the 503 again as an ERROR.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


VIEWS: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthMiddleware:
    """First in MIDDLEWARE: answers /healthz and /readyz before anything else runs (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = VIEWS.get(request.path_info)
        return view(request) if view is not None else self.get_response(request)
