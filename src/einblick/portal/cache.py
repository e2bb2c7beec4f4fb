"""What a grant shows, kept in the cache between requests (rendered tables, the dashboard's cards, the
filters' options), keyed by everything it depends on:

- the grant and its last change (Grant.updated_at),
- the broker's data version (Broker.data_version: raised in the transaction of every import, delete
  and grant write, so the next request after a commit computes anew),
- the language, and what the page was asked for (filters, sort, page; hashed, so no search term is
  part of a key),
- the release: a digest of Einblick's code and templates, so that nothing computed by an earlier
  release is served after an upgrade.

What may change without a data version (the clerk's name, the broker's colours, the permissions of
visibility.md §6) is never cached: the page frame renders it on each request. Entries also expire after
TIMEOUT, a bound for anything missed. The cache is the `portal` alias (config/env.py: files in the data
directory, or Redis with REDIS_URL), apart from the security state in `default`; both sit with the
database in the same trust zone. A cache that fails is skipped: the page is computed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import cache as once
from pathlib import Path
from typing import Any, TypeVar

from django.core.cache import caches
from django.utils.translation import get_language

from einblick.grants.models import Grant

T = TypeVar("T")
TIMEOUT = 600  # seconds
log = logging.getLogger(__name__)


@once
def release() -> str:
    """A digest of the package's Python files, templates and translations (the same in every worker)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".html", ".mo", ".txt"} and path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    locale = root.parents[1] / "locale"
    for path in sorted(locale.rglob("*.mo")) if locale.is_dir() else []:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def key(grant: Grant, name: str, parts: tuple[Any, ...] = ()) -> str:
    asked = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
    stamp = f"{grant.broker.data_version}.{grant.updated_at.timestamp():.6f}"
    return f"{release()}:grant:{grant.pk}:{stamp}:{get_language()}:{name}:{asked}"


def cached(grant: Grant, name: str, parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """The value for this grant, name and parts: from the cache, or computed and kept."""
    entry = key(grant, name, parts)
    try:  # a cache that fails (a full disk, Redis away) must not fail the page
        value = caches["portal"].get(entry)
    except Exception:
        log.warning("portal cache: read failed", exc_info=True)
        value = None
    if value is None:
        value = compute()
        try:
            caches["portal"].set(entry, value, TIMEOUT)
        except Exception:
            log.warning("portal cache: write failed", exc_info=True)
    return value
