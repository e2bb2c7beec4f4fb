"""Our own e-mails: a plain-text and an HTML part from templates, German by default, sent after commit.

Every mail comes from the installation's address (EMAIL_FROM). A broker's mail names the broker as the
sender (its name, unique on the installation, domain.md §3), carries its logo and, when the office has
given one, its address as Reply-To; a mail of no broker names the installation (EINBLICK_NAME). Mails
say that something is there and link to it; they never carry personal insurance data."""

from __future__ import annotations

import logging
import re
from email.mime.image import MIMEImage
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from einblick.brokers import logo
from einblick.brokers.colours import DEFAULT_BRAND, ink_on
from einblick.brokers.models import Broker

log = logging.getLogger(__name__)

BROKER_HEADER = "X-Einblick-Broker"


LOGO_CID = "broker-logo"


def sender(broker: Broker | None) -> str:
    name = broker.name if broker is not None else settings.EINBLICK_NAME
    return formataddr((re.sub(r"\s+", " ", name).strip(), settings.EMAIL_FROM_ADDRESS))


def render(
    template: str, *, to: str, context: dict[str, Any], broker: Broker | None
) -> EmailMultiAlternatives:
    """Render emails/<template>_subject.txt, _message.txt and _message.html into one message."""
    brand = (broker.brand_color if broker else "") or DEFAULT_BRAND
    picture = logo.content(broker) if broker is not None else None
    context = {
        "base_url": settings.BASE_URL,
        "broker": broker,
        "brand_color": brand,
        "brand_ink": ink_on(brand),
        "logo_cid": LOGO_CID if picture else "",
        "installation": settings.EINBLICK_NAME,
        **context,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        text = render_to_string(f"emails/{template}_message.txt", context).strip() + "\n"
        html = render_to_string(f"emails/{template}_message.html", context)
    headers = {BROKER_HEADER: str(broker.pk)} if broker else {}
    reply_to = [broker.reply_to] if broker is not None and broker.reply_to else None
    message = EmailMultiAlternatives(subject, text, sender(broker), [to], headers=headers, reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    if picture and broker is not None:
        # The logo travels inside the mail (a link to it would need a login, or tell who opens the
        # mail when).
        message.mixed_subtype = "related"  # type: ignore[attr-defined]
        image = MIMEImage(picture, _subtype=broker.logo_type.split("/")[1])
        image.add_header("Content-ID", f"<{LOGO_CID}>")
        image.add_header("Content-Disposition", "inline", filename="logo." + broker.logo_type.split("/")[1])
        message.attach(image)
    return message


def send_after_commit(message: EmailMultiAlternatives) -> None:
    """Send once the surrounding transaction has committed: nothing is mailed about a write that
    was rolled back. A failing mail server is logged and does not undo the write (the office can
    send the link again)."""

    def send() -> None:
        try:
            message.send()
        except OSError:
            log.exception("Sending the e-mail %r failed", message.subject)

    transaction.on_commit(send)
