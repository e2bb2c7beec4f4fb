"""The business view (Gewerbekundenansicht): filters, search, sorting, paging, and the CSV export of
exactly what the filter shows; bad query values never 500."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from einblick.grants.models import Grant
from einblick.portfolio.models import Contract, Customer
from tests.factories import load, make_grant, member_client
from tests.pages import csv_text, found, text
from tests.samples import ALL_STATUSES, contract, person

NAMES = [
    "Adler",
    "Bauer",
    "Conrad",
    "Dietz",
    "Engel",
    "Fischer",
    "Graf",
    "Hahn",
    "Imhof",
    "Jung",
    "Keller",
    "Lang",
]
LINES = ["HRV", "KFZ", "PHV", "RS", "KV", "UNF"]
STATUSES = ["EIGEN", "FREMD", "FREMDTEIL", "STORNO", "ANGEBOT"]
INSURERS = ["Alpha Versicherung", "Beta Versicherung", "Gamma Versicherung"]
INTERVALS = ["monthly", "quarterly", "half_yearly", "yearly"]
COUNT = 120


def _contract(i: int) -> dict:
    status = STATUSES[i % len(STATUSES)]
    return contract(
        f"K-{i % len(NAMES):02d}",
        f"V-{i:04d}",
        LINES[i % len(LINES)],
        insurer=INSURERS[i % len(INSURERS)],
        product=f"Produkt {i:03d}",
        risk=f"Risiko {i:03d}",
        status=status,
        offer_date="2023-11-01" if status == "ANGEBOT" else None,
        start_date=(date(2020, 1, 1) + timedelta(days=(i * 37) % 1500)).isoformat(),
        end_date="2030-12-31" if i % 4 == 0 else None,
        premium=f"{(i * 7919) % 2000 + i / 100:.2f}",
        payment_interval=INTERVALS[i % len(INTERVALS)],
    )


@pytest.fixture
def grant(broker, other_broker) -> Grant:
    customers = {f"K-{n:02d}": person(name, "Anna") for n, name in enumerate(NAMES)}
    customers["K-99"] = person("Zorro", "Zoe")  # not in the grant
    contracts = {f"C-{i:03d}": _contract(i) for i in range(1, COUNT + 1)}
    contracts["C-999"] = contract("K-99", "GEHEIM-1", "HRV", insurer="Geheim Versicherung")
    load(broker, customers=customers, contracts=contracts)
    load(
        other_broker,
        customers={"K-00": person("Adler", "Anna")},
        contracts={"C-001": contract("K-00", "FREMD-1", "HRV", insurer="Alpha Versicherung")},
    )
    return make_grant(
        broker,
        "Musterfirma Gruppe",
        [f"K-{n:02d}" for n in range(len(NAMES))],
        {"statuses": ALL_STATUSES},
        view="business",
    )


@pytest.fixture
def client(grant):
    return member_client(grant, "chefin@musterfirma.example")


def visible(grant: Grant) -> list[Contract]:
    rows = (
        Contract.objects.filter(broker=grant.broker)
        .exclude(customer__external_id="K-99")
        .select_related("line", "customer")
    )
    return list(rows.order_by("pk"))


def numbers(html: str, grant: Grant) -> list[str]:
    """The policy numbers of the table's rows, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(rf'href="/portal/{grant.pk}/contracts/\d+/">([^<]+)</a>', body)


def total(html: str) -> int:
    match = re.search(r'role="status">(\d+) Vertr(?:ag|äge)</span>', html)
    assert match, html
    return int(match.group(1))


def test_the_first_page_shows_50_of_the_grants_contracts_and_no_hidden_ones(client, grant):
    html = text(client.get(f"/portal/{grant.pk}/"))
    assert "<h1>Verträge</h1>" in html
    assert total(html) == COUNT
    assert len(numbers(html, grant)) == 50
    for secret in ("GEHEIM-1", "Zorro", "Geheim Versicherung", "FREMD-1"):
        assert secret not in html


