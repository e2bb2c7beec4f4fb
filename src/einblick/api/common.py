"""What every router of the API shares: the error responses it documents, the request's broker and actor."""

from collections.abc import Callable
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from ninja import Query

from einblick.api import schemas
from einblick.api.http import ApiRequest
from einblick.brokers.models import ApiToken, Broker
from einblick.errors import explain_pattern

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


# The cursor is the key of the last item of the previous page, so that every cursor the OpenAPI document
# allows means something: the items after it (issue 15: schemathesis finds no rule it does not know).
CURSOR_PATTERN = explain_pattern(r"^[A-Za-z0-9._:-]{0,64}$", "not a cursor: use the next of a previous page")


Limit: Any = Query(100, ge=1, le=1000, description="How many items to answer, 1–1000.")
Cursor: Any = Query(
    None, pattern=CURSOR_PATTERN, description="The `next` of the previous page; empty or absent: the first."
)


def page(
    queryset: QuerySet[Any], key: str, limit: int, cursor: str | None, out: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    queryset = queryset.order_by(key)
    if cursor:
        queryset = queryset.filter(**{f"{key}__gt": cursor})
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [out(row) for row in rows],
        "next": getattr(rows[-1], key) if more else None,
    }
