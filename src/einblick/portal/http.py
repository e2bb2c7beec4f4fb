"""The request of a portal page: portal_view / portal_form resolved its grant for the signed-in user."""

from __future__ import annotations

from einblick.accounts.http import AuthenticatedRequest
from einblick.grants.models import Grant


class PortalRequest(AuthenticatedRequest):
    grant: Grant  # the grant of the URL, visible to the user (or previewed by a staff admin)
    preview: bool  # Freischaltungseinsicht: read-only, nobody's
    member_grants: list[Grant]  # the user's grants, for the context switcher
