"""log_action(): the one way every write service records what it did and who did it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser

from einblick.audit.context import current_ip
from einblick.audit.models import AuditEntry

if TYPE_CHECKING:  # the audit log sits below the brokers, who log through it
    from einblick.brokers.models import Broker

# Who acted: an API token, a user, or None for the command line / the system.
Actor = Any


def actor_fields(actor: Actor) -> dict[str, Any]:
    if actor is None:
        return {"actor_label": "system"}
    if isinstance(actor, AbstractBaseUser):
        return {"actor_user": actor, "actor_label": str(actor)}
    return {"actor_token": actor, "actor_label": f"API token {actor.name}"}  # brokers.ApiToken


def log_action(
    *,
    broker: Broker | None,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: str = "",
    data: dict[str, Any] | None = None,
    ip: str | None = None,
    actor_label: str | None = None,
    without_ip: bool = False,
) -> AuditEntry:
    """Record one change. `data` holds field names, counts and at most the e-mail address of the
    grant member concerned (removed again when that person deletes their account), never insurance
    data.
    The IP is the current request's client unless given; `actor_label` names an actor without an
    account (the address a failed login tried); `without_ip` keeps the client's address out (a
    person declining a broker tells it nothing more about themselves)."""
    return AuditEntry.objects.create(
        broker=broker,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
        ip=None if without_ip else ip or current_ip(),
        **{**actor_fields(actor), **({"actor_label": actor_label} if actor_label else {})},
    )
