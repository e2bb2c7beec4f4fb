"""The client address of the request being served, for log_action() (any service, any interface)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_client_ip: ContextVar[str | None] = ContextVar("einblick_client_ip", default=None)


def current_ip() -> str | None:
    return _client_ip.get()


def client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR; behind a reverse proxy (EINBLICK_BEHIND_PROXY) the address that proxy saw, the
    last entry of X-Forwarded-For (entries before it come from the client and can be forged)."""
    if request is None:
        return None
    if settings.EINBLICK_BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)
