"""The request of an API operation: the bearer token authenticated it for one broker."""

from __future__ import annotations

from django.http import HttpRequest

from einblick.brokers.models import ApiToken, Broker


class ApiRequest(HttpRequest):
    broker: Broker  # the token's broker: every lookup goes through it
    auth: ApiToken
