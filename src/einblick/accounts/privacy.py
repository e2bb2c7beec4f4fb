"""The user's rights over their own data (GDPR Art. 15, 17, 20): export and deletion.

Deleting an account removes the login, its second factors, sessions and grant memberships; the
broker's portfolio (customers, contracts, claims) is the broker's record and stays."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from einblick.accounts.consent import accepted_brokers
from einblick.accounts.models import Consent, User
from einblick.accounts.roles import staff_memberships
from einblick.accounts.sessions import end_all_sessions
from einblick.audit.models import AuditEntry
from einblick.audit.services import log_action
from einblick.brokers.models import Broker
from einblick.grants.models import GrantMember


def _time(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def export_account(user: User) -> dict[str, Any]:
    """Everything Einblick keeps about this login, as JSON-ready data."""
    email = user.email.lower()
    memberships = GrantMember.objects.filter(email=email).select_related("grant__broker").order_by("pk")
    return {
        "exported_at": _time(timezone.now()),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _time(user.date_joined),
            "last_login": _time(user.last_login),
        },
        "grant_memberships": [
            {
                "broker": m.grant.broker.name,
                "grant": m.grant.name,
                "state": m.state,
                "invited_at": _time(m.invited_at),
                "joined_at": _time(m.joined_at),
            }
            for m in memberships
        ],
        "staff_memberships": [
            {"broker": s.broker.name, "name": s.name, "role": s.role} for s in staff_memberships(email)
        ],
        "second_factors": [
            {"type": a.type, "created_at": _time(a.created_at), "last_used_at": _time(a.last_used_at)}
            for a in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        "sessions": [
            {
                "ip": s.ip,
                "user_agent": s.user_agent,
                "created_at": _time(s.created_at),
                "last_seen_at": _time(s.last_seen_at),
            }
            for s in UserSession.objects.filter(user=user).order_by("pk")
        ],
        "activity": [
            {"time": _time(e.created_at), "action": e.action, "ip": e.ip}
            for e in AuditEntry.objects.filter(actor_user=user).order_by("created_at", "pk")[:1000]
        ],
    }


@transaction.atomic
def delete_account(*, user: User, ip: str | None) -> None:
    """Art. 17: the login and the memberships go; the audit trail keeps the action without the person."""
    email = user.email.lower()
    # Only brokers the person accepted learn of it, and only their memberships go: a broker that
    # merely invited the address keeps its invitation (or the "declined"), as if no account had been.
    brokers: list[Broker | None] = list(Broker.objects.filter(pk__in=accepted_brokers(email)))
    for broker in brokers or [None]:
        log_action(broker=broker, actor=None, action="account.deleted", object_type="user", ip=ip)
    known = Q(broker__isnull=True) | Q(broker_id__in=accepted_brokers(email))
    GrantMember.objects.filter(email=email, grant__broker_id__in=accepted_brokers(email)).delete()
    end_all_sessions(user)
    AuditEntry.objects.filter(actor_user=user).update(actor_label="deleted user")
    AuditEntry.objects.filter(known, actor_user__isnull=True, actor_label__iexact=email).update(
        actor_label="deleted user"
    )
    entries = list(AuditEntry.objects.filter(known, data__email=email))
    Consent.objects.filter(email=email).delete()
    for entry in entries:
        entry.data = {**entry.data, "email": "deleted user"}
        entry.save(update_fields=["data"])
    user.delete()
