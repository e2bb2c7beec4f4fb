"""Shapes and helpers every area's answers share: error bodies, addresses, stamps, pages, and how
times, empty text and money are answered (docs/2026-11-27-api-conventions.md)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ninja import Schema

from einblick.errors import FieldError


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str


class ErrorBody(Schema):
    detail: str
    errors: list[ErrorItem] = []


class Address(Schema):
    street: str | None
    zip: str | None
    city: str | None
    country: str | None


class Stamps(Schema):
    external_id: str
    created_at: datetime
    updated_at: datetime


class Page(Schema):
    next: str | None


def local_time(moment: datetime) -> datetime:
    """In the portal's time zone (the default one; nobody activates another)."""
    return moment.astimezone(timezone.get_default_timezone())


def text_or_none(value: str) -> str | None:
    """Empty text is stored as "" and answered as null."""
    return value or None


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def stamps_of(obj: Any) -> dict[str, Any]:
    return {
        "external_id": obj.external_id,
        "created_at": local_time(obj.created_at),
        "updated_at": local_time(obj.updated_at),
    }


def address_of(obj: Any) -> dict[str, str | None]:
    return {
        "street": text_or_none(obj.street),
        "zip": text_or_none(obj.zip),
        "city": text_or_none(obj.city),
        "country": text_or_none(obj.country),
    }


def error_item(error: FieldError) -> dict[str, Any]:
    return {"loc": list(error.loc), "msg": error.msg}