def test_the_filter_choices_come_from_what_the_grant_shows(client, grant):
    html = text(client.get(f"/portal/{grant.pk}/"))
    form = html.split('role="search"', 1)[1].split("</form>", 1)[0]
    for name in NAMES:
        assert f">{name}, Anna</option>" in form
    for insurer in INSURERS:
        assert f'<option value="{insurer}">' in form
    for label in (
        "Hausrat",
        "Kraftfahrt",
        "Privathaftpflicht",
        "Rechtsschutz",
        "Krankenversicherung",
        "Unfall",
    ):
        assert f">{label}</option>" in form
    assert "Zorro" not in form and "Geheim" not in form and "Wohngebäude" not in form
    for label in ('<label for="f-q">Suche</label>', '<label for="f-customer">', '<label for="f-status">'):
        assert label in form


def _expect(grant: Grant, keep) -> list[str]:
    return [c.number for c in visible(grant) if keep(c)]


@pytest.mark.parametrize(
    "query, keep",
    [
        ("line=KFZ", lambda c: c.line.code == "KFZ"),
        ("status=FREMD", lambda c: c.status == "FREMD"),
        ("status=ANGEBOT", lambda c: c.status == "ANGEBOT"),
        ("insurer=Beta+Versicherung", lambda c: c.insurer == "Beta Versicherung"),
        ("q=V-0007", lambda c: c.number == "V-0007"),
        ("q=risiko+042", lambda c: c.risk == "Risiko 042"),
        ("q=produkt+11", lambda c: c.product.startswith("Produkt 11")),
        ("q=KELLER", lambda c: c.customer.last_name == "Keller"),
        ("q=gamma", lambda c: c.insurer == "Gamma Versicherung"),
        ("q=%25", lambda c: False),  # a LIKE wildcard is searched for literally
        ("q=_", lambda c: False),
        (
            "line=HRV&status=EIGEN&insurer=Alpha+Versicherung",
            lambda c: c.line.code == "HRV" and c.status == "EIGEN" and c.insurer == "Alpha Versicherung",
        ),
        ("line=WGV", lambda c: False),
    ],
)
def test_filters_and_search_show_exactly_the_matching_contracts(client, grant, query, keep):
    expected = _expect(grant, keep)
    html = text(client.get(f"/portal/{grant.pk}/?{query}&sort=number"))
    assert total(html) == len(expected)
    assert numbers(html, grant) == sorted(expected)[:50]
    if not expected:
        assert "Kein Vertrag passt zum Filter." in html


def test_the_customer_filter_keeps_one_customer_and_stays_selected(client, grant):
    keller = Customer.objects.get(broker=grant.broker, external_id="K-10")
    html = text(client.get(f"/portal/{grant.pk}/?customer={keller.pk}&sort=number"))
    expected = _expect(grant, lambda c: c.customer_id == keller.pk)
    assert total(html) == len(expected) == 10
    assert numbers(html, grant) == sorted(expected)
    assert f'<option value="{keller.pk}" selected>Keller, Anna</option>' in html


def test_a_customer_of_another_grant_filters_to_nothing(client, grant):
    zorro = Customer.objects.get(broker=grant.broker, external_id="K-99")
    html = text(client.get(f"/portal/{grant.pk}/?customer={zorro.pk}"))
    assert total(html) == 0 and "GEHEIM-1" not in html


def test_the_chosen_filters_stay_selected(client, grant):
    html = text(client.get(f"/portal/{grant.pk}/?line=KFZ&status=FREMD&insurer=Beta+Versicherung&q=Risiko"))
    assert '<option value="KFZ" selected>Kraftfahrt</option>' in html
    assert '<option value="FREMD" selected>Fremdvertrag</option>' in html
    assert '<option value="Beta Versicherung" selected>Beta Versicherung</option>' in html
    assert 'name="q" value="Risiko"' in html


