"""Refuse oversized API bodies from the Content-Length header, before anything reads them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            limit = (
                settings.IMPORT_MAX_BYTES
                if request.path.rstrip("/").endswith("/import")
                else settings.API_MAX_BYTES
            )
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"detail": "Bad Content-Length header.", "errors": []}, status=400)
            if length > limit:
                return JsonResponse(
                    {"detail": f"The request body is larger than {limit} bytes.", "errors": []}, status=413
                )
        return self.get_response(request)
