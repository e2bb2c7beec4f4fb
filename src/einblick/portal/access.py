"""Which grant a portal page shows, and to whom: an active member, or a staff admin of the grant's
broker in preview (Freischaltungseinsicht, read-only). Everything else is 404 (visibility.md §7)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBase, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache

from einblick.accounts.preview import GRANT_ID, in_preview, previewable_grant
from einblick.grants.models import Grant
from einblick.portal.http import PortalRequest

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def member_grants(email: str) -> list[Grant]:
    """Every grant in which this address is an active member (of every broker), in the order the
    context switcher shows them: one query gives the page its grant and the others."""
    return list(
        Grant.objects.select_related("broker", "clerk", "tariff_account")
        .of_active_member(email)
        .order_by("broker__name", "name", "pk")
    )


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
    def wrapped(request: PortalRequest, grant_id: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        email = request.user.email
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
        request.grant, request.preview, request.member_grants = grant, preview, grants
        return view(request, grant, *args, **kwargs)

    return wrapped
