"""The two keys a restore needs: SECRET_KEY (sessions, password-reset links) and EINBLICK_MFA_KEY (it
decrypts every TOTP secret and recovery code: without it nobody's second factor works). Generated into
the data directory they go into the backup; from the environment they do not, and the manifest says
that they must be kept separately. A check value made with each key (a signature, a Fernet token of a
fixed text) lets the restore tell whether the key it will use is the one the data needs; it tells no
more about the key than the signed sessions and encrypted secrets in the database next to it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core import signing

from einblick.config.backup.archive import BackupError, Entry, copy_file, inside
from einblick.config.env import secret_file

SECRET_KEY = "SECRET_KEY"  # noqa: S105 - the variable's name
MFA_KEY = "EINBLICK_MFA_KEY"
CHECK_TEXT = "einblick backup"
SALT = "einblick.backup"


def _check_value(name: str, key: str) -> str:
    if name == MFA_KEY:
        return Fernet(key.encode()).encrypt(CHECK_TEXT.encode()).decode()
    return signing.Signer(key=key, salt=SALT).sign(CHECK_TEXT)


def _fits(name: str, key: str, check: str) -> bool:
    try:
        if name == MFA_KEY:
            return Fernet(key.encode()).decrypt(check.encode()).decode() == CHECK_TEXT
        return signing.Signer(key=key, salt=SALT).unsign(check) == CHECK_TEXT
    except (InvalidToken, ValueError, signing.BadSignature):
        return False


def back_up_keys(backup: Path) -> dict[str, dict[str, Any]]:
    """Each key's file copied into keys/, or noted as coming from the environment."""
    keys: dict[str, dict[str, Any]] = {}
    for name, key in ((SECRET_KEY, settings.SECRET_KEY), (MFA_KEY, settings.MFA_KEY)):
        entry: dict[str, Any] = {"check": _check_value(name, key)}
        if os.environ.get(name):
            entry["source"] = "environment"
        else:
            relative = f"keys/{name.lower()}"
            size, digest = copy_file(secret_file(name, settings.DATA_DIR), backup / relative)
            entry.update(source="data directory", path=relative, size=size, sha256=digest)
        keys[name] = entry
    return keys


def key_files(manifest: dict[str, Any]) -> list[Entry]:
    return [entry for entry in manifest["keys"].values() if entry["source"] == "data directory"]


def check_keys(backup: Path, manifest: dict[str, Any]) -> list[str]:
    """Before anything is written: the MFA key the restored installation will use must be the
    backup's (else refused); a different SECRET_KEY only ends sessions and links (a warning)."""
    warnings = []
    for name in (SECRET_KEY, MFA_KEY):
        entry = manifest["keys"][name]
        from_environment = os.environ.get(name)
        if from_environment:
            key = from_environment
        elif entry["source"] == "data directory":
            key = inside(backup, entry["path"], "keys").read_text().strip()
        else:
            key = ""
        if key and _fits(name, key, entry["check"]):
            continue
        if name == MFA_KEY:
            if not key:
                raise BackupError(
                    "This backup was made with EINBLICK_MFA_KEY from the environment, and it is not set now. "
                    "Set it to the key kept for this installation and run the restore again: without it "
                    "nobody's authenticator app or recovery codes work."
                )
            raise BackupError(
                "EINBLICK_MFA_KEY in the environment is not the key this backup was made with: unset it "
                "(the backup brings its key file) or set the installation's own key."
                if entry["source"] == "data directory"
                else "EINBLICK_MFA_KEY in the environment is not the key this backup was made with. Set the "
                "key kept for this installation."
            )
        warnings.append(
            "SECRET_KEY is not the one the backup was made with"
            + (" (a new one was generated)" if not key else "")
            + ": everybody logs in again, and password-reset links sent before stop working."
        )
    return warnings


def restore_keys(backup: Path, manifest: dict[str, Any]) -> None:
    """The backup's key files into the data directory, in place of the ones this process generated
    a moment ago when it loaded the settings (the restore has made sure that they are those)."""
    for name in (SECRET_KEY, MFA_KEY):
        entry = manifest["keys"][name]
        if entry["source"] == "data directory":
            target = secret_file(name, settings.DATA_DIR)
            target.unlink(missing_ok=True)
            copy_file(inside(backup, entry["path"], "keys"), target)
