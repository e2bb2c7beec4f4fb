"""The private view (Privatkundenansicht): coverage cards by line group, premiums per month and year,
the chart, claims in progress, the clerk card and the "not yet covered" hint."""

from __future__ import annotations

import re
from typing import Any

import pytest

from einblick.grants.models import Grant
from einblick.portfolio.models import Claim
from tests.factories import load, make_grant, member_client
from tests.pages import found, text
from tests.samples import ALL_STATUSES, claim, contract, person

STAFF = {"name": "Max Betreuer", "email": "max@makler.example", "phone": "+49 89 555 0", "role": "user"}
TARIFF = {"name": "Vergleichsrechner", "url": "https://rechner.example/?a={account}"}

CONTRACTS = {
    # in force
    "V-HR": contract(
        "K-1",
        "HR-1",
        "HRV",
        risk="Wohnung Musterweg 1",
        product="Hausrat Komfort",
        premium="120.00",
        payment_interval="yearly",
    ),
    "V-KFZ": contract(
        "K-1",
        "KF-1",
        "KFZ",
        risk="VW Golf M-KM 123",
        product="Kfz Premium",
        status="FREMD",
        premium="90.00",
        payment_interval="quarterly",
        insurer="Andere Kfz AG",
    ),
    "V-PHV": contract(
        "K-1",
        "PH-1",
        "PHV",
        risk="Familie Muster",
        product="PHV Top",
        status="FREMDTEIL",
        premium="60.00",
        payment_interval="half_yearly",
    ),
    "V-LV": contract(
        "K-1",
        "LV-1",
        "LV",
        risk="Altersvorsorge",
        product="Rente Plus",
        premium="1234.56",
        payment_interval="monthly",
    ),
    "V-KV": contract(
        "K-1",
        "KV-1",
        "KV",
        risk="Zahnzusatz",
        product="Zahn Extra",
        premium="5000.00",
        payment_interval="single",
    ),
    # not in force: shown, but not counted
    "V-RS": contract(
        "K-1",
        "RS-1",
        "RS",
        risk="Verkehrsrechtsschutz",
        product="RS Basis",
        status="STORNO",
        premium="100.00",
    ),
    "V-UNF": contract(
        "K-1",
        "UN-1",
        "UNF",
        risk="Unfall Klara",
        product="Unfall Plus",
        status="ANGEBOT",
        offer_date="2024-02-01",
        premium="50.00",
    ),
}


@pytest.fixture
def portfolio(broker) -> None:
    load(
        broker,
        staff={"U-1": STAFF},
        tariff_accounts={"T-1": TARIFF},
        customers={"K-1": person("Muster", "Klara"), "K-2": person("Nachbar", "Otto")},
        contracts=CONTRACTS
        | {"V-OTTO": contract("K-2", "OT-1", "GL", risk="Glas Nachbar", premium="999.00")},
    )


def private(broker, share: dict | None = None, **actions) -> Grant:
    return make_grant(
        broker, "Familie Muster", ["K-1"], {"statuses": ALL_STATUSES} | (share or {}), **actions
    )


def page_of(grant: Grant) -> str:
    return text(member_client(grant, "klara.muster@example.org").get(f"/portal/{grant.pk}/"))


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="card coverage[^"]*">(.*?)</li>', html, re.S)


def card(html: str, title: str) -> str:
    [found] = [c for c in cards(html) if f"<strong>{title}</strong>" in c]
    return found


def figures(html: str) -> tuple[str, str]:
    month = found(r"Pro Monat</span><strong>([^<]+)</strong>", html, 1)
    year = found(r"Pro Jahr</span><strong>([^<]+)</strong>", html, 1)
    return month, year


