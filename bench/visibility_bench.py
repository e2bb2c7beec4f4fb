"""Visibility benchmark: latency of GET /api/v1/grants/{id}/view on a large portfolio.

Builds one broker with 1,000,000 contracts over 200,000 customers (~20 % with a risk location) and
100,000 claims (a tenth of the contracts; 80 % on a contract, 20 % on the customer only) with plain SQL (executemany on
SQLite, COPY on PostgreSQL; the import API is measured by import_bench.py), refreshes the planner's
statistics as the app does, creates two grants through the grants service:

    small  2 customers, automatic sharing with a few status options and a line filter,
           claims and reference addresses shared
    large  5,000 customers (~25,000 contracts), every status option, claims and reference
           addresses shared

and times the view through the real API stack (Django's test client: middleware, token auth, the
visibility querysets, serialisation). Prints median and p95 latency, SQL queries per call, the
visible contracts and the query plans, next to the targets.

    make bench                                                       # SQLite and PostgreSQL
    .venv/bin/python bench/visibility_bench.py --db both --contracts 50000 --customers 10000
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import subprocess
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from common import LINES, STATUSES, start_django

CLAIM_STATUSES = ["reported", "open", "settled", "closed", "rejected"]
INTERVALS = ["monthly", "quarterly", "half_yearly", "yearly", None]
DAYS = [(date(2015, 1, 1) + timedelta(days=n)).isoformat() for n in range(3650)]
CHUNK = 50_000

SMALL_STATUSES = ["EIGEN", "ANTRAG", "POLICE", "ANGEBOT", "FREMD"]
SMALL_LINES = ["KFZ", "HRV", "WGV", "PHV"]
TARGET_SMALL_P95_MS = 20.0
TARGET_LARGE_P95_MS = 1500.0
TARGET_QUERIES = 10

CUSTOMER_COLUMNS = (
    "broker_id, external_id, created_at, updated_at, sync_hash, kind, salutation, first_name, last_name, "
    "company_name, birth_date, emails, phone, intermediary, street, zip, city, country"
)
CONTRACT_COLUMNS = (
    "broker_id, external_id, created_at, updated_at, sync_hash, customer_id, number, line_id, insurer, "
    "product, risk, status, offer_date, application_date, document_date, start_date, end_date, premium, "
    "payment_interval, intermediary, source"
)
LOCATION_COLUMNS = "broker_id, contract_id, position, label, street, zip, city, country"
CLAIM_COLUMNS = (
    "broker_id, external_id, created_at, updated_at, sync_hash, customer_id, contract_id, number, "
    "loss_date, status, description, amount_reserved, amount_paid"
)


# --- the portfolio, generated in chunks ------------------------------------------------------------


def _day(rng: random.Random) -> str | None:
    return None if rng.random() < 0.4 else DAYS[rng.randrange(3650)]


def customer_rows(broker_id: int, count: int, now: Any, seed: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    for i in range(count):
        person = rng.random() < 0.8
        yield (
            broker_id,
            f"K-{i}",
            now,
            now,
            "",
            "person" if person else "company",
            "Frau" if person else "",
            f"Vorname{i}" if person else "",
            f"Nachname{i}" if person else "",
            "" if person else f"Firma {i} GmbH",
            _day(rng) if person else None,
            f'["kunde{i}@example.org"]',
            f"+49 89 {i:07d}",
            f"VM-{i % 50}",
            f"Musterweg {i % 200}",
            f"{80000 + i % 999}",
            "München",
            "DE",
        )


def contract_rows(
    broker_id: int,
    count: int,
    customer_ids: Sequence[int],
    line_ids: dict[str, int],
    owner: array,
    now: Any,
    seed: int,
) -> Iterator[tuple[Any, ...]]:
    """Also records each contract's customer index in `owner` (for the claims and the grants)."""
    rng = random.Random(seed)
    customers = len(customer_ids)
    lines = [line_ids[code] for code in LINES]
    for i in range(count):
        c = rng.randrange(customers)
        owner.append(c)
        yield (
            broker_id,
            f"V-{i}",
            now,
            now,
            "",
            customer_ids[c],
            f"POL-{i:08d}",
            rng.choice(lines),
            "Beispiel Versicherung AG",
            "Komfort",
            f"Risiko {i}",
            rng.choice(STATUSES),
            _day(rng),
            _day(rng),
            _day(rng),
            _day(rng),
            None,
            f"{rng.randrange(100, 100000) / 100:.2f}",
            rng.choice(INTERVALS),
            "",
            "ams",
        )


