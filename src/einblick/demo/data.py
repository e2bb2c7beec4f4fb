"""The demo broker of the seed: Muster Makler GmbH with Klara Muster and her Musterfirma."""

from __future__ import annotations

from typing import Any

ADDRESS = {"street": "Musterweg 1", "zip": "80331", "city": "München", "country": "DE"}
OFFICE = {"street": "Industriestraße 12", "zip": "80339", "city": "München", "country": "DE"}


def _contract(customer: str, line: str, number: str, status: str, risk: str, **extra: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "number": number,
        "line": line,
        "insurer": extra.pop("insurer", "Beispiel Versicherung AG"),
        "status": status,
        "risk": risk,
        "payment_interval": extra.pop("payment_interval", "monthly"),
        **extra,
    }


def batch() -> dict[str, Any]:
    """The demo portfolio, in the shape of POST /api/v1/import."""
    return {
        "staff": {
            "U-1": {
                "name": "Max Betreuer",
                "email": "max@muster-makler.example",
                "phone": "+49 89 7654321",
                "role": "admin",
            },
            "U-2": {"name": "Erika Sachbearbeiterin", "email": "erika@muster-makler.example", "role": "user"},
        },
        "tariff_accounts": {
            "T-1": {
                "name": "Vergleichsrechner",
                "url": "https://rechner.example/start?account={account}&line={line}",
            },
        },
        "customers": {
            "K-1001": {
                "kind": "person",
                "salutation": "Frau",
                "first_name": "Klara",
                "last_name": "Muster",
                "birth_date": "1984-03-02",
                "emails": ["klara.muster@example.org"],
                "phone": "+49 89 1234567",
                "address": ADDRESS,
            },
            "K-1002": {
                "kind": "company",
                "company_name": "Musterfirma GmbH",
                "emails": ["info@musterfirma.example"],
                "phone": "+49 89 1234500",
                "address": OFFICE,
            },
        },
        "contracts": {
            # Every status, and every date combination that the status options of a grant tell apart.
            "V-2001": _contract(
                "K-1001",
                "HRV",
                "HR-4711",
                "EIGEN",
                "Wohnung Musterweg 1",
                product="Hausrat Komfort",
                application_date="2023-12-01",
                document_date="2024-01-10",
                start_date="2024-01-01",
                premium="12.50",
                risk_locations=[{"label": "Wohnung", **ADDRESS}],
            ),
            "V-2002": _contract(
                "K-1001",
                "KFZ",
                "KF-1234",
                "EIGEN",
                "VW Golf, M-AB 123",
                product="Kfz Premium",
                application_date="2024-02-01",
                start_date="2024-03-01",
                premium="48.90",
            ),
            "V-2003": _contract(
                "K-1001",
                "HPV",
                "PH-5555",
                "EIGEN",
                "Privathaftpflicht Familie",
                product="PHV Plus",
                start_date="2022-01-01",
                premium="6.20",
            ),
            "V-2004": _contract(
                "K-1001",
                "KFZ",
                "KF-9999",
                "EIGEN",
                "Motorroller, M-XY 9",
                product="Kfz Basis",
                document_date="2023-04-01",
                start_date="2023-04-01",
                premium="9.80",
            ),
            "V-2005": _contract(
                "K-1001",
                "HRV",
                "",
                "ANGEBOT",
                "Wohnung Musterweg 1 (Angebot Premium)",
                offer_date="2024-06-01",
                premium="15.00",
            ),
            "V-2006": _contract(
                "K-1001", "HPV", "", "ANGEBOT", "Haftpflicht (Angebot ohne Datum)", premium="7.00"
            ),
            "V-2007": _contract("K-1001", "KFZ", "", "ANFRAGE", "Wohnmobil (Anfrage)"),
            "V-2008": _contract(
                "K-1001",
                "HRV",
                "FR-100",
                "FREMD",
                "Ferienwohnung Garmisch",
                insurer="Andere Versicherung AG",
                premium="8.00",
                risk_locations=[
                    {
                        "label": "Ferienwohnung",
                        "street": "Bergweg 3",
                        "zip": "82467",
                        "city": "Garmisch-Partenkirchen",
                        "country": "DE",
                    }
                ],
            ),
            "V-2009": _contract(
                "K-1002",
                "KFZ",
                "FT-200",
                "FREMDTEIL",
                "Firmenflotte (teilweise)",
                premium="320.00",
                payment_interval="quarterly",
            ),
            "V-2010": _contract(
                "K-1002",
                "HRV",
                "GS-300",
                "GESPERRT",
                "Lager Industriestraße",
                premium="40.00",
                payment_interval="yearly",
                risk_locations=[{"label": "Lager", **OFFICE}],
            ),
            "V-2011": _contract(
                "K-1002",
                "HPV",
                "IN-400",
                "INFO",
                "Betriebshaftpflicht (Info)",
                premium="110.00",
                payment_interval="yearly",
            ),
            "V-2012": _contract(
                "K-1002", "KFZ", "RU-500", "RUHEND", "Transporter, M-MF 1 (ruhend)", premium="0.00"
            ),
            "V-2013": _contract(
                "K-1002",
                "HRV",
                "ST-600",
                "STORNO",
                "Büroinhalt (storniert)",
                premium="25.00",
                end_date="2023-12-31",
            ),
            "V-2014": _contract(
                "K-1002",
                "KFZ",
                "KF-7000",
                "EIGEN",
                "Audi A6, M-MF 700",
                product="Flotte Komfort",
                application_date="2023-05-01",
                document_date="2023-05-20",
                start_date="2023-06-01",
                premium="95.40",
            ),
        },
        "claims": {
            "S-2024-17": {
                "customer": "K-1001",
                "contract": "V-2001",
                "number": "S-2024-17",
                "loss_date": "2024-05-03",
                "status": "open",
                "description": "Leitungswasserschaden Küche",
                "amount_reserved": "2500.00",
            },
            "S-2023-05": {
                "customer": "K-1001",
                "contract": "V-2003",
                "number": "S-2023-05",
                "loss_date": "2023-08-14",
                "status": "settled",
                "description": "Brille eines Freundes beschädigt",
                "amount_paid": "320.00",
            },
            "S-2024-30": {
                "customer": "K-1002",
                "contract": "V-2014",
                "number": "S-2024-30",
                "loss_date": "2024-09-21",
                "status": "reported",
                "description": "Parkschaden hinten links",
            },
            "S-2022-02": {
                "customer": "K-1001",
                "number": "S-2022-02",
                "loss_date": "2022-02-17",
                "status": "closed",
                "description": "Sturmschaden am Balkon (ohne Vertrag erfasst)",
                "amount_paid": "180.00",
            },
        },
        # Published with the keyword PORTAL, which the grant "Familie Muster" shares: the policies of
        # the household (HRV) and the car (KFZ), and an invoice to Klara; the policy of her private
        # liability (HPV) hangs on a contract that grant hides, so it stays hidden too.
        "documents": {
            "D-3001": _document(
                "K-1001", "V-2001", "Versicherungsschein Hausrat 2024", "2024-01-10", "policy"
            ),
            "D-3002": _document(
                "K-1001", "V-2004", "Versicherungsschein Motorroller", "2023-04-01", "policy"
            ),
            "D-3003": _document(
                "K-1001",
                None,
                "Beitragsrechnung 2025",
                "2025-01-02",
                "invoice",
                keywords=["RECHNUNG", "PORTAL"],
            ),
            "D-3004": _document(
                "K-1001", "V-2003", "Versicherungsschein Privathaftpflicht", "2022-01-01", "policy"
            ),
        },
    }


def _document(
    customer: str, contract: str | None, title: str, day: str, kind: str, keywords: list[str] | None = None
) -> dict[str, Any]:
    return {
        "customer": customer,
        "contract": contract,
        "title": title,
        "date": day,
        "kind": kind,
        "keywords": keywords or ["POLICE", "PORTAL"],
        "filename": f"{title.lower().replace(' ', '-')}.pdf",
    }
