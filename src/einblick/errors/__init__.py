"""The one small family of domain errors. Interfaces map them once: API bodies, form errors, CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from django import forms
    from django.core.exceptions import ValidationError


@dataclass(frozen=True, init=False)
class FieldError:
    """One broken rule. `loc` names the field: ("customers", "K-1", "address", "zip") or ("premium",).
    `msg` comes from the catalogue (errors.messages) and is made text in the active language."""

    loc: tuple[str | int, ...]
    msg: str

    def __init__(self, loc: tuple[str | int, ...], msg: str | Promise) -> None:
        object.__setattr__(self, "loc", loc)
        object.__setattr__(self, "msg", str(msg))


class DomainError(Exception):
    status = 400

    def __init__(self, message: str | Promise, errors: list[FieldError] | None = None) -> None:
        message = str(message)  # a catalogue entry, in the language active where it is raised
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


class UnsupportedType(DomainError):
    """A body of a media type that is not accepted here (HTTP 415)."""

    status = 415


@dataclass
class ErrorList:
    """Collects FieldErrors while a service validates many things at once."""

    items: list[FieldError] = field(default_factory=list)

    def add(self, *loc: str | int, msg: str | Promise) -> None:
        self.items.append(FieldError(tuple(loc), msg))

    def __bool__(self) -> bool:
        return bool(self.items)


def from_validation(exc: ValidationError) -> list[FieldError]:
    """A model's full_clean() refusal as field errors (Django's messages, in the active language)."""
    return [FieldError((name,), " ".join(messages)) for name, messages in exc.message_dict.items()]


# What a pattern of the API means, in words (registered by the modules that define the patterns):
# "String should match pattern '^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:...'" helps nobody.
PATTERN_MESSAGES: dict[str, str] = {}
_PATTERN = re.compile(r"^String should match pattern '(.*)'$", re.S)


def explain_pattern(pattern: str, message: str) -> str:
    PATTERN_MESSAGES[pattern] = message
    return pattern


def clean_message(msg: str) -> str:
    """Pydantic's "Value error, must be ..." reads better as "must be ...", the names of our classes
    ("... or instance of CustomerIn") mean nothing to the AMS, and a pattern is said in words."""
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if pattern := _PATTERN.match(msg):
        return PATTERN_MESSAGES.get(
            pattern[1], "has a form that is not allowed here (see the OpenAPI document)"
        )
    return re.sub(r" or instance of \w+", "", msg)


def is_unique_violation(exc: Exception) -> bool:
    """Whether a database IntegrityError is a unique-key violation (PostgreSQL or SQLite)."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc)


SQLITE_BUSY = 5  # "database is locked"; extended codes (SQLITE_BUSY_SNAPSHOT …) share the low byte


def is_database_busy(exc: BaseException | None) -> bool:
    """Whether a database error is SQLite's "database is locked": a write that waited its bounded
    time (EINBLICK_SQLITE_TIMEOUT) for the database's one write lock and did not get it. Django wraps
    the sqlite3 error, so its cause is asked too."""
    while exc is not None:
        code = getattr(exc, "sqlite_errorcode", None)
        if (code is not None and code & 0xFF == SQLITE_BUSY) or str(exc).startswith("database is locked"):
            return True
        exc = exc.__cause__
    return False


def texts(exc: DomainError) -> list[str]:
    """A refusal as lines of text, for a place that shows no form fields (an editor area, a notice)."""
    return [error.msg for error in exc.errors] or [exc.message]


def to_form(form: forms.Form, exc: DomainError, fields: dict[str, str] | None = None) -> None:
    """A service's refusal in an office or portal form: each error on the field its location names
    (renamed by `fields`: the service's name to the form's), else above the form; a refusal without
    field errors above the form."""
    for error in exc.errors or [FieldError((), exc.message)]:
        name = str(error.loc[0]) if error.loc else ""
        name = (fields or {}).get(name, name)
        form.add_error(name if name in form.fields else None, error.msg)
