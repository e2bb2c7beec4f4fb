"""Import benchmark (issue 2): objects/s through POST /api/v1/import, first import and re-import.

Generates 20,000 customers, 100,000 contracts (each with a risk location) and 20,000 claims, sends
them through the real API stack (Django's test client: middleware, auth, JSON parsing, the import
service, the database) in batches of 10,000, and prints objects/s for the first import and for an
unchanged re-import, next to the floor of the same rows inserted with plain `executemany`.

    make bench                                   # SQLite and PostgreSQL
    .venv/bin/python bench/import_bench.py --db sqlite --contracts 20000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

from common import LINES, STATUSES, start_django


def _day(rng: random.Random) -> str | None:
    if rng.random() < 0.4:
        return None
    return (date(2015, 1, 1) + timedelta(days=rng.randrange(3650))).isoformat()


def portfolio(customers: int, contracts: int, claims: int, seed: int = 7) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    out: dict[str, dict[str, Any]] = {"customers": {}, "contracts": {}, "claims": {}}
    for i in range(customers):
        person = rng.random() < 0.8
        out["customers"][f"K-{i}"] = {
            "kind": "person" if person else "company",
            "salutation": "Frau" if person else None,
            "first_name": f"Vorname{i}" if person else None,
            "last_name": f"Nachname{i}" if person else None,
            "company_name": None if person else f"Firma {i} GmbH",
            "birth_date": _day(rng) if person else None,
            "emails": [f"kunde{i}@example.org"],
            "phone": f"+49 89 {i:07d}",
            "intermediary": f"VM-{i % 50}",
            "address": {
                "street": f"Musterweg {i % 200}",
                "zip": f"{80000 + i % 999}",
                "city": "München",
                "country": "DE",
            },
        }
    for i in range(contracts):
        customer = f"K-{rng.randrange(customers)}"
        out["contracts"][f"V-{i}"] = {
            "customer": customer,
            "number": f"POL-{i:08d}",
            "line": rng.choice(LINES),
            "insurer": "Beispiel Versicherung AG",
            "product": "Komfort",
            "risk": f"Risiko {i}",
            "status": rng.choice(STATUSES),
            "offer_date": _day(rng),
            "application_date": _day(rng),
            "document_date": _day(rng),
            "start_date": _day(rng),
            "end_date": None,
            "premium": f"{rng.randrange(100, 100000) / 100:.2f}",
            "payment_interval": "monthly",
            "intermediary": None,
            "risk_locations": [
                {
                    "label": "Risikoort",
                    "street": f"Weg {i}",
                    "zip": "80331",
                    "city": "München",
                    "country": "DE",
                }
            ],
        }
    contract_ids = list(out["contracts"])
    for i in range(claims):
        contract = rng.choice(contract_ids) if rng.random() < 0.8 else None
        customer = out["contracts"][contract]["customer"] if contract else f"K-{rng.randrange(customers)}"
        out["claims"][f"S-{i}"] = {
            "customer": customer,
            "contract": contract,
            "number": f"S-{i}",
            "loss_date": _day(rng),
            "status": rng.choice(["reported", "open", "settled", "closed", "rejected"]),
            "description": "Leitungswasserschaden",
            "amount_reserved": "1000.00",
            "amount_paid": None,
        }
    return out


def batches(data: dict[str, dict[str, Any]], size: int) -> list[bytes]:
    out = []
    for section in ("customers", "contracts", "claims"):
        items = list(data[section].items())
        for start in range(0, len(items), size):
            out.append(json.dumps({section: dict(items[start : start + size])}).encode())
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(db: str, args: argparse.Namespace) -> None:
    start_django(db)
    from django.test import Client

    from einblick.brokers.services import create_token
    from einblick.office.brokers import create_broker

    broker = create_broker(slug="bench", name="Bench Makler")
    _, token = create_token(broker=broker, name="bench")
    client = Client(headers={"Authorization": f"Bearer {token}"}, HTTP_HOST="localhost")

    data = portfolio(args.customers, args.contracts, args.claims)
    bodies = batches(data, args.batch)
    total = args.customers + args.contracts + args.claims
    print(
        f"[{db}] {total:,} objects ({args.customers:,} customers, {args.contracts:,} contracts with a risk "
        f"location each, {args.claims:,} claims) in {len(bodies)} batches of up to {args.batch:,}"
    )

    for label, expect in (("first import", "created"), ("re-import", "unchanged")):
        if label == "re-import" and db == "postgres":
            # Steady state: autovacuum would analyse the new rows soon; do it now rather than have
            # it compete for the two cores in the middle of the measurement.
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        rss_before = rss_mb()
        started = time.perf_counter()
        cpu = time.process_time()
        worst = 0.0
        for body in bodies:
            t0 = time.perf_counter()
            response = client.post("/api/v1/import", body, content_type="application/json")
            worst = max(worst, time.perf_counter() - t0)
            assert response.status_code == 200, response.content[:500]
            result = response.json()
            assert not result["errors"], result["errors"][:3]
            assert sum(result[expect].values()) >= sum(len(v) for v in json.loads(body).values()), result
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        print(
            f"[{db}] {label:13} {total / elapsed:>9,.0f} objects/s  ({elapsed:6.1f} s, {cpu:5.1f} s CPU in Einblick, "
            f"slowest batch {worst:5.2f} s, peak RSS {rss_mb():,.0f} MB, +{rss_mb() - rss_before:,.0f} MB)"
        )

    floor = _executemany_floor(data, broker)
    print(
        f"[{db}] executemany   {total / floor:>9,.0f} objects/s  ({floor:6.1f} s; plain inserts of the same rows, "
        "no validation, no comparison)"
    )


def _executemany_floor(data: dict[str, dict[str, Any]], broker: Any) -> float:
    """The same rows, for a second broker, with one executemany per table and no ORM."""
    from django.db import connection, transaction
    from django.utils import timezone

    from einblick.office.brokers import create_broker
    from einblick.portfolio.models import Line

    floor = create_broker(slug="floor", name="Floor")
    lines = dict(Line.objects.filter(broker=floor).values_list("code", "pk"))
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        ph = "%s"
        cur.executemany(
            "INSERT INTO portfolio_customer (broker_id, external_id, created_at, updated_at, kind, salutation, "
            "first_name, last_name, company_name, birth_date, emails, phone, intermediary, street, zip, city, country, "
            f"sync_hash) VALUES ({', '.join([ph] * 18)})",
            [
                (
                    floor.pk,
                    ext,
                    now,
                    now,
                    c["kind"],
                    c["salutation"] or "",
                    c["first_name"] or "",
                    c["last_name"] or "",
                    c["company_name"] or "",
                    c["birth_date"],
                    json.dumps(c["emails"]),
                    c["phone"],
                    c["intermediary"],
                    c["address"]["street"],
                    c["address"]["zip"],
                    c["address"]["city"],
                    c["address"]["country"],
                    "",
                )
                for ext, c in data["customers"].items()
            ],
        )
        cur.execute("SELECT external_id, id FROM portfolio_customer WHERE broker_id = %s", [floor.pk])
        customers = dict(cur.fetchall())
        cur.executemany(
            "INSERT INTO portfolio_contract (broker_id, external_id, created_at, updated_at, customer_id, number, "
            "line_id, insurer, product, risk, status, offer_date, application_date, document_date, start_date, "
            f"end_date, premium, payment_interval, intermediary, source, sync_hash) VALUES ({', '.join([ph] * 21)})",
            [
                (
                    floor.pk,
                    ext,
                    now,
                    now,
                    customers[c["customer"]],
                    c["number"],
                    lines[c["line"]],
                    c["insurer"],
                    c["product"],
                    c["risk"],
                    c["status"],
                    c["offer_date"],
                    c["application_date"],
                    c["document_date"],
                    c["start_date"],
                    c["end_date"],
                    c["premium"],
                    c["payment_interval"],
                    "",
                    "ams",
                    "",
                )
                for ext, c in data["contracts"].items()
            ],
        )
        cur.execute("SELECT external_id, id FROM portfolio_contract WHERE broker_id = %s", [floor.pk])
        contracts = dict(cur.fetchall())
        cur.executemany(
            "INSERT INTO portfolio_risklocation (broker_id, contract_id, position, label, street, zip, city, country)"
            f" VALUES ({', '.join([ph] * 8)})",
            [
                (floor.pk, contracts[ext], 0, r["label"], r["street"], r["zip"], r["city"], r["country"])
                for ext, c in data["contracts"].items()
                for r in c["risk_locations"]
            ],
        )
        cur.executemany(
            "INSERT INTO portfolio_claim (broker_id, external_id, created_at, updated_at, customer_id, contract_id, "
            "number, loss_date, status, description, amount_reserved, amount_paid, sync_hash)"
            f" VALUES ({', '.join([ph] * 13)})",
            [
                (
                    floor.pk,
                    ext,
                    now,
                    now,
                    customers[c["customer"]],
                    contracts.get(c["contract"]),
                    c["number"],
                    c["loss_date"],
                    c["status"],
                    c["description"],
                    c["amount_reserved"],
                    c["amount_paid"],
                    "",
                )
                for ext, c in data["claims"].items()
            ],
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db, args)
        return
    # One process per database: Django's settings are fixed once it is set up.
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        argv = [
            sys.executable,
            __file__,
            "--child",
            "--db",
            db,
            "--customers",
            str(args.customers),
            "--contracts",
            str(args.contracts),
            "--claims",
            str(args.claims),
            "--batch",
            str(args.batch),
        ]
        subprocess.run(argv, check=True)


if __name__ == "__main__":
    main()
