"""Notifications about processes: that there is news, never the content. Mails go after commit."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from einblick.accounts import mail
from einblick.processes.models import Process


def portal_url(process: Process) -> str:
    return settings.BASE_URL + reverse("portal:thread", args=[process.grant_id, process.pk])


def tell_user(process: Process) -> None:
    """The member the process is for: who started it, or whom the office wrote to."""
    to = process.recipient or (process.created_by.email if process.created_by else "")
    if not to or process.grant is None:
        return
    message = mail.render(
        "process_news", to=to, context={"url": portal_url(process)}, broker=process.grant.broker
    )
    mail.send_after_commit(message)


def tell_clerk(process: Process) -> None:
    clerk = process.clerk
    if clerk is None or not clerk.email or process.grant is None:
        return
    url = settings.BASE_URL + reverse("staff:home")
    message = mail.render(
        "process_new",
        to=clerk.email,
        context={"url": url, "kind": process.get_type_display()},
        broker=process.grant.broker,
    )
    mail.send_after_commit(message)