SORT_KEYS = {
    "number": lambda c: c.number,
    "line": lambda c: c.line.label,
    "insurer": lambda c: c.insurer,
    "customer": lambda c: (c.customer.last_name, c.customer.company_name),
    "status": lambda c: c.status,
    "start": lambda c: c.start_date,
    "premium": lambda c: c.premium,
}


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("column", list(SORT_KEYS))
def test_every_column_sorts_both_ways_and_says_so(client, grant, column, descending):
    rows = sorted(visible(grant), key=lambda c: (SORT_KEYS[column](c), c.pk), reverse=descending)
    html = text(client.get(f"/portal/{grant.pk}/?sort={'-' if descending else ''}{column}"))
    assert numbers(html, grant) == [c.number for c in rows[:50]]
    headers = re.findall(r"<th scope=\"col\"([^>]*)><a href=\"\?([^\"]*)\"", html)
    assert len(headers) == len(SORT_KEYS)
    sorted_headers = [attrs for attrs, _ in headers if "aria-sort" in attrs]
    assert sorted_headers == [f' aria-sort="{"descending" if descending else "ascending"}"']
    # The sorted column's link turns the order round; the others sort ascending from page 1.
    order = ["customer", "number", "line", "insurer", "status", "start", "premium"]  # the table's columns
    links = dict(zip(order, (query for _, query in headers), strict=True))
    for other in order:
        if other != column:
            assert links[other] == f"sort={other}" or links[other].endswith(f"&sort={other}")
    assert f"sort={'' if descending else '-'}{column}" in links[column].replace("%2D", "-")


def test_the_default_order_is_by_customer(client, grant):
    rows = sorted(visible(grant), key=lambda c: (SORT_KEYS["customer"](c), c.pk))
    html = text(client.get(f"/portal/{grant.pk}/"))
    assert numbers(html, grant) == [c.number for c in rows[:50]]
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="\?sort=-customer"', html)


def test_paging_50_per_page_keeps_filter_and_sort(client, grant):
    rows = sorted(visible(grant), key=lambda c: (c.premium, c.pk), reverse=True)
    seen = []
    for page in (1, 2, 3):
        html = text(client.get(f"/portal/{grant.pk}/?sort=-premium&page={page}"))
        assert f"Seite {page} von 3" in html
        assert ('rel="prev"' in html) == (page > 1)
        assert ('rel="next"' in html) == (page < 3)
        if page < 3:
            next_link = found(r'<a href="\?([^"]+)" rel="next"', html, 1)
            assert "sort=-premium" in next_link.replace("%2D", "-") and f"page={page + 1}" in next_link
        seen += numbers(html, grant)
    assert seen == [c.number for c in rows]
    assert len(seen) == COUNT == len(set(seen))


def test_paging_a_filtered_list(client, grant):
    html = text(client.get(f"/portal/{grant.pk}/?insurer=Alpha+Versicherung&sort=number&page=1"))
    assert total(html) == 40
    assert "Seite 1 von 1" in html and 'rel="next"' not in html
    assert len(numbers(html, grant)) == 40


def test_a_page_past_the_end_is_empty_not_an_error(client, grant):
    html = text(client.get(f"/portal/{grant.pk}/?page=9"))
    assert numbers(html, grant) == []
    assert "Kein Vertrag passt zum Filter." in html
    assert 'rel="prev"' in html


def test_the_table_shows_german_dates_and_money(client, grant):
    c = next(c for c in visible(grant) if c.premium is not None and c.premium >= 1000)
    html = text(client.get(f"/portal/{grant.pk}/?q={c.number}"))
    row = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    euros, cents = f"{c.premium:.2f}".split(".")
    assert f"{euros[:-3]}.{euros[-3:]},{cents} €" in row
    assert c.start_date is not None and c.start_date.strftime("%d.%m.%Y") in row
    assert "Anna " + c.customer.last_name in row


# --- CSV ---------------------------------------------------------------------------------------

HEADER = [
    "Kunde",
    "Versicherungsscheinnummer",
    "Sparte",
    "Versicherer",
    "Produkt",
    "Risiko",
    "Status",
    "Beginn",
    "Ablauf",
    "Beitrag",
    "Zahlweise",
]


