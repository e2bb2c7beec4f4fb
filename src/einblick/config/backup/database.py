"""The database in a backup: SQLite copied with its online backup API, PostgreSQL dumped by pg_dump,
each as one consistent snapshot taken while the server keeps writing; and the way back."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connections, transaction
from django.db.backends.postgresql.client import DatabaseClient

from einblick.config.backup.archive import BackupError, copy_file
from einblick.processes.models import StoredFile

SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
# What pg_restore needs to recreate the schema in an empty database that another role may own.
PG_RESTORE_OPTIONS = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]

StoredFiles = dict[str, str]  # stored name → sha256, as the snapshot knows them


def engine() -> str:
    vendor = connections["default"].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups know SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _stored_files_query() -> str:
    """Every uploaded file the database knows, with its sha256: the tables of every kind of StoredFile
    (Attachment, DraftFile, and whatever comes)."""
    models = [model for model in apps.get_models() if issubclass(model, StoredFile)]
    return " UNION ALL ".join(
        f"SELECT stored, sha256 FROM {model._meta.db_table}"  # noqa: S608 - table names, no input
        for model in models
    )


# --- SQLite ----------------------------------------------------------------------------------------


def sqlite_path() -> Path:
    return Path(connections["default"].settings_dict["NAME"])


def dump_sqlite(backup: Path) -> tuple[dict[str, Any], StoredFiles]:
    """Copy the live database page by page in one step of SQLite's online backup API: one read
    transaction, so the copy is the database as of one moment, while writers go on (WAL)."""
    source = sqlite_path()
    if not source.is_file():
        raise BackupError(f"There is no database at {source} yet: nothing to back up.")
    connection = connections["default"]
    connection.ensure_connection()
    target = backup / SQLITE_FILE
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        integrity = check_sqlite(copy)
        stored = dict(copy.execute(_stored_files_query()).fetchall())
    target.chmod(0o600)
    return {"engine": "sqlite", "path": SQLITE_FILE, "integrity_check": integrity}, stored


def check_sqlite(connection: sqlite3.Connection) -> str:
    result = "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check").fetchall())
    if result != "ok":
        raise BackupError(f"PRAGMA integrity_check of the copy says: {result}")
    return result


def restore_sqlite(source: Path, sha256: str) -> None:
    """The copy under a temporary name first, renamed into place once it is complete and intact."""
    target = sqlite_path()
    partial = target.with_name(target.name + ".restoring")
    try:
        _, written = copy_file(source, partial)
        if written != sha256:
            raise BackupError(
                f"Copying {source} went wrong (sha256 differs); nothing of the database is in place."
            )
        with closing(sqlite3.connect(partial)) as copy:
            check_sqlite(copy)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


# --- PostgreSQL ------------------------------------------------------------------------------------


def _pg_connection() -> tuple[list[str], dict[str, str], str]:
    """Host, port and user as options; the password and TLS settings as libpq's variables."""
    settings_dict = connections["default"].settings_dict
    if not settings_dict.get("NAME"):
        raise BackupError("DATABASE_URL names no database.")
    options: list[str] = []
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if settings_dict.get(key):
            options += [flag, str(settings_dict[key])]
    _, variables = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    return options, {**os.environ, **(variables or {})}, str(settings_dict["NAME"])


def _tool(name: str) -> str | None:
    return shutil.which(name)


def _run(command: list[str], variables: dict[str, str]) -> str:
    done = subprocess.run(command, env=variables, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed:\n{done.stderr.strip()}")
    return done.stdout


def dump_postgres(backup: Path) -> tuple[dict[str, Any], StoredFiles]:
    """pg_dump in the custom format, from a snapshot this process exports and keeps open while it
    reads which uploaded files that snapshot knows: database and file list are of the same moment."""
    pg_dump = _tool("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not installed, so the PostgreSQL database cannot be backed up; nothing was written. "
            "Install PostgreSQL's client tools of the server's major version or newer (Debian/Ubuntu: "
            "apt-get install postgresql-client) and run the backup again."
        )
    options, variables, name = _pg_connection()
    target = backup / POSTGRES_FILE
    connection = connections["default"]
    connection.ensure_connection()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            [pg_dump, *options, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", name],
            variables,
        )
        cursor.execute(_stored_files_query())
        stored = dict(cursor.fetchall())
    target.chmod(0o600)
    version = _run([pg_dump, "--version"], variables).strip()
    listed = _tool("pg_restore")
    entries = len(_run([listed, "--list", str(target)], variables).splitlines()) if listed else None
    return {"engine": "postgresql", "path": POSTGRES_FILE, "pg_dump": version, "toc_entries": entries}, stored


def postgres_is_empty() -> list[str]:
    """The tables the target database has already (a restore wants none)."""
    return sorted(connections["default"].introspection.table_names())


def restore_command(source: Path, *, pg_restore: str = "pg_restore") -> list[str]:
    options, _, name = _pg_connection()
    return [pg_restore, *PG_RESTORE_OPTIONS, *options, f"--dbname={name}", str(source)]


def restore_postgres(source: Path) -> str | None:
    """pg_restore into the empty database; without pg_restore, the exact command to run instead."""
    pg_restore = _tool("pg_restore")
    if pg_restore is None:
        return shlex.join(restore_command(source))
    _, variables, _ = _pg_connection()
    connections["default"].close()
    _run(restore_command(source, pg_restore=pg_restore), variables)
    return None
