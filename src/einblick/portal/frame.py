"""What every portal page shows around its content: the grant, its broker, the user's other contexts
(the switcher), the preview banner, and where processes start."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portal.http import PortalRequest

# permission → (URL name, label), in the order the pages list them
ENTRY_POINTS = {
    "messages": ("portal:message_new", _("Write a message")),
    "claim_report": ("portal:claim_report", _("Report a claim")),
    "contract_capture": ("portal:contract_capture", _("Record a contract")),
    "offer_creation": ("portal:offer_request", _("Request an offer")),
}


def entry_points(grant: Grant, permissions: visibility.Permissions) -> list[tuple[str, Any]]:
    """(URL, label) of every process this grant lets its users start."""
    return [
        (reverse(name, args=[grant.pk]), label)
        for permission, (name, label) in ENTRY_POINTS.items()
        if permissions[permission]  # type: ignore[literal-required]
    ]


def frame(request: PortalRequest, grant: Grant, **context: Any) -> dict[str, Any]:
    """What every portal page needs: the grant, its broker, the user's other contexts, the banner."""
    others = []
    if not request.preview:
        others = [g for g in request.member_grants if g.pk != grant.pk]
    permissions = visibility.permissions(grant)
    return {
        "grant": grant,
        "broker": grant.broker,
        "other_grants": others,
        "preview": request.preview,
        "permissions": permissions,
        "entry_points": entry_points(grant, permissions),
        **context,
    }
