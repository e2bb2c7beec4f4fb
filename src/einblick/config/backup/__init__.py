"""Backup and restore of an installation: the database as one consistent snapshot, the uploaded files
and the keys, each with its sha256 in a manifest (services.py says what a backup directory holds)."""

from einblick.config.backup.archive import BackupError
from einblick.config.backup.services import Outcome, make_backup, restore_backup

__all__ = ["BackupError", "Outcome", "make_backup", "restore_backup"]
