"""Issue 6 in a real browser, on the demo data: Klara Muster reports a motor claim with two photos step
by step, sees it under her claims at once, and sees the office's answer arrive after the AMS posts it
through POST /api/v1/processes/{id}/messages. Screenshots at 360 px and 1280 px."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from einblick.accounts.models import User
from einblick.brokers.models import Broker
from einblick.brokers.services import create_token
from einblick.grants.models import Grant
from einblick.portfolio.models import Claim
from einblick.processes.models import Process
from tests.samples import JPEG

pytestmark = pytest.mark.django_db(transaction=True)

KLARA = "klara.muster@example.org"
PASSWORD = "Demo-Passwort-4711!"


@pytest.fixture
def demo(db, settings, tmp_path) -> None:
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    call_command("demo", stdout=io.StringIO())
    klara = User.objects.get(email=KLARA)
    klara.set_password(PASSWORD)
    klara.save()


def at_both_widths(page: Any, screenshot: Callable[[str], Path], name: str) -> None:
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow} px too wide at {width} px"
        screenshot(f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_demo_customer_reports_a_motor_claim_with_two_photos_and_sees_the_answer(
    demo, live_server, page, screenshot, tmp_path
):
    grant = Grant.objects.get(name="Familie Muster")
    page.goto(live_server.url + "/accounts/login/")
    page.locator("#id_login").fill(KLARA)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.goto(f"{live_server.url}/portal/{grant.pk}/")
    page.get_by_role("link", name="Schaden melden").click()
    page.locator("#c-contract").select_option(
        label="Kraftfahrt: VW Golf, M-AB 123 (Beispiel Versicherung AG)"
    )
    at_both_widths(page, screenshot, "start")
    page.get_by_role("button", name="Meldung beginnen").click()

    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    page.get_by_label("Schadendatum").fill(day)
    page.get_by_label("Uhrzeit (falls bekannt)").fill("17:30")
    page.get_by_label("Ort:", exact=True).fill("Kreuzung Hauptstraße / Ringstraße")
    page.get_by_label("Was ist passiert?").fill("Beim Abbiegen hat mich ein anderes Auto gestreift.")
    at_both_widths(page, screenshot, "loss")
    page.get_by_role("button", name="Speichern und weiter").click()

    page.get_by_label("Fahrzeug:", exact=True).fill("VW Golf")
    page.get_by_label("Kennzeichen:", exact=True).fill("M-AB 123")
    page.get_by_label("Unfallgegner (Name, Kennzeichen, Versicherer)").fill("B-XY 99, Beispiel AG")
    page.get_by_label("Die Polizei war beteiligt").check()
    page.get_by_role("button", name="Speichern und weiter").click()

    page.get_by_label("Geschätzte Schadenhöhe (€)").fill("1.800,00")
    page.get_by_label("IBAN für die Auszahlung").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_label("Kontoinhaber").fill("Klara Muster")
    page.get_by_role("button", name="Speichern und weiter").click()

    photos = []
    for name in ("vorne.jpg", "seite.jpg"):
        path = tmp_path / name
        path.write_bytes(JPEG)
        photos.append(str(path))
    page.get_by_label("Fotos und Dokumente").set_input_files(photos)
    at_both_widths(page, screenshot, "files")
    page.get_by_role("button", name="Speichern und weiter").click()

    expect(page.get_by_role("heading", name="Prüfen und senden")).to_be_visible()
    expect(page.locator("main")).to_contain_text("vorne.jpg, seite.jpg")
    expect(page.locator("main")).to_contain_text("DE89 3704 0044 0532 0130 00")
    at_both_widths(page, screenshot, "review")
    page.get_by_role("button", name="Schadenmeldung senden").click()
    expect(page.locator(".message")).to_contain_text("Ihr Schaden ist gemeldet")

    claim = Claim.objects.get(external_id__startswith="portal:")
    assert claim.status == "reported"
    process = Process.objects.get(type="CLAIM_REPORT")
    assert sorted(process.messages.get().attachments.values_list("name", flat=True)) == [
        "schadenmeldung.pdf", "seite.jpg", "vorne.jpg"
    ]  # fmt: skip
    thread_url = page.url

    page.goto(f"{live_server.url}/portal/{grant.pk}/")
    claims = page.locator("section", has=page.get_by_role("heading", name="Schäden in Bearbeitung"))
    expect(claims).to_contain_text(f"Schadendatum: {timezone.localdate() - timedelta(days=2):%d.%m.%Y}")
    at_both_widths(page, screenshot, "dashboard")

    _, token = create_token(broker=Broker.objects.get(pk=grant.broker_id), name="AMS")
    answer = Client().post(
        f"/api/v1/processes/{process.pk}/messages",
        {"body": "Wir haben den Schaden an die Versicherung gegeben.", "author": "U-1"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.content
    page.goto(f"{live_server.url}/portal/{grant.pk}/messages/")
    expect(page.locator(".threads")).to_contain_text("Neue Antwort")
    page.goto(thread_url)
    expect(page.locator(".thread")).to_contain_text("Wir haben den Schaden an die Versicherung gegeben.")
    at_both_widths(page, screenshot, "answer")