def location_rows(
    broker_id: int, contract_ids: Sequence[int], share: float, seed: int
) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    for i, pk in enumerate(contract_ids):
        if rng.random() >= share:
            continue
        for position in range(2 if rng.random() < 0.1 else 1):
            yield (broker_id, pk, position, "Risikoort", f"Weg {i}", "80331", "München", "DE")


def claim_rows(
    broker_id: int,
    count: int,
    customer_ids: Sequence[int],
    contract_ids: Sequence[int],
    owner: array,
    now: Any,
    seed: int,
) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    for i in range(count):
        if rng.random() < 0.8:
            k = rng.randrange(len(contract_ids))
            contract, customer = contract_ids[k], customer_ids[owner[k]]
        else:
            contract, customer = None, customer_ids[rng.randrange(len(customer_ids))]
        yield (
            broker_id,
            f"S-{i}",
            now,
            now,
            "",
            customer,
            contract,
            f"S-{i}",
            _day(rng),
            rng.choice(CLAIM_STATUSES),
            "Leitungswasserschaden",
            "1000.00",
            None if rng.random() < 0.7 else f"{rng.randrange(0, 500000) / 100:.2f}",
        )


def _insert(table: str, columns: str, rows: Iterator[tuple[Any, ...]]) -> int:
    """INSERT in chunks: COPY on PostgreSQL, executemany on SQLite (as import_bench's floor does)."""
    from django.db import connection

    n = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * (columns.count(',') + 1))})"
        while True:
            chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
            if not chunk:
                return n
            cursor.executemany(sql, chunk)
            n += len(chunk)


