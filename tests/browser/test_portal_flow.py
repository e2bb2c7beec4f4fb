"""Issue 5 in a real browser, on the demo data (`einblick demo`): Klara Muster logs in, picks her private
context and sees exactly the demo grant's contracts (HRV and KFZ, not HPV), switches to her company's
business view, filters, sorts, exports CSV and opens a contract; the business view pages. Screenshots at
360 px and 1280 px go to var/test-artifacts/<test>/."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from einblick.accounts.models import User
from einblick.brokers.models import Broker
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portfolio.importing import import_batch

pytestmark = pytest.mark.django_db(transaction=True)

KLARA = "klara.muster@example.org"
PASSWORD = "Demo-Passwort-4711!"  # set by the test on the demo user
WIDTHS = (1280, 360)
HEIGHT = 800
EXPORT_HEADER = [
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


@pytest.fixture
def demo(db) -> None:
    """The demo broker and Klara's two grants, with a password the test knows."""
    call_command("demo", stdout=io.StringIO())
    klara = User.objects.get(email=KLARA)
    klara.set_password(PASSWORD)
    klara.save()


def log_in(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.locator("#id_login").fill(KLARA)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()


def at_both_widths(page: Any, screenshot: Callable[[str], Path], name: str) -> list[Path]:
    """The page at 1280 px and at 360 px; nothing may run off to the side on the phone."""
    taken = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow} px too wide at {width} px"
        taken.append(screenshot(f"{name}-{width}"))
    page.set_viewport_size({"width": 1280, "height": HEIGHT})
    return taken


def table_numbers(page: Any) -> list[str]:
    """The policy numbers of the contract table, top to bottom."""
    return [text.strip() for text in page.locator("#results tbody tr td:nth-child(2)").all_inner_texts()]


