"""What every router of the API shares: the error responses it documents, the request's broker and actor."""

from typing import Any

from django.http import HttpRequest

from einblick.api import schemas
from einblick.brokers.models import Broker

ERRORS: dict[int | str, Any] = {k: schemas.ErrorBody for k in (400, 401, 403, 404, 409, 413, 422)}


def broker_of(request: HttpRequest) -> Broker:
    """The broker of the request's token (set by TokenAuth)."""
    return request.broker  # type: ignore[attr-defined]


def actor_of(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]
