"""Ending sessions on the server: the user's own choice (usersessions' list) and lost access."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db.models import Q

from einblick.accounts.models import User
from einblick.accounts.roles import staff_memberships
from einblick.grants.models import GrantMember


def end_all_sessions(user: User) -> int:
    """Log the user out everywhere (account deletion, lost access)."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def end_sessions_without_access(*, emails: Iterable[str]) -> None:
    """Who has no active grant and no staff login left has nothing to do in the portal any more."""
    lowered = {email.lower() for email in emails}
    if not lowered:
        return
    q = Q()
    for email in lowered:
        q |= Q(email__iexact=email)
    for user in User.objects.filter(q, is_superuser=False):
        member = GrantMember.objects.active(user.email).exists()
        if not member and not staff_memberships(user.email).exists():
            end_all_sessions(user)
