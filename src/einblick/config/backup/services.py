"""Backing up a running installation and restoring it into an empty one (`einblick backup DEST`,
`einblick restore SRC`).

A backup directory holds:

    manifest.json                 written last: what is in the backup, each file with its sha256
    database.sqlite3              SQLite: a copy made with the online backup API
    database.pgdump               PostgreSQL: pg_dump's custom format
    files/uploads/…, files/media/…  the uploaded files (UPLOAD_ROOT) and the default storage (MEDIA_ROOT)
    keys/secret_key, keys/einblick_mfa_key   the keys, when they were generated into the data directory

The database is copied first, as one snapshot; the files after it. A file the snapshot knows is checked
against the sha256 the database holds for it; one that was deleted meanwhile is named in the manifest.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils import timezone

from einblick.config import env
from einblick.config.backup import database as db
from einblick.config.backup.archive import (
    FORMAT,
    BackupError,
    Entry,
    copy_file,
    copy_tree,
    entry_for,
    inside,
    make_folder,
    read_manifest,
    regular_files,
    verify,
    write_manifest,
)
from einblick.config.backup.keys import MFA_KEY, SECRET_KEY, back_up_keys, check_keys, key_files, restore_keys
from einblick.processes.files import path_of

KEEP_OFF_SITE = (
    "the whole backup directory, encrypted and readable only by operators: it holds the database, the "
    "uploaded files and, unless they come from the environment, the keys, so whoever has it can read "
    "everything."
)


@dataclass
class Outcome:
    folder: Path
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    pending: str | None = None  # restore: the command that still has to restore the database


def roots() -> dict[str, Path]:
    """Where uploaded files live, by their folder in the backup. The documents' files when their
    storage is a directory here; object storage keeps (and backs up) its files itself."""
    found = {"uploads": Path(settings.UPLOAD_ROOT), "media": Path(settings.MEDIA_ROOT)}
    documents = storages["documents"]
    if isinstance(documents, FileSystemStorage):
        found["documents"] = Path(documents.location)
    return found


# --- backup ----------------------------------------------------------------------------------------


def make_backup(*, folder: Path) -> Outcome:
    """The database first (one snapshot), then the files, then the keys; the manifest last."""
    folder = folder.absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(
            f"{folder} exists and is not empty: a backup goes into a new or empty directory and never "
            "overwrites anything."
        )
    kind = db.engine()
    created = not folder.exists()
    make_folder(folder)
    try:
        database, stored = db.dump_sqlite(folder) if kind == "sqlite" else db.dump_postgres(folder)
        database.update(entry_for(folder, database["path"]))
        files = [
            entry for name, root in roots().items() for entry in copy_tree(root, folder, f"files/{name}")
        ]
        keys = back_up_keys(folder)
        problems = _compare(stored, files)
        separate = [name for name, entry in keys.items() if entry["source"] == "environment"]
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "einblick": importlib.metadata.version("einblick"),
            "data_dir": str(settings.DATA_DIR),
            "database": database,
            "files": files,
            "keys": keys,
            "problems": problems,
            "keep_off_site": KEEP_OFF_SITE,
            "keep_separately": separate,
        }
        write_manifest(folder, manifest)
    except BaseException:
        _discard(folder, created)
        raise
    return Outcome(folder, manifest, warnings=problems)


def _compare(stored: db.StoredFiles, files: list[Entry]) -> list[str]:
    """The uploaded files the database snapshot names, against the copies made after it."""
    copied = {entry["path"]: entry["sha256"] for entry in files}
    upload_root = Path(settings.UPLOAD_ROOT)
    problems = []
    for name, sha256 in sorted(stored.items()):
        try:
            relative = "files/uploads/" + path_of(name).relative_to(upload_root).as_posix()
        except ValueError:
            continue
        if relative not in copied:
            problems.append(
                f"{relative}: named by the database but gone before it was copied (deleted meanwhile?)"
            )
        elif copied[relative] != sha256:
            problems.append(f"{relative}: its sha256 differs from the one the database holds")
    return problems


def _discard(folder: Path, created: bool) -> None:
    """A failed backup leaves no half backup behind (and an empty directory given to it empty)."""
    if created:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


# --- restore ---------------------------------------------------------------------------------------


def restore_backup(*, folder: Path) -> Outcome:
    """Everything is checked before anything is written: the manifest and every sha256, an empty
    target, the keys. A refusal leaves the data directory as it was (the key files this process
    generated when it loaded the settings go again)."""
    folder = folder.absolute()
    try:
        manifest = read_manifest(folder)
        database = manifest["database"]
        kind = db.engine()
        if database["engine"] != kind:
            raise BackupError(_engine_mismatch(database["engine"], kind))
        _refuse_occupied(kind)
        if database["path"] not in (db.SQLITE_FILE, db.POSTGRES_FILE):
            raise BackupError(f"The manifest names an unknown database file: {database['path']!r}")
        targets = [(entry, _target_of(folder, entry)) for entry in manifest["files"]]
        entries: list[Entry] = [database, *manifest["files"], *key_files(manifest)]
        verify(folder, entries)
        warnings = check_keys(folder, manifest)
    except BackupError:
        for path in env.GENERATED:
            path.unlink(missing_ok=True)
        raise
    pending = None
    try:
        restore_keys(folder, manifest)
        if kind == "sqlite":
            db.restore_sqlite(folder / database["path"], database["sha256"])
        else:
            pending = db.restore_postgres(folder / database["path"])  # one transaction: all or nothing
        for entry, target in targets:
            _, written = copy_file(folder / entry["path"], target)
            if written != entry["sha256"]:
                raise BackupError(f"Copying {entry['path']} to {target} went wrong: its sha256 differs.")
    except BaseException:
        _undo(kind)
        raise
    return Outcome(folder, manifest, warnings=warnings + manifest.get("problems", []), pending=pending)


def _undo(kind: str) -> None:
    """A restore that failed half-way (a full disk) takes back what it wrote, so that it can be run
    again: the target held nothing of this before (checked), only what this process generated."""
    for name in (SECRET_KEY, MFA_KEY):
        env.secret_file(name, Path(settings.DATA_DIR)).unlink(missing_ok=True)
    if kind == "sqlite":
        db.sqlite_path().unlink(missing_ok=True)
    for root in roots().values():
        shutil.rmtree(root, ignore_errors=True)


def _engine_mismatch(backed_up: str, configured: str) -> str:
    if backed_up == "sqlite":
        return (
            "The backup holds a SQLite database, and this installation is configured for PostgreSQL "
            "(DATABASE_URL). Restore it as it was, without DATABASE_URL; moving to PostgreSQL is a step "
            "of its own (README, Backup and restore)."
        )
    return (
        "The backup holds a PostgreSQL dump, and this installation is configured for SQLite: set "
        "DATABASE_URL to an empty PostgreSQL database."
    )


def _refuse_occupied(kind: str) -> None:
    data_dir = Path(settings.DATA_DIR)
    ours = set(env.GENERATED)
    static = Path(settings.STATIC_ROOT)
    found = [
        path
        for path in sorted(data_dir.iterdir())
        if path not in ours and not (path == static and path.is_dir() and not any(path.iterdir()))
    ]
    if kind == "sqlite":
        name = db.sqlite_path()
        found += [
            p for p in (name, Path(f"{name}-wal"), Path(f"{name}-shm")) if p.exists() and p not in found
        ]
    found += [root for root in roots().values() if root not in found and next(regular_files(root), None)]
    if found:
        names = ", ".join(str(path) for path in found[:5]) + (" …" if len(found) > 5 else "")
        raise BackupError(
            f"The data directory {data_dir} is not empty ({names}): a restore goes into an empty one and "
            "never overwrites anything. Point EINBLICK_DATA_DIR at a new directory."
        )
    if kind == "postgresql" and (tables := db.postgres_is_empty()):
        raise BackupError(
            f"The database has {len(tables)} tables already: a restore goes into an empty database and "
            "never overwrites anything. Create a new one (createdb) and point DATABASE_URL at it."
        )


def _target_of(folder: Path, entry: Entry) -> Path:
    """Where an uploaded file of the backup goes (a manifest naming anything else is refused)."""
    inside(folder, entry["path"], "files")
    parts = PurePosixPath(entry["path"]).parts
    place = roots().get(parts[1]) if len(parts) > 2 else None
    if place is None:
        raise BackupError(
            f"The manifest names a file outside files/uploads and files/media: {entry['path']!r}"
        )
    return place.joinpath(*parts[2:])
