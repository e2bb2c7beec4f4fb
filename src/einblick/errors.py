"""The one small family of domain errors. Interfaces map them once: API bodies, form errors, CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One broken rule. `loc` names the field: ("customers", "K-1", "address", "zip") or ("premium",)."""

    loc: tuple[str | int, ...]
    msg: str


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class Invalid(DomainError):
    """Well-formed input that breaks a rule (HTTP 422)."""

    status = 422


class Conflict(DomainError):
    """The input contradicts the current state (HTTP 409)."""

    status = 409


class TooLarge(DomainError):
    """The input is larger than allowed (HTTP 413)."""

    status = 413


@dataclass
class ErrorList:
    """Collects FieldErrors while a service validates many things at once."""

    items: list[FieldError] = field(default_factory=list)

    def add(self, *loc: str | int, msg: str) -> None:
        self.items.append(FieldError(tuple(loc), msg))

    def __bool__(self) -> bool:
        return bool(self.items)


def clean_message(msg: str) -> str:
    """Pydantic's "Value error, must be ..." reads better as "must be ...", and the names of our
    classes ("... or instance of CustomerIn") mean nothing to the AMS."""
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return re.sub(r" or instance of \w+", "", msg)


def is_unique_violation(exc: Exception) -> bool:
    """Whether a database IntegrityError is a unique-key violation (PostgreSQL or SQLite)."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc)
