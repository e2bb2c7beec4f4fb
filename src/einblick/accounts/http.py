"""Typed requests (as healthchecks does): a view behind login_required takes an AuthenticatedRequest, whose
user is an account, so it needs no cast and no `type: ignore`."""

from __future__ import annotations

from django.http import HttpRequest

from einblick.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    user: User  # login_required let it through: never AnonymousUser
