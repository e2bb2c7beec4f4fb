"""The import's few hand-written statements: key lookups and bulk inserts, for SQLite and PostgreSQL.

The ORM's IN lookups and bulk_create prepare every value in Python and were most of an import's
time; here the driver adapts values itself (docs/2026-11-27-one-write-path-for-the-portfolio.md).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, models

from einblick.brokers.models import Broker

CHUNK = 900  # keys per IN (...) clause, below SQLite's oldest parameter limit


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def lookup(
    broker: Broker, model: type[models.Model], keys: Iterable[str], *extra: str, key: str = "external_id"
) -> dict[str, Any]:
    """key → pk, or key → (pk, *extra columns) when extra columns are named, for one broker's rows."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in (key, "id", *extra))
    select = f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE broker_id = %s AND {quote(key)}"  # noqa: S608
    found: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for chunk in chunks(set(keys)):
            if connection.vendor == "postgresql":  # one array parameter, one plan
                cursor.execute(f"{select} = ANY(%s)", [broker.pk, chunk])
            else:
                cursor.execute(f"{select} IN ({', '.join(['%s'] * len(chunk))})", [broker.pk, *chunk])
            for found_key, *rest in cursor.fetchall():
                found[found_key] = rest[0] if not extra else tuple(rest)
    return found


def insert(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT rows (dicts of attribute names, all with the same keys): COPY on PostgreSQL, one
    executemany per chunk on SQLite. Database errors arrive as Django's (IntegrityError, …)."""
    if not rows:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    names = list(rows[0])
    fields = [by_attname[name] for name in names]
    adapters = [_adapter(f) for f in fields]
    quote = connection.ops.quote_name
    table = f"{quote(model._meta.db_table)} ({', '.join(quote(str(f.column)) for f in fields)})"
    values = ([adapt(row[name]) for name, adapt in zip(names, adapters, strict=True)] for row in rows)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        for chunk in chunks(values):
            cursor.executemany(sql, chunk)


def _adapter(field: models.Field[Any, Any]) -> Any:
    if isinstance(field, models.DateTimeField):
        # Nearly every value is the batch's one timestamp: adapting it once saves ~10 % of an insert.
        return functools.lru_cache(maxsize=8)(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return lambda value: value  # text, numbers, keys, dates and decimals: the driver adapts them
