"""Writes for brokers and their API tokens."""

from __future__ import annotations

import secrets
import socket
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from einblick.audit.services import Actor, log_action
from einblick.brokers import egress
from einblick.brokers.models import ApiToken, Broker, hash_token
from einblick.errors import FieldError, Invalid
from einblick.errors import messages as M

TOKEN_PREFIX = "ebk_"  # noqa: S105 - a prefix, not a secret


def data_changed(broker_id: int) -> None:
    """What the broker's grants show may have changed: caches keyed by the old version are no longer
    asked. Call it inside the writing transaction, at its end (the broker's row is locked from then
    until the commit), once per write: imports, deletes, grant writes. A new random value, not a
    counter: after a restore of the database a counter would meet its old values again."""
    Broker.objects.filter(pk=broker_id).update(data_version=uuid.uuid4().hex)


@transaction.atomic
def create_token(
    *, broker: Broker, name: str, read_only: bool = False, actor: Actor = None
) -> tuple[ApiToken, str]:
    """A new API token. The clear token is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        broker=broker, name=name, prefix=secret[:10], key_hash=hash_token(secret), read_only=read_only
    )
    log_action(
        broker=broker,
        actor=actor,
        action="api_token.created",
        object_type="api_token",
        object_id=token.prefix,
        data={"read_only": read_only},
    )
    return token, secret


@transaction.atomic
def revoke_token(*, token: ApiToken, actor: Actor = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        log_action(
            broker=token.broker,
            actor=actor,
            action="api_token.revoked",
            object_type="api_token",
            object_id=token.prefix,
        )


@transaction.atomic
def set_webhook(*, broker: Broker, url: str | None, actor: Actor) -> str | None:
    """Set the AMS webhook with a new signing secret, returned once; None removes it. Invalid naming
    `url` unless brokers.egress allows the URL (https, public addresses; the settings
    EINBLICK_WEBHOOK_ALLOW_HTTP and EINBLICK_WEBHOOK_ALLOW_PRIVATE widen it)."""
    if url is None:
        broker.webhook_url = broker.webhook_secret = ""
        broker.save(update_fields=["webhook_url", "webhook_secret"])
        log_action(broker=broker, actor=actor, action="broker.webhook_removed")
        return None
    try:
        egress.check(url)
    except egress.Refused as refusal:
        message = M.WEBHOOK_INVALID if isinstance(refusal, egress.NotAUrl) else M.WEBHOOK_NOT_ALLOWED
        raise Invalid(message, [FieldError(("url",), str(refusal))]) from None
    except socket.gaierror:
        pass  # a name that does not resolve now is no danger: every delivery checks it again
    try:
        Broker._meta.get_field("webhook_url").clean(url, broker)
    except ValidationError:
        expected = M.HTTP_URL if settings.EINBLICK_WEBHOOK_ALLOW_HTTP else M.HTTPS_URL
        raise Invalid(M.WEBHOOK_INVALID, [FieldError(("url",), expected)]) from None
    secret = secrets.token_urlsafe(32)
    broker.webhook_url, broker.webhook_secret = url, secret
    broker.save(update_fields=["webhook_url", "webhook_secret"])
    log_action(broker=broker, actor=actor, action="broker.webhook_set")
    return secret
