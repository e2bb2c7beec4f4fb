"""Who may open which office page: staff with a login (role admin or user) of the broker in the URL;
the settings are for admins (a user gets 403), everyone else gets 404 for another broker's pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBase
from django.views.decorators.cache import never_cache

from einblick.accounts.http import AuthenticatedRequest
from einblick.accounts.roles import staff_memberships
from einblick.brokers.models import Broker, StaffRole


def settings_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The view gets the broker of the URL and the admin's own staff record."""

    @never_cache
    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedRequest, broker_id: int, *args: Any, **kwargs: Any) -> HttpResponseBase:
        memberships = list(staff_memberships(request.user.email))
        if not memberships:
            raise PermissionDenied
        mine = next((m for m in memberships if m.broker_id == broker_id), None)
        if mine is None:
            raise Http404  # another broker's office does not exist for this person
        if mine.role != StaffRole.ADMIN:
            raise PermissionDenied("The settings are for administrators.")
        broker: Broker = mine.broker
        return view(request, broker, mine, *args, **kwargs)

    return wrapped
