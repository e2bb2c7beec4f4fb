"""Our own e-mails: a plain-text and an HTML part from templates, German by default, sent after commit.

The broker's sender name (Erscheinungsbild; its name when empty) is the sender name. Mails say that something is there and link to it; they never
carry personal insurance data."""

from __future__ import annotations

import logging
import re
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from einblick.brokers.colours import DEFAULT_BRAND, ink_on
from einblick.brokers.models import Broker

log = logging.getLogger(__name__)

BROKER_HEADER = "X-Einblick-Broker"


def sender(broker: Broker | None) -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "portal@localhost"
    if broker is None:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((re.sub(r"\s+", " ", broker.mail_sender_name or broker.name).strip(), address))


def render(
    template: str, *, to: str, context: dict[str, Any], broker: Broker | None
) -> EmailMultiAlternatives:
    """Render emails/<template>_subject.txt, _message.txt and _message.html into one message."""
    brand = (broker.brand_color if broker else "") or DEFAULT_BRAND
    context = {
        "base_url": settings.BASE_URL,
        "broker": broker,
        "brand_color": brand,
        "brand_ink": ink_on(brand),
        **context,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        text = render_to_string(f"emails/{template}_message.txt", context).strip() + "\n"
        html = render_to_string(f"emails/{template}_message.html", context)
    headers = {BROKER_HEADER: str(broker.pk)} if broker else {}
    message = EmailMultiAlternatives(subject, text, sender(broker), [to], headers=headers)
    message.attach_alternative(html, "text/html")
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
