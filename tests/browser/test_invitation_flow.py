"""Issue 4 in a real browser: invitation mail → set a password → portal → set up TOTP → log out → log in
with password and authenticator code → portal. Asserts on what the person sees, in German."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from tests.browser.flows import EMAIL, expect_portal, invite
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = 30  # seconds per TOTP step (allauth's MFA_TOTP_PERIOD default, tolerance 0)


def totp_code(secret: str, *, after: int | None = None) -> tuple[str, int]:
    """The current RFC 6238 code (SHA1, 30 s, 6 digits) and its time step, as an authenticator app shows
    it. Waits when the step is about to run out, and for a later step than `after`: a login must work
    with a fresh code, not by reusing the one that activated TOTP."""
    while True:
        now = time.time()
        step, left = int(now // PERIOD), PERIOD - now % PERIOD
        if left > 3 and (after is None or step > after):
            return format_hotp_value(hotp_value(secret, step)), step
        time.sleep(left + 0.05)


def test_invitation_password_totp_and_login_again(api, broker, smtp, settings, live_server, page, screenshot):
    link = invite(api, broker, smtp, settings, live_server)

    # The mailed link: the token leaves the address bar at once, the form asks for a password.
    page.goto(link)
    expect(page).to_have_url(live_server.url + "/accounts/invitation/")
    expect(page.get_by_role("heading", name="Muster Makler GmbH möchte Ihnen Zugang geben")).to_be_visible()
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value(EMAIL)
    screenshot("invitation")
    page.get_by_label("Passwort:", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort (Wiederholung):", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Annehmen und Passwort festlegen").click()

    # Logged in, in the portal: the shared contract, not the other one.
    expect_portal(page)
    expect(page.get_by_role("status")).to_contain_text("Willkommen! Ihr Passwort wurde festgelegt.")
    screenshot("portal")

    # My account → two-factor authentication → activate the authenticator app.
    page.get_by_role("link", name="Mein Konto").click()
    expect(page.get_by_role("heading", name="Mein Konto", level=1)).to_be_visible()
    expect(page.get_by_text(EMAIL).first).to_be_visible()
    screenshot("account")
    page.get_by_role("link", name="Zwei-Faktor-Authentifizierung").click()
    expect(page.get_by_role("heading", name="Zwei-Faktor-Authentifizierung", level=1)).to_be_visible()
    expect(page.get_by_text("Es ist keine Authenticator-App aktiv.")).to_be_visible()
    screenshot("mfa-index")
    page.get_by_role("link", name="Aktivieren").click()

    # allauth wants the password again before a second factor is added.
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    expect(page.get_by_text("Geben Sie Ihr Passwort ein:")).to_be_visible()
    screenshot("reauthenticate")
    page.get_by_label("Passwort:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Bestätigen").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    expect(page.get_by_role("heading", name="Authenticator-App aktivieren")).to_be_visible()
    secret = page.get_by_label("Authentifizierungsgeheimnis").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    screenshot("totp-activate")
    code, step = totp_code(secret)
    page.get_by_label("Authentifizierungscode").fill(code)
    page.get_by_role("button", name="Aktivieren").click()

    # Recovery codes are shown once TOTP is active.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    expect(page.get_by_role("status")).to_contain_text("Authenticator-App aktiviert.")
    expect(page.get_by_role("heading", name="Wiederherstellungscodes")).to_be_visible()
    recovery = page.get_by_label("Unbenutzte Codes").input_value().split()
    assert len(recovery) == 10 and all(re.fullmatch(r"[0-9a-f]{8}", c) for c in recovery), recovery
    screenshot("recovery-codes")

    # Log out; log in again with the password and then the authenticator code.
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Anmelden", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("abgemeldet")
    screenshot("logged-out")
    page.get_by_label("E-Mail-Adresse:", exact=True).fill(EMAIL)
    page.get_by_label("Passwort:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_role("heading", name="Zwei-Faktor-Authentifizierung")).to_be_visible()
    screenshot("mfa-authenticate")
    # A fresh code, not the activation's again: the app's next one. Instead of waiting up to a period
    # for it, the clock of this process (the live server's too) moves on by one period.
    with time_machine.travel(time.time() + PERIOD, tick=True):
        code, _ = totp_code(secret, after=step)
        page.get_by_label("Code:", exact=True).fill(code)
        page.get_by_role("button", name="Anmelden", exact=True).click()

        expect_portal(page)
        screenshot("portal-again")