def parse(body: str) -> list[list[str]]:
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_the_csv_export_holds_every_page_of_the_filtered_rows_in_order(client, grant):
    response = client.get(f"/portal/{grant.pk}/contracts.csv?status=EIGEN&sort=-premium&page=2")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="vertraege-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"]
    )
    rows = parse(csv_text(response))
    assert rows[0] == HEADER
    expected = sorted(
        (c for c in visible(grant) if c.status == "EIGEN"), key=lambda c: (c.premium, c.pk), reverse=True
    )
    assert [r[1] for r in rows[1:]] == [c.number for c in expected]
    assert len(rows) - 1 == 24  # more than one would see on page 2 alone


def test_the_csv_export_is_exactly_what_the_page_counts(client, grant):
    for query in ("", "line=KFZ", "q=keller", "insurer=Gamma+Versicherung&status=FREMD", "line=WGV"):
        page = text(client.get(f"/portal/{grant.pk}/?{query}"))
        rows = parse(csv_text(client.get(f"/portal/{grant.pk}/contracts.csv?{query}")))
        assert len(rows) - 1 == total(page), query
        assert "GEHEIM-1" not in str(rows) and "FREMD-1" not in str(rows)


def test_the_export_link_carries_the_filter(client, grant):
    html = text(client.get(f"/portal/{grant.pk}/?line=KFZ&q=Risiko&sort=-start"))
    link = found(rf'href="(/portal/{grant.pk}/contracts\.csv\?[^"]*)"', html, 1).replace("&amp;", "&")
    rows = parse(csv_text(client.get(link)))
    expected = sorted(
        (c for c in visible(grant) if c.line.code == "KFZ"), key=lambda c: (c.start_date, c.pk), reverse=True
    )
    assert [r[1] for r in rows[1:]] == [c.number for c in expected]


def test_the_csv_uses_german_formats_and_words(client, grant, broker):
    load(
        broker,
        contracts={
            "C-500": contract(
                "K-00",
                "SPEZIAL-1",
                "HRV",
                product='Haus; "Garten"',
                risk="Villa\nam See",
                start_date="2024-01-15",
                end_date="2025-03-01",
                premium="1234.50",
                payment_interval="yearly",
            )
        },
    )
    rows = parse(csv_text(client.get(f"/portal/{grant.pk}/contracts.csv?q=SPEZIAL")))
    assert rows[1] == [
        "Anna Adler",
        "SPEZIAL-1",
        "Hausrat",
        "Beispiel Versicherung AG",
        'Haus; "Garten"',
        "Villa\nam See",
        "Eigenvertrag",
        "15.01.2024",
        "01.03.2025",
        "1234,50",
        "jährlich",
    ]


def test_the_csv_of_empty_fields_is_empty(client, grant, broker):
    load(
        broker,
        contracts={
            "C-501": contract(
                "K-00", "LEER-1", "HRV", start_date=None, end_date=None, premium=None, payment_interval=None
            )
        },
    )
    rows = parse(csv_text(client.get(f"/portal/{grant.pk}/contracts.csv?q=LEER")))
    assert rows[1][7:] == ["", "", "", ""]


# --- bad input ---------------------------------------------------------------------------------

BAD = [
    "page=abc",
    "page=-5",
    "page=0",
    "page=1.5",
    "page=99999999999999999999999",
    "page=",
    "sort=evil",
    "sort=--number",
    "sort=-",
    "sort=customer__password",
    "status=NOPE",
    "status=eigen",
    "customer=xyz",
    "customer=-1",
    "customer=9223372036854775807",
    "line=" + "x" * 500,
    "insurer=" + "y" * 5000,
    "q=" + "z" * 5000,
    "q=%27%22%3C%3E",
    "page=1&page=2&sort=number&sort=premium",
    "q=%F0%9F%98%80",
]


