"""`einblick import FILE --broker SLUG [--mode atomic|partial]`: the batch import from a JSON file, with
the rules of `POST /import` (office.admins: the broker keeps an administrator who can log in)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.db import IntegrityError, OperationalError, connection, transaction

from einblick.brokers.models import Broker
from einblick.brokers.services import data_changed
from einblick.errors import DomainError, FieldError, is_database_busy
from einblick.office.admins import import_keeping_an_admin
from einblick.portfolio.importing import DELETABLE, SECTIONS, BatchResult, check_shape

# A file is applied in batches of this size (one transaction around all of them in atomic mode).
# Within a batch, references to objects rejected earlier say so; across batches they read "does not
# exist", and atomic mode stops at the first batch with errors.
CHUNK = 10_000
# Partial mode on SQLite: the pause after each committed chunk, longer than the 100 ms at which a
# waiting writer asks for the lock again, so that the portal's and the API's writes get in between.
PAUSE = 0.15
# SQLite: how long the import waits for the write lock before each chunk. Longer than a request's
# EINBLICK_SQLITE_TIMEOUT: nobody waits at a screen for it, and SQLite queues nobody, so steady writes
# from the API could otherwise crowd it out.
LOCK_WAIT = 60


def split(data: dict[str, Any], size: int = CHUNK) -> Iterator[dict[str, Any]]:
    """Cut a batch of any size into batches of the same shape, keeping the order of the sections."""
    chunk: dict[str, Any] = {}
    count = 0
    for section in SECTIONS:
        for key, value in (data.get(section) or {}).items():
            chunk.setdefault(section, {})[key] = value
            count += 1
            if count == size:
                yield chunk
                chunk, count = {}, 0
    for section in DELETABLE:
        for key in (data.get("delete") or {}).get(section) or []:
            chunk.setdefault("delete", {}).setdefault(section, []).append(key)
            count += 1
            if count == size:
                yield chunk
                chunk, count = {}, 0
    if chunk:
        yield chunk


@contextmanager
def waiting_longer_for_the_lock() -> Iterator[None]:
    """On SQLite, the import's connection waits up to LOCK_WAIT for the write lock meanwhile."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA busy_timeout = {LOCK_WAIT * 1000}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {before}")


class Command(BaseCommand):
    help = "Import a portfolio batch (the shape of POST /api/v1/import) from a JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--broker", required=True)
        parser.add_argument("--mode", choices=["atomic", "partial"], default="atomic")

    @no_translations  # the command line speaks English, as the API does
    def handle(self, *args: Any, file: Path, broker: str, mode: str, **options: Any) -> None:
        try:
            tenant = Broker.objects.get(slug=broker)
        except Broker.DoesNotExist:
            raise CommandError(f"No broker with the slug {broker!r}.") from None
        try:
            data = orjson.loads(file.read_bytes())  # as the API parses: no NaN, no 65-bit integers
        except (OSError, orjson.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        self.results: list[BatchResult] = []
        self.done = 0
        try:
            self.total = check_shape(data)
            with waiting_longer_for_the_lock():
                if mode == "atomic":
                    self._atomic(tenant, data)
                else:
                    self._partial(tenant, data)
        except DomainError as exc:
            sys.stderr.write("\n")
            self._errors(exc.errors)
            raise CommandError(f"{exc.message} {self._kept(mode)}") from None
        except IntegrityError:
            raise CommandError(
                f"Another process changed the same objects meanwhile. {self._kept(mode)}"
            ) from None
        except OperationalError as exc:
            if not is_database_busy(exc):
                raise
            raise CommandError(
                f"The database stayed locked by other writes for more than {LOCK_WAIT} s. {self._kept(mode)}"
            ) from None
        sys.stderr.write("\n")
        self._summary(self.results)

    def _atomic(self, tenant: Broker, data: dict[str, Any]) -> None:
        """One transaction around every chunk: one failing chunk undoes the whole file. On SQLite that
        transaction holds the database's one write lock from the first chunk to the commit."""
        holds_lock = connection.vendor == "sqlite"
        if holds_lock:
            self.stderr.write(
                "Atomic mode holds the database for the whole batch: meanwhile every other write (portal, "
                f"office, API) waits up to {settings.SQLITE_TIMEOUT} s and then answers 503. "
                f"--mode partial commits every {CHUNK:,} objects and lets them in between."
            )
        started = time.monotonic()
        with transaction.atomic():
            for chunk in split(data):
                self._apply(tenant, chunk, "atomic", announce=False)
                if holds_lock and len(self.results) == 1 and self.done < self.total:
                    estimate = (time.monotonic() - started) * self.total / self.done
                    sys.stderr.write(
                        f"\nThe first {self.done:,} objects took {time.monotonic() - started:.1f} s: "
                        f"the database stays held for about {estimate:.0f} s in all.\n"
                    )
            if any(result.changed for result in self.results):
                data_changed(tenant.pk)  # once, just before the commit: no lock on the broker meanwhile
        if holds_lock:
            sys.stderr.write(f"\nThe database was held for {time.monotonic() - started:.1f} s.")

    def _partial(self, tenant: Broker, data: dict[str, Any]) -> None:
        """Each chunk commits on its own (and tells the portal's cache), so the import never holds
        SQLite's write lock longer than one chunk; between chunks waiting writers get their turn."""
        for chunk in split(data):
            self._apply(tenant, chunk, "partial", announce=True)
            if connection.vendor == "sqlite" and self.done < self.total:
                time.sleep(PAUSE)

    def _apply(self, tenant: Broker, chunk: dict[str, Any], mode: str, *, announce: bool) -> None:
        result = import_keeping_an_admin(broker=tenant, actor=None, data=chunk, mode=mode, announce=announce)  # type: ignore[arg-type]
        self.results.append(result)
        self.done += check_shape(chunk)
        self._progress(self.done, self.total)

    def _kept(self, mode: str) -> str:
        """What a failed import leaves behind, in a sentence."""
        if mode == "atomic" or not self.done:
            return "Nothing was imported."
        return (
            f"The first {self.done:,} of {self.total:,} objects were imported; import the file again to "
            "finish (unchanged objects are skipped)."
        )

    def _progress(self, done: int, total: int) -> None:
        width = 40
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} objects")
        sys.stderr.flush()

    def _errors(self, errors: list[FieldError]) -> None:
        for error in errors[:200]:
            self.stderr.write(f"  {'/'.join(str(part) for part in error.loc)}: {error.msg}")
        if len(errors) > 200:
            self.stderr.write(f"  … and {len(errors) - 200} more")

    def _summary(self, results: list[BatchResult]) -> None:
        self.stdout.write(f"{'':16}{'created':>10}{'updated':>10}{'unchanged':>10}{'deleted':>10}")
        for section in SECTIONS:
            row = [
                sum(getattr(r, kind)[section] for r in results)
                for kind in ("created", "updated", "unchanged")
            ]
            deleted = sum(r.deleted.get(section, 0) for r in results)
            self.stdout.write(f"{section:16}{row[0]:>10,}{row[1]:>10,}{row[2]:>10,}{deleted:>10,}")
        errors = [error for r in results for error in r.errors]
        if errors:
            rejected = len({error.loc[:2] for error in errors})
            self.stdout.write(self.style.WARNING(f"{rejected} objects were rejected ({len(errors)} errors):"))
            self._errors(errors)
