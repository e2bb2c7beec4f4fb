"""The webhook's egress guard (issue 15, item 1): a broker's administrator could aim the AMS webhook at
the server's own network (`http://127.0.0.1:…`, 169.254.169.254, [::1], 10.0.0.1,
metadata.google.internal) and the worker POSTed signed announcements there. Now the URL is checked when
it is saved (office, command line) and again at every delivery, which connects to exactly the address it
checked. The attacks run against a real HTTP(S) receiver on loopback: with private addresses allowed
(EINBLICK_WEBHOOK_ALLOW_PRIVATE, the on-premise setting) they reach it, by default they are refused and
nothing arrives. Host names are resolved for real: `localhost` by the machine's resolver, `ams.invalid`
never (RFC 2606)."""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import ssl
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from einblick.accounts.models import User
from einblick.audit.models import AuditEntry
from einblick.brokers import egress
from einblick.brokers.models import Broker
from einblick.brokers.services import set_webhook
from einblick.errors import Invalid
from einblick.processes import services, webhooks
from einblick.processes.models import WebhookDelivery
from tests.factories import load, make_grant, member_client
from tests.receivers import Receiver, server_tls
from tests.samples import person

PUBLIC = "https://93.184.215.14/hook"  # a public address: saved without asking a resolver
NOT_ALLOWED = "The webhook URL is not allowed."
HTTPS_ONLY = "http is not allowed: this installation sends webhooks only over https"
METADATA = "is a cloud provider's metadata service"


def not_public(address: str, kind: str) -> str:
    return f"{address} is not a public internet address ({kind})"


@pytest.fixture(autouse=True)
def _defaults(settings) -> None:
    """The installation's defaults, whatever the environment of the test run says."""
    settings.EINBLICK_WEBHOOK_ALLOW_HTTP = False
    settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE = False


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def certificates(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    return server_tls(tmp_path, "localhost", "ams.invalid")


@pytest.fixture
def tls_receiver(certificates, monkeypatch) -> Iterator[Receiver]:
    """An HTTPS receiver whose certificate names localhost and ams.invalid, issued by a CA the client
    trusts through SSL_CERT_FILE (as an on-premise AMS with its own CA would be set up)."""
    context, ca_file = certificates
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    r = Receiver(tls=context)
    yield r
    r.stop()


@pytest.fixture
def grant(broker):
    load(broker, customers={"K-1": person("Muster", "Klara")})
    grant = make_grant(broker, "Familie", ["K-1"], primary_contact=True, messages=True)
    member_client(grant, "klara@example.org")
    return grant


def refusal(broker: Broker, url: str) -> tuple[str, list[str]]:
    """What saving `url` answers, in English; the test fails when it is saved."""
    broker.refresh_from_db()
    before = (broker.webhook_url, broker.webhook_secret)
    with translation.override("en"), pytest.raises(Invalid) as refused:
        set_webhook(broker=broker, url=url, actor=None)
    broker.refresh_from_db()
    assert (broker.webhook_url, broker.webhook_secret) == before
    return refused.value.message, [error.msg for error in refused.value.errors]


def store(broker: Broker, url: str) -> None:
    """A URL as an older version, a restore or another setting left it: written past every check."""
    Broker.objects.filter(pk=broker.pk).update(webhook_url=url, webhook_secret="s" * 43)


def announce_one(grant, capture) -> WebhookDelivery:
    with capture(execute=True):
        process = services.start_message(
            grant=grant, user=User.objects.get(email="klara@example.org"), subject="Hallo", body="Text"
        )
    return WebhookDelivery.objects.get(process=process)


# --- the addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind", "on_premise"),
    [
        ("127.0.0.1", "loopback", True),
        ("127.255.0.9", "loopback", True),
        ("::1", "loopback", True),
        ("10.0.0.1", "private network", True),
        ("172.16.0.1", "private network", True),
        ("192.168.178.1", "private network", True),
        ("100.64.0.1", "shared address space", True),
        ("fc00::1", "unique local", True),
        ("fd12:3456::1", "unique local", True),
        ("169.254.169.254", "cloud metadata service", False),
        ("fd00:ec2::254", "cloud metadata service", False),
        ("100.100.100.200", "cloud metadata service", False),
        ("169.254.1.1", "link-local", False),
        ("fe80::1", "link-local", False),
        ("0.0.0.0", "unspecified", False),  # noqa: S104 - an address refused, nothing bound
        ("::", "unspecified", False),
        ("224.0.0.1", "multicast", False),
        ("ff02::1", "multicast", False),
        ("240.0.0.1", "reserved", False),
        ("255.255.255.255", "reserved", False),
        ("192.0.2.10", "special purpose", False),
        ("198.18.0.1", "special purpose", False),
        ("0.1.2.3", "special purpose", False),
        ("192.0.0.8", "special purpose", False),
        ("2001:db8::1", "special purpose", False),
        ("fec0::1", "special purpose", False),
        ("2001::1", "special purpose", False),  # Teredo
        ("::ffff:127.0.0.1", "loopback", True),  # IPv4-mapped
        ("::ffff:169.254.169.254", "cloud metadata service", False),
        ("64:ff9b::7f00:1", "loopback", True),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "cloud metadata service", False),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::", "loopback", True),  # 6to4 of 127.0.0.1
    ],
)
def test_addresses_off_the_public_internet_are_named_and_only_private_networks_may_be_opened(
    address, kind, on_premise
):
    verdict = egress.kind_of(ipaddress.ip_address(address))
    assert verdict is not None
    with translation.override("en"):
        assert (str(verdict[0]), verdict[1]) == (kind, on_premise)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "1.1.1.1", "2606:4700::1111", "64:ff9b::5db8:d70e", "2002:5db8:d70e::"]
)
def test_public_addresses_pass_also_inside_nat64_and_6to4(address):
    assert egress.kind_of(ipaddress.ip_address(address)) is None