def test_demo_customer_private_view_switch_business_filter_export_and_contract(
    demo, live_server, page, screenshot
):
    private = Grant.objects.get(name="Familie Muster")
    business = Grant.objects.get(name="Musterfirma GmbH")
    shared = {c.risk: c.line.code for c in visibility.contracts(private).select_related("line")}
    assert set(shared.values()) == {"HRV", "KFZ"}  # the demo's premise; HPV stays hidden

    # Two grants: the chooser names both.
    log_in(page, live_server)
    expect(page).to_have_url(live_server.url + "/portal/")
    expect(page.get_by_role("heading", name="Zugang wählen", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Familie Muster")).to_be_visible()
    expect(page.get_by_role("link", name="Musterfirma GmbH")).to_be_visible()
    at_both_widths(page, screenshot, "chooser")

    # The private view: exactly the shared HRV and KFZ contracts, no liability (HPV) card.
    page.get_by_role("link", name="Familie Muster").click()
    expect(page).to_have_url(f"{live_server.url}/portal/{private.pk}/")
    expect(page.get_by_role("heading", name="Meine aktuellen Absicherungen", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Wohnung Musterweg 1", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="VW Golf, M-AB 123", exact=True)).to_be_visible()
    cards = page.locator("li.card.coverage")
    expect(cards).to_have_count(len(shared))
    titles = sorted(t.strip() for t in cards.locator("strong").all_inner_texts())
    assert titles == sorted(shared), titles
    expect(page.locator("li.card", has_text="Haftpflicht")).to_have_count(0)
    at_both_widths(page, screenshot, "private")

    # The header's switcher: to the company's business view.
    switch = page.locator("nav.switch")
    expect(switch).to_contain_text("Familie Muster")
    switch.get_by_role("link", name="Musterfirma GmbH").click()
    expect(page).to_have_url(f"{live_server.url}/portal/{business.pk}/")
    expect(page.get_by_role("heading", name="Verträge", level=1)).to_be_visible()
    count = page.locator("#results").get_by_role("status")
    expect(count).to_have_text("6 Verträge")
    expect(page.locator("#results tbody tr")).to_have_count(6)
    at_both_widths(page, screenshot, "business")

    # Filter by status through the select: HTMX swaps the results and pushes the URL.
    page.locator("#f-status").select_option(label="Ruhend")
    expect(page).to_have_url(re.compile(r"[?&]status=RUHEND(&|$)"))
    expect(count).to_have_text("1 Vertrag")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert table_numbers(page) == ["RU-500"]
    screenshot("filtered-1280")

    # Clear the filter, then sort by insurer (descending on a second click would flip it).
    page.locator("#f-status").select_option(value="")
    expect(count).to_have_text("6 Verträge")
    # The pushed URL is the form's query, not the old query with the new one appended to it.
    expect(page).not_to_have_url(re.compile(r"status=RUHEND"))
    expect(count).to_have_text("6 Verträge")
    page.locator("#results thead").get_by_role("link", name="Versicherer").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=insurer(&|$)"))
    expect(page.locator("#results th[aria-sort]")).to_have_text("Versicherer")
    expect(page.locator("#results th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    numbers = table_numbers(page)
    assert len(numbers) == 6

    # The CSV: the header, and the table's rows in the table's order.
    with page.expect_download() as info:
        page.get_by_role("link", name="Als CSV exportieren").click()
    download = info.value
    assert re.fullmatch(r"vertraege-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == EXPORT_HEADER
    assert len(rows) - 1 == 6 == len(numbers)
    assert [row[1] for row in rows[1:]] == numbers

    # A contract from the table: its page is headed by line and risk.
    page.locator("#results tbody").get_by_role("link", name="RU-500", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kraftfahrt: Transporter, M-MF 1 (ruhend)")
    at_both_widths(page, screenshot, "contract")


def test_business_view_pages(demo, live_server, page, screenshot):
    """60 more contracts for Musterfirma (66 with the demo's 6): two pages of 50."""
    broker = Broker.objects.get(slug="muster")
    extra = {
        f"V-9{n:03d}": {
            "customer": "K-1002",
            "number": f"PG-{n:03d}",
            "line": "KFZ",
            "insurer": "Beispiel Versicherung AG",
            "status": "EIGEN",
            "risk": f"Dienstwagen {n}",
            "payment_interval": "monthly",
            "premium": "10.00",
        }
        for n in range(60)
    }
    import_batch(broker=broker, actor=None, data={"contracts": extra})
    business = Grant.objects.get(name="Musterfirma GmbH")

    log_in(page, live_server)
    page.get_by_role("link", name="Musterfirma GmbH").click()
    expect(page).to_have_url(f"{live_server.url}/portal/{business.pk}/")
    count = page.locator("#results").get_by_role("status")
    expect(count).to_have_text("66 Verträge")
    pager = page.get_by_role("navigation", name="Seiten")
    expect(pager).to_contain_text("Seite 1 von 2")
    expect(page.locator("#results tbody tr")).to_have_count(50)
    expect(pager.get_by_role("link", name="Zurück")).to_have_count(0)

    pager.get_by_role("link", name="Weiter").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(pager).to_contain_text("Seite 2 von 2")
    expect(page.locator("#results tbody tr")).to_have_count(16)
    expect(pager.get_by_role("link", name="Weiter")).to_have_count(0)
    at_both_widths(page, screenshot, "page-2")

    # A filter chosen on page 2 starts again at page 1 (Eigenvertrag: the demo's KF-7000 and the 60 new).
    page.locator("#f-status").select_option(label="Eigenvertrag")
    expect(page).to_have_url(re.compile(r"[?&]status=EIGEN(&|$)"))
    expect(count).to_have_text("61 Verträge")
    expect(pager).to_contain_text("Seite 1 von 2")
    expect(page.locator("#results tbody tr")).to_have_count(50)

    pager.get_by_role("link", name="Weiter").click()
    expect(pager).to_contain_text("Seite 2 von 2")
    expect(page.locator("#results tbody tr")).to_have_count(11)
    pager.get_by_role("link", name="Zurück").click()
    expect(pager).to_contain_text("Seite 1 von 2")
    expect(page.locator("#results tbody tr")).to_have_count(50)
