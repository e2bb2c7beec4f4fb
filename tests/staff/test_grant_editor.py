"""The grant editor: the seed's example grant built area by area (customers, sharing, users, actions and
clerk), each change judged like the API's PUT, saved in place with HTMX, refused with the reason in the
area; the summary counts what the grant shows from the visibility engine."""

from __future__ import annotations

from einblick.grants.models import Grant, MemberState
from tests.factories import load
from tests.pages import text
from tests.samples import contract, person

CLERK = {"name": "Max Betreuer", "email": "max@makler.example", "phone": None, "role": "user"}


def portfolio(broker) -> None:
    load(
        broker,
        staff={"U-1": CLERK},
        customers={
            "K-1": person("Muster", "Klara", emails=["klara.muster@example.org"]),
            "K-2": {"kind": "company", "company_name": "Musterfirma GmbH"},
            "K-3": person("Fremd", "Frieda"),
        },
        contracts={
            "V-1": contract("K-1", "HR-1", "HRV"),
            "V-2": contract("K-1", "KF-1", "KFZ"),
            "V-3": contract("K-1", "KV-1", "KV"),
            "V-4": contract("K-2", "KF-2", "KFZ"),
        },
    )


def post(client, url: str, data: dict, htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data, headers=headers)


def test_the_seeds_example_grant_area_by_area(broker, broker_admin):
    portfolio(broker)
    admin = broker_admin.client
    created = admin.post(f"/staff/{broker.pk}/grants/new/", {"name": "Familie Muster"})
    grant = Grant.objects.get(name="Familie Muster")
    url = created["Location"]
    assert "Musterfirma" in text(admin.get(url, {"cq": "Musterfirma"}))
    assert "K-3" in text(admin.get(url, {"cq": "K-3"}))
    assert "(K-1" in text(admin.get(url, {"cq": "klara.muster@"}))  # by e-mail
    for customer in ("K-1", "K-2"):
        assert post(admin, url, {"area": "customers", "add": customer}).status_code == 302
    assert set(grant.customers.values_list("external_id", flat=True)) == {"K-1", "K-2"}
    sharing = {
        "area": "sharing",
        "claims": "on",
        "auto_contracts": "on",
        "statuses": ["POLICE", "ANTRAG", "EIGEN"],
        "lines": ["HRV", "KFZ"],
    }
    response = post(admin, url, sharing, htmx=True)
    assert response.status_code == 200
    area = response.content.decode().split('id="area-sharing"', 1)[1].split("</section>", 1)[0]
    assert "Gespeichert." in area
    summary = response.content.decode().split('id="summary"', 1)[1].split("</aside>", 1)[0]
    assert "3 Verträge" in summary  # HRV and KFZ of Klara, KFZ of the company; not KV
    page = text(admin.get(url))
    assert "klara.muster@example.org" in page.split('id="u-suggestions"', 1)[1].split("</datalist>", 1)[0]
    assert (
        post(
            admin, url, {"area": "users", "action": "share", "email": "klara.muster@example.org"}
        ).status_code
        == 302
    )
    assert grant.members.get().state == MemberState.INVITED
    actions = {
        "area": "actions",
        "view": "private",
        "primary_contact": "on",
        "messages": "on",
        "claim_report": "on",
        "clerk": "U-1",
        "show_clerk": "on",
    }
    assert post(admin, url, actions).status_code == 302
    grant.refresh_from_db()
    assert grant.clerk is not None
    assert (grant.view, grant.primary_contact, grant.messages, grant.claim_report, grant.show_clerk, grant.clerk.external_id) == (
        "private", True, True, True, True, "U-1"
    )  # fmt: skip
    assert grant.statuses == ["ANTRAG", "POLICE", "EIGEN"] or set(grant.statuses) == {
        "POLICE",
        "ANTRAG",
        "EIGEN",
    }
    assert grant.lines == ["HRV", "KFZ"] and grant.claims

    assert admin.get(f"/staff/grants/{grant.pk}/preview/").status_code == 302  # Freischaltungseinsicht
    dashboard = text(admin.get(f"/portal/{grant.pk}/"))
    assert (
        "Wohnen" in dashboard and "Mobilität" in dashboard and "Gesundheit" not in dashboard
    )  # HRV, KFZ; not KV


def test_refusals_are_shown_in_the_area_and_change_nothing(broker, broker_admin):
    portfolio(broker)
    admin = broker_admin.client
    url = admin.post(f"/staff/{broker.pk}/grants/new/", {"name": "Test"})["Location"]
    grant = Grant.objects.get(name="Test")
    response = post(admin, url, {"area": "customers", "add": "K-404"})
    assert response.status_code == 422
    area = response.content.decode().split('id="area-customers"', 1)[1].split("</section>", 1)[0]
    assert "K-404" in area and 'role="alert"' in area
    response = post(
        admin, url, {"area": "sharing", "contracts": ["V-4"]}
    )  # a contract of a customer not in the grant
    assert response.status_code == 422
    assert "gehört zu einem Kunden, der nicht in dieser Freischaltung ist" in response.content.decode()
    response = post(admin, url, {"area": "actions", "view": "private", "clerk": "U-404"})
    assert response.status_code == 422
    response = post(admin, url, {"area": "users", "action": "share", "email": "kein-at"})
    assert response.status_code == 422
    grant.refresh_from_db()
    assert (
        not grant.customers.exists()
        and not grant.contracts.exists()
        and grant.clerk is None
        and not grant.members.exists()
    )


def test_refusals_speak_the_users_language_and_the_api_keeps_its_english(broker, broker_admin, api, settings):
    portfolio(broker)
    admin = broker_admin.client
    url = admin.post(f"/staff/{broker.pk}/grants/new/", {"name": "Test"})["Location"]
    grant = Grant.objects.get(name="Test")

    german = post(admin, url, {"area": "actions", "view": "private", "clerk": "U-404"})
    assert german.status_code == 422
    assert "Den Mitarbeiter U-404 gibt es nicht." in german.content.decode()
    assert "does not exist" not in german.content.decode()

    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = post(admin, url, {"area": "actions", "view": "private", "clerk": "U-404"})
    assert "staff member U-404 does not exist" in english.content.decode()

    api.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"  # the API speaks English all the same
    answer = api.put(f"/grants/{grant.pk}", {"name": "Test", "actions": {"clerk": "U-404"}})
    assert answer.status_code == 422
    assert answer.json()["detail"] == "The grant was not saved."
    assert [e["msg"] for e in answer.json()["errors"]] == ["staff member U-404 does not exist"]


def test_users_get_the_link_again_and_are_removed(broker, broker_admin):
    portfolio(broker)
    admin = broker_admin.client
    url = admin.post(f"/staff/{broker.pk}/grants/new/", {"name": "Test"})["Location"]
    grant = Grant.objects.get(name="Test")
    post(admin, url, {"area": "users", "action": "share", "email": "neu@example.org"})
    assert (
        post(admin, url, {"area": "users", "action": "resend", "email": "neu@example.org"}).status_code == 302
    )
    assert (
        post(admin, url, {"area": "users", "action": "remove", "email": "neu@example.org"}).status_code == 302
    )
    assert not grant.members.exists()
    assert (
        post(admin, url, {"area": "users", "action": "remove", "email": "nie@example.org"}).status_code == 422
    )
