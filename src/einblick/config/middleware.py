"""Response headers every page gets: a strict Content Security Policy and related hardening."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# No inline scripts or styles anywhere, the API's interactive docs included (django-ninja's Swagger UI
# starts from a script file and reads its settings from a JSON data block); the one exception is
# data: images (allauth's TOTP QR code, Swagger UI's icons).
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        signed_in = request.user.is_authenticated if hasattr(request, "user") else False
        if signed_in or request.path.startswith("/api/"):  # api-v1.md: every API answer is no-store
            response.headers.setdefault("Cache-Control", "no-store")
        return response
