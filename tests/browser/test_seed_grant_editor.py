"""Issue 7 in a real browser, on the demo data, as the seed's steps 5-10 walk through it: the demo admin
Max logs in (password, then a recovery code printed by `einblick demo`), opens the settings tab
"Freischaltungen", creates a grant (Neuanlage), adds Klara Muster and Musterfirma GmbH, shares claims and
the contracts of lines HRV and KFZ automatically, shares the grant with Klara's e-mail, sets the private
view, primary contact, messages, claim report and a shown clerk, and checks the result in the
Freischaltungseinsicht: the HRV and KFZ contracts are there, the HPV ones are not.

With EINBLICK_SCREENSHOTS=1 the finished editor is saved as docs/img/grant-editor.png for the README."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from einblick.grants import visibility
from einblick.grants.models import Grant, MemberState

pytestmark = pytest.mark.django_db(transaction=True)

MAX = "max@muster-makler.example"
KLARA = "klara.muster@example.org"
NAME = "Muster privat und geschäftlich"
README_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "img" / "grant-editor.png"
# The demo's auto-shared contracts of statuses POLICE, ANTRAG and EIGEN, by risk (the private view's card
# titles). Without the line filter the EIGEN option would also share the HPV contract V-2003.
SHOWN = {
    "Wohnung Musterweg 1": "HRV",
    "Wohnung Musterweg 1 (Angebot Premium)": "HRV",
    "VW Golf, M-AB 123": "KFZ",
    "Motorroller, M-XY 9": "KFZ",
    "Audi A6, M-MF 700": "KFZ",
}
HPV_HIDDEN = "Privathaftpflicht Familie"


@pytest.fixture
def demo_logins(db) -> tuple[str, str]:
    """`einblick demo`, and the staff admin's password and first recovery code as it prints them."""
    out = io.StringIO()
    call_command("demo", stdout=out)
    found = re.search(
        rf"Staff admin:\s+{re.escape(MAX)} / (\S+)\s+second factor: recovery code (\S+)", out.getvalue()
    )
    assert found, out.getvalue()
    return found.group(1), found.group(2)


