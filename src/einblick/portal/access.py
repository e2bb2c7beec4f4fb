"""Which grant a portal page shows, and to whom: an active member, or a staff admin of the grant's
broker in preview (Freischaltungseinsicht, read-only). Everything else is 404 (visibility.md §7)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache

from einblick.accounts.roles import staff_memberships
from einblick.brokers.models import StaffRole
from einblick.grants.models import Grant, MemberState

PREVIEW_SESSION_KEY = "einblick_previews"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


GRANT_ID = re.compile(r"g_[A-Za-z0-9_-]{1,22}")


def member_grants(email: str) -> list[Grant]:
    """Every grant in which this address is an active member (of every broker), in the order the
    context switcher shows them: one query gives the page its grant and the others."""
    return list(
        Grant.objects.select_related("broker", "clerk", "tariff_account")
        .filter(members__email=email.lower(), members__state=MemberState.ACTIVE)
        .order_by("broker__name", "name", "pk")
    )


def previewable_grant(email: str, grant_id: str) -> Grant | None:
    """A grant of a broker where this address is a staff admin."""
    if not GRANT_ID.fullmatch(grant_id):
        return None
    brokers = staff_memberships(email).filter(role=StaffRole.ADMIN).values("broker_id")
    return (
        Grant.objects.select_related("broker", "clerk", "tariff_account")
        .filter(pk=grant_id, broker_id__in=brokers)
        .first()
    )


def in_preview(request: HttpRequest, grant_id: str) -> bool:
    return grant_id in request.session.get(PREVIEW_SESSION_KEY, [])


def start_preview(request: HttpRequest, grant: Grant) -> None:
    previews = [g for g in request.session.get(PREVIEW_SESSION_KEY, []) if g != grant.pk]
    request.session[PREVIEW_SESSION_KEY] = [*previews[-9:], grant.pk]


def portal_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Resolve the grant of the URL for the signed-in user, or 404. In preview, every unsafe request is
    refused (403) whatever the view would do; members may only read (405)."""
    return _portal(view, writes=False)


def portal_form(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Like portal_view, for a page whose form members send (POST); the preview still refuses it (403).
    The view checks the permission it needs (visibility.permissions) itself."""
    return _portal(view, writes=True)


def _portal(view: Callable[..., HttpResponseBase], *, writes: bool) -> Callable[..., HttpResponseBase]:

    @never_cache
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, grant_id: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        email = request.user.email  # type: ignore[union-attr]
        grants = member_grants(email) if GRANT_ID.fullmatch(grant_id) else []
        grant = next((g for g in grants if g.pk == grant_id), None)
        preview = False
        if grant is None and in_preview(request, grant_id):
            grant = previewable_grant(email, grant_id)
            preview = grant is not None
        if grant is None:
            raise Http404
        if request.method not in SAFE_METHODS:
            if preview:
                raise PermissionDenied("The preview is read-only.")
            if not (writes and request.method == "POST"):
                return HttpResponseNotAllowed(SAFE_METHODS + (("POST",) if writes else ()))
        request.grant = grant  # type: ignore[attr-defined]
        request.preview = preview  # type: ignore[attr-defined]
        request.member_grants = grants  # type: ignore[attr-defined]
        return view(request, grant, *args, **kwargs)

    return wrapped
