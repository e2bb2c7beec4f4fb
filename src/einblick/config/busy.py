"""A request whose write finds the SQLite database still locked after its bounded wait
(EINBLICK_SQLITE_TIMEOUT) answers 503 with Retry-After, never 500: JSON in the API's error shape under
/api/, a page in the user's language elsewhere. Every other error stays Django's 500.

Django hands an exception that escapes a view or a middleware (a session saved on the way out) to
`handler500` while it is being handled, so this one place sees them all (not with DEBUG, which shows
its own page)."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.views import defaults

from einblick.errors import is_database_busy
from einblick.errors import messages as M

logger = logging.getLogger(__name__)


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_database_busy(sys.exc_info()[1]):
        return defaults.server_error(request)
    seconds = settings.SQLITE_TIMEOUT
    logger.warning(
        "The database stayed locked for %s s: %s %s answered 503", seconds, request.method, request.path
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        with translation.override("en"):  # the API speaks English (api-v1.md)
            detail = str(M.DATABASE_BUSY % {"seconds": seconds})
        response = JsonResponse({"detail": detail, "errors": []}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", request=request), status=503)
    response["Retry-After"] = str(seconds)
    return response
