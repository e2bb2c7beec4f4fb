"""The dashboard and each list page use a constant number of queries whatever the number of contracts
(no query per row): measured with 5 and with 60 contracts, the counts must be equal. Pages keep what
a grant shows in the cache (portal/cache.py): each page is measured with an empty cache (what it
computes) and again at once (what a repeated request costs)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from einblick.portfolio.models import Contract, Customer
from tests.factories import load, make_grant, member_client
from tests.samples import ALL_STATUSES, claim, contract, person

LINES = ["HRV", "KFZ", "PHV", "KV", "LV", "RS", "WGV", "UNF"]
STATUSES = ["EIGEN", "FREMD", "FREMDTEIL", "STORNO"]
LOCATION = {"label": "Ort", "street": "Weg 1", "zip": "80331", "city": "München", "country": "DE"}


def grow(broker, upto: int) -> None:
    """Contracts C-1…C-upto of customers K-1…K-upto (intermediary VM-1, so an intermediary grant takes
    them all in), each with a claim in progress and two risk locations: per-row lookups would show."""
    load(
        broker,
        customers={
            f"K-{i}": person(f"Kunde{i:03d}", "Vorname", intermediary="VM-1") for i in range(1, upto + 1)
        },
        contracts={
            f"C-{i}": contract(
                f"K-{i}",
                f"N-{i:03d}",
                LINES[i % len(LINES)],
                status=STATUSES[i % len(STATUSES)],
                premium=f"{i}.50",
                payment_interval=["monthly", "yearly", "quarterly"][i % 3],
                risk_locations=[LOCATION, LOCATION],
            )
            for i in range(1, upto + 1)
        },
        claims={
            f"S-{i}": claim(f"K-{i}", f"C-{i}", f"S-{i}", status=["open", "reported"][i % 2])
            for i in range(1, upto + 1)
        },
    )


def count_queries(client, url: str, *, cold: bool = True) -> int:
    if cold:
        caches["portal"].clear()
    else:
        client.get(url)  # what the page keeps is in the cache now
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries.captured_queries)


def _compare(broker, paths: list[str], **actions) -> dict[str, int]:
    """Query counts of each page with 5 and with 60 contracts; they must be equal."""
    grow(broker, 5)
    share = {"statuses": ALL_STATUSES, "reference_addresses": True}
    grant = make_grant(broker, "Gruppe", [], share, intermediaries=["VM-1"], **actions)
    client = member_client(grant, "nutzer@example.org")
    urls = [f"/portal/{grant.pk}/{path}" for path in paths]
    for url in urls:
        client.get(url)  # warm up: the session's clocks are written on the first request
    small = {url: count_queries(client, url) for url in urls}
    warm = {url: count_queries(client, url, cold=False) for url in urls}
    grow(broker, 60)
    assert Contract.objects.filter(broker=grant.broker).count() == 60
    large = {url: count_queries(client, url) for url in urls}
    assert large == small
    assert {url: count_queries(client, url, cold=False) for url in urls} == warm
    for url in urls:
        if not url.endswith((".csv", ".xlsx")):  # the exports stream from the database each time
            assert warm[url] < small[url], (url, warm[url], small[url])
    page = client.get(urls[0]).content.decode()
    assert len(re.findall(rf"/portal/{grant.pk}/contracts/\d+/", page)) >= 50  # the rows really are there
    return small


def test_the_private_dashboard_uses_a_constant_number_of_queries(broker):
    load(broker, staff={"U-1": {"name": "Max", "email": "max@makler.example", "phone": None, "role": "user"}})
    counts = _compare(broker, [""], view="private", clerk="U-1", show_clerk=True, product_names=True)
    assert max(counts.values()) <= 30, counts


def test_the_business_pages_use_a_constant_number_of_queries(broker):
    paths = [
        "",
        "?sort=-premium&status=EIGEN",
        "?page=2",
        "customers/",
        "claims/",
        "claims/?sort=customer",
        "contracts.csv",
        "contracts.xlsx",
    ]
    counts = _compare(broker, paths, view="business")
    assert max(counts.values()) <= 30, counts


@pytest.mark.parametrize("page", ["contract", "customer"])
def test_detail_pages_do_not_query_per_claim_location_or_contract(broker, page):
    """One customer whose contract count grows (customer page), one contract whose claims grow."""
    load(
        broker,
        customers={"K-1": person("Muster", "Klara")},
        contracts={"C-1": contract("K-1", "N-1", "HRV", risk_locations=[LOCATION] * 2)},
    )
    grant = make_grant(broker, "Familie", ["K-1"], {"statuses": ALL_STATUSES, "reference_addresses": True})
    client = member_client(grant, "nutzer@example.org")
    target = (
        Contract.objects.get(external_id="C-1").pk
        if page == "contract"
        else Customer.objects.get(external_id="K-1").pk
    )
    url = f"/portal/{grant.pk}/{page}s/{target}/"
    client.get(url)

    def more(n: int) -> None:
        load(
            broker,
            contracts={f"C-{i}": contract("K-1", f"N-{i}", LINES[i % len(LINES)]) for i in range(2, n + 1)},
            claims={f"S-{i}": claim("K-1", "C-1", f"S-{i}") for i in range(1, n + 1)},
        )

    more(3)
    small = count_queries(client, url)
    more(40)
    assert count_queries(client, url) == small
