"""The detail pages: contract (all fields, risk locations only when shared, its claims only when shared),
claim (status timeline in order), customer (address and contacts); German dates and money."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from einblick.grants.models import Grant
from einblick.portfolio.models import Claim, ClaimStatusChange, Contract, Customer
from tests.factories import load, make_grant, member_client
from tests.pages import text
from tests.samples import claim, contract, person

LOCATIONS = [
    {"label": "Wohnung", "street": "Musterweg 1", "zip": "80331", "city": "München", "country": "DE"},
    {"label": "Garage", "street": "Hofweg 2", "zip": "80333", "city": "München", "country": "DE"},
]


@pytest.fixture
def portfolio(broker) -> None:
    load(
        broker,
        customers={
            "K-1": person("Muster", "Klara", salutation="Frau"),
            "K-2": {
                "kind": "company",
                "company_name": "Musterfirma GmbH",
                "address": {"street": "Industriestr. 5", "zip": "90402", "city": "Nürnberg", "country": "DE"},
                "emails": [],
                "phone": None,
            },
        },
        contracts={
            "V-1": contract(
                "K-1",
                "HR-4711",
                "HRV",
                insurer="Beispiel Versicherung AG",
                product="Hausrat Komfort",
                risk="Wohnung Musterweg 1",
                application_date="2023-12-01",
                document_date="2024-01-10",
                start_date="2024-01-15",
                end_date="2029-01-15",
                premium="1234.50",
                payment_interval="yearly",
                risk_locations=LOCATIONS,
            ),
            "V-2": contract(
                "K-1",
                "KF-1",
                "KFZ",
                risk="VW Golf",
                start_date=None,
                end_date=None,
                premium=None,
                payment_interval=None,
            ),
            "V-3": contract("K-1", "PH-1", "PHV", risk="Versteckt", status="STORNO"),
            "V-4": contract("K-2", "GW-1", "WGV", risk="Halle Nürnberg"),
        },
        claims={
            "S-1": claim(
                "K-1",
                "V-1",
                "SCH-1",
                loss_date="2024-05-03",
                status="open",
                amount_reserved="2500.00",
                amount_paid="1234.56",
            ),
            "S-2": claim(
                "K-1",
                "V-1",
                "SCH-2",
                loss_date="2024-07-20",
                status="settled",
                description="Fahrrad\ngestohlen",
            ),
            "S-3": claim("K-1", "V-3", "SCH-3"),  # on the hidden contract
        },
    )


def grant_of(broker, **share) -> Grant:
    return make_grant(broker, "Familie Muster", ["K-1", "K-2"], share)


def pk(model, external_id: str) -> int:
    return model.objects.get(external_id=external_id).pk


def get(grant: Grant, path: str) -> str:
    return text(member_client(grant, "klara.muster@example.org").get(f"/portal/{grant.pk}/{path}"))


def pairs(html: str) -> dict[str, str]:
    """The <dl class="pairs"> as label → text (tags removed)."""
    found = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html, re.S)
    return {dt: " ".join(re.sub(r"<[^>]+>", " ", dd).split()) for dt, dd in found}


def test_the_contract_page_shows_its_fields_in_german(broker, portfolio):
    grant = grant_of(broker)
    html = get(grant, f"contracts/{pk(Contract, 'V-1')}/")
    assert "<h1>Hausrat: Wohnung Musterweg 1</h1>" in html
    fields = pairs(html)
    assert fields["Kunde"] == "Klara Muster"
    assert fields["Versicherungsscheinnummer"] == "HR-4711"
    assert fields["Versicherer"] == "Beispiel Versicherung AG"
    assert fields["Produkt"] == "Hausrat Komfort"
    assert fields["Risiko"] == "Wohnung Musterweg 1"
    assert fields["Status"] == "Eigenvertrag"
    assert fields["Beginn"] == "15.01.2024"
    assert fields["Ablauf"] == "15.01.2029"
    assert fields["Beitrag"] == "1.234,50 € jährlich"
    assert f'href="/portal/{grant.pk}/customers/{pk(Customer, "K-1")}/"' in html


def test_empty_contract_fields_show_a_dash(broker, portfolio):
    fields = pairs(get(grant_of(broker), f"contracts/{pk(Contract, 'V-2')}/"))
    assert fields["Beginn"] == fields["Ablauf"] == fields["Beitrag"] == "–"


def test_the_contract_page_shows_the_application_and_document_dates(broker, portfolio):
    html = get(grant_of(broker), f"contracts/{pk(Contract, 'V-1')}/")
    assert "01.12.2023" in html  # application date (Antrag)
    assert "10.01.2024" in html  # document date (Dokument / Police)


def test_risk_locations_only_when_reference_addresses_are_shared(broker, portfolio):
    path = f"contracts/{pk(Contract, 'V-1')}/"
    shared = get(grant_of(broker, reference_addresses=True), path)
    section = shared.split('<h2 id="locations-heading">Risikoorte</h2>', 1)[1].split("</section>", 1)[0]
    assert "Wohnung, Musterweg 1, München" in section
    assert "Garage, Hofweg 2, München" in section
    assert section.index("Wohnung") < section.index("Garage")
    hidden = get(grant_of(broker, reference_addresses=False), path)
    assert "Risikoorte" not in hidden and "Hofweg" not in hidden


def test_the_contracts_claims_only_when_claims_are_shared(broker, portfolio):
    path = f"contracts/{pk(Contract, 'V-1')}/"
    grant = grant_of(broker, claims=True)
    html = get(grant, path)
    section = html.split('<h2 id="claims-heading">Schäden</h2>', 1)[1].split("</section>", 1)[0]
    assert re.findall(rf'href="/portal/{grant.pk}/claims/(\d+)/"', section) == [
        str(pk(Claim, "S-2")),  # newest loss first
        str(pk(Claim, "S-1")),
    ]
    assert "20.07.2024, reguliert" in section and "03.05.2024, offen" in section
    quiet = get(grant_of(broker, claims=False), path)
    assert "SCH-1" not in quiet and "/claims/" not in quiet


def test_the_claim_page_shows_its_fields_and_contract(broker, portfolio):
    grant = grant_of(broker)
    html = get(grant, f"claims/{pk(Claim, 'S-1')}/")
    assert "<h1>Schaden SCH-1</h1>" in html
    fields = pairs(html)
    assert fields["Vertrag"] == "Hausrat HR-4711"
    assert fields["Schadendatum"] == "03.05.2024"
    assert fields["Status"] == "offen"
    assert fields["Reserviert"] == "2.500,00 €"
    assert fields["Gezahlt"] == "1.234,56 €"
    assert f'href="/portal/{grant.pk}/contracts/{pk(Contract, "V-1")}/"' in html
    assert "Fahrrad<br>gestohlen" in get(grant, f"claims/{pk(Claim, 'S-2')}/")


def test_the_claim_timeline_is_in_time_order(portfolio):
    claim_pk = pk(Claim, "S-1")
    broker = Claim.objects.get(pk=claim_pk).broker
    ClaimStatusChange.objects.filter(claim_id=claim_pk).delete()
    # Created out of order on purpose: the page orders by time, not by insertion.
    for status, moment in [
        ("settled", datetime(2024, 6, 30, 9, 0, tzinfo=UTC)),
        ("reported", datetime(2024, 5, 3, 22, 30, tzinfo=UTC)),  # 4 May in Berlin
        ("open", datetime(2024, 5, 10, 8, 0, tzinfo=UTC)),
    ]:
        ClaimStatusChange.objects.create(broker=broker, claim_id=claim_pk, status=status, changed_at=moment)
    html = get(grant_of(broker), f"claims/{claim_pk}/")
    timeline = html.split('<h2 id="timeline-heading">Verlauf</h2>', 1)[1].split("</ol>", 1)[0]
    steps = [
        " ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in re.findall(r"<li>(.*?)</li>", timeline, re.S)
    ]
    assert steps == ["04.05.2024 gemeldet", "10.05.2024 offen", "30.06.2024 reguliert"]


def test_the_import_writes_the_timeline_as_the_status_changes(portfolio, broker):
    load(
        broker,
        claims={
            "S-1": claim(
                "K-1",
                "V-1",
                "SCH-1",
                loss_date="2024-05-03",
                status="settled",
                amount_reserved="2500.00",
                amount_paid="1234.56",
            )
        },
    )
    html = get(grant_of(broker), f"claims/{pk(Claim, 'S-1')}/")
    timeline = html.split('<h2 id="timeline-heading">Verlauf</h2>', 1)[1].split("</ol>", 1)[0]
    statuses = re.findall(r"</time> (\S+)</li>", timeline)
    assert statuses == ["offen", "reguliert"]


def test_the_customer_page_shows_address_and_contacts(broker, portfolio):
    grant = grant_of(broker)
    html = get(grant, f"customers/{pk(Customer, 'K-1')}/")
    assert "<h1>Klara Muster</h1>" in html
    fields = pairs(html)
    assert fields["Anschrift"] == "Musterweg 1 80331 München"
    assert fields["Telefon"] == "+49 89 1234567"
    assert fields["E-Mail"] == "klara.muster@example.org klara@work.example"
    assert fields["Geburtsdatum"] == "02.03.1984"
    listed = re.findall(rf'href="/portal/{grant.pk}/contracts/(\d+)/"', html)
    assert sorted(map(int, listed)) == sorted(
        [pk(Contract, "V-1"), pk(Contract, "V-2")]
    )  # not the cancelled V-3
    assert "Versteckt" not in html


def test_a_company_customer_page(broker, portfolio):
    grant = grant_of(broker)
    html = get(grant, f"customers/{pk(Customer, 'K-2')}/")
    assert "<h1>Musterfirma GmbH</h1>" in html
    fields = pairs(html)
    assert fields["Anschrift"] == "Industriestr. 5 90402 Nürnberg"
    assert fields["Telefon"] == fields["E-Mail"] == "–"
    assert "Geburtsdatum" not in fields
    assert "Halle Nürnberg" in html


def test_a_customer_page_without_shared_contracts_says_so(broker, portfolio):
    grant = make_grant(broker, "Nur Kunde", ["K-1"], {"auto_contracts": False})
    html = get(grant, f"customers/{pk(Customer, 'K-1')}/")
    assert "<h1>Klara Muster</h1>" in html
    assert "/contracts/" not in html
    assert "Musterweg 1" in html  # the grant's customers are always visible (visibility.md §2)


def test_a_hand_picked_contract_opens_whatever_the_filters_say(broker, portfolio):
    grant = make_grant(broker, "Handverlesen", ["K-1"], {"auto_contracts": False, "contracts": ["V-3"]})
    html = get(grant, f"contracts/{pk(Contract, 'V-3')}/")
    assert "Versteckt" in html and "Storniert" in html
    client = member_client(grant, "klara.muster@example.org")
    assert client.get(f"/portal/{grant.pk}/contracts/{pk(Contract, 'V-1')}/").status_code == 404
