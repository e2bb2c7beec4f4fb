"""How much a page request may carry, refused before anything reads the body (issue 15, item 2).

The portal's largest honest request is a message or claim report with its photos: UPLOAD_MAX_BYTES of
files and a little form around them; every other form is small. A request announcing more
(Content-Length) is answered 413 at once, in the page's language, without reading a byte — a 400 MB
upload used to be spooled to disk before the form said "höchstens 35 MB". Browsers always send a
length with a form; a chunked body without one is refused with 411, so that no page ever takes a
body it has not measured. The API has its own edge (api.middleware). In front of Einblick, the reverse
proxy should refuse larger bodies too (README: a limit a little above IMPORT_MAX_BYTES)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

FORM_OVERHEAD = 1024 * 1024  # the fields around the files, and multipart's boundaries


def page_limit(request: HttpRequest) -> int:
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        return int(settings.UPLOAD_MAX_BYTES) + FORM_OVERHEAD
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) + FORM_OVERHEAD


class PageBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") or request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return render(request, "411.html", status=411)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        limit = page_limit(request)
        if length < 0 or length > limit:
            context = {"limit_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
            response = render(request, "413.html", context, status=413)
            response["Connection"] = "close"  # the body we did not read must not be taken as a request
            return response
        return self.get_response(request)