# --- saving (the service, the office, the command line) ---------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1/hook", not_public("127.0.0.1", "loopback")),
        ("https://127.0.0.1:8443/hook", not_public("127.0.0.1", "loopback")),
        ("https://[::1]/hook", not_public("::1", "loopback")),
        ("https://[fe80::1]/hook", not_public("fe80::1", "link-local")),
        ("https://[fe80::1%25eth0]/hook", not_public("fe80::1%25eth0", "link-local")),
        ("https://[fc00::1]/hook", not_public("fc00::1", "unique local")),
        ("https://[::ffff:127.0.0.1]/hook", not_public("::ffff:127.0.0.1", "loopback")),
        ("https://[::ffff:7f00:1]/hook", not_public("::ffff:7f00:1", "loopback")),
        ("https://[64:ff9b::127.0.0.1]/hook", not_public("64:ff9b::127.0.0.1", "loopback")),
        ("https://[2002:7f00:1::]/hook", not_public("2002:7f00:1::", "loopback")),
        ("https://2130706433/hook", not_public("2130706433", "loopback")),
        ("https://0x7f000001/hook", not_public("0x7f000001", "loopback")),
        ("https://127.1/hook", not_public("127.1", "loopback")),
        ("https://0177.0.0.1/hook", not_public("0177.0.0.1", "loopback")),
        ("https://0x7f.1/hook", not_public("0x7f.1", "loopback")),
        ("https://0.0.0.0/hook", not_public("0.0.0.0", "unspecified")),  # noqa: S104
        ("https://0/hook", not_public("0", "unspecified")),
        ("https://[::]/hook", not_public("::", "unspecified")),
        (
            "https://169.254.169.254/latest/meta-data/",
            not_public("169.254.169.254", "cloud metadata service"),
        ),
        ("https://2852039166/latest/meta-data/", not_public("2852039166", "cloud metadata service")),
        ("https://10.0.0.1/hook", not_public("10.0.0.1", "private network")),
        ("https://192.168.178.1/hook", not_public("192.168.178.1", "private network")),
        ("https://224.0.0.1/hook", not_public("224.0.0.1", "multicast")),
        ("https://metadata.google.internal/computeMetadata/v1/", f"metadata.google.internal {METADATA}"),
        ("https://Metadata.Google.Internal./", f"metadata.google.internal. {METADATA}"),
    ],
)
def test_saving_refuses_a_url_whose_host_is_not_a_public_address_in_any_notation(broker, url, message):
    assert refusal(broker, url) == (NOT_ALLOWED, [message])


def test_saving_refuses_a_host_name_that_resolves_to_loopback(broker):
    assert socket.getaddrinfo("localhost", 443)  # the machine's resolver knows it, as every one does
    message, [error] = refusal(broker, "https://localhost:8443/hook")
    assert message == NOT_ALLOWED
    assert re.fullmatch(
        r"localhost resolves to (127\.0\.0\.1|::1), which is not a public internet address \(loopback\)",
        error,
    )


