"""What the benchmarks share: a fresh database per run and Django set up on it."""

from __future__ import annotations

import os
import tempfile

# Contract statuses as the generated portfolios draw them (EIGEN, the usual one, three times as often).
STATUSES = [
    "ANFRAGE",
    "ANGEBOT",
    "EIGEN",
    "EIGEN",
    "EIGEN",
    "FREMD",
    "FREMDTEIL",
    "GESPERRT",
    "INFO",
    "RUHEND",
    "STORNO",
]
LINES = ["KFZ", "HRV", "PHV", "WGV", "UNF", "RS", "LV", "BU", "KV", "GL"]
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/einblick_bench")


def start_django(db: str, *, reuse: bool = False) -> None:
    """Django on a new SQLite file in a temporary data directory, or on PG_URL dropped and created anew
    (kept as it is with `reuse`: a benchmark that finds its portfolio there skips building it)."""
    os.environ["EINBLICK_DATA_DIR"] = tempfile.mkdtemp(prefix="einblick-bench-")
    if db == "postgres":
        if not reuse:
            _recreate_pg_database()
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "einblick.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _recreate_pg_database() -> None:
    import psycopg

    name = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
