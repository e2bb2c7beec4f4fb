"""What several browser tests set up or check the same way: Klara invited by mail, Klara as a member
with a password, and the portal she lands in."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from einblick.accounts.models import User
from einblick.brokers.models import Broker
from tests.apiclient import Api
from tests.factories import PASSWORD, example_portfolio, join, make_grant
from tests.mail import Sink, link_in
from tests.samples import example_grant

EMAIL = "klara.muster@example.org"
STAFF_EMAIL = "max.betreuer@example.org"


def invite(api: Api, broker: Broker, smtp: Sink, settings: Any, live_server: Any) -> str:
    """Portfolio and grant of the broker; Klara added as a member through the API; the link from the
    mail she gets."""
    settings.BASE_URL = live_server.url
    example_portfolio(broker)
    grant = api.post("/grants", example_grant())
    assert grant.status_code == 201, grant.content
    added = api.post(f"/grants/{grant.json()['id']}/members", {"email": EMAIL})
    assert added.status_code == 201, added.content
    [mail] = smtp.wait(1)
    return str(live_server.url) + link_in(mail, base_url=live_server.url)


def portal_user(broker: Broker) -> User:
    """Klara, with a password, as an active member of the grant example, which shares the HRV contract."""
    example_portfolio(broker)
    body = example_grant()
    grant = make_grant(broker, body["name"], body["customers"], body["share"], **body["actions"])
    return join(grant, EMAIL, PASSWORD)


def expect_portal(page: Any) -> None:
    expect(page).to_have_url(re.compile(r"/portal/g_[^/]+/$"))  # one grant: straight in
    expect(page.get_by_role("heading", name="Meine aktuellen Absicherungen", level=1)).to_be_visible()
    expect(page.get_by_text("Muster Makler GmbH", exact=True)).to_be_visible()
    # HR-4711 (HRV) is shared: the private view names its risk; PH-0815 (PHV) is not among the lines.
    expect(page.get_by_role("link", name="Wohnung Musterweg 1")).to_be_visible()
    expect(page.get_by_text("Privathaftpflicht")).to_have_count(0)