@pytest.mark.parametrize("query", BAD)
def test_bad_query_values_never_500(client, grant, query):
    client.raise_request_exception = False
    page = client.get(f"/portal/{grant.pk}/?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Verträge</h1>" in html and 'aria-sort="' in html
    export = client.get(f"/portal/{grant.pk}/contracts.csv?{query}")
    assert export.status_code == 200
    assert parse(csv_text(export))[0] == HEADER


def test_unknown_values_fall_back_to_the_defaults(client, grant):
    default = numbers(text(client.get(f"/portal/{grant.pk}/")), grant)
    for query in ("page=abc", "page=-5", "sort=evil", "status=NOPE", "customer=xyz"):
        assert numbers(text(client.get(f"/portal/{grant.pk}/?{query}")), grant) == default, query


def answers(client, url: str) -> bool:
    """200 with the whole body: a streamed export fails while streaming, after its status went out."""
    client.raise_request_exception = False
    response = client.get(url)
    if response.status_code != 200:
        return False
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return bool(body)


@pytest.mark.parametrize("value", ["%C2%B2", "%E2%91%A0"])  # '²', '①'
@pytest.mark.parametrize("path", ["", "contracts.csv", "contracts.xlsx", "claims/"])
def test_a_customer_value_of_unicode_digits_is_not_a_500(client, grant, value, path):
    assert answers(client, f"/portal/{grant.pk}/{path}?customer={value}")


@pytest.mark.parametrize("path", ["", "contracts.csv", "claims/"])
def test_a_customer_value_beyond_64_bits_is_not_a_500(client, grant, path):
    assert answers(client, f"/portal/{grant.pk}/{path}?customer=99999999999999999999")


@pytest.mark.parametrize(
    "path, query",
    [
        ("", "q=a%00b"),
        ("", "line=H%00RV"),
        ("", "insurer=%00"),
        ("contracts.csv", "q=%00"),
        ("contracts.xlsx", "q=%00"),
        ("customers/", "q=%00"),
        ("claims/", "q=%00"),
    ],
)
def test_a_nul_character_in_a_filter_is_not_a_500(client, grant, path, query):
    assert answers(client, f"/portal/{grant.pk}/{path}?{query}")


@pytest.mark.parametrize("query", BAD)
def test_bad_query_values_never_500_on_the_customer_and_claim_tables(client, grant, query):
    client.raise_request_exception = False
    for path in ("customers/", "claims/"):
        response = client.get(f"/portal/{grant.pk}/{path}?{query}")
        assert response.status_code == 200, path
        assert 'aria-sort="' in response.content.decode()


def test_the_xlsx_export_holds_the_same_rows_with_real_dates_and_numbers(client, grant):
    from openpyxl import load_workbook

    response = client.get(f"/portal/{grant.pk}/contracts.xlsx?line=KFZ&sort=-premium&page=3")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.fullmatch(
        r'attachment; filename="vertraege-\d{4}-\d{2}-\d{2}\.xlsx"', response["Content-Disposition"]
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    expected = sorted(
        (c for c in visible(grant) if c.line.code == "KFZ"), key=lambda c: (c.premium, c.pk), reverse=True
    )
    assert [r[1] for r in rows[1:]] == [c.number for c in expected]
    first = rows[1]
    assert first[7].date() == expected[0].start_date
    assert Decimal(str(first[9])) == expected[0].premium


def test_text_that_looks_like_a_formula_stays_text_in_the_xlsx(client, grant, broker):
    from openpyxl import load_workbook

    evil = '=HYPERLINK("https://evil.example/","Klick")'
    load(broker, contracts={"C-600": contract("K-00", "FORMEL-1", "HRV", risk=evil)})
    response = client.get(f"/portal/{grant.pk}/contracts.xlsx?q=FORMEL")
    sheet = load_workbook(io.BytesIO(response.content)).active
    risk = sheet.cell(row=2, column=6)
    assert risk.value == evil
    assert risk.data_type == "s"


def test_text_that_looks_like_a_formula_is_defused_in_the_csv(client, grant, broker):
    evil = '=HYPERLINK("https://evil.example/","Klick")'
    load(broker, contracts={"C-601": contract("K-00", "FORMEL-2", "HRV", risk=evil, product="@SUM(1+1)")})

    response = client.get(f"/portal/{grant.pk}/contracts.csv?q=FORMEL-2")

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    row = text.splitlines()[1].split(";")
    assert row[5].strip('"').startswith("'=HYPERLINK") and row[4] == "'@SUM(1+1)"
