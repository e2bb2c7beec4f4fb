"""Where the server may send what a broker's administrator aims at: the AMS webhook (issue 15).

A webhook URL is checked when it is saved (office, command line: brokers.services.set_webhook) and
again before every delivery (processes.webhooks), by `check`:

- https only; plain http when EINBLICK_WEBHOOK_ALLOW_HTTP is set. No user name or password in the URL.
- The host must lead to public internet addresses only. An address literal is read in every form the
  C library takes (127.1, 2130706433, 0x7f000001, [::ffff:127.0.0.1]); a name is resolved once with
  getaddrinfo, and one non-public address among its answers refuses it. An IPv4 address carried
  inside IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:…) is judged as the IPv4
  address. The cloud providers' metadata names and addresses (METADATA_HOSTS, METADATA_ADDRESSES) are
  always refused, whatever the name resolves to here.
- EINBLICK_WEBHOOK_ALLOW_PRIVATE lets an on-premise installation reach an AMS on its own network:
  loopback, private (10/8, 172.16/12, 192.168/16), shared (100.64/10) and unique-local (fc00::/7)
  addresses. Link-local (169.254/16 with the metadata services, fe80::/10), multicast, unspecified
  (0.0.0.0, ::), reserved and other special-purpose addresses stay refused.

`post` then connects to exactly the addresses `check` accepted — no second lookup, so a name cannot
change its answer between the check and the connection (DNS rebinding) — and sends the Host header
and, over https, the SNI and certificate check of the name in the URL. It never follows a redirect and
uses no proxy from the environment. Certificates are verified against the system's CAs (SSL_CERT_FILE
names another bundle, e.g. an on-premise AMS's own CA)."""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.functional import Promise

from einblick.errors import messages as M

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, Azure, GCP, OpenStack, …
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6 (unique-local: EINBLICK_WEBHOOK_ALLOW_PRIVATE must not open it)
        "100.100.100.200",  # Alibaba Cloud (shared address space, likewise)
    )
)
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Special-purpose ranges that Python 3.11's is_global lets through (IANA's registries say otherwise).
_SPECIAL = [ipaddress.ip_network(n) for n in ("192.0.0.0/24", "64:ff9b:1::/48")]
# What inet_aton reads as an IPv4 address: decimal, octal or hex numbers, one to four of them.
_NUMERIC_HOST = re.compile(r"[0-9][0-9a-fx.]*")


class Refused(Exception):
    """The URL is not allowed. Its text, str(), is made in the language active when it is read: the
    office's and the command line's at saving, English in the delivery's record."""

    def __init__(self, message: Promise, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.values = values

    def __str__(self) -> str:
        if not self.values:
            return str(self.message)
        return str(self.message) % {key: str(value) for key, value in self.values.items()}


class NotAUrl(Refused):
    """Not an http(s) URL with a host at all."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`addresses`, nothing else) and what to call it there."""

    scheme: str  # https, or http where allowed
    host: str  # as in the URL (IDNA for a name): the Host header, SNI and certificate name
    port: int
    path: str  # path and query
    addresses: tuple[IPAddress, ...]


def kind_of(address: IPAddress) -> tuple[Promise, bool] | None:
    """What keeps `address` from being a public internet address, and whether
    EINBLICK_WEBHOOK_ALLOW_PRIVATE lets it through; None for a public address."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        return kind_of(inner)
    if address in METADATA_ADDRESSES:
        return M.KIND_METADATA, False
    if address.is_unspecified:
        return M.KIND_UNSPECIFIED, False
    if address.is_multicast:
        return M.KIND_MULTICAST, False
    if address.is_link_local:
        return M.KIND_LINK_LOCAL, False
    if address.is_loopback:
        return M.KIND_LOOPBACK, True
    if any(address in network for network in _PRIVATE):
        return M.KIND_PRIVATE, True
    if address in _SHARED:
        return M.KIND_SHARED, True
    if address in _UNIQUE_LOCAL:
        return M.KIND_UNIQUE_LOCAL, True
    if address.is_reserved:
        return M.KIND_RESERVED, False
    if (
        address.is_private
        or not address.is_global
        or getattr(address, "is_site_local", False)
        or any(address in network for network in _SPECIAL)
    ):
        return M.KIND_SPECIAL, False
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def check(url: str) -> Target:
    """The target of a webhook URL, or Refused saying why not. Resolves a host name once (a name that
    does not resolve raises socket.gaierror: the caller decides whether that is worth another try)."""
    allow_http = bool(settings.EINBLICK_WEBHOOK_ALLOW_HTTP)
    allow_private = bool(settings.EINBLICK_WEBHOOK_ALLOW_PRIVATE)
    scheme, host, port, path = _parts(url, allow_http)
    literal = _address_literal(host)
    if literal is None and host.rstrip(".") in METADATA_HOSTS:
        raise Refused(M.METADATA_SERVICE, host=host)
    addresses = (literal,) if literal is not None else _resolve(host, port)
    for address in addresses:
        verdict = kind_of(address)
        if verdict is None or (verdict[1] and allow_private):
            continue
        if literal is not None:
            raise Refused(M.ADDRESS_NOT_PUBLIC, address=host, kind=verdict[0])
        raise Refused(M.NAME_NOT_PUBLIC, host=host, address=address, kind=verdict[0])
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def _parts(url: str, allow_http: bool) -> tuple[str, str, int, str]:
    not_a_url = NotAUrl(M.HTTP_URL if allow_http else M.HTTPS_URL)
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise not_a_url from None
    if parts.scheme == "http" and not allow_http:
        raise Refused(M.HTTPS_ONLY)
    if parts.scheme not in ("https", "http") or not host or port == 0:
        raise not_a_url
    if parts.username is not None or parts.password is not None:
        raise Refused(M.URL_CREDENTIALS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def _address_literal(host: str) -> IPAddress | None:
    """The address a host that is an address stands for, in any form the C library reads: dotted quad,
    IPv6 (with a zone), and inet_aton's short, decimal, octal and hex forms (127.1, 2130706433,
    0x7f000001, 0177.0.0.1), which a resolver would answer without asking DNS."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            pass
    return None


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError:  # a label too long for IDNA: no resolver could answer it
        raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a valid host name") from None
    found: list[IPAddress] = []
    for family, _, _, _, sockaddr in answers:
        if family in (socket.AF_INET, socket.AF_INET6):
            address = ipaddress.ip_address(sockaddr[0])
            if address not in found:
                found.append(address)
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} has no IPv4 or IPv6 address")
    return tuple(found)


def post(target: Target, body: bytes, headers: Mapping[str, str], *, timeout: float) -> int:
    """POST `body` over a new connection to one of the target's checked addresses (in the resolver's
    order) and return the answer's status; a redirect is an answer like any other, not followed."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        with connection.getresponse() as response:
            return response.status
    finally:
        connection.close()


def _connect(addresses: tuple[IPAddress, ...], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of `addresses` that answers; no name is looked up."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        sock = socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect((str(address), port))
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        self.tls = ssl.create_default_context()  # verifies the chain and the host name
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.addresses = target.addresses

    def connect(self) -> None:
        sock = _connect(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
