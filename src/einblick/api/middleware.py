"""The API's edge (api-v1.md "Conventions"): every answer under /api/ is JSON in the API's error shape
and `no-store`, whatever path, method or layer produced it; bodies the API cannot take are refused
before anything reads them.

- CSRF protection is for cookies, and the API authenticates by bearer tokens only: its requests are
  marked exempt here, before CsrfViewMiddleware, so that no path (unknown ones included) answers
  Django's HTML 403 page.
- A body must come with its Content-Length: a chunked body (Transfer-Encoding, no length) answers
  411, never read as empty. Over the limit (the import's, a document's file's, or the API's for
  everything else): 413, before the body is read.
- Then the rate limits (api/throttle.py): 429 before any work.
- Error answers that Django, a middleware or the router produce themselves (403, 404, 405, 500, a
  bad Host's 400, ...) are replaced by the same status in the API's shape, their headers kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from einblick.api.http import json_error
from einblick.api.throttle import throttle

MESSAGES = {
    405: "This method is not allowed here.",
    411: "A request body needs a Content-Length header; chunked bodies are not accepted.",
    500: "Internal error; it has been logged.",
}
# Headers of an answer that describe its body: they do not carry over to the JSON that replaces it.
BODY_HEADERS = {"content-type", "content-length", "content-disposition", "content-encoding"}


class ApiEdgeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        response = _refuse_body(request) or throttle(request)
        if response is None:
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]  # see above
            response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            response = _in_the_error_shape(response)
        response["Cache-Control"] = "no-store"  # attachments and the docs included
        return response


# A document's file is the one body larger than the import's: its view streams it to storage.
DOCUMENT_CONTENT = re.compile(r"^/api/v1/documents/[^/]+/content/?$")


def _limit(path: str) -> int:
    if path.rstrip("/").endswith("/import"):
        return int(settings.IMPORT_MAX_BYTES)
    if DOCUMENT_CONTENT.match(path):
        return int(settings.DOCUMENT_MAX_BYTES)
    return int(settings.API_MAX_BYTES)


def _refuse_body(request: HttpRequest) -> HttpResponse | None:
    limit = _limit(request.path)
    if request.META.get("HTTP_TRANSFER_ENCODING", "").strip().lower() not in ("", "identity"):
        # WSGI hands Django no length for a chunked body, and Django reads such a body as empty.
        return json_error(411, MESSAGES[411])
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0:
        return json_error(400, "Bad Content-Length header.")
    if length > limit:
        return json_error(413, f"The request body is larger than {limit} bytes.")
    return None


def _in_the_error_shape(response: HttpResponse) -> HttpResponse:
    status = response.status_code
    try:
        detail = MESSAGES.get(status) or f"{HTTPStatus(status).phrase}."
    except ValueError:
        detail = "The request was refused."
    replacement = json_error(status, detail)
    for name, value in response.headers.items():
        if name.lower() not in BODY_HEADERS:
            replacement[name] = value
    replacement.cookies = response.cookies
    return replacement
