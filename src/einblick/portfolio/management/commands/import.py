"""`einblick import FILE --broker SLUG [--mode atomic|partial]`: the batch import from a JSON file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.db import IntegrityError, transaction

from einblick.brokers.models import Broker
from einblick.brokers.services import data_changed
from einblick.errors import DomainError, FieldError
from einblick.portfolio.importing import DELETABLE, SECTIONS, BatchResult, check_shape, import_batch

# A file is applied in batches of this size (one transaction around all of them in atomic mode).
# Within a batch, references to objects rejected earlier say so; across batches they read "does not
# exist", and atomic mode stops at the first batch with errors.
CHUNK = 10_000


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
        results: list[BatchResult] = []
        done = 0
        try:
            total = check_shape(data)
            with transaction.atomic():  # in atomic mode, one failing chunk undoes the whole file
                for chunk in split(data):
                    result = import_batch(broker=tenant, actor=None, data=chunk, mode=mode, announce=False)  # type: ignore[arg-type]
                    results.append(result)
                    done += check_shape(chunk)
                    self._progress(done, total)
                if any(result.changed for result in results):
                    data_changed(tenant.pk)  # once, just before the commit: no lock on the broker meanwhile
        except DomainError as exc:
            sys.stderr.write("\n")
            self._errors(exc.errors)
            raise CommandError(f"{exc.message} Nothing was imported.") from None
        except IntegrityError:
            raise CommandError(
                "Another process changed the same objects meanwhile. Nothing was imported."
            ) from None
        sys.stderr.write("\n")
        self._summary(results)

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
