"""Where processes start (visibility.md §6): an entry point appears only where the grant's effective
permissions allow it, and every entry answers 403 without the permission whatever the page showed.
Primary contact gates them all; offer creation also needs a tariff account. Contract and customer
entries answer 404 for what the grant does not show; the preview refuses every unsafe request."""

from __future__ import annotations

import re

import pytest

from einblick.grants.models import Grant
from einblick.portfolio.models import Contract, Customer
from tests.factories import load, make_grant, member_client
from tests.pages import portal_part, text
from tests.samples import contract, person

TARIFF = {"name": "Vergleichsrechner", "url": "https://rechner.example/?a={account}&s={line}"}
EVERYTHING = {
    "primary_contact": True,
    "messages": True,
    "claim_report": True,
    "claim_report_on_customer": True,
    "contract_capture": True,
    "offer_creation": True,
    "tariff_account": "T-1",
}
# permission → (path below the grant, label on the page)
ENTRIES = {
    "messages": ("messages/new/", "Nachricht schreiben"),
    "claim_report": ("claims/report/", "Schaden melden"),
    "contract_capture": ("contracts/capture/", "Vertrag erfassen"),
    "offer_creation": ("offers/new/", "Angebot anfordern"),
}


@pytest.fixture
def portfolio(broker) -> None:
    load(
        broker,
        tariff_accounts={"T-1": TARIFF},
        customers={"K-1": person("Muster", "Klara"), "K-2": person("Nachbar", "Nora")},
        contracts={
            "V-1": contract("K-1", "HR-1", "HRV"),
            "V-2": contract("K-1", "PH-1", "PHV"),
            "V-3": contract("K-2", "HR-2", "HRV"),
        },
    )


def grant_with(broker, **actions) -> Grant:
    return make_grant(
        broker, "Familie Muster", ["K-1"], {"statuses": ["POLICE"], "lines": ["HRV"]}, **actions
    )


def entry_links(html: str, grant: Grant) -> set[str]:
    nav = re.search(r'<nav class="entry-points".*?</nav>', html, re.S)
    if nav is None:
        return set()
    links = set(re.findall(rf'href="/portal/{grant.pk}/([^"]+)"', nav.group(0)))
    assert "messages/" in links  # the messages are always there to read
    return links - {"messages/"}


def test_every_entry_point_is_shown_and_opens_with_every_permission(broker, portfolio):
    grant = grant_with(broker, **EVERYTHING)
    client = member_client(grant, "klara@example.org")
    html = text(client.get(f"/portal/{grant.pk}/"))
    assert entry_links(html, grant) == {path for path, _ in ENTRIES.values()}
    for path, label in ENTRIES.values():
        assert label in html
        page = text(client.get(f"/portal/{grant.pk}/{path}"))
        assert f"<h1>{label}</h1>" in page


@pytest.mark.parametrize("permission", sorted(ENTRIES))
def test_without_the_permission_no_entry_point_and_403(broker, portfolio, permission):
    grant = grant_with(broker, **{**EVERYTHING, permission: False})
    client = member_client(grant, "klara@example.org")
    html = text(client.get(f"/portal/{grant.pk}/"))
    path, _ = ENTRIES[permission]
    assert path not in entry_links(html, grant)
    assert entry_links(html, grant) == {p for name, (p, _) in ENTRIES.items() if name != permission}
    assert client.get(f"/portal/{grant.pk}/{path}").status_code == 403


def test_without_primary_contact_nothing_can_be_started(broker, portfolio):
    grant = grant_with(broker, **{**EVERYTHING, "primary_contact": False})
    client = member_client(grant, "klara@example.org")
    html = text(client.get(f"/portal/{grant.pk}/"))
    assert entry_links(html, grant) == set()
    contract_pk = Contract.objects.get(external_id="V-1").pk
    customer_pk = Customer.objects.get(broker=grant.broker, external_id="K-1").pk
    paths = [p for p, _ in ENTRIES.values()] + [
        f"contracts/{contract_pk}/claim/",
        f"customers/{customer_pk}/claim/",
    ]
    for path in paths:
        assert client.get(f"/portal/{grant.pk}/{path}").status_code == 403, path


def test_offers_need_a_tariff_account(broker, portfolio):
    grant = grant_with(broker, **{**EVERYTHING, "tariff_account": None})
    client = member_client(grant, "klara@example.org")
    assert "offers/new/" not in entry_links(text(client.get(f"/portal/{grant.pk}/")), grant)
    assert client.get(f"/portal/{grant.pk}/offers/new/").status_code == 403