def test_a_public_address_is_saved_and_so_is_a_name_that_does_not_resolve_yet(broker):
    """A name without an address is no danger today; every delivery resolves and checks it again."""
    assert set_webhook(broker=broker, url=PUBLIC, actor=None)
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("ams.invalid", 443)
    assert set_webhook(broker=broker, url="https://ams.invalid/hook", actor=None)
    broker.refresh_from_db()
    assert broker.webhook_url == "https://ams.invalid/hook"


def test_plain_http_needs_the_setting(broker, settings):
    assert refusal(broker, "http://93.184.215.14/hook") == (NOT_ALLOWED, [HTTPS_ONLY])
    assert refusal(broker, "ftp://93.184.215.14/hook") == ("The webhook URL is invalid.", ["an https URL"])

    settings.EINBLICK_WEBHOOK_ALLOW_HTTP = True
    assert set_webhook(broker=broker, url="http://93.184.215.14/hook", actor=None)
    assert refusal(broker, "ftp://93.184.215.14/hook") == (
        "The webhook URL is invalid.",
        ["an http or https URL"],
    )
    assert refusal(broker, "http://127.0.0.1/hook") == (NOT_ALLOWED, [not_public("127.0.0.1", "loopback")])


def test_a_user_name_or_password_in_the_url_is_refused(broker):
    """Also the old trick of an address where the user name goes."""
    for url in ("https://ams:secret@93.184.215.14/hook", "https://127.0.0.1@93.184.215.14/hook"):
        assert refusal(broker, url) == (NOT_ALLOWED, ["no user name or password in the URL"])


def test_an_on_premise_installation_may_aim_at_its_own_network_but_never_at_metadata_or_link_local(
    broker, settings
):
    settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE = True
    for url in (
        "https://10.0.0.1/hook",
        "https://192.168.178.20:8443/hook",
        "https://[fd12:3456::1]/hook",
        "https://127.0.0.1:8443/hook",
        "https://localhost:8443/hook",
    ):
        assert set_webhook(broker=broker, url=url, actor=None), url
    for url, message in [
        ("https://169.254.169.254/", not_public("169.254.169.254", "cloud metadata service")),
        ("https://[fd00:ec2::254]/", not_public("fd00:ec2::254", "cloud metadata service")),
        ("https://100.100.100.200/", not_public("100.100.100.200", "cloud metadata service")),
        (
            "https://metadata.google.internal/",
            f"metadata.google.internal {METADATA}",
        ),
        ("https://[fe80::1]/", not_public("fe80::1", "link-local")),
        ("https://0.0.0.0/", not_public("0.0.0.0", "unspecified")),  # noqa: S104
        ("https://224.0.0.1/", not_public("224.0.0.1", "multicast")),
    ]:
        assert refusal(broker, url) == (NOT_ALLOWED, [message])


def url_field_error(page: str) -> str:
    """The error the office shows with the webhook form's URL field, as text."""
    match = re.search(r'name="url"[^>]*>\s*<div class="errors">(.*?)</div>', page, re.S)
    assert match, "the URL field shows no error"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://169.254.169.254/latest/meta-data/",
            not_public("169.254.169.254", "cloud metadata service"),
        ),
        ("https://[::1]:8443/hook", not_public("::1", "loopback")),
        (
            "https://metadata.google.internal/",
            f"metadata.google.internal {METADATA}",
        ),
        ("http://93.184.215.14/hook", HTTPS_ONLY),
    ],
)
def test_the_office_answers_422_with_the_reason_at_the_field_and_keeps_the_old_webhook(
    broker, broker_admin, url, message
):
    admin = broker_admin.client
    admin.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    webhook = f"/staff/{broker.pk}/api/webhook/"
    assert admin.post(webhook, {"url": PUBLIC}).status_code == 200
    broker.refresh_from_db()
    kept = (broker.webhook_url, broker.webhook_secret)
    audit = AuditEntry.objects.filter(broker=broker).count()

    response = admin.post(webhook, {"url": url})

    assert response.status_code == 422
    page = response.content.decode()
    assert url_field_error(page) == message
    assert 'id="webhook-secret"' not in page
    broker.refresh_from_db()
    assert (broker.webhook_url, broker.webhook_secret) == kept
    assert AuditEntry.objects.filter(broker=broker).count() == audit


