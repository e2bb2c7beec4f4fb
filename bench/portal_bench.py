"""Portal benchmark (issue 5): the portal under load, through the production server.

Builds the grants benchmark's portfolio (visibility_bench.build: one broker, 1,000,000 contracts over
200,000 customers, risk locations and claims, plain SQL), then

    private   a private-view grant on one customer with 30 contracts (every status option, claims and
              reference addresses shared): GET /portal/<grant>/ is the dashboard (coverage cards)
    business  a business-view intermediary grant over one intermediary number that 5,000 customers
              carry (~25,000 contracts, every status option): GET /portal/<grant>/ is the first
              page of the contracts table

each with one member user who is logged in through database sessions created server-side (one
session per load client, as if the user were signed in on that many devices). Starts `einblick
serve` (migrate, collectstatic, gunicorn; its default workers and threads) on a free loopback port
and drives each page with --clients concurrent keep-alive clients (http.client, a thread each) for
--seconds, after a short warm-up. Prints requests/s, p50/p95/p99 latency and errors (any answer but
200, or a failed connection) next to the targets, then the SQL of one request of each page as the
debug cursor sees it in this process.

    make bench                                                          # SQLite and PostgreSQL
    .venv/bin/python bench/portal_bench.py --db postgres
    .venv/bin/python bench/portal_bench.py --contracts 50000 --customers 10000 --seconds 5
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from common import start_django
from visibility_bench import build

TARGET_DASHBOARD_P95_MS = 150.0
TARGET_BUSINESS_P95_MS = 300.0
PRIVATE_CONTRACTS = 30
INTERMEDIARY = "VM-BENCH"
WARMUP_PER_CLIENT = 3


# --- the grants, their users and their sessions -------------------------------------------------------


def private_customer(broker: Any, owner: Any) -> tuple[int, int]:
    """The customer with the most contracts, topped up to PRIVATE_CONTRACTS by moving other customers'
    contracts (with their claims: a claim's contract belongs to the claim's customer) to them.
    Returns the customer's index and key."""
    from django.db import connection, transaction

    from einblick.portfolio.models import Customer

    index, have = Counter(owner).most_common(1)[0]
    customer_id = Customer.objects.get(broker=broker, external_id=f"K-{index}").pk
    rng = random.Random(5)
    moved: set[int] = set()
    while have + len(moved) < PRIVATE_CONTRACTS and len(moved) < len(owner) - have:
        k = rng.randrange(len(owner))
        if owner[k] != index:
            moved.add(k)
    if moved:
        externals = [f"V-{k}" for k in sorted(moved)]
        marks = ", ".join(["%s"] * len(externals))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE portfolio_contract SET customer_id = %s WHERE broker_id = %s AND external_id IN ({marks})",
                [customer_id, broker.pk, *externals],
            )
            assert cursor.rowcount == len(externals), cursor.rowcount
            cursor.execute(
                "UPDATE portfolio_claim SET customer_id = %s WHERE broker_id = %s AND contract_id IN "
                f"(SELECT id FROM portfolio_contract WHERE broker_id = %s AND external_id IN ({marks}))",
                [customer_id, broker.pk, broker.pk, *externals],
            )
    return index, customer_id


