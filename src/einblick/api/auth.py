"""Bearer-token authentication: a token belongs to one broker and is read-write or read-only."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer

from einblick.api.http import ApiRequest
from einblick.brokers.models import ApiToken, hash_token

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TOUCH_EVERY = timedelta(minutes=5)
_FOUND = "_einblick_api_token"  # (the bearer token as sent, its ApiToken or None), once per request


def bearer(request: HttpRequest) -> str | None:
    """The token of `Authorization: Bearer <token>`, read as django-ninja's HttpBearer reads it."""
    parts = request.headers.get("Authorization", "").split(" ")
    if parts[0].lower() != "bearer":
        return None
    return " ".join(parts[1:])


def find_token(request: HttpRequest, raw: str) -> ApiToken | None:
    """The live (not revoked) token of this value, with its broker; looked up once per request, as
    the rate limit (api/throttle.py) and then the authentication ask for it."""
    found: tuple[str, ApiToken | None] | None = getattr(request, _FOUND, None)
    if found is None or found[0] != raw:
        token = (
            ApiToken.objects.select_related("broker")
            .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
            .first()
        )
        found = (raw, token)
        setattr(request, _FOUND, found)
    return found[1]


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = find_token(request, token)
        if api_token is None:
            return None
        if api_token.read_only and request.method not in SAFE_METHODS:
            raise HttpError(403, "This token is read-only.")
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        cast(ApiRequest, request).broker = api_token.broker
        return api_token
