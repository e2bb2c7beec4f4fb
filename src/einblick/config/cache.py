"""Django's database cache (the default cache without REDIS_URL: rate limits, used TOTP codes), except
that a write which finds SQLite still locked after its bounded wait raises — the request answers 503
(config/busy.py) — instead of failing silently: django-allauth reads a failed write of its rate-limit
lock as "limit reached", and a busy database answered logins with 429 "too many attempts"."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router

from einblick.errors import is_database_busy


class DatabaseCache(DjangoDatabaseCache):
    def _base_set(self, mode: str, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> bool:
        busy: list[DatabaseError] = []

        def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            try:
                return execute(sql, params, many, context)
            except DatabaseError as exc:
                if is_database_busy(exc):
                    busy.append(exc)
                raise

        connection = connections[router.db_for_write(self.cache_model_class)]
        with connection.execute_wrapper(watch):
            done = super()._base_set(mode, key, value, timeout)  # type: ignore[misc]
        if busy:
            raise busy[0]
        return bool(done)
