"""Issue 14 in a real browser: consent between brokers (domain.md §3). Klara has an account and a grant
at Muster Makler GmbH; Andere Makler AG shares a grant with her address, or makes her staff. She is
linked to Andere Makler AG only after saying yes: on the portal's card after login (an existing
account), or on the mailed link (a new address). Asserts on what the person sees, in German, and on
what the inviting broker's API answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from einblick.accounts.models import User
from einblick.brokers.models import Broker
from einblick.office.brokers import add_staff
from tests.apiclient import Api
from tests.factories import KLARA, PASSWORD, example_portfolio, join, klaras_grant
from tests.mail import Sink, link_in, text_of
from tests.samples import example_grant

pytestmark = pytest.mark.django_db(transaction=True)

MUSTER = "Muster Makler GmbH"
ANDERE = "Andere Makler AG"
KLARAS_GRANT = "Familie Muster"  # tests.factories.klaras_grant, at Muster Makler GmbH
OTHER_GRANT = "Haushalt Klara"  # Andere Makler AG's grant over K-1001
NEWCOMER = "neu.kundin@example.org"  # an address without an account
ASKS = f"{ANDERE} möchte Ihnen Zugang geben"  # the question on the link page and on the card (domain.md §3)


# --- helpers -------------------------------------------------------------------------------------


def klara_at_muster(broker: Broker) -> str:
    """Klara with a password, an active member of "Familie Muster" at Muster Makler GmbH; the grant id."""
    grant = klaras_grant(broker)
    join(grant, KLARA, PASSWORD)
    return str(grant.pk)


def share_elsewhere(
    other_api: Api, other_broker: Broker, email: str, smtp: Sink, live: Any
) -> tuple[str, str]:
    """Andere Makler AG's AMS: its portfolio, a grant over K-1001, and `email` added as a member, which
    is only invited. The grant id and the link of the invitation mail, which names Andere Makler AG as
    the sender."""
    example_portfolio(other_broker)
    created = other_api.post("/grants", example_grant(OTHER_GRANT))
    assert created.status_code == 201, created.content
    grant_id = created.json()["id"]
    smtp.messages.clear()  # what the setup mailed before (Klara's notice of her grant at Muster)
    added = other_api.post(f"/grants/{grant_id}/members", {"email": email})
    assert added.status_code == 201, added.content
    assert added.json()["state"] == "invited"
    [mail] = smtp.wait(1)
    assert mail["X-Envelope-To"] == email
    assert mail["From"].addresses[0].display_name == ANDERE
    assert ANDERE in mail["Subject"] and ANDERE in text_of(mail)
    return grant_id, str(live.url) + link_in(mail, base_url=live.url)


def member_state(api: Api, grant_id: str, email: str) -> str:
    """What the broker's API says of the member (GET /grants/{id}/members)."""
    response = api.get(f"/grants/{grant_id}/members")
    assert response.status_code == 200, response.content
    [member] = [m for m in response.json() if m["email"] == email]
    return str(member["state"])


def log_in(page: Any, base: str, email: str = KLARA) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("E-Mail-Adresse:", exact=True).fill(email)
    page.get_by_label("Passwort:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def refused(page: Any, problems: Any, url: str, status: int, *, at: str | None = None) -> None:
    """Open `url`, which answers `status` at `at` (default: at once, no redirect). Chromium reports a
    refused page on its console, which the page fixture counts as a problem: this one is expected, and
    only this one is let be."""
    with page.expect_console_message(lambda m: f"status of {status}" in m.text) as message:
        response = page.goto(url)
    assert response is not None and response.status == status, (response and response.status, page.url)
    assert response.url == (at or url), response.url
    if at is None:
        assert response.request.redirected_from is None
    seen = [p for p in problems.found if f"status of {status}" in p and response.url in p]
    assert seen, (message.value.text, problems.found)
    for problem in seen:
        problems.found.remove(problem)


def card_of(page: Any, broker_name: str) -> Any:
    """The portal's card of a broker waiting for an answer: the list item with its question."""
    question = page.get_by_role("heading", name=f"{broker_name} möchte Ihnen Zugang geben", level=2)
    return page.get_by_role("listitem").filter(has=question)


def access_of(page: Any, grant_name: str) -> Any:
    """An access on the chooser: the list item with the grant's link."""
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=grant_name, exact=True))


