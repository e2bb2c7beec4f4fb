"""Keep personal data and secrets out of logs: e-mail addresses and the tokens of invitation and
password-reset links are redacted from request paths."""

from __future__ import annotations

import logging
import re
from typing import Any

_EMAIL = re.compile(r"[^/\s@%]+(?:@|%40)[^/\s?]+")
_LINK_TOKEN = re.compile(r"(/accounts/(?:invitation|password/reset/key)/)(?!set-password)[^/\s?]+")


def redact(text: str) -> str:
    return _LINK_TOKEN.sub(r"\1[token]", _EMAIL.sub("[e-mail]", text))


class RedactEmails(logging.Filter):
    """For django.request's "Not Found: /api/v1/users/klara@example.org/view" and the like."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if hasattr(record, "request"):
            record.request = None  # its repr holds the path
        return True


def access_atoms(atoms: dict[str, Any]) -> dict[str, Any]:
    for key in ("U", "r", "q", "f"):
        if isinstance(atoms.get(key), str):
            atoms[key] = redact(atoms[key])
    return atoms
