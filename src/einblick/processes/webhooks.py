"""The AMS webhook (issue 6): when a broker has set a webhook URL, every new process is announced by
a POST to it, signed with the broker's secret, and retried with backoff by a background task
(django-tasks; `einblick db_worker` runs them). The announcement carries the process's id and type
only: the AMS fetches the rest through the API with its token. Without a worker, or when the AMS
never answers, nothing is lost: the process waits in GET /processes?state=new.

Signature: X-Einblick-Timestamp: <unix seconds>, X-Einblick-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" with the secret>. A receiver checks the signature and that the timestamp is recent
(replays of old announcements are refused).

Every attempt checks the URL again (brokers/egress.py, issue 15): https and public addresses only,
whatever was allowed when it was saved, the host resolved once and the connection made to exactly the
address that was checked. A refused URL gives the delivery up at once, with the reason in last_error
("refused: …"): another attempt would be refused the same way. A redirect is an answer, not followed:
following it would send the signed announcement wherever the AMS's address points."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone, translation
from django_tasks import task

from einblick.brokers import egress
from einblick.processes.models import Process, WebhookDelivery

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_RETRY = 30  # seconds; doubled after every failure (30 s … about 1 hour)
TIMEOUT = 10  # seconds per attempt


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def announce(process: Process) -> None:
    """Call in the transaction that creates the process: the delivery is queued once it commits."""
    broker = process.broker
    if not broker.webhook_url or not broker.webhook_secret:
        return
    delivery = WebhookDelivery.objects.create(process=process, url=broker.webhook_url)
    transaction.on_commit(lambda: _queue(delivery.pk))


def _queue(delivery_id: int, delay: int = 0) -> None:
    try:
        if delay:
            deliver.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(delivery_id)
        else:
            deliver.enqueue(delivery_id)
    except Exception:  # the queue is away: the outbox still has the process
        log.warning("webhook: could not queue delivery %s", delivery_id, exc_info=True)


def body_of(process: Process) -> bytes:
    return json.dumps(
        {
            "event": "process.created",
            "process": process.pk,
            "type": process.type,
            "broker": process.broker.slug,
        },
        separators=(",", ":"),
    ).encode()


@task()
def deliver(delivery_id: int) -> str:
    """One attempt; a failure queues the next one with a doubled delay, up to MAX_ATTEMPTS."""
    delivery = WebhookDelivery.objects.select_related("process__broker").filter(pk=delivery_id).first()
    if delivery is None or delivery.delivered_at or delivery.given_up_at:
        return "nothing to do"
    broker = delivery.process.broker
    body = body_of(delivery.process)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Einblick-Webhook/1",
        "X-Einblick-Timestamp": str(timestamp),
        "X-Einblick-Signature": signature(broker.webhook_secret, timestamp, body),
    }
    delivery.attempts += 1
    status, error = None, ""
    try:
        status = egress.post(egress.check(delivery.url), body, headers, timeout=TIMEOUT)
    except egress.Refused as refusal:
        return _refused(delivery, refusal)
    except Exception as exc:  # no such name, a closed port, a timeout, a bad certificate: try again later
        error = str(exc)[:200] or type(exc).__name__
    if status is not None and not 200 <= status < 300:
        error = f"HTTP {status}"  # also a redirect, which is not followed
    delivery.last_status = status
    delivery.last_error = error
    if status is not None and 200 <= status < 300:
        delivery.delivered_at = timezone.now()
        delivery.save()
        return "delivered"
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.given_up_at = timezone.now()
        delivery.save()
        log.warning(
            "webhook: gave up on %s after %s attempts (%s)", delivery.process_id, delivery.attempts, error
        )
        return "given up"
    delivery.save()
    _queue(delivery.pk, delay=FIRST_RETRY * 2 ** (delivery.attempts - 1))
    return f"retry {delivery.attempts}"


def _refused(delivery: WebhookDelivery, refusal: egress.Refused) -> str:
    with translation.override("en"):  # the record is for the operator, like the log
        delivery.last_error = f"refused: {refusal}"[:200]
    delivery.last_status = None
    delivery.given_up_at = timezone.now()
    delivery.save()
    log.warning(
        "webhook: refused delivery %s of process %s (%s)",
        delivery.pk,
        delivery.process_id,
        delivery.last_error,
    )
    return "refused"