def test_cards_are_grouped_by_line_group_in_the_catalogues_order(broker, portfolio):
    html = page_of(private(broker))
    assert "<h1>Meine aktuellen Absicherungen</h1>" in html
    headings = re.findall(
        r'<section class="group" aria-labelledby="group-\d+">\s*<h2 id="group-\d+">(.*?)</h2>', html, re.S
    )
    labels = [re.sub(r"<[^>]+>", "", h).strip() for h in headings]
    assert labels == ["Wohnen", "Mobilität", "Haftung", "Gesundheit", "Vorsorge", "Recht"]
    for heading in headings:
        assert re.search(r'<img class="icon" src="/static/einblick/icons/[a-z-]+\.svg" alt=""', heading)
    wohnen = html.split(">Wohnen</h2>", 1)[1].split("</section>", 1)[0]
    assert "Wohnung Musterweg 1" in wohnen and "VW Golf" not in wohnen
    vorsorge = html.split(">Vorsorge</h2>", 1)[1].split("</section>", 1)[0]
    assert "Altersvorsorge" in vorsorge and "Unfall Klara" in vorsorge
    assert "Glas Nachbar" not in html  # another customer's contract


def test_each_card_names_the_risk_insurer_status_in_words_and_premium_per_month(broker, portfolio):
    html = page_of(private(broker))
    assert len(cards(html)) == len(CONTRACTS)
    hr = card(html, "Wohnung Musterweg 1")
    assert "Beispiel Versicherung AG" in hr
    assert '<span class="status">Eigenvertrag</span>' in hr
    assert "10,00 € pro Monat" in hr  # 120 € yearly
    assert "30,00 € pro Monat" in card(html, "VW Golf M-KM 123")  # 90 € quarterly
    assert '<span class="status">Fremdvertrag</span>' in card(html, "VW Golf M-KM 123")
    phv = card(html, "Familie Muster")
    assert "10,00 € pro Monat" in phv  # 60 € half-yearly
    assert '<span class="status">Teilweise Fremdvertrag</span>' in phv
    assert "1.234,56 € pro Monat" in card(html, "Altersvorsorge")
    assert "pro Monat" not in card(html, "Zahnzusatz")  # a single payment has no monthly premium
    assert '<span class="status">Storniert</span>' in card(html, "Verkehrsrechtsschutz")
    assert '<span class="status">Angebot</span>' in card(html, "Unfall Klara")
    for title in ("Hausrat Komfort", "Kfz Premium", "Rente Plus"):
        assert title not in html  # product names are off


def test_cards_link_to_their_contract(broker, portfolio):
    grant = private(broker)
    html = page_of(grant)
    assert len(re.findall(rf'href="/portal/{grant.pk}/contracts/\d+/"', html)) == len(CONTRACTS)


def test_product_names_replace_the_risk_and_nothing_else(broker, portfolio):
    html = page_of(private(broker, product_names=True))
    hr = card(html, "Hausrat Komfort")
    assert "10,00 € pro Monat" in hr and "Eigenvertrag" in hr and "Beispiel Versicherung AG" in hr
    for risk in ("Wohnung Musterweg 1", "VW Golf M-KM 123", "Altersvorsorge"):
        assert risk not in html
    assert len(cards(html)) == len(CONTRACTS)
    assert figures(html) == figures(page_of(private(broker)))


def test_a_card_without_risk_or_product_is_named_by_its_line(broker):
    load(
        broker,
        customers={"K-1": person("Muster", "Klara")},
        contracts={"V-1": contract("K-1", "X-1", "WGV", risk=None, product=None)},
    )
    assert "<strong>Wohngebäude</strong>" in page_of(private(broker, product_names=True))


def test_totals_count_only_contracts_in_force_in_german_format(broker, portfolio):
    month, year = figures(page_of(private(broker)))
    # 10 (HRV yearly) + 30 (KFZ FREMD quarterly) + 10 (PHV FREMDTEIL half-yearly) + 1234.56 (LV monthly);
    # not the cancelled RS, not the offer UNF, not the single payment KV.
    assert month == "1.284,56 €"
    assert year == "15.414,72 €"