def test_the_command_line_says_why_and_saves_nothing(broker):
    cases = [
        ("https://[::1]:8443/hook", not_public("::1", "loopback")),
        ("https://169.254.169.254/", not_public("169.254.169.254", "cloud metadata service")),
        ("https://0x7f000001/", not_public("0x7f000001", "loopback")),
        ("http://93.184.215.14/hook", HTTPS_ONLY),
    ]
    for url, reason in cases:
        with pytest.raises(CommandError) as refused:
            call_command("broker", "webhook", broker.slug, url)
        assert str(refused.value) == f"{NOT_ALLOWED} {reason}"
    broker.refresh_from_db()
    assert (broker.webhook_url, broker.webhook_secret) == ("", "")


# --- delivering -------------------------------------------------------------------------------------

LOOPBACK_FORMS = [
    "http://127.0.0.1:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://2130706433:{port}/hook",
    "http://0x7f000001:{port}/hook",
    "http://127.1:{port}/hook",
    "http://0177.0.0.1:{port}/hook",
    "http://localhost:{port}/hook",
]


@pytest.mark.parametrize("form", LOOPBACK_FORMS)
def test_each_of_these_urls_reaches_the_local_receiver_when_private_addresses_are_allowed(
    grant, broker, receiver, settings, form, django_capture_on_commit_callbacks
):
    """The attack, reproduced: every notation leads to the server's own loopback receiver."""
    settings.EINBLICK_WEBHOOK_ALLOW_HTTP = settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE = True
    store(broker, form.format(port=receiver.port))
    delivery = announce_one(grant, django_capture_on_commit_callbacks)
    assert webhooks.deliver.call(delivery.pk) == "delivered"
    assert [r["method"] for r in receiver.requests] == ["POST"]


@pytest.mark.parametrize("form", [*LOOPBACK_FORMS, "http://0.0.0.0:{port}/hook"])
def test_by_default_a_stored_url_that_leads_to_loopback_is_refused_at_delivery_and_given_up(
    grant, broker, receiver, settings, form, django_capture_on_commit_callbacks
):
    settings.EINBLICK_WEBHOOK_ALLOW_HTTP = True  # the receiver speaks http; the address is the point
    store(broker, form.format(port=receiver.port))
    delivery = announce_one(grant, django_capture_on_commit_callbacks)
    queued = DBTaskResult.objects.count()

    assert webhooks.deliver.call(delivery.pk) == "refused"

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.given_up_at is not None and delivery.delivered_at is None
    assert delivery.last_status is None
    assert re.fullmatch(
        r"refused: .* is not a public internet address \((loopback|unspecified)\)", delivery.last_error
    )
    assert DBTaskResult.objects.count() == queued  # no retry: the same address would be refused again
    assert webhooks.deliver.call(delivery.pk) == "nothing to do"


def test_a_url_saved_while_the_settings_allowed_it_is_refused_once_they_no_longer_do(
    grant, broker, receiver, api, settings, django_capture_on_commit_callbacks
):
    settings.EINBLICK_WEBHOOK_ALLOW_HTTP = settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE = True
    assert set_webhook(broker=broker, url=receiver.url, actor=None)

    settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE = False
    first = announce_one(grant, django_capture_on_commit_callbacks)
    assert webhooks.deliver.call(first.pk) == "refused"
    first.refresh_from_db()
    assert first.last_error == f"refused: {not_public('127.0.0.1', 'loopback')}"

    settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE, settings.EINBLICK_WEBHOOK_ALLOW_HTTP = True, False
    second = announce_one(grant, django_capture_on_commit_callbacks)
    assert webhooks.deliver.call(second.pk) == "refused"
    second.refresh_from_db()
    assert second.last_error == f"refused: {HTTPS_ONLY}"

    assert receiver.requests == []
    outbox = api.get("/processes", state="new").json()["items"]  # the AMS still finds both processes
    assert {p["id"] for p in outbox} == {first.process_id, second.process_id}


