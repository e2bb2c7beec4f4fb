"""The batch import (api-v1.md "Batch import"): the one write path for the AMS's portfolio.

Every PUT of a single object is a batch of one, so an object is judged and written the same way
whichever door it comes through (docs/2026-11-27-one-write-path-for-the-portfolio.md).
"""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.db import OperationalError, connection, transaction

from einblick.audit.services import Actor, log_action
from einblick.brokers.models import Broker
from einblick.brokers.services import data_changed
from einblick.errors import FieldError, Invalid, TooLarge, is_database_busy
from einblick.portfolio.importing.apply import MODELS, apply
from einblick.portfolio.importing.shape import DELETABLE, SECTIONS, BatchResult, Mode, check_shape

__all__ = [
    "DELETABLE",
    "SECTIONS",
    "BatchResult",
    "Mode",
    "check_shape",
    "delete_object",
    "import_batch",
    "put_object",
]
Outcome = Literal["created", "updated", "unchanged"]


def import_batch(
    *, broker: Broker, actor: Actor, data: Any, mode: Mode = "atomic", announce: bool = True
) -> BatchResult:
    """Apply a batch. Atomic mode raises Invalid listing every error and writes nothing;
    partial mode applies every valid object and returns the rejected ones in `errors`.
    A caller that applies many batches in one transaction passes announce=False and calls
    data_changed() once before it commits (the broker's row stays locked from then until the commit)."""
    count = check_shape(data)
    if count > settings.IMPORT_MAX_OBJECTS:
        raise TooLarge(f"A batch holds at most {settings.IMPORT_MAX_OBJECTS} objects; this one has {count}.")
    with transaction.atomic():
        result = apply(broker, data)
        if mode == "atomic" and result.errors:
            transaction.set_rollback(True)
        elif result.changed:
            log_action(broker=broker, actor=actor, action="portfolio.import", data=result.summary())
            if announce:
                data_changed(broker.pk)
    if mode == "atomic" and result.errors:
        count = len(result.errors)
        raise Invalid(f"The batch was not applied: {count} error{'s' if count != 1 else ''}.", result.errors)
    _refresh_statistics(result)
    return result


def put_object(*, broker: Broker, actor: Actor, section: str, external_id: str, data: Any) -> Outcome:
    """Create or replace one object (PUT); raises Invalid with locations relative to the object."""
    with transaction.atomic():
        result = apply(broker, {section: {external_id: data}})
        if result.errors:
            raise Invalid("The object was not saved.", [FieldError(e.loc[2:], e.msg) for e in result.errors])
        outcome: Outcome = (
            "created" if result.created[section] else "updated" if result.updated[section] else "unchanged"
        )
        if outcome != "unchanged":
            data_changed(broker.pk)
            log_action(
                broker=broker,
                actor=actor,
                action=f"{section}.{outcome}",
                object_type=section,
                object_id=external_id,
            )
    return outcome


def delete_object(*, broker: Broker, actor: Actor, section: str, external_id: str) -> bool:
    """Delete one object and what hangs on it; False when there was none."""
    with transaction.atomic():
        deleted, _ = MODELS[section]._default_manager.filter(broker=broker, external_id=external_id).delete()
        if deleted:
            data_changed(broker.pk)
            log_action(
                broker=broker,
                actor=actor,
                action=f"{section}.deleted",
                object_type=section,
                object_id=external_id,
            )
    return bool(deleted)


def _refresh_statistics(result: BatchResult) -> None:
    """Keep the query planner's statistics current after large imports (SQLite has no autovacuum;
    PostgreSQL's autovacuum analyses new rows by itself)."""
    if connection.vendor == "sqlite" and sum(result.created.values()) >= 1000:
        # In a transaction of its own, which takes the write lock first (IMMEDIATE) and waits for it:
        # outside one, ANALYZE began as a read and met another write's commit with an immediate
        # "database is locked" that stopped a long import (seen in tests/test_sqlite_load.py). The
        # statistics are an optimisation: a busy database skips them until the next large import.
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("PRAGMA optimize")
        except OperationalError as exc:
            if not is_database_busy(exc):
                raise