def test_a_claim_on_a_contract_only_on_a_contract_the_grant_shows(broker, portfolio, other_broker):
    load(other_broker, customers={"K-1": person("Fremd")}, contracts={"V-1": contract("K-1", "X-1", "HRV")})
    grant = grant_with(broker, **EVERYTHING)
    client = member_client(grant, "klara@example.org")
    shown = Contract.objects.get(broker=grant.broker, external_id="V-1")
    page = text(client.get(f"/portal/{grant.pk}/contracts/{shown.pk}/"))
    assert f'href="/portal/{grant.pk}/contracts/{shown.pk}/claim/"' in page
    claim_page = portal_part(text(client.get(f"/portal/{grant.pk}/contracts/{shown.pk}/claim/")))
    assert "Hausrat" in claim_page
    hidden_line = Contract.objects.get(broker=grant.broker, external_id="V-2")  # PHV: not shared
    other_customer = Contract.objects.get(broker=grant.broker, external_id="V-3")
    other_broker = Contract.objects.exclude(broker=grant.broker).get(external_id="V-1")
    for pk in (hidden_line.pk, other_customer.pk, other_broker.pk, 999_999):
        assert client.get(f"/portal/{grant.pk}/contracts/{pk}/claim/").status_code == 404


def test_no_claim_button_on_a_contract_without_claim_report(broker, portfolio):
    grant = grant_with(broker, **{**EVERYTHING, "claim_report": False, "claim_report_on_customer": False})
    client = member_client(grant, "klara@example.org")
    shown = Contract.objects.get(broker=grant.broker, external_id="V-1")
    assert "/claim/" not in text(client.get(f"/portal/{grant.pk}/contracts/{shown.pk}/"))
    assert client.get(f"/portal/{grant.pk}/contracts/{shown.pk}/claim/").status_code == 403


def test_a_claim_on_a_customer_needs_claim_report_on_customer(broker, portfolio):
    grant = grant_with(broker, **{**EVERYTHING, "claim_report_on_customer": False})
    client = member_client(grant, "klara@example.org")
    customer = Customer.objects.get(broker=grant.broker, external_id="K-1")
    page = text(client.get(f"/portal/{grant.pk}/customers/{customer.pk}/"))
    assert f"customers/{customer.pk}/claim/" not in page
    assert client.get(f"/portal/{grant.pk}/customers/{customer.pk}/claim/").status_code == 403

    allowed = grant_with(broker, **EVERYTHING)
    client = member_client(allowed, "klara@example.org")
    page = text(client.get(f"/portal/{allowed.pk}/customers/{customer.pk}/"))
    assert f'href="/portal/{allowed.pk}/customers/{customer.pk}/claim/"' in page
    assert "Muster" in portal_part(text(client.get(f"/portal/{allowed.pk}/customers/{customer.pk}/claim/")))
    outsider = Customer.objects.get(broker=grant.broker, external_id="K-2")
    assert client.get(f"/portal/{allowed.pk}/customers/{outsider.pk}/claim/").status_code == 404


def test_the_preview_shows_every_entry_and_refuses_every_unsafe_request(portfolio, broker, broker_admin):
    grant = grant_with(broker, **EVERYTHING)
    member = member_client(grant, "klara@example.org")
    staff = broker_admin.client
    assert staff.get(f"/staff/grants/{grant.pk}/preview/").status_code == 302
    contract_pk = Contract.objects.get(external_id="V-1").pk
    paths = [p for p, _ in ENTRIES.values()] + [f"contracts/{contract_pk}/claim/"]
    for path in paths:
        url = f"/portal/{grant.pk}/{path}"
        assert staff.get(url).status_code == 200  # the preview shows what the member sees
        assert member.get(url).status_code == 200
        for method in ("post", "put", "patch", "delete"):
            assert getattr(staff, method)(url).status_code == 403, (method, url)


def test_anonymous_visitors_are_sent_to_the_login(broker, portfolio):
    from django.test import Client

    grant = grant_with(broker, **EVERYTHING)
    for path, _ in ENTRIES.values():
        response = Client().get(f"/portal/{grant.pk}/{path}")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_another_grant_of_the_user_does_not_lend_its_permissions(portfolio, broker):
    """Permissions are the grant's the page shows, not the union over the user's grants (§6, §7)."""
    allowed = grant_with(broker, **EVERYTHING)
    plain = make_grant(broker, "Nur lesen", ["K-1"], {"statuses": ["POLICE"]}, primary_contact=True)
    client = member_client(allowed, "klara@example.org")
    member_client(plain, "klara@example.org")
    assert client.get(f"/portal/{allowed.pk}/messages/new/").status_code == 200
    assert client.get(f"/portal/{plain.pk}/messages/new/").status_code == 403
    assert entry_links(text(client.get(f"/portal/{plain.pk}/")), plain) == set()
