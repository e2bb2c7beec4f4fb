"""What every router of the API shares: the error responses it documents, the request's broker and actor."""

import base64
import binascii
from collections.abc import Callable
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from einblick.api import schemas
from einblick.api.http import ApiRequest
from einblick.brokers.models import ApiToken, Broker, is_external_id
from einblick.errors import FieldError, Invalid

# 429: the rate limits (api/throttle.py) answer before the router, for every operation.
ERRORS: dict[int | str, Any] = {k: schemas.ErrorBody for k in (400, 401, 403, 404, 409, 413, 422, 429)}


_ENCODER = DjangoJSONEncoder()


def render_json(body: Any) -> bytes:
    """JSON as the API's renderer writes it (dates and times as DjangoJSONEncoder does), fast."""
    return orjson.dumps(body, default=_ENCODER.default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def broker_of(request: ApiRequest) -> Broker:
    """The broker of the request's token (set by TokenAuth)."""
    return request.broker


def actor_of(request: ApiRequest) -> ApiToken:
    return request.auth


# --- lists: ?limit=&cursor= → {"items": [...], "next": cursor | null} ----------------------------


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        padded = (cursor + "=" * (-len(cursor) % 4)).encode("ascii")
        key = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        key = ""
    if not is_external_id(key):
        raise Invalid(
            "The cursor is invalid.", [FieldError(("query", "cursor"), "not a cursor of this list")]
        )
    return key


def page(
    queryset: QuerySet[Any], key: str, limit: int, cursor: str | None, out: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    queryset = queryset.order_by(key)
    if cursor:
        queryset = queryset.filter(**{f"{key}__gt": _decode_cursor(cursor)})
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [out(row) for row in rows],
        "next": _encode_cursor(getattr(rows[-1], key)) if more else None,
    }


def check_limit(limit: int) -> int:
    if not 1 <= limit <= 1000:
        raise Invalid(
            "The limit is out of range.", [FieldError(("query", "limit"), "must be between 1 and 1000")]
        )
    return limit
