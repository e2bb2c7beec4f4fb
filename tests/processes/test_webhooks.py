"""The AMS webhook: a signed (HMAC-SHA256, timestamped) POST on every new process, queued after commit
as a background task and retried with doubling delays until the AMS answers 2xx (or given up after
MAX_ATTEMPTS); it carries the process's id and type only. Tested against a real HTTP server on
loopback and the real database queue and worker, so this module allows plain http and private addresses
(EINBLICK_WEBHOOK_ALLOW_HTTP, EINBLICK_WEBHOOK_ALLOW_PRIVATE); test_webhook_egress.py tests the
refusals without them."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from einblick.accounts.models import User
from einblick.brokers.models import Broker
from einblick.brokers.services import set_webhook
from einblick.processes import services, webhooks
from einblick.processes.models import WebhookDelivery
from tests.factories import load, make_grant, member_client
from tests.receivers import Receiver
from tests.samples import person


@pytest.fixture(autouse=True)
def _local_receiver_allowed(settings) -> None:
    settings.EINBLICK_WEBHOOK_ALLOW_HTTP = True
    settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def grant(broker):
    load(broker, customers={"K-1": person("Muster", "Klara")})
    grant = make_grant(broker, "Familie", ["K-1"], primary_contact=True, messages=True)
    member_client(grant, "klara@example.org")
    return grant


def new_process(grant, capture):
    with capture(execute=True):
        return services.start_message(
            grant=grant,
            user=User.objects.get(email="klara@example.org"),
            subject="Vertraulich",
            body="Geheim",
        )


@pytest.mark.django_db(transaction=True)  # the real worker closes its database connection at the end
def test_a_new_process_is_announced_signed_and_without_content(
    grant, broker, receiver, django_capture_on_commit_callbacks
):
    secret = set_webhook(broker=broker, url=receiver.url, actor=None)
    assert secret is not None
    process = new_process(grant, django_capture_on_commit_callbacks)
    assert DBTaskResult.objects.count() == 1  # queued after commit, waiting for the worker
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert json.loads(sent["body"]) == {
        "event": "process.created",
        "process": process.pk,
        "type": "MESSAGE",
        "broker": broker.slug,
    }
    assert b"Vertraulich" not in sent["body"] and b"Geheim" not in sent["body"]
    stamp = sent["headers"]["X-Einblick-Timestamp"]
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + sent["body"], hashlib.sha256).hexdigest()
    assert sent["headers"]["X-Einblick-Signature"] == f"sha256={expected}"
    assert abs(int(stamp) - timezone.now().timestamp()) < 60
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status) == (1, 200) and delivery.delivered_at


def test_failures_are_retried_with_doubling_delays_until_the_ams_answers(
    grant, broker, receiver, django_capture_on_commit_callbacks
):
    set_webhook(broker=broker, url=receiver.url, actor=None)
    new_process(grant, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    receiver.statuses = [500, 503]
    before = timezone.now()
    assert webhooks.deliver.call(delivery.pk) == "retry 1"
    queued = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert (
        queued is not None
        and queued.run_after is not None
        and queued.run_after >= before + timedelta(seconds=29)
    )
    assert webhooks.deliver.call(delivery.pk) == "retry 2"
    queued = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert queued is not None and queued.run_after >= before + timedelta(seconds=59)
    assert webhooks.deliver.call(delivery.pk) == "delivered"
    assert webhooks.deliver.call(delivery.pk) == "nothing to do"  # a late duplicate is harmless
    assert len(receiver.requests) == 3
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status) == (3, 200)


def test_an_unreachable_ams_is_given_up_after_the_last_attempt_and_the_outbox_keeps_it(
    grant, broker, api, django_capture_on_commit_callbacks
):
    set_webhook(broker=broker, url="http://127.0.0.1:9/nowhere", actor=None)
    process = new_process(grant, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    results = [webhooks.deliver.call(delivery.pk) for _ in range(webhooks.MAX_ATTEMPTS)]
    assert results[-1] == "given up" and results[0] == "retry 1"
    delivery.refresh_from_db()
    assert delivery.given_up_at and delivery.last_error
    assert [p["id"] for p in api.get("/processes", state="new").json()["items"]] == [process.pk]


def test_without_a_webhook_nothing_is_queued(grant, django_capture_on_commit_callbacks):
    new_process(grant, django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists() and not DBTaskResult.objects.exists()


def test_the_command_line_sets_and_removes_it(broker, capsys):
    call_command("broker", "webhook", broker.slug, "https://ams.example/hook")
    out = capsys.readouterr().out
    stored = Broker.objects.get(pk=broker.pk)
    assert stored.webhook_url == "https://ams.example/hook" and stored.webhook_secret in out
    with pytest.raises(CommandError, match="http or https"):
        call_command("broker", "webhook", broker.slug, "ftp://ams.example/hook")
    with pytest.raises(CommandError, match="http or https"):
        call_command("broker", "webhook", broker.slug, "javascript:alert(1)")
    call_command("broker", "webhook", broker.slug, "--remove")
    assert Broker.objects.get(pk=broker.pk).webhook_url == ""


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    grant, broker, receiver, django_capture_on_commit_callbacks
):
    set_webhook(broker=broker, url=receiver.url, actor=None)
    new_process(grant, django_capture_on_commit_callbacks)
    receiver.statuses = [302]
    assert webhooks.deliver.call(WebhookDelivery.objects.get().pk) == "retry 1"
    assert [r["method"] for r in receiver.requests] == ["POST"]  # nothing went to the Location
    assert WebhookDelivery.objects.get().last_status == 302
