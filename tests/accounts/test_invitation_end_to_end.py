"""Issue 4's end-to-end invitation, over real SMTP: add member via API → mail arrives → follow link →
set password → log in → the grant's data is visible."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import PASSWORD, accepted, example_portfolio, make_user
from tests.mail import html_of, link_in, text_of
from tests.pages import log_in
from tests.samples import example_grant

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_invited_person_follows_the_mailed_link_sets_a_password_and_sees_the_grant(
    api, broker, smtp, settings
):
    example_portfolio(broker)
    grant = api.post("/grants", example_grant()).json()

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


def test_a_person_who_accepted_the_broker_becomes_active_at_once_and_gets_a_notice(api, smtp):
    make_user("klara.muster@example.org")
    grant = api.post("/grants", {"name": "Familie Muster"}).json()
    accepted(grant["id"], "klara.muster@example.org")
    added = api.post(f"/grants/{grant['id']}/members", {"email": "klara.muster@example.org"})
    assert added.json()["state"] == "active"
    [mail] = smtp.wait(1)
    assert "/accounts/login/" in text_of(mail)
    assert "/accounts/invitation/" not in text_of(mail)


def test_the_invitation_mail_is_german_with_a_text_and_an_html_part(api, smtp):
    grant = api.post("/grants", {"name": "Familie Muster"}).json()
    api.post(f"/grants/{grant['id']}/members", {"email": "klara.muster@example.org"})
    [mail] = smtp.wait(1)
    assert mail["Subject"] == "Einladung von Muster Makler GmbH zum Kundenportal"
    assert mail["From"] == "Muster Makler GmbH <portal@localhost>"
    assert "14 Tage" in text_of(mail)
    assert "14 Tage" in html_of(mail)
    assert mail.get_body(preferencelist=("plain",)) is not mail.get_body(preferencelist=("html",))
