"""What every page's frame needs to know about the user (lazily: no query unless the page asks)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from einblick.accounts.roles import is_staff_user, member_grants


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    known = getattr(request, "member_grants", None)  # a portal page has asked already
    return {
        "site_name": "Einblick",
        "nav_is_staff": SimpleLazyObject(lambda: signed_in and is_staff_user(user)),  # type: ignore[arg-type]
        "nav_has_grants": bool(known)
        if known
        else SimpleLazyObject(lambda: signed_in and member_grants(user.email).exists()),  # type: ignore[union-attr]
    }
