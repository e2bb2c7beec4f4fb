"""`einblick restore SRC`: a backup of `einblick backup` into an empty data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from einblick.config.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `einblick backup` into an empty data directory (EINBLICK_DATA_DIR) "
        "and, for PostgreSQL, an empty database (DATABASE_URL). Never overwrites anything."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, help="a directory written by `einblick backup`")

    @no_translations  # the command line speaks English
    def handle(self, *args: Any, src: Path, **options: Any) -> None:
        try:
            outcome = restore_backup(folder=src)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = outcome.manifest
        database = manifest["database"]
        keys = ", ".join(
            f"{name} ({'from the backup' if entry['source'] == 'data directory' else 'from the environment'})"
            for name, entry in manifest["keys"].items()
        )
        if database["engine"] == "sqlite":
            restored = "SQLite, integrity_check ok"
        else:
            restored = "PostgreSQL, not yet (see below)" if outcome.pending else "PostgreSQL, by pg_restore"
        self.stdout.write(
            "\n".join(
                [
                    f"Restored the backup of {manifest['created_at']} (Einblick {manifest['einblick']}) "
                    f"into {settings.DATA_DIR}",
                    f"  database   {restored}",
                    f"  files      {len(manifest['files'])}, each checked against its sha256",
                    f"  keys       {keys}",
                ]
            )
        )
        for warning in outcome.warnings:
            self.stderr.write(self.style.WARNING(f"Note: {warning}"))
        if outcome.pending:
            raise CommandError(
                "The files and keys are restored, the database is not: pg_restore is not installed. Install "
                "PostgreSQL's client tools (Debian/Ubuntu: apt-get install postgresql-client) and run\n"
                f"  {outcome.pending}\n(with PGPASSWORD set if the database has a password), then `einblick serve`."
            )
        self.stdout.write("Start it with `einblick serve`; keep the backup off-site as before.")