@pytest.mark.parametrize(
    "status, counted",
    [
        ("EIGEN", True),
        ("FREMD", True),
        ("FREMDTEIL", True),
        ("STORNO", False),
        ("ANGEBOT", False),
        ("ANFRAGE", False),
        ("RUHEND", False),
        ("GESPERRT", False),
        ("INFO", False),
    ],
)
def test_only_eigen_fremd_and_fremdteil_count_towards_the_totals(status, counted, broker):
    load(
        broker,
        customers={"K-1": person("Muster", "Klara")},
        contracts={
            "V-1": contract(
                "K-1",
                "X-1",
                "HRV",
                status=status,
                premium="24.00",
                payment_interval="monthly",
                offer_date="2024-01-01",
            )
        },
    )
    html = page_of(private(broker))
    assert "24,00 € pro Monat" in card(html, "Wohnung Musterweg 1")
    assert figures(html) == (("24,00 €", "288,00 €") if counted else ("0,00 €", "0,00 €"))


def test_the_chart_is_an_accessible_svg_and_its_caption_lists_the_shares(broker):
    load(
        broker,
        customers={"K-1": person("Muster", "Klara")},
        contracts={
            "V-1": contract("K-1", "X-1", "HRV", premium="120.00", payment_interval="yearly"),  # 10 / month
            "V-2": contract("K-1", "X-2", "KFZ", premium="30.00", payment_interval="monthly"),  # 30 / month
            "V-3": contract("K-1", "X-3", "RS", status="STORNO", premium="500.00"),  # not counted: 0 %
        },
    )
    html = page_of(private(broker))
    svg = found(r"<svg[^>]*>.*?</svg>", html, flags=re.S)
    assert 'role="img"' in svg
    label = found(r'aria-labelledby="([^"]+)"', svg, 1)
    assert re.search(rf'<title id="{label}">Anteil am Monatsbeitrag nach Bereich</title>', svg)
    assert svg.count("<rect") == 3
    caption = found(r"<figcaption>(.*?)</figcaption>", html, 1, re.S)
    assert caption == "Anteil am Monatsbeitrag nach Bereich: Wohnen 25 %, Mobilität 75 %, Recht 0 %"
    assert "https://" not in svg and "<script" not in html.split("</head>", 1)[1]


def test_no_contracts_no_chart_and_a_friendly_sentence(broker):
    load(broker, customers={"K-1": person("Muster", "Klara")})
    html = page_of(private(broker))
    assert "<svg" not in html
    assert '<h2 id="group-' not in html
    assert figures(html) == ("0,00 €", "0,00 €")


def test_claims_in_progress_are_listed_settled_ones_not(portfolio, broker):
    claims = {
        f"S-{status}": claim("K-1", "V-HR", f"SCH-{status}", status=status, loss_date="2024-05-03")
        for status in ("reported", "open", "settled", "closed", "rejected")
    }
    claims["S-hidden"] = claim("K-1", "V-KFZ", "SCH-hidden", status="open")  # its contract is hidden below
    load(broker, claims=claims)
    grant = private(broker, {"statuses": ["POLICE", "ANTRAG", "EIGEN"]})
    html = page_of(grant)
    section = html.split('<h2 id="claims-heading">Schäden in Bearbeitung</h2>', 1)[1].split("</section>", 1)[
        0
    ]
    listed = {int(pk) for pk in re.findall(rf'href="/portal/{grant.pk}/claims/(\d+)/"', section)}
    expected = set(
        Claim.objects.filter(external_id__in=["S-reported", "S-open"]).values_list("pk", flat=True)
    )
    assert listed == expected
    assert "gemeldet" in section and "offen" in section and "reguliert" not in section
    assert "03.05.2024" in section
    assert "<strong>Hausrat</strong>" in section


def test_a_claim_in_progress_without_contract_is_listed_as_a_claim(portfolio, broker):
    load(broker, claims={"S-1": claim("K-1", None, "SCH-customer", status="reported", loss_date=None)})
    grant = private(broker)
    html = page_of(grant)
    section = html.split('<h2 id="claims-heading">Schäden in Bearbeitung</h2>', 1)[1].split("</section>", 1)[
        0
    ]
    assert "<strong>Schaden</strong>" in section
    assert f'href="/portal/{grant.pk}/claims/{Claim.objects.get(external_id="S-1").pk}/"' in section


