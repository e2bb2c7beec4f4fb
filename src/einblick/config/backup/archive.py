"""The backup directory itself: files copied with their sha256, the manifest that lists them, and the
checks that a restore makes before it writes anything."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict

FORMAT = "einblick-backup/1"
MANIFEST = "manifest.json"
BLOCK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


class Entry(TypedDict):
    path: str  # relative to the backup directory, with "/"
    size: int
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def make_folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def copy_file(source: Path, target: Path) -> tuple[int, str]:
    """Copy `source` to `target`, which must not exist yet (mode 0600, synced to disk); the size and
    sha256 of what was written. FileNotFoundError (before anything is written) when `source` is gone."""
    with source.open("rb") as incoming:
        make_folder(target.parent)
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            while block := incoming.read(BLOCK):
                digest.update(block)
                size += len(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
    return size, digest.hexdigest()


def regular_files(root: Path) -> Iterator[Path]:
    """Every regular file below `root`, sorted, without following links."""
    if not root.is_dir():
        return
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def copy_tree(root: Path, backup: Path, prefix: str) -> list[Entry]:
    """Copy the files below `root` into `backup`/`prefix`; a file removed meanwhile is left out."""
    entries: list[Entry] = []
    for path in regular_files(root):
        relative = f"{prefix}/{path.relative_to(root).as_posix()}"
        try:
            size, digest = copy_file(path, backup / relative)
        except FileNotFoundError:
            continue
        entries.append({"path": relative, "size": size, "sha256": digest})
    return entries


def entry_for(backup: Path, relative: str) -> Entry:
    path = backup / relative
    return {"path": relative, "size": path.stat().st_size, "sha256": sha256_of(path)}


def write_manifest(backup: Path, manifest: dict[str, Any]) -> None:
    """Written last and renamed into place: a backup without its manifest is not complete."""
    partial = backup / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.chmod(0o600)
    partial.replace(backup / MANIFEST)


def read_manifest(backup: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{backup} has no {MANIFEST}: it is not a backup made by `einblick backup`, or that backup did "
            "not finish."
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{backup / MANIFEST} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{backup / MANIFEST} is not a manifest of the format {FORMAT}.")
    return manifest


def inside(backup: Path, relative: str, folder: str) -> Path:
    """The file a manifest names, refused unless it lies in `folder` of the backup (a manifest that
    names ../ or an absolute path writes nowhere)."""
    parts = PurePosixPath(relative).parts
    if not relative or PurePosixPath(relative).is_absolute() or ".." in parts or parts[0] != folder:
        raise BackupError(f"{MANIFEST} names a file outside {folder}/: {relative!r}")
    return backup.joinpath(*parts)


def verify(backup: Path, entries: list[Entry]) -> None:
    """Every file the manifest names is there with its size and sha256; else nothing is restored."""
    wrong = []
    for entry in entries:
        path = backup / entry["path"]
        if not path.is_file():
            wrong.append(f"{entry['path']}: missing")
        elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            wrong.append(f"{entry['path']}: sha256 differs from the manifest")
    if wrong:
        listed = "\n  ".join(wrong[:20]) + (f"\n  … and {len(wrong) - 20} more" if len(wrong) > 20 else "")
        raise BackupError(
            f"The backup in {backup} is damaged; nothing was restored:\n  {listed}\nRestore another copy."
        )