def intermediary_customers(broker: Any, wanted: int) -> int:
    """One UPDATE: every step-th customer (spread over the portfolio, as an agent's customers are)
    gets INTERMEDIARY. Returns how many carry it."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), COUNT(*) FROM portfolio_customer WHERE broker_id = %s", [broker.pk])
        first, total = cursor.fetchone()
        wanted = min(wanted, total)
        step = max(1, total // wanted)
        cursor.execute(
            "UPDATE portfolio_customer SET intermediary = %s "
            "WHERE broker_id = %s AND (id - %s) %% %s = 0 AND id - %s < %s",
            [INTERMEDIARY, broker.pk, first, step, first, step * wanted],
        )
        return cursor.rowcount


def make_grants(broker: Any, owner: Any, args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from einblick.accounts.models import User
    from einblick.grants import visibility
    from einblick.grants.models import STATUS_OPTIONS
    from einblick.grants.payloads import GrantIn
    from einblick.grants.services import create_grant
    from einblick.office import members

    t0 = time.perf_counter()
    index, _ = private_customer(broker, owner)
    carried = intermediary_customers(broker, args.intermediary_customers)
    share = {
        "claims": True,
        "reference_addresses": True,
        "auto_contracts": True,
        "statuses": list(STATUS_OPTIONS),
    }
    payloads = {
        "private": {"name": "Privat", "customers": [f"K-{index}"], "share": share},
        "business": {
            "name": "Vermittler",
            "intermediaries": [INTERMEDIARY],
            "share": share,
            "actions": {"view": "business"},
        },
    }
    out: dict[str, Any] = {}
    for label, payload in payloads.items():
        grant = create_grant(broker=broker, actor=None, data=GrantIn.model_validate(payload))
        user = User.objects.create_user(f"{label}@bench.example")
        member, _ = members.share(grant=grant, actor=None, email=user.email)
        assert member.state == "active", member.state
        out[label] = {"grant": grant, "user": user}
    with connection.cursor() as cursor:
        # Statistics for what changed since build() analysed: the intermediary numbers, the grants.
        for table in ("portfolio_customer", "grants_grant", "grants_grant_customers", "grants_grantmember"):
            cursor.execute(f"ANALYZE {table}")
    for entry in out.values():
        entry["contracts"] = visibility.contracts(entry["grant"]).count()
        entry["customers"] = visibility.customers(entry["grant"]).count()
    print(
        f"  grants in {time.perf_counter() - t0:.1f} s: private {out['private']['customers']} customer, "
        f"{out['private']['contracts']} visible contracts; business {carried:,} customers with {INTERMEDIARY}, "
        f"{out['business']['contracts']:,} visible contracts"
    )
    return out


def earlier_grants(broker: Any) -> dict[str, Any]:
    """The grants and users that make_grants left in a kept database."""
    from einblick.accounts.models import User
    from einblick.grants import visibility
    from einblick.grants.models import Grant

    out: dict[str, Any] = {}
    for label, name in (("private", "Privat"), ("business", "Vermittler")):
        grant = Grant.objects.get(broker=broker, name=name)
        out[label] = {
            "grant": grant,
            "user": User.objects.get(email=f"{label}@bench.example"),
            "contracts": visibility.contracts(grant).count(),
            "customers": visibility.customers(grant).count(),
        }
    return out


def login_sessions(user: Any, count: int) -> list[str]:
    """Database sessions as a login leaves them (django.contrib.auth plus the idle and maximum clocks of
    SessionLimitsMiddleware, which writes the session at most once a minute)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from einblick.accounts.middleware import LOGIN_AT, SEEN_AT

    keys = []
    for _ in range(count):
        session = SessionStore()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[LOGIN_AT] = session[SEEN_AT] = int(time.time())
        session.create()
        assert session.session_key is not None
        keys.append(session.session_key)
    return keys


