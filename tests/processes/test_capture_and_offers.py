"""Contract capture (ONLINE_VERTRAG) and offer requests (OFFER_REQUEST) from the portal: permissions,
what they create, what the user sees at once, bad input refused with nothing written."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from einblick.grants.models import Grant
from einblick.portfolio.models import Contract, Customer, Line
from einblick.processes.models import Process, ProcessType
from tests.factories import load, make_grant, member_client
from tests.pages import found, text
from tests.samples import person

CLERK = {"name": "Max Betreuer", "email": "max@makler.example", "phone": None, "role": "user"}
TARIFF = {"name": "Vergleichsrechner", "url": "https://rechner.example/start?konto={account}&sparte={line}"}
ACTIONS: dict[str, Any] = {
    "primary_contact": True,
    "contract_capture": True,
    "offer_creation": True,
    "tariff_account": "T-1",
    "clerk": "U-1",
}
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def grant(broker, settings, tmp_path) -> Grant:
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    load(
        broker,
        staff={"U-1": CLERK},
        tariff_accounts={"T-1": TARIFF},
        customers={"K-1": person("Muster", "Klara"), "K-2": person("Nachbar", "Nora")},
    )
    return make_grant(broker, "Familie Muster", ["K-1"], {"statuses": ["POLICE"]}, **ACTIONS)


def token(client, url: str) -> str:
    return found(r'name="token" value="([^"]+)"', text(client.get(url)), 1)


def capture(client, grant: Grant, **changes):
    url = f"/portal/{grant.pk}/contracts/capture/"
    data = {
        "customer": Customer.objects.get(broker=grant.broker, external_id="K-1").pk,
        "line": Line.objects.get(broker=grant.broker, code="KFZ").pk,
        "insurer": "Andere Versicherung AG",
        "number": "AV-123",
        "premium": "41,50",
        "payment_interval": "monthly",
        "start_date": "2025-01-01",
        "token": token(client, url),
        **changes,
    }
    return client.post(url, {k: v for k, v in data.items() if v is not None})


def test_a_captured_contract_is_fremd_from_the_portal_and_shown_at_once(grant, api):
    client = member_client(grant, "klara@example.org")
    dashboard = text(client.get(f"/portal/{grant.pk}/"))  # the cache is warm now
    assert "Andere Versicherung AG" not in dashboard
    response = capture(client, grant, attachments=[SimpleUploadedFile("police.pdf", PDF)])
    assert response.status_code == 302, response.content.decode()[:3000]
    contract = Contract.objects.get(source="portal")
    assert (contract.status, contract.insurer, contract.premium, contract.line.code) == (
        "FREMD", "Andere Versicherung AG", Decimal("41.50"), "KFZ"
    )  # fmt: skip
    assert contract.external_id.startswith("portal:")
    assert list(grant.contracts.all()) == [contract]
    assert "Andere Versicherung AG" in text(client.get(f"/portal/{grant.pk}/"))
    assert client.get(f"/portal/{grant.pk}/contracts/{contract.pk}/").status_code == 200
    process = Process.objects.get()
    assert process.customer is not None
    assert (process.type, process.contract, process.customer.external_id) == (
        ProcessType.ONLINE_VERTRAG,
        contract,
        "K-1",
    )
    assert process.payload == {
        "insurer": "Andere Versicherung AG", "line": "KFZ", "number": "AV-123", "premium": "41.50",
        "payment_interval": "monthly", "start_date": "2025-01-01",
    }  # fmt: skip
    outbox = api.get("/processes", state="new").json()["items"][0]
    assert (outbox["type"], outbox["contract"], outbox["customer"]) == (
        "ONLINE_VERTRAG",
        contract.external_id,
        "K-1",
    )
    assert outbox["messages"][0]["attachments"][0]["name"] == "police.pdf"
    assert "Monatlich" in outbox["messages"][0]["body"] or "monatlich" in outbox["messages"][0]["body"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"insurer": ""}, "insurer"),
        ({"premium": "-5"}, "premium"),
        ({"premium": "viel"}, "premium"),
        ({"start_date": "2025-13-45"}, "start_date"),
        ({"payment_interval": "weekly"}, "payment_interval"),
        ({"line": 999_999}, "line"),
        ({"customer": "K-2"}, "customer"),  # replaced below by the id of a customer outside the grant
        ({"attachments": [SimpleUploadedFile("police.jpg", PDF)]}, "attachments"),
    ],
)
def test_bad_input_is_refused_in_place_and_nothing_is_written(grant, changes, field):
    if changes.get("customer") == "K-2":
        changes = {"customer": Customer.objects.get(external_id="K-2").pk}
    client = member_client(grant, "klara@example.org")
    response = capture(client, grant, **changes)
    assert response.status_code == 200
    assert re.search(rf'<div class="field invalid">\s*<label for="id_{field}"', response.content.decode())
    assert not Contract.objects.filter(source="portal").exists() and not Process.objects.exists()


def test_another_brokers_line_is_refused(grant, other_broker):
    load(other_broker, customers={"K-1": person("Fremd")})
    client = member_client(grant, "klara@example.org")
    foreign = Line.objects.exclude(broker=grant.broker).get(code="KFZ")
    response = capture(client, grant, line=foreign.pk)
    assert response.status_code == 200 and not Contract.objects.filter(source="portal").exists()


def test_capture_needs_the_permission_and_a_double_submit_writes_once(broker, grant, broker_admin):
    client = member_client(grant, "klara@example.org")
    url = f"/portal/{grant.pk}/contracts/capture/"
    sent = token(client, url)
    assert capture(client, grant, token=sent).status_code == 302
    assert capture(client, grant, token=sent).status_code == 302  # the same form again
    assert Contract.objects.filter(source="portal").count() == 1
    plain = make_grant(broker, "Ohne", ["K-1"], **{**ACTIONS, "contract_capture": False})
    other = member_client(plain, "klara@example.org")
    assert other.get(f"/portal/{plain.pk}/contracts/capture/").status_code == 403
    assert other.post(f"/portal/{plain.pk}/contracts/capture/", {}).status_code == 403
    office = broker_admin.client
    office.get(f"/staff/grants/{grant.pk}/preview/")
    assert office.get(url).status_code == 200
    assert office.post(url, {"insurer": "x"}).status_code == 403
    assert Contract.objects.filter(source="portal").count() == 1


def test_an_offer_request_asks_the_office(grant):
    client = member_client(grant, "klara@example.org")
    url = f"/portal/{grant.pk}/offers/new/"
    kfz = Line.objects.get(broker=grant.broker, code="KFZ").pk
    empty = client.post(url, {"line": kfz, "wishes": " ", "action": "advice", "token": token(client, url)})
    assert empty.status_code == 200 and not Process.objects.exists()
    response = client.post(
        url, {"line": kfz, "wishes": "Ein Zweitwagen", "action": "advice", "token": token(client, url)}
    )
    assert response.status_code == 302
    process = Process.objects.get()
    assert (process.type, process.payload) == (
        ProcessType.OFFER_REQUEST,
        {"line": "KFZ", "calculator": False},
    )
    assert process.messages.get().body == "Ein Zweitwagen"


def test_the_tariff_calculator_opens_with_account_and_line_only_and_the_office_is_told(grant):
    client = member_client(grant, "klara@example.org")
    url = f"/portal/{grant.pk}/offers/new/"
    kfz = Line.objects.get(broker=grant.broker, code="KFZ").pk
    response = client.post(url, {"line": kfz, "action": "calculator", "token": token(client, url)})
    assert response.status_code == 200
    target = "https://rechner.example/start?konto=T-1&amp;sparte=KFZ"
    html = response.content.decode()
    assert f'content="0;url={target}"' in html and f'href="{target}"' in html
    assert "klara" not in target and "Muster" not in target
    process = Process.objects.get()
    assert process.payload == {"line": "KFZ", "calculator": True}


def test_offers_need_a_tariff_account(broker, grant):
    plain = make_grant(broker, "Ohne Rechner", ["K-1"], **{**ACTIONS, "tariff_account": None})
    client = member_client(plain, "klara@example.org")
    assert client.get(f"/portal/{plain.pk}/offers/new/").status_code == 403
    assert client.post(f"/portal/{plain.pk}/offers/new/", {"action": "calculator"}).status_code == 403
    assert not Process.objects.exists()