def _ids(table: str, broker_id: int, expected: int, prefix: str) -> array:
    """The new rows' keys in insertion order (one session, one transaction: keys ascend)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE broker_id = %s ORDER BY id", [broker_id])
        ids = array("q", (row[0] for row in cursor.fetchall()))
        assert len(ids) == expected, (table, len(ids), expected)
        cursor.execute(f"SELECT external_id FROM {table} WHERE id = %s", [ids[-1]])
        assert cursor.fetchone()[0] == f"{prefix}-{expected - 1}", table
    return ids


def build(broker: Any, args: argparse.Namespace, db: str) -> tuple[array, dict[str, float]]:
    """The portfolio; returns each contract's customer index and the build times."""
    from django.db import connection, transaction
    from django.utils import timezone

    from einblick.portfolio.models import Line

    line_ids = dict(Line.objects.filter(broker=broker).values_list("code", "pk"))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    times: dict[str, float] = {}
    owner = array("i")
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # This connection only builds (CONN_MAX_AGE=0 closes it after the first request):
                # a larger page cache keeps the index B-trees in memory while a million rows go in.
                cursor.execute("PRAGMA cache_size = -400000")
        t0 = time.perf_counter()
        n_customers = _insert(
            "portfolio_customer", CUSTOMER_COLUMNS, customer_rows(broker.pk, args.customers, now, seed=1)
        )
        customer_ids = _ids("portfolio_customer", broker.pk, n_customers, "K")
        times["customers"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_contracts = _insert(
            "portfolio_contract",
            CONTRACT_COLUMNS,
            contract_rows(broker.pk, args.contracts, customer_ids, line_ids, owner, now, seed=2),
        )
        contract_ids = _ids("portfolio_contract", broker.pk, n_contracts, "V")
        times["contracts"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_locations = _insert(
            "portfolio_risklocation", LOCATION_COLUMNS, location_rows(broker.pk, contract_ids, 0.2, seed=3)
        )
        times["risk locations"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_claims = _insert(
            "portfolio_claim",
            CLAIM_COLUMNS,
            claim_rows(broker.pk, args.claims, customer_ids, contract_ids, owner, now, seed=4),
        )
        times["claims"] = time.perf_counter() - t0
        t0 = time.perf_counter()
    # The foreign keys are DEFERRABLE INITIALLY DEFERRED: PostgreSQL checks them all at the commit.
    times["commit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        # The app keeps statistics current: PRAGMA optimize after large imports on SQLite, autovacuum
        # (which also vacuums after many inserts, PostgreSQL 13+) on PostgreSQL.
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")
    times["statistics"] = time.perf_counter() - t0
    times["total"] = time.perf_counter() - started
    print(
        f"[{db}] built {n_customers:,} customers, {n_contracts:,} contracts, {n_locations:,} risk locations, "
        f"{n_claims:,} claims in {times['total']:.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in times.items() if k != "total")
        + ")"
    )
    return owner, times


# --- the grants and the measurement -----------------------------------------------------------------


def make_grants(broker: Any, owner: array, args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from einblick.grants.models import STATUS_OPTIONS
    from einblick.grants.payloads import GrantIn
    from einblick.grants.services import create_grant

    # The small grant: the two customers with the most contracts (so that the filters leave some).
    top = [f"K-{c}" for c, _ in Counter(owner).most_common(2)]
    small = GrantIn.model_validate(
        {
            "name": "Klein",
            "customers": top,
            "share": {
                "claims": True,
                "reference_addresses": True,
                "auto_contracts": True,
                "statuses": SMALL_STATUSES,
                "lines": SMALL_LINES,
            },
        }
    )
    large_n = min(args.large_customers, args.customers)
    large = GrantIn.model_validate(
        {
            "name": "Groß",
            "customers": [f"K-{i}" for i in range(large_n)],
            "share": {
                "claims": True,
                "reference_addresses": True,
                "auto_contracts": True,
                "statuses": list(STATUS_OPTIONS),
            },
        }
    )
    out = {}
    for label, data in (("small", small), ("large", large)):
        t0 = time.perf_counter()
        out[label] = create_grant(broker=broker, actor=None, data=data)
        print(
            f"  create_grant {label:5} ({len(data.customers):,} customers): {(time.perf_counter() - t0) * 1000:.0f} ms"
        )
    if connection.vendor == "postgresql":
        # Autovacuum would analyse the 5,000 new grant rows within a minute; do it now rather than in
        # the middle of the measurement (a plan change between calls).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE grants_grant, grants_grant_customers, grants_grant_contracts")
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(
    db: str, label: str, grant: Any, get: Callable[[], Any], runs: int, warmup: int, target_ms: float
) -> dict[str, Any]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from einblick.grants import visibility

    expected = visibility.contracts(grant).count()
    for _ in range(warmup):
        response = get()
        assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert len(body["contracts"]) == expected, (len(body["contracts"]), expected)

    reset_queries()  # the request_started signal resets the log too; start from an empty one
    with CaptureQueriesContext(connection) as captured:
        t0 = time.perf_counter()
        get()
        traced = time.perf_counter() - t0
    queries = captured.captured_queries
    sql_time = sum(float(q["time"]) for q in queries)

    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = get()
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    med, high = statistics.median(times), p95(times)
    print(
        f"[{db}] {label} grant: {len(body['customers']):,} customers, {len(body['contracts']):,} contracts, "
        f"{len(body['claims']):,} claims, "
        f"{sum(len(c.get('risk_locations', [])) for c in body['contracts']):,} risk locations; "
        f"{len(response.content) / 1024:,.0f} KiB"
    )
    print(
        f"[{db}]   {runs} calls: median {med:8.1f} ms   p95 {high:8.1f} ms   (target p95 <= {target_ms:,.0f} ms: "
        f"{'met' if high <= target_ms else 'MISSED'})"
    )
    print(
        f"[{db}]   SQL queries per call: {len(queries)}   (target <= {TARGET_QUERIES}: "
        f"{'met' if len(queries) <= TARGET_QUERIES else 'MISSED'}); traced call {traced * 1000:.1f} ms, "
        f"of which SQL {sql_time * 1000:.1f} ms (database time plus fetching, as the debug cursor sees it)"
    )
    for q in sorted(queries, key=lambda q: -float(q["time"]))[:3]:
        sql = q["sql"]
        print(f"[{db}]     {float(q['time']) * 1000:7.1f} ms  {sql[:150]}{'...' if len(sql) > 150 else ''}")
    return {
        "median": med,
        "p95": high,
        "queries": len(queries),
        "contracts": len(body["contracts"]),
        "ok": high <= target_ms and len(queries) <= TARGET_QUERIES,
    }


def explain(db: str, title: str, queryset: Any) -> None:
    from django.db import connection

    print(f"[{db}] plan: {title}")
    # EXPLAIN ANALYZE on PostgreSQL (actual rows and times); EXPLAIN QUERY PLAN on SQLite.
    plan = queryset.explain(analyze=True) if connection.vendor == "postgresql" else queryset.explain()
    for line in plan.splitlines():
        print(f"    {line}")


def child(db: str, args: argparse.Namespace) -> None:
    start_django(db)
    from django.db import connection
    from django.test import Client

    from einblick.brokers.services import create_token
    from einblick.grants import visibility
    from einblick.office.brokers import create_broker

    print(
        f"[{db}] {connection.vendor} {connection.Database.sqlite_version if db == 'sqlite' else ''}".rstrip()
    )
    broker = create_broker(slug="bench", name="Bench Makler")
    _, token = create_token(broker=broker, name="bench")
    client = Client(headers={"Authorization": f"Bearer {token}"}, HTTP_HOST="localhost")

    owner, _ = build(broker, args, db)
    grants = make_grants(broker, owner, args)
    del owner

    results = {}
    for label, runs, warmup, target in (
        ("small", args.small_runs, 3, TARGET_SMALL_P95_MS),
        ("large", args.large_runs, 1, TARGET_LARGE_P95_MS),
    ):
        grant = grants[label]
        url = f"/api/v1/grants/{grant.pk}/view"
        results[label] = measure(db, label, grant, lambda url=url: client.get(url), runs, warmup, target)

    small = grants["small"]
    explain(db, "small grant, visibility.contracts(grant)", visibility.contracts(small))
    explain(
        db,
        "small grant, the view's contracts query (select_related customer and line, ordered)",
        visibility.contracts(small).select_related("customer", "line").order_by("external_id"),
    )
    explain(db, "small grant, visibility.claims(grant)", visibility.claims(small))
    explain(
        db,
        "small grant, the view's claims query (select_related customer and contract, ordered)",
        visibility.claims(small).select_related("customer", "contract").order_by("external_id"),
    )
    explain(
        db,
        "large grant, the view's contracts query",
        visibility.contracts(grants["large"]).select_related("customer", "line").order_by("external_id"),
    )
    verdict = "all targets met" if all(r["ok"] for r in results.values()) else "TARGET MISSED"
    print(
        f"[{db}] summary: small p95 {results['small']['p95']:.1f} ms / {TARGET_SMALL_P95_MS:.0f} ms, "
        f"{results['small']['queries']} queries; large p95 {results['large']['p95']:.0f} ms / "
        f"{TARGET_LARGE_P95_MS:.0f} ms, {results['large']['queries']} queries; {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=None, help="default: a tenth of --contracts")
    parser.add_argument("--large-customers", type=int, default=5_000, help="customers of the large grant")
    parser.add_argument("--small-runs", type=int, default=50)
    parser.add_argument("--large-runs", type=int, default=5)
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
        for name in ("customers", "contracts", "claims", "large_customers", "small_runs", "large_runs"):
            argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
        subprocess.run(argv, check=True)


if __name__ == "__main__":
    main()