# --- the server ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int | None, log: Path) -> subprocess.Popen[bytes]:
    """`einblick serve` with this process's database settings (DATABASE_URL, EINBLICK_DATA_DIR)."""
    env = {
        **os.environ,
        "EINBLICK_BASE_URL": f"http://127.0.0.1:{port}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
    }
    argv = [sys.executable, "-m", "einblick.config.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        argv += ["--workers", str(workers)]
    with log.open("wb") as out:
        server = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server ended with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"the server did not listen within 120 s:\n{log.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # gunicorn's arbiter: graceful stop of its workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the load -----------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection with one session cookie."""

    def __init__(self, port: int, session_key: str) -> None:
        self.port = port
        self.headers = {"Cookie": f"sessionid={session_key}", "Accept-Language": "de"}
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, body

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def check(body: bytes, grant_id: str, expected: int) -> None:
    """The page shows what the grant shows: as many contract links as expected."""
    links = set(re.findall(rf"/portal/{re.escape(grant_id)}/contracts/(\d+)/".encode(), body))
    assert len(links) == expected, (len(links), expected, body[:2000])


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


def load(clients: list[Client], path: str, seconds: float) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in clients]
    errors: list[Counter[str]] = [Counter() for _ in clients]
    barrier = threading.Barrier(len(clients) + 1)
    start = deadline = 0.0

    def run(i: int) -> None:
        client, mine, failed = clients[i], latencies[i], errors[i]
        barrier.wait()
        while (t0 := time.perf_counter()) < deadline:
            try:
                status, _ = client.get(path)
            except (OSError, http.client.HTTPException) as exc:
                failed[type(exc).__name__] += 1
                continue
            mine.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                failed[str(status)] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    deadline = start + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime
    ordered = sorted(v for mine in latencies for v in mine)
    failed = sum(errors, Counter())
    return {
        "requests": len(ordered),
        "rps": len(ordered) / elapsed,
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1] if ordered else math.nan,
        "errors": sum(failed.values()),
        "error_kinds": dict(failed),
        "client_cpu": client_cpu / elapsed,
    }


