"""Issue 4's end-to-end invitation, over real SMTP: add member via API → mail arrives → follow link →
set password → log in → the grant's data is visible."""

from __future__ import annotations

import copy

import pytest
from django.test import Client

from tests.accounts.conftest import PASSWORD, html_of, link_in, log_in, text_of
from tests.api.test_grants_api import GRANT
from tests.conftest import CONTRACT, CUSTOMER

pytestmark = pytest.mark.django_db(transaction=True)


def _portfolio(api) -> None:
    assert api.put("/customers/K-1001", CUSTOMER).status_code in (200, 201)
    hrv = dict(CONTRACT, number="HR-4711", line="HRV")
    assert api.put("/contracts/V-2001", hrv).status_code in (200, 201)
    hpv = dict(CONTRACT, number="PH-0815", line="PHV", risk="Privathaftpflicht")
    hpv.pop("risk_locations")
    assert api.put("/contracts/V-2002", hpv).status_code in (200, 201)


def test_an_invited_person_follows_the_mailed_link_sets_a_password_and_sees_the_grant(api, smtp, settings):
    _portfolio(api)
    body = copy.deepcopy(GRANT)
    body["customers"] = ["K-1001"]
    body["actions"]["clerk"] = None
    grant = api.post("/grants", body).json()

    added = api.post(f"/grants/{grant['id']}/members", {"email": "Klara.Muster@Example.org"})
    assert added.status_code == 201
    assert added.json()["state"] == "invited"

    [mail] = smtp.wait(1)
    assert mail["To"] == "klara.muster@example.org"
    assert mail["From"].addresses[0].display_name == "Muster Makler GmbH"
    assert html_of(mail).startswith("<!DOCTYPE html>")
    path = link_in(mail)
    assert path.startswith("/accounts/invitation/")
    for private in ("Klara", "HR-4711", "Hausrat", "Familie Muster"):  # no personal insurance data
        assert private not in text_of(mail) and private not in html_of(mail)

    browser = Client()
    followed = browser.get(path)
    assert followed.status_code == 302
    assert followed["Location"] == "/accounts/invitation/"  # the token leaves the address bar at once
    form = browser.get("/accounts/invitation/")
    assert form.status_code == 200
    assert "klara.muster@example.org" in form.content.decode()

    done = browser.post("/accounts/invitation/", {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302
    portal = browser.get("/portal/", follow=True)
    assert portal.status_code == 200
    page = portal.content.decode()
    assert "Wohnung Musterweg 1" in page  # HR-4711 (HRV) is shared; the private view names the risk
    assert "Privathaftpflicht" not in page  # PH-0815 (PHV) is not in the grant's lines

    members = api.get(f"/grants/{grant['id']}").json()["members"]
    assert members[0]["state"] == "active" and members[0]["joined_at"]

    # Logged out, the same person logs in with the new password and sees the same.
    fresh = Client()
    assert log_in(fresh, "klara.muster@example.org").status_code == 302
    assert "Wohnung Musterweg 1" in fresh.get("/portal/", follow=True).content.decode()

    # The link was single use.
    again = Client()
    again.get(path)
    assert again.get("/accounts/invitation/").status_code == 404


def test_a_known_address_becomes_active_at_once_and_gets_a_notice(api, smtp):
    from tests.accounts.conftest import make_user

    make_user("klara.muster@example.org")
    grant = api.post("/grants", {"name": "Familie Muster"}).json()
    added = api.post(f"/grants/{grant['id']}/members", {"email": "klara.muster@example.org"})
    assert added.json()["state"] == "active"
    [mail] = smtp.wait(1)
    assert "/accounts/login/" in text_of(mail)
    assert "/accounts/invitation/" not in text_of(mail)


def test_the_invitation_mail_is_german_with_a_text_and_an_html_part(api, smtp):
    grant = api.post("/grants", {"name": "Familie Muster"}).json()
    api.post(f"/grants/{grant['id']}/members", {"email": "klara.muster@example.org"})
    [mail] = smtp.wait(1)
    assert mail["Subject"] == "Ihr Zugang zum Kundenportal von Muster Makler GmbH"
    assert "14 Tage" in text_of(mail)
    assert "14 Tage" in html_of(mail)
    assert mail.get_body(preferencelist=("plain",)) is not mail.get_body(preferencelist=("html",))