def log_in_as_max(page: Any, base: str, password: str, recovery_code: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("E-Mail-Adresse:", exact=True).fill(MAX)
    page.get_by_label("Passwort:", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_role("heading", name="Zwei-Faktor-Authentifizierung", level=1)).to_be_visible()
    page.locator("#id_code").fill(recovery_code)  # the field allauth labels "Code:"
    page.get_by_role("button", name="Anmelden", exact=True).click()


def test_demo_admin_sets_up_a_grant_in_the_editor_and_previews_it(
    demo_logins, live_server, page, browser_problems, screenshot: Callable[[str], Path]
):
    base = live_server.url
    log_in_as_max(page, base, *demo_logins)

    # Step 5: the office → settings, tab Freischaltungen.
    expect(page.get_by_role("heading", name="Büro", level=1)).to_be_visible()
    page.get_by_role("link", name="Einstellungen: Freischaltungen").click()
    expect(page).to_have_url(re.compile(r"/staff/\d+/grants/$"))
    tabs = page.get_by_role("navigation", name="Einstellungen")
    expect(tabs.get_by_role("link", name="Freischaltungen")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Familie Muster", exact=True)).to_be_visible()

    # Step 6: Neuanlage with a name.
    page.get_by_label("Neuanlage: Name").fill(NAME)
    page.get_by_role("button", name="Anlegen").click()
    expect(page.get_by_role("heading", name=NAME, level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Die Freischaltung ist angelegt.")).to_be_visible()
    grant = Grant.objects.get(name=NAME)
    expect(page).to_have_url(f"{base}/staff/{grant.broker_id}/grants/{grant.pk}/")
    summary = page.locator("#summary")
    expect(summary).to_have_text(re.compile(r"Derzeit sichtbar:\s+0 Verträge,\s+0 Schäden"))

    # Step 7, top left: customers from the portfolio, Klara and her company.
    customers = page.get_by_role("region", name="Kunden")
    expect(customers).to_contain_text("Noch keine Kunden.")
    for query, name in (("Muster", "Klara Muster"), ("Musterfirma", "Musterfirma GmbH")):
        customers.get_by_label("Bestand durchsuchen (Name, Nummer, E-Mail)").fill(query)
        customers.get_by_role("button", name="Suche").click()
        expect(page).to_have_url(re.compile(rf"\?cq={query}$"))
        customers.get_by_role("listitem").filter(has_text=name).get_by_role(
            "button", name="Hinzufügen"
        ).click()
        expect(customers.get_by_role("status")).to_have_text("Gespeichert.")
        expect(customers.get_by_role("listitem").filter(has_text=name)).to_contain_text("Entfernen")
    expect(customers).to_contain_text("Klara Muster (K-1001)")
    expect(customers).to_contain_text("Musterfirma GmbH (K-1002)")
    expect(summary).to_have_text(re.compile(r"0 Verträge,\s+0 Schäden"))  # nothing shared yet

    # The other areas learn of the new customers in place (their contracts to pick by hand, their
    # e-mails to suggest), without a reload.
    editor = page.url.split("?")[0]
    sharing = page.get_by_role("region", name="Freigaben")
    by_hand = sharing.get_by_role("group", name="Oder von Hand ausgewählt")
    expect(by_hand.get_by_role("checkbox")).to_have_count(14)  # the demo's contracts of the two
    expect(by_hand.get_by_role("checkbox", name=HPV_HIDDEN)).not_to_be_checked()

    # Step 8, top right: claims; automatic sharing of the demo's statuses, first over every line...
    sharing.get_by_label("Schäden", exact=True).check()
    sharing.get_by_label("Verträge automatisch freigeben").check()
    for status in ("ANTRAG", "POLICE", "EIGEN"):
        sharing.get_by_label(status, exact=True).check()
    sharing.get_by_role("button", name="Speichern").click()
    expect(sharing.get_by_role("status")).to_have_text("Gespeichert.")
    # ... which shares the HPV contract V-2003 (status EIGEN, no dates) and its claim as well ...
    expect(summary).to_have_text(re.compile(r"6 Verträge,\s+4 Schäden"))
    # ... so only lines HRV and KFZ.
    lines = sharing.get_by_role("group", name="Nur diese Sparten (keine: alle)")
    for line in ("Hausrat (HRV)", "Kraftfahrt (KFZ)"):
        lines.get_by_label(line, exact=True).check()
    sharing.get_by_role("button", name="Speichern").click()
    expect(sharing.get_by_role("status")).to_have_text("Gespeichert.")
    expect(summary).to_have_text(re.compile(r"5 Verträge,\s+3 Schäden"))
    expect(sharing.get_by_label("Verträge automatisch freigeben")).to_be_checked()
    expect(sharing.get_by_label("Schäden", exact=True)).to_be_checked()
    # The hand-pick list says which contracts the automatic sharing shows already.
    by_hand = sharing.get_by_role("group", name="Oder von Hand ausgewählt")
    expect(by_hand.locator(".auto")).to_have_count(5)
    expect(by_hand.locator("label.pick").filter(has_text=HPV_HIDDEN).locator(".auto")).to_have_count(0)

    # Step 9, bottom left: the customers' e-mails are suggested; Teilen gives Klara (known) access at once.
    users = page.get_by_role("region", name="Nutzer")
    expect(users).to_contain_text("Noch keine Nutzer.")
    expect(users.locator(f'datalist option[value="{KLARA}"]')).to_have_count(1)
    expect(users.locator('datalist option[value="info@musterfirma.example"]')).to_have_count(1)
    users.get_by_label("E-Mail", exact=True).fill(KLARA)
    users.get_by_role("button", name="Teilen").click()
    expect(users.get_by_role("status")).to_have_text("Gespeichert.")
    expect(users.get_by_role("listitem").filter(has_text=KLARA)).to_contain_text("(aktiv)")
    expect(users.locator(f'datalist option[value="{KLARA}"]')).to_have_count(0)  # no longer suggested

    # Step 10, bottom right: private view, primary contact, messages, claim report, a shown clerk.
    actions = page.get_by_role("region", name="Aktionen und Betreuer")
    actions.get_by_label("Ansicht").select_option(label="Privatkundenansicht")
    actions.get_by_label("Hauptansprechpartner (nötig für jede Aktion)").check()
    actions.get_by_label("Nachrichten", exact=True).check()
    # "Without a contract" only means something with the claim report: it follows that box at once.
    on_customer = actions.get_by_label("auch zu einem Kunden, ohne Vertrag")
    expect(on_customer).to_be_disabled()
    actions.get_by_label("Schadenmeldung", exact=True).check()
    expect(on_customer).to_be_enabled()
    actions.get_by_label("Sachbearbeiter").select_option(label="Erika Sachbearbeiterin")
    actions.get_by_label("Betreuer anzeigen").check()
    actions.get_by_role("button", name="Speichern").click()
    expect(actions.get_by_role("status")).to_have_text("Gespeichert.")
    for label in ("Hauptansprechpartner (nötig für jede Aktion)", "Nachrichten", "Schadenmeldung"):
        expect(actions.get_by_label(label, exact=True)).to_be_checked()
    expect(actions.get_by_label("Betreuer anzeigen")).to_be_checked()
    expect(actions.get_by_label("Produktnamen anzeigen")).not_to_be_checked()
    expect(actions.get_by_label("Sachbearbeiter").locator("option:checked")).to_have_text(
        "Erika Sachbearbeiterin"
    )
    expect(on_customer).to_be_enabled()  # and stays so, the claim report being saved

    artifacts = screenshot("editor").parent
    if os.environ.get("EINBLICK_SCREENSHOTS") == "1":  # the README's picture, without the confirmations
        page.goto(editor)
        expect(summary).to_have_text(re.compile(r"5 Verträge,\s+3 Schäden"))
        page.set_viewport_size({"width": 1280, "height": 900})
        README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_IMAGE), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        assert README_IMAGE.stat().st_size < 400_000, README_IMAGE.stat().st_size

    # Freischaltungseinsicht: a new tab with the portal exactly as Klara sees it through this grant.
    with page.context.expect_page() as opened:
        users.get_by_role("link", name="Freischaltungseinsicht").click()
    preview = opened.value
    browser_problems.watch(preview)
    expect(preview).to_have_url(f"{base}/portal/{grant.pk}/")
    expect(preview.get_by_role("status").filter(has_text="Freischaltungseinsicht")).to_contain_text(NAME)
    expect(preview.get_by_role("heading", name="Meine aktuellen Absicherungen", level=1)).to_be_visible()
    entry_points = preview.get_by_role("navigation", name="Was Sie tun können")
    expect(entry_points.get_by_role("link", name="Schaden melden")).to_be_visible()  # claim report
    expect(entry_points.get_by_role("link", name="Nachricht schreiben")).to_be_visible()  # messages
    expect(preview.get_by_role("heading", name="Wohnen", level=2)).to_be_visible()  # HRV
    expect(preview.get_by_role("heading", name="Mobilität", level=2)).to_be_visible()  # KFZ
    expect(preview.get_by_role("heading", name="Haftung", level=2)).to_have_count(0)  # HPV
    cards = preview.locator("li.card.coverage")
    expect(cards).to_have_count(len(SHOWN))
    for risk in SHOWN:
        expect(cards.get_by_role("link", name=risk, exact=True)).to_be_visible()
    expect(preview.get_by_text(HPV_HIDDEN)).to_have_count(0)  # HPV: not among the lines
    expect(preview.get_by_text("Betriebshaftpflicht")).to_have_count(0)
    clerk = preview.get_by_role("region", name="Ihr Ansprechpartner")
    expect(clerk).to_contain_text("Erika Sachbearbeiterin")
    preview.screenshot(path=str(artifacts / "preview.png"), full_page=True)
    preview.close()

    # What the editor saved, in the database.
    grant.refresh_from_db()
    assert sorted(grant.customers.values_list("external_id", flat=True)) == ["K-1001", "K-1002"]
    assert grant.claims and grant.auto_contracts
    assert sorted(grant.statuses) == ["ANTRAG", "EIGEN", "POLICE"]
    assert sorted(grant.lines) == ["HRV", "KFZ"]
    assert not grant.contracts.exists() and not grant.reference_addresses and not grant.shared_processes
    assert grant.view == "private"
    assert grant.primary_contact and grant.messages and grant.claim_report and grant.show_clerk
    assert not (grant.product_names or grant.claim_report_on_customer or grant.contract_capture)
    assert not grant.offer_creation and grant.tariff_account is None
    assert grant.clerk is not None and grant.clerk.name == "Erika Sachbearbeiterin"
    assert [(m.email, m.state) for m in grant.members.all()] == [(KLARA, MemberState.ACTIVE)]
    shown = {c.risk: c.line.code for c in visibility.contracts(grant).select_related("line")}
    assert shown == SHOWN
    assert visibility.permissions(grant) == {
        "messages": True,
        "claim_report": True,
        "claim_report_on_customer": False,
        "contract_capture": False,
        "offer_creation": False,
    }
