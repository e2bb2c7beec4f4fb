"""The API's edge: oversized bodies are refused before anything reads them, and error answers
that Django or the router produce themselves (405, 500) come in the API's JSON error shape."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

MESSAGES = {405: "This method is not allowed here.", 500: "Internal error; it has been logged."}


class ApiEdgeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        limit = (
            settings.IMPORT_MAX_BYTES
            if request.path.rstrip("/").endswith("/import")
            else settings.API_MAX_BYTES
        )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _error(400, "Bad Content-Length header.")
        if length > limit:
            return _error(413, f"The request body is larger than {limit} bytes.")
        response = self.get_response(request)
        if response.status_code in MESSAGES and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            replacement = _error(response.status_code, MESSAGES[response.status_code])
            if "Allow" in response:
                replacement["Allow"] = response["Allow"]
            return replacement
        return response


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": []}, status=status)