# --- a grant membership, existing account ---------------------------------------------------------


def test_existing_account_accepts_the_other_brokers_invitation_on_the_portal_card(
    broker, other_broker, other_api, smtp, settings, live_server, page, screenshot
):
    base = settings.BASE_URL = live_server.url
    klara_at_muster(broker)
    grant_id, link = share_elsewhere(other_api, other_broker, KLARA, smtp, live_server)

    # The link names the broker and, as the address has an account, asks her to log in: no password form.
    page.goto(link)
    expect(page).to_have_url(base + "/accounts/invitation/")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name=ASKS, level=1)).to_be_visible()
    expect(main.get_by_text(ANDERE, exact=True)).to_be_visible()  # the broker's identity above the question
    expect(page.get_by_label("Passwort:", exact=True)).to_have_count(0)
    screenshot("invitation-existing-account")
    main.get_by_role("link", name="Anmelden").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    log_in(page, base)

    # The portal's front page: Andere Makler AG's card first, her access at Muster below it.
    expect(page).to_have_url(base + "/portal/")
    card = card_of(page, ANDERE)
    expect(card).to_have_count(1)
    expect(card).to_contain_text(OTHER_GRANT)
    expect(card.get_by_role("button", name="Ablehnen")).to_be_visible()
    expect(access_of(page, KLARAS_GRANT)).to_contain_text(MUSTER)
    expect(page.get_by_role("link", name=OTHER_GRANT)).to_have_count(0)  # not an access before the yes
    screenshot("card")
    assert member_state(other_api, grant_id, KLARA) == "invited"

    card.get_by_role("button", name="Annehmen").click()

    # Both accesses, each with its broker's name; no question left.
    expect(page).to_have_url(base + "/portal/")
    expect(page.get_by_role("status")).to_contain_text(ANDERE)
    expect(card_of(page, ANDERE)).to_have_count(0)
    expect(access_of(page, OTHER_GRANT)).to_contain_text(ANDERE)
    expect(access_of(page, KLARAS_GRANT)).to_contain_text(MUSTER)
    screenshot("accepted")
    assert member_state(other_api, grant_id, KLARA) == "active"

    # The new access shows what Andere Makler AG shares with her, under its name.
    page.get_by_role("link", name=OTHER_GRANT, exact=True).click()
    expect(page).to_have_url(f"{base}/portal/{grant_id}/")
    expect(page.get_by_role("heading", name="Meine aktuellen Absicherungen", level=1)).to_be_visible()
    expect(page.get_by_text(ANDERE, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Wohnung Musterweg 1")).to_be_visible()
    screenshot("other-grant")


def test_existing_account_declines_on_the_card_and_never_sees_the_grant(
    broker, other_broker, other_api, smtp, settings, live_server, page, screenshot, browser_problems
):
    base = settings.BASE_URL = live_server.url
    own_grant = klara_at_muster(broker)
    grant_id, link = share_elsewhere(other_api, other_broker, KLARA, smtp, live_server)

    log_in(page, base)
    expect(page).to_have_url(base + "/portal/")
    card = card_of(page, ANDERE)
    expect(card).to_contain_text(OTHER_GRANT)
    screenshot("card")
    card.get_by_role("button", name="Ablehnen").click()

    # Her one access again, straight in; Andere Makler AG's grant stays out of reach.
    expect(page).to_have_url(f"{base}/portal/{own_grant}/")
    expect(page.get_by_role("status")).to_contain_text(ANDERE)
    expect(page.get_by_text(MUSTER, exact=True)).to_be_visible()
    screenshot("declined")
    assert member_state(other_api, grant_id, KLARA) == "declined"
    refused(page, browser_problems, f"{base}/portal/{grant_id}/", 404)
    screenshot("other-grant-404")

    # The mailed link died with the answer.
    refused(page, browser_problems, link, 404, at=base + "/accounts/invitation/")
    expect(page.get_by_role("heading", name=ASKS)).to_have_count(0)

    # Next login: no card, no second access.
    page.goto(base + "/portal/")
    log_out(page)
    log_in(page, base)
    expect(page).to_have_url(f"{base}/portal/{own_grant}/")
    expect(page.get_by_text(ANDERE)).to_have_count(0)
    screenshot("next-login")
    assert member_state(other_api, grant_id, KLARA) == "declined"


# --- a grant membership, new address ------------------------------------------------------------


def test_new_address_declines_on_the_link_page_without_an_account(
    other_broker, other_api, smtp, settings, live_server, page, screenshot, browser_problems
):
    base = settings.BASE_URL = live_server.url
    grant_id, link = share_elsewhere(other_api, other_broker, NEWCOMER, smtp, live_server)

    # A new address: the question with a password form to accept, and the way to decline.
    page.goto(link)
    expect(page).to_have_url(base + "/accounts/invitation/")
    expect(page.get_by_role("heading", name=ASKS, level=1)).to_be_visible()
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value(NEWCOMER)
    expect(page.get_by_label("Passwort:", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Annehmen und Passwort festlegen")).to_be_visible()
    screenshot("invitation-new-address")
    page.get_by_role("button", name="Ablehnen").click()

    # Declined: said on the page, told to the broker; no account was made.
    expect(page).to_have_url(base + "/accounts/invitation/")
    expect(page.get_by_role("heading", name="Einladung abgelehnt", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"Sie haben die Einladung von {ANDERE} abgelehnt")
    expect(page.get_by_label("Passwort:", exact=True)).to_have_count(0)
    screenshot("declined")
    assert member_state(other_api, grant_id, NEWCOMER) == "declined"
    assert not User.objects.filter(email__iexact=NEWCOMER).exists()

    # The link is used up.
    refused(page, browser_problems, link, 404, at=base + "/accounts/invitation/")
    assert not User.objects.filter(email__iexact=NEWCOMER).exists()


# --- a staff role ---------------------------------------------------------------------------------


def test_staff_role_of_another_broker_needs_the_yes_and_then_a_second_factor(
    broker, other_broker, smtp, settings, live_server, page, screenshot, browser_problems
):
    base = settings.BASE_URL = live_server.url
    own_grant = klara_at_muster(broker)
    smtp.messages.clear()  # Klara's notice of her grant at Muster
    add_staff(broker=other_broker, actor=None, name="Klara Muster", email=KLARA, role="user")

    [mail] = smtp.wait(1)
    assert mail["X-Envelope-To"] == KLARA
    assert mail["From"].addresses[0].display_name == ANDERE
    assert link_in(mail, base_url=base).startswith("/accounts/invitation/")

    # Logged in, she is asked; the staff role is part of the question.
    log_in(page, base)
    expect(page).to_have_url(base + "/portal/")
    card = card_of(page, ANDERE)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Mitarbeiterzugang zum Büro (erfordert einen zweiten Faktor)")
    expect(access_of(page, KLARAS_GRANT)).to_contain_text(MUSTER)
    screenshot("card-staff")

    # Before the yes: no office, and her portal asks for no second factor.
    refused(page, browser_problems, base + "/staff/", 403)
    screenshot("staff-forbidden")
    response = page.goto(f"{base}/portal/{own_grant}/")
    assert response is not None and response.status == 200, (response and response.status, page.url)
    expect(page).to_have_url(f"{base}/portal/{own_grant}/")
    expect(page.get_by_role("heading", name="Meine aktuellen Absicherungen", level=1)).to_be_visible()

    # The front door leads back to the question; the yes makes her staff, who need a second factor.
    page.goto(base + "/")
    expect(page).to_have_url(base + "/portal/")
    card_of(page, ANDERE).get_by_role("button", name="Annehmen").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/\?next=%2Fstaff%2F$"))
    expect(page.get_by_role("heading", name="Zwei-Faktor-Authentifizierung", level=1)).to_be_visible()
    expect(page.get_by_text("Bitte richten Sie zuerst einen zweiten Faktor ein")).to_be_visible()
    screenshot("second-factor")
    page.goto(base + "/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/\?next=%2Fstaff%2F$"))
