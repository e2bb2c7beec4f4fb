"""The portal keeps what a grant shows in the cache (portal/cache.py). Every write that can change it
raises the broker's data version, so the next request shows the change: imports, single PUTs and
DELETEs, grant writes. Each test warms the cache first and then changes the data."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings

from einblick.brokers.models import Broker
from einblick.portal import cache as portal_cache
from tests.factories import load, make_grant, member_client
from tests.pages import portal_part, text
from tests.samples import ALL_STATUSES, claim, contract, person

IN_FORCE = ["POLICE", "ANTRAG", "EIGEN"]


def numbers(html: str) -> set[str]:
    return {n for n in ("N-1", "N-2", "N-3", "N-9") if f">{n}<" in html}


def business(broker, **share):
    load(
        broker,
        customers={"K-1": person("Muster", "Klara"), "K-2": person("Beispiel", "Bernd")},
        contracts={
            "C-1": contract("K-1", "N-1", "HRV"),
            "C-2": contract("K-1", "N-2", "KFZ"),
            "C-3": contract("K-2", "N-3", "HRV", status="STORNO"),
        },
    )
    grant = make_grant(broker, "Firma", ["K-1", "K-2"], {"statuses": IN_FORCE, **share}, view="business")
    return grant, member_client(grant, "firma@example.org")


def test_an_import_shows_at_the_next_request(broker):
    grant, client = business(broker)
    url = f"/portal/{grant.pk}/"
    assert numbers(text(client.get(url))) == {"N-1", "N-2"}
    assert numbers(text(client.get(url))) == {"N-1", "N-2"}  # from the cache now

    load(
        broker,
        contracts={
            "C-9": contract("K-2", "N-9", "PHV"),
            "C-2": contract("K-1", "N-2", "KFZ", status="STORNO"),
        },
    )

    page = text(client.get(url))
    assert numbers(page) == {"N-1", "N-9"}
    assert "Privathaftpflicht" in page or "PHV" in page  # the filter's line options are new too


def test_a_single_put_and_a_delete_show_at_the_next_request(api, broker):
    grant, client = business(broker)
    url = f"/portal/{grant.pk}/"
    assert numbers(text(client.get(url))) == {"N-1", "N-2"}

    response = api.put("/contracts/C-3", contract("K-2", "N-3", "HRV"))
    assert response.status_code == 200, response.content
    assert numbers(text(client.get(url))) == {"N-1", "N-2", "N-3"}

    assert api.delete("/contracts/C-1").status_code == 204
    assert numbers(text(client.get(url))) == {"N-2", "N-3"}


def test_a_grant_change_shows_at_the_next_request(api, broker):
    grant, client = business(broker)
    url = f"/portal/{grant.pk}/"
    assert numbers(text(client.get(url))) == {"N-1", "N-2"}

    body = {
        "name": "Firma",
        "customers": ["K-1", "K-2"],
        "intermediaries": [],
        "share": {"claims": True, "auto_contracts": True, "statuses": IN_FORCE, "lines": ["KFZ"]},
        "actions": {"view": "business"},
    }
    assert api.put(f"/grants/{grant.pk}", body).status_code == 200
    assert numbers(text(client.get(url))) == {"N-2"}


def test_the_private_dashboard_shows_a_claim_and_a_status_change_at_once(broker):
    load(
        broker,
        customers={"K-1": person("Muster", "Klara")},
        contracts={"C-1": contract("K-1", "N-1", "HRV")},
        claims={"S-1": claim("K-1", "C-1", "S-1", status="open")},
    )
    grant = make_grant(broker, "Familie", ["K-1"], {"statuses": ALL_STATUSES})
    client = member_client(grant, "klara@example.org")
    url = f"/portal/{grant.pk}/"
    assert "Schäden in Bearbeitung" in text(client.get(url))

    load(broker, claims={"S-1": claim("K-1", "C-1", "S-1", status="closed")})
    assert "Schäden in Bearbeitung" not in text(client.get(url))


def test_two_grants_of_one_broker_never_share_an_entry(broker):
    grant, client = business(broker)
    other = make_grant(broker, "Nur Storno", ["K-2"], {"statuses": ["STORNO"]}, view="business")
    other_client = member_client(other, "storno@example.org")
    assert numbers(text(client.get(f"/portal/{grant.pk}/"))) == {"N-1", "N-2"}
    assert numbers(text(other_client.get(f"/portal/{other.pk}/"))) == {"N-3"}
    assert numbers(text(client.get(f"/portal/{grant.pk}/"))) == {"N-1", "N-2"}


def test_each_language_has_its_own_entry(broker):
    grant, client = business(broker)
    url = f"/portal/{grant.pk}/"
    assert "2 Verträge" in text(client.get(url))
    client.cookies["django_language"] = "en"
    assert "2 contracts" in text(client.get(url))


def test_no_search_term_is_part_of_a_cache_key(broker):
    grant, client = business(broker)
    text(client.get(f"/portal/{grant.pk}/?q=Muster"))
    grant.refresh_from_db()
    key = portal_cache.key(grant, "contracts", ("q=Muster&sort=customer", False))
    assert "Muster" not in key
    assert caches["portal"].get(key) is not None  # the page above put its results under exactly this key


def test_a_stale_broker_object_does_not_lower_the_data_version(broker):
    stale = Broker.objects.get(pk=broker.pk)
    load(broker, customers={"K-1": person("Muster", "Klara")})
    raised = Broker.objects.get(pk=broker.pk).data_version
    assert raised != stale.data_version

    stale.name = "Neuer Name"
    stale.save()  # e.g. the operators' admin, with the broker loaded before the import

    fresh = Broker.objects.get(pk=broker.pk)
    assert (fresh.name, fresh.data_version) == ("Neuer Name", raised)


def test_an_unchanged_re_import_keeps_the_version(broker):
    batch = {"customers": {"K-1": person("Muster", "Klara")}}
    load(broker, **batch)
    version = Broker.objects.get(pk=broker.pk).data_version
    load(broker, **batch)
    assert Broker.objects.get(pk=broker.pk).data_version == version


def test_many_customers_are_found_by_the_search_and_a_customer_link_still_filters(broker):
    """Up to 100 customers the filter is a list; beyond, a customer's page links to the table
    filtered to them, and the filter names the customer with a way back to all."""
    load(
        broker,
        customers={f"K-{i}": person(f"Kunde{i:03d}", "Vorname") for i in range(1, 102)},
        contracts={f"C-{i}": contract(f"K-{i}", f"V-{i:03d}", "HRV") for i in range(1, 102)},
    )
    grant = make_grant(
        broker, "Viele", [f"K-{i}" for i in range(1, 102)], {"statuses": IN_FORCE}, view="business"
    )
    client = member_client(grant, "viele@example.org")
    page = portal_part(text(client.get(f"/portal/{grant.pk}/")))
    assert 'id="f-customer"' not in page
    assert "101 Verträge" in page

    customer = grant.customers.get(external_id="K-7")
    page = portal_part(text(client.get(f"/portal/{grant.pk}/?customer={customer.pk}")))
    assert "1 Vertrag" in page
    assert "Kunde007, Vorname" in page
    assert f'name="customer" value="{customer.pk}"' in page
    assert "Alle Kunden" in page


def test_a_few_customers_are_a_list_in_name_order(broker):
    grant, client = business(broker)
    page = portal_part(text(client.get(f"/portal/{grant.pk}/")))
    select = page[page.index('id="f-customer"') : page.index("</select>", page.index('id="f-customer"'))]
    assert select.index("Beispiel, Bernd") < select.index("Muster, Klara")


def test_a_command_line_import_shows_at_the_next_request(broker, tmp_path):
    grant, client = business(broker)
    url = f"/portal/{grant.pk}/"
    assert numbers(text(client.get(url))) == {"N-1", "N-2"}
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"contracts": {"C-9": contract("K-2", "N-9", "HRV")}}))
    call_command("import", str(batch), "--broker", broker.slug)
    assert numbers(text(client.get(url))) == {"N-1", "N-2", "N-9"}


def test_a_cache_that_fails_is_skipped_and_the_page_computed(broker, tmp_path, caplog):
    grant, client = business(broker)
    (tmp_path / "blocked").write_text("a file where the cache wants a directory")
    broken = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp_path / "blocked" / "portal"),
    }
    with override_settings(CACHES={**settings.CACHES, "portal": broken}):
        assert numbers(text(client.get(f"/portal/{grant.pk}/"))) == {"N-1", "N-2"}
    assert "portal cache" in caplog.text
