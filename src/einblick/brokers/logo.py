"""The broker's logo: PNG or JPEG, recognised by its content (never by a name), at most MAX_BYTES.
Set with `einblick broker logo SLUG FILE` (and by the settings UI, issue 7); shown on the portal's pages
by portal.branding.logo."""

from __future__ import annotations

import base64

from django.db import transaction
from django.utils import timezone

from einblick.audit.services import Actor, log_action
from einblick.brokers.models import Broker, BrokerLogo
from einblick.errors import FieldError, Invalid
from einblick.errors import messages as M

MAX_BYTES = 512 * 1024
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"


def media_type(data: bytes) -> str | None:
    """image/png or image/jpeg when the bytes are one (signature and, for PNG, its header chunk)."""
    if data.startswith(PNG) and data[12:16] == b"IHDR":
        return "image/png"
    if data.startswith(JPEG) and data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return "image/jpeg"
    return None


@transaction.atomic
def set_logo(*, broker: Broker, data: bytes, actor: Actor) -> str:
    """Store the logo; raises Invalid naming the field `logo` unless it is a PNG or JPEG of at most
    MAX_BYTES. Returns its media type."""
    if not data:
        raise Invalid(M.LOGO_EMPTY, [FieldError(("logo",), M.FILE_EMPTY)])
    if len(data) > MAX_BYTES:
        raise Invalid(
            M.LOGO_TOO_LARGE,
            [FieldError(("logo",), M.LOGO_SIZE % {"limit": MAX_BYTES // 1024, "size": len(data) // 1024})],
        )
    kind = media_type(data)
    if kind is None:
        raise Invalid(M.LOGO_NOT_IMAGE, [FieldError(("logo",), M.NOT_PNG_OR_JPEG)])
    BrokerLogo.objects.update_or_create(broker=broker, defaults={"content": data})
    broker.logo_type = kind
    broker.logo_changed_at = timezone.now()
    broker.save(update_fields=["logo_type", "logo_changed_at"])
    log_action(broker=broker, actor=actor, action="broker.logo_set", data={"type": kind, "bytes": len(data)})
    return kind


@transaction.atomic
def remove_logo(*, broker: Broker, actor: Actor) -> None:
    BrokerLogo.objects.filter(broker=broker).delete()
    broker.logo_type = ""
    broker.logo_changed_at = timezone.now()
    broker.save(update_fields=["logo_type", "logo_changed_at"])
    log_action(broker=broker, actor=actor, action="broker.logo_removed")


def content(broker: Broker) -> bytes | None:
    """The logo's bytes, or None without one."""
    if not broker.logo_type:
        return None
    stored = BrokerLogo.objects.filter(broker=broker).values_list("content", flat=True).first()
    return bytes(stored) if stored is not None else None


def data_uri(broker: Broker) -> str:
    """The logo inline (data: URI, which the CSP allows for images), for the pages a person sees
    before they belong to the broker (the invitation page): "" without a logo."""
    data = content(broker)
    return f"data:{broker.logo_type};base64,{base64.b64encode(data).decode()}" if data else ""