def test_a_receiver_on_ipv6_loopback_is_reached_only_where_allowed(
    grant, broker, settings, django_capture_on_commit_callbacks
):
    receiver = Receiver(host="::1")
    try:
        settings.EINBLICK_WEBHOOK_ALLOW_HTTP = True
        store(broker, receiver.url)
        refused = announce_one(grant, django_capture_on_commit_callbacks)
        assert webhooks.deliver.call(refused.pk) == "refused"
        assert receiver.requests == []

        settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE = True
        allowed = announce_one(grant, django_capture_on_commit_callbacks)
        assert webhooks.deliver.call(allowed.pk) == "delivered"
        assert receiver.requests[0]["headers"]["Host"] == f"[::1]:{receiver.port}"
    finally:
        receiver.stop()


def test_a_name_that_does_not_resolve_at_delivery_is_tried_again_later_not_refused(
    grant, broker, django_capture_on_commit_callbacks
):
    store(broker, "https://ams.invalid/hook")
    delivery = announce_one(grant, django_capture_on_commit_callbacks)
    assert webhooks.deliver.call(delivery.pk) == "retry 1"
    delivery.refresh_from_db()
    assert delivery.given_up_at is None and delivery.last_error and "refused" not in delivery.last_error


def test_a_redirect_is_answered_not_followed(
    grant, broker, receiver, settings, django_capture_on_commit_callbacks
):
    """Not even to an address that would itself be allowed."""
    settings.EINBLICK_WEBHOOK_ALLOW_HTTP = settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE = True
    elsewhere = Receiver()
    try:
        receiver.statuses = [307]
        receiver.location = elsewhere.url
        assert set_webhook(broker=broker, url=receiver.url, actor=None)
        delivery = announce_one(grant, django_capture_on_commit_callbacks)

        assert webhooks.deliver.call(delivery.pk) == "retry 1"

        assert [r["method"] for r in receiver.requests] == ["POST"] and elsewhere.requests == []
        delivery.refresh_from_db()
        assert (delivery.last_status, delivery.last_error) == (307, "HTTP 307")
    finally:
        elsewhere.stop()


def test_https_delivery_to_an_on_premise_ams_verifies_its_certificate_for_the_name(
    grant, broker, tls_receiver, settings, django_capture_on_commit_callbacks
):
    settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE = True  # and no http
    assert set_webhook(broker=broker, url=f"https://localhost:{tls_receiver.port}/einblick", actor=None)
    delivery = announce_one(grant, django_capture_on_commit_callbacks)

    assert webhooks.deliver.call(delivery.pk) == "delivered"

    [sent] = tls_receiver.requests
    assert tls_receiver.server_names == ["localhost"]  # SNI
    assert sent["headers"]["Host"] == f"localhost:{tls_receiver.port}"
    assert json.loads(sent["body"])["process"] == delivery.process_id


# --- the connection goes to the checked address ---------------------------------------------------


def pinned(scheme: str, host: str, port: int) -> egress.Target:
    """A target as `check` makes it, for a name that no resolver knows, checked as 127.0.0.1."""
    return egress.Target(
        scheme=scheme, host=host, port=port, path="/hook?a=1", addresses=(ipaddress.ip_address("127.0.0.1"),)
    )


def test_the_connection_goes_to_the_checked_address_with_the_name_in_the_host_header(receiver):
    """ams.invalid resolves nowhere, so the request can only arrive if nobody looked the name up again."""
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("ams.invalid", receiver.port)

    status = egress.post(pinned("http", "ams.invalid", receiver.port), b"{}", {"X-Test": "1"}, timeout=5)

    assert status == 200
    [sent] = receiver.requests
    assert sent["headers"]["Host"] == f"ams.invalid:{receiver.port}" and sent["headers"]["X-Test"] == "1"


def test_over_https_the_pinned_connection_sends_the_name_as_sni_and_checks_the_certificate_for_it(
    tls_receiver, monkeypatch
):
    port = tls_receiver.port
    assert egress.post(pinned("https", "ams.invalid", port), b"{}", {}, timeout=5) == 200
    assert tls_receiver.server_names == ["ams.invalid"]
    assert tls_receiver.requests[0]["headers"]["Host"] == f"ams.invalid:{port}"

    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        egress.post(pinned("https", "other.invalid", port), b"{}", {}, timeout=5)
    monkeypatch.delenv("SSL_CERT_FILE")  # the system's CAs do not know the test's CA
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer certificate"):
        egress.post(pinned("https", "ams.invalid", port), b"{}", {}, timeout=5)
    assert len(tls_receiver.requests) == 1
