"""`einblick backup DEST`: a consistent copy of the running installation in a new directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from einblick.config.backup import BackupError, make_backup


def size(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    value = count / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} GB"


# Why a key kept in the environment matters to a restore.
NEEDED_FOR = {
    "SECRET_KEY": "without the same SECRET_KEY everybody logs in again",
    "EINBLICK_MFA_KEY": "without the same EINBLICK_MFA_KEY nobody's authenticator app or recovery codes work",
}


class Command(BaseCommand):
    help = (
        "Back up the installation while it runs: the database (one consistent snapshot), the uploaded "
        "files and the keys, with a manifest of sha256 sums, into a new or empty directory."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path, help="a directory that does not exist yet, or is empty")

    @no_translations  # the command line speaks English
    def handle(self, *args: Any, dest: Path, **options: Any) -> None:
        try:
            outcome = make_backup(folder=dest)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = outcome.manifest
        database, files = manifest["database"], manifest["files"]
        if database["engine"] == "sqlite":
            how = f"SQLite, integrity_check {database['integrity_check']}"
        else:
            how = f"PostgreSQL, {database['pg_dump']}, custom format"
        counts = {
            name: sum(1 for f in files if f["path"].startswith(f"files/{name}/"))
            for name in ("uploads", "media")
        }
        lines = [
            f"Backup written to {outcome.folder}",
            f"  database          {database['path']} ({how}, {size(database['size'])})",
            f"  files             {len(files)} ({size(sum(f['size'] for f in files))}; uploads {counts['uploads']}, "
            f"media {counts['media']}), each with its sha256 in manifest.json",
        ]
        for name, entry in manifest["keys"].items():
            where = (
                f"in {entry['path']}"
                if entry["source"] == "data directory"
                else "from the environment: NOT in this backup"
            )
            lines.append(f"  {name:<17} {where}")
        lines.append(f"Keep off-site: {manifest['keep_off_site']}")
        self.stdout.write("\n".join(lines))
        if manifest["keep_separately"]:
            names = manifest["keep_separately"]
            self.stdout.write(
                self.style.WARNING(
                    f"Keep separately as well: {' and '.join(names)}, as set in the environment (a password "
                    f"manager, your secrets store): {'; '.join(NEEDED_FOR[name] for name in names)}."
                )
            )
        for warning in outcome.warnings:
            self.stderr.write(self.style.WARNING(f"Note: {warning}"))