def measure(
    db: str, label: str, entry: dict[str, Any], port: int, sessions: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    grant = entry["grant"]
    path = f"/portal/{grant.pk}/"
    expected = min(entry["contracts"], 50) if label == "business" else entry["contracts"]
    clients = [Client(port, key) for key in sessions]
    sizes: list[int] = []

    def warm(client: Client) -> None:
        for _ in range(WARMUP_PER_CLIENT):
            status, body = client.get(path)
            assert status == 200, (status, body[:1000])
            check(body, grant.pk, expected)
            sizes.append(len(body))
        # The load opens its connections anew: one left idle for longer than gunicorn's keep-alive
        # timeout (2 s) is closed by the server, and its next request would fail.
        client.close()

    # Warm-up (every client at once): each worker's templates compiled and connections made, the pages checked.
    warmers = [threading.Thread(target=warm, args=(client,)) for client in clients]
    for thread in warmers:
        thread.start()
    for thread in warmers:
        thread.join()
    assert len(sizes) == len(clients) * WARMUP_PER_CLIENT, "a warm-up request failed"
    size = max(sizes)
    result = load(clients, path, args.seconds)
    for client in clients:
        client.close()
    target = TARGET_DASHBOARD_P95_MS if label == "private" else TARGET_BUSINESS_P95_MS
    result["ok"] = result["p95"] <= target and result["errors"] == 0
    page = "dashboard    " if label == "private" else "business page"
    print(
        f"[{db}] {page} ({entry['customers']:,} customers, {entry['contracts']:,} contracts, "
        f"{size / 1024:.0f} KiB): {len(clients)} clients x {args.seconds:g} s: {result['requests']:,} requests, "
        f"{result['rps']:.1f} req/s (the load clients used {result['client_cpu']:.2f} CPU cores)"
    )
    kinds = f" {result['error_kinds']}" if result["errors"] else ""
    print(
        f"[{db}]   p50 {result['p50']:7.1f} ms   p95 {result['p95']:7.1f} ms   p99 {result['p99']:7.1f} ms   "
        f"max {result['max']:7.1f} ms   errors {result['errors']}{kinds}   "
        f"(target p95 <= {target:.0f} ms, zero errors: {'met' if result['ok'] else 'MISSED'})"
    )
    return result


def trace(db: str, label: str, entry: dict[str, Any], session_key: str) -> None:
    """One request of the page in this process (the same code, no server), with an empty cache (what a
    page computes after a change of the grant's data) and again (what the load above measured): its
    time and SQL, slowest first."""
    from django.core.cache import caches
    from django.db import connection, reset_queries
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    client = TestClient(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = session_key
    path = f"/portal/{entry['grant'].pk}/"
    assert client.get(path).status_code == 200
    for state in ("empty cache", "cached"):
        if state == "empty cache":
            caches["portal"].clear()
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            response = client.get(path)
            took = (time.perf_counter() - t0) * 1000
        assert response.status_code == 200
        queries = captured.captured_queries
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        print(
            f"[{db}] {label} page in process, {state}: {took:.1f} ms, {len(queries)} SQL queries taking {sql_ms:.1f} ms"
        )
        for q in sorted(queries, key=lambda q: -float(q["time"]))[:3]:
            sql = q["sql"]
            print(
                f"[{db}]     {float(q['time']) * 1000:7.1f} ms  {sql[:160]}{'...' if len(sql) > 160 else ''}"
            )


def child(db: str, args: argparse.Namespace) -> None:
    os.environ.setdefault("EMAIL_URL", "outbox:")  # the access notices of add_member, kept on disk
    start_django(db, reuse=args.reuse and db == "postgres")
    from django.db import connection

    from einblick.brokers.models import Broker
    from einblick.office.brokers import create_broker

    print(f"[{db}] {connection.vendor}, data in {os.environ['EINBLICK_DATA_DIR']}")
    broker = Broker.objects.filter(slug="bench").first()
    if broker is not None:
        print(f"[{db}] reusing the portfolio and grants of an earlier run (--reuse)")
        entries = earlier_grants(broker)
    else:
        broker = create_broker(slug="bench", name="Bench Makler")
        owner, _ = build(broker, args, db)
        entries = make_grants(broker, owner, args)
        del owner
    for entry in entries.values():
        entry["sessions"] = login_sessions(entry["user"], args.clients)
    connection.close()  # nothing of this process holds the database while the server runs

    port = free_port()
    log = Path(os.environ["EINBLICK_DATA_DIR"]) / "server.log"
    t0 = time.perf_counter()
    server = start_server(port, args.workers, log)
    results = {}
    try:
        print(
            f"[{db}] einblick serve on 127.0.0.1:{port} ({args.workers or 'its default'} workers) "
            f"up in {time.perf_counter() - t0:.1f} s"
        )
        for label in ("private", "business"):
            results[label] = measure(db, label, entries[label], port, entries[label]["sessions"], args)
    finally:
        stop_server(server)
    for label in ("private", "business"):
        trace(db, label, entries[label], entries[label]["sessions"][0])
    verdict = "all targets met" if all(r["ok"] for r in results.values()) else "TARGET MISSED"
    print(
        f"[{db}] summary: dashboard p95 {results['private']['p95']:.1f} / {TARGET_DASHBOARD_P95_MS:.0f} ms, "
        f"{results['private']['rps']:.1f} req/s; business page p95 {results['business']['p95']:.1f} / "
        f"{TARGET_BUSINESS_P95_MS:.0f} ms, {results['business']['rps']:.1f} req/s; errors "
        f"{results['private']['errors'] + results['business']['errors']}; {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=None, help="default: a tenth of --contracts")
    parser.add_argument(
        "--intermediary-customers", type=int, default=5_000, help="customers of the business grant"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="load per page")
    parser.add_argument("--clients", type=int, default=20, help="concurrent keep-alive clients")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: einblick serve's)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: keep the database of an earlier run and its portfolio (no build; for tuning)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.claims is None:
        args.claims = args.contracts // 10
    if args.child:
        child(args.db, args)
        return
    # One process per database: Django's settings are fixed once it is set up.
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        argv = [sys.executable, __file__, "--child", "--db", db]
        for name in (
            "customers",
            "contracts",
            "claims",
            "intermediary_customers",
            "seconds",
            "clients",
            "workers",
        ):
            argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
        subprocess.run(argv + (["--reuse"] if args.reuse else []), check=True)


if __name__ == "__main__":
    main()
