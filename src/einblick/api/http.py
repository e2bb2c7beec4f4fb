"""The request of an API operation (the bearer token authenticated it for one broker), and the
API's error answer where the router does not answer (its middleware, unknown paths)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from einblick.brokers.models import ApiToken, Broker


class ApiRequest(HttpRequest):
    broker: Broker  # the token's broker: every lookup goes through it
    auth: ApiToken


def json_error(status: int, detail: str) -> JsonResponse:
    """An answer in the API's error shape, typed as the router types its own, with its length (it may
    be sent before CommonMiddleware would add one)."""
    response = JsonResponse(
        {"detail": detail, "errors": []}, status=status, content_type="application/json; charset=utf-8"
    )
    response["Content-Length"] = str(len(response.content))
    return response