def test_no_claims_section_when_claims_are_not_shared(portfolio, broker):
    load(broker, claims={"S-1": claim("K-1", "V-HR", "SCH-1", status="open")})
    html = page_of(private(broker, {"claims": False}))
    assert "Schäden in Bearbeitung" not in html and "/claims/" not in html


def test_the_clerk_card_shows_only_with_show_clerk(broker, portfolio):
    html = page_of(private(broker, clerk="U-1", show_clerk=True))
    section = html.split('<h2 id="clerk-heading">Ihr Ansprechpartner</h2>', 1)[1].split("</section>", 1)[0]
    assert "<strong>Max Betreuer</strong>" in section
    assert 'href="tel:+49 89 555 0"' in section
    assert 'href="mailto:max@makler.example"' in section
    for actions in ({"clerk": "U-1", "show_clerk": False}, {"show_clerk": True}, {}):
        html = page_of(private(broker, **actions))
        assert "Ihr Ansprechpartner" not in html and "Max Betreuer" not in html


OFFERS: dict[str, Any] = {"primary_contact": True, "offer_creation": True, "tariff_account": "T-1"}


def _gaps(html: str) -> str | None:
    match = re.search(r'<h2 id="gaps-heading">Noch nicht abgesichert</h2>\s*<p>(.*?)</p>', html, re.S)
    return match.group(1) if match else None


def test_the_gaps_hint_names_the_groups_without_contracts_when_offers_are_allowed(broker, portfolio):
    html = page_of(private(broker, **OFFERS))
    gaps = _gaps(html)
    assert gaps is not None
    assert "Gewerbe" in gaps and "Sonstiges" in gaps
    assert "Wohnen" not in gaps and "Mobilität" not in gaps and "Vorsorge" not in gaps


@pytest.mark.parametrize("missing", ["primary_contact", "offer_creation", "tariff_account"])
def test_no_gaps_hint_unless_offer_creation_is_effectively_allowed(broker, portfolio, missing):
    actions = dict(OFFERS)
    actions.pop(missing)
    html = page_of(private(broker, **actions))
    assert _gaps(html) is None
    assert "Noch nicht abgesichert" not in html


def test_no_gaps_hint_when_every_group_has_a_contract(broker):
    lines = {
        "HRV": "Wohnen",
        "KFZ": "Mobilität",
        "PHV": "Haftung",
        "KV": "Gesundheit",
        "LV": "Vorsorge",
        "RS": "Recht",
        "GEW": "Gewerbe",
        "SON": "Sonstiges",
    }
    load(
        broker,
        tariff_accounts={"T-1": TARIFF},
        lines={
            "GEW": {"label": "Betriebshaftpflicht", "group": "Gewerbe", "gdv": None},
            "SON": {"label": "Tier", "group": "Sonstiges", "gdv": None},
        },
        customers={"K-1": person("Muster", "Klara")},
        contracts={f"V-{code}": contract("K-1", f"N-{code}", code) for code in lines},
    )
    assert _gaps(page_of(private(broker, **OFFERS))) is None


def test_a_group_with_only_a_cancelled_contract_or_an_offer_is_not_covered(broker, portfolio):
    gaps = _gaps(page_of(private(broker, **OFFERS)))
    assert gaps is not None
    assert "Recht" in gaps  # only the cancelled (STORNO) Rechtsschutz
    assert "Vorsorge" not in gaps  # LV is in force


def test_the_yearly_total_is_what_the_customer_pays_in_a_year(broker):
    load(
        broker,
        customers={"K-1": person("Muster", "Klara")},
        contracts={"V-1": contract("K-1", "X-1", "HRV", premium="100.00", payment_interval="yearly")},
    )
    month, year = figures(page_of(private(broker)))
    assert month == "8,33 €"
    assert year == "100,00 €"
