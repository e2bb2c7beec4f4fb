"""Settings, tab Freischaltungen: list and search (name, customer, member e-mail), Neuanlage, rename,
copy (without users), delete with confirmation; everything audit-logged; another broker's grant 404."""

from __future__ import annotations

import re

from einblick.audit.models import AuditEntry
from einblick.grants.models import Grant
from tests.factories import load, make_grant, member_client
from tests.pages import text
from tests.samples import person


def setup(broker):
    load(
        broker,
        customers={
            "K-1": person("Muster", "Klara"),
            "K-2": {"kind": "company", "company_name": "Musterfirma GmbH"},
        },
    )
    family = make_grant(broker, "Familie Muster", ["K-1"])
    company = make_grant(broker, "Firma", ["K-2"], view="business")
    member_client(family, "klara@example.org")
    return family, company


def test_the_list_searches_by_name_customer_and_member(broker, broker_admin):
    family, company = setup(broker)
    admin = broker_admin.client
    url = f"/staff/{broker.pk}/grants/"
    page = text(admin.get(url))
    assert "Familie Muster" in page and "Firma" in page
    for q, found, hidden in (
        ("Familie", family, company),
        ("Musterfirma", company, family),
        ("klara@", family, company),
        ("K-2", company, family),
    ):
        page = text(admin.get(url, {"q": q}))
        assert f"/grants/{found.pk}/" in page and f"/grants/{hidden.pk}/" not in page, q
    assert "Keine Freischaltung passt" in text(admin.get(url, {"q": "nichts"}))


def test_create_rename_copy_and_delete(broker, broker_admin):
    family, _ = setup(broker)
    admin = broker_admin.client
    created = admin.post(f"/staff/{broker.pk}/grants/new/", {"name": "  Hausverwaltung   Süd "})
    assert created.status_code == 302
    grant = Grant.objects.get(name="Hausverwaltung Süd")
    assert created["Location"] == f"/staff/{broker.pk}/grants/{grant.pk}/"
    url = f"/staff/{broker.pk}/grants/{family.pk}/"
    assert admin.post(url, {"area": "name", "name": "Familie Muster-Beispiel"}).status_code == 302
    family.refresh_from_db()
    assert family.name == "Familie Muster-Beispiel"
    assert admin.post(url, {"area": "name", "name": ""}).status_code == 422  # refused in place
    copied = admin.post(url, {"area": "name", "action": "copy"})
    copy = Grant.objects.get(name="Kopie von Familie Muster-Beispiel")
    assert copied["Location"] == f"/staff/{broker.pk}/grants/{copy.pk}/"
    assert list(copy.customers.values_list("external_id", flat=True)) == ["K-1"]
    assert (copy.statuses, copy.lines, copy.view) == (family.statuses, family.lines, family.view)
    assert not copy.members.exists() and family.members.count() == 1
    confirm = text(admin.get(f"/staff/{broker.pk}/grants/{family.pk}/delete/"))
    assert re.search(r"1 Nutzer verliert", confirm)
    assert Grant.objects.filter(pk=family.pk).exists()  # the question changed nothing
    assert admin.post(f"/staff/{broker.pk}/grants/{family.pk}/delete/").status_code == 302
    assert not Grant.objects.filter(pk=family.pk).exists()
    actions = set(AuditEntry.objects.filter(broker=broker).values_list("action", flat=True))
    assert {"grant.created", "grant.renamed", "grant.copied", "grant.deleted"} <= actions


def test_another_brokers_grant_is_404_even_for_an_admin(broker, other_broker, broker_admin):
    setup(broker)
    admin = broker_admin.client
    load(other_broker, customers={"K-1": person("Fremd")})
    foreign = make_grant(other_broker, "Fremd", ["K-1"])
    assert admin.get(f"/staff/{broker.pk}/grants/{foreign.pk}/").status_code == 404
    assert admin.post(f"/staff/{broker.pk}/grants/{foreign.pk}/delete/").status_code == 404
    assert admin.get(f"/staff/{other_broker.pk}/grants/").status_code == 404
    assert Grant.objects.filter(pk=foreign.pk).exists()
