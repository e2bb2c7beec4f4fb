"""Freischaltungseinsicht: a staff admin opens any grant of their broker's in the portal, read-only.

Which grants they may open, and the session's list of the previews they opened (the office starts a
preview, the portal reads it)."""

from __future__ import annotations

import re

from django.http import HttpRequest

from einblick.accounts.roles import staff_memberships
from einblick.brokers.models import StaffRole
from einblick.grants.models import Grant

PREVIEW_SESSION_KEY = "einblick_previews"

GRANT_ID = re.compile(r"g_[A-Za-z0-9_-]{1,22}")


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
