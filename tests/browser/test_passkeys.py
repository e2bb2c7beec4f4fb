"""Passkeys (WebAuthn) in a real browser, with Chromium's virtual authenticator (DevTools protocol)
standing in for the platform authenticator: a portal user adds a passkey and then logs in with it
alone; a member of staff whose only second factor is a passkey gets into the office.

The relying party is the live server's host (`localhost`): Chromium counts http://localhost as a
secure context, so WebAuthn runs without TLS; the server accepts the http origin because
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN is on for an http EINBLICK_BASE_URL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.browser.flows import EMAIL, STAFF_EMAIL, expect_portal, portal_user
from tests.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def virtual_authenticator(page: Any) -> tuple[Any, str]:
    """A CTAP2 platform authenticator with resident keys and user verification (a fingerprint that
    always matches), answering every request at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def credentials_of(cdp: Any, authenticator_id: str) -> list[dict[str, Any]]:
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def log_in_with_password(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("E-Mail-Adresse:", exact=True).fill(email)
    page.get_by_label("Passwort:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()


def add_passkey(page: Any, base: str, name: str, screenshot: Any) -> None:
    """From the MFA index: Add → password again → name, passwordless → the authenticator answers."""
    page.goto(base + "/accounts/2fa/")
    expect(page.get_by_text("Es wurden keine Sicherheitsschlüssel hinzugefügt.")).to_be_visible()
    keys = page.locator("section.panel").filter(
        has=page.get_by_role("heading", name="Sicherheitsschlüssel", exact=True)
    )
    keys.get_by_role("link", name="Hinzufügen").click()

    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Passwort:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Bestätigen").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/webauthn/add/$"))
    expect(page.get_by_role("heading", name="Sicherheitsschlüssel hinzufügen", level=1)).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Hauptschlüssel")  # allauth's suggestion
    page.get_by_label("Name").fill(name)
    page.get_by_label("Passwortlos").check()
    screenshot("webauthn-add")
    page.get_by_role("button", name="Hinzufügen").click()

    # The first second factor comes with recovery codes.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    expect(page.get_by_role("heading", name="Wiederherstellungscodes")).to_be_visible()


def expect_passkey_listed(page: Any, base: str, name: str) -> None:
    page.goto(base + "/accounts/2fa/")
    expect(page.get_by_text("Sie haben 1 Sicherheitsschlüssel hinzugefügt.")).to_be_visible()
    page.get_by_role("link", name="Verwalten").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/webauthn/$"))
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Passkey")  # passwordless, not a plain security key


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("status")).to_contain_text("abgemeldet")


def test_a_portal_user_adds_a_passkey_and_logs_in_with_it_alone(broker, live_server, page, screenshot):
    base = live_server.url
    assert base.startswith("http://localhost:"), base  # the RP ID is the host; WebAuthn needs a name
    portal_user(broker)
    cdp, authenticator_id = virtual_authenticator(page)

    log_in_with_password(page, base, EMAIL)
    expect_portal(page)

    add_passkey(page, base, "Laptop", screenshot)
    [credential] = credentials_of(cdp, authenticator_id)
    assert credential["isResidentCredential"] is True and credential["rpId"] == "localhost"
    [stored] = Authenticator.objects.filter(user__email=EMAIL, type=Authenticator.Type.WEBAUTHN)
    assert stored.wrap().is_passwordless is True and stored.wrap().name == "Laptop"

    expect_passkey_listed(page, base, "Laptop")
    screenshot("webauthn-list")

    log_out(page)
    expect(page.get_by_label("Passwort:", exact=True)).to_have_value("")
    screenshot("login")
    page.get_by_role("button", name="Mit Passkey anmelden").click()

    # Signed in without a password: the portal, and the passkey was used just now.
    expect_portal(page)
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    screenshot("portal-after-passkey")
    [credential] = credentials_of(cdp, authenticator_id)
    assert credential["signCount"] >= 1
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_staff_with_only_a_passkey_as_second_factor_reach_the_office(broker, live_server, page, screenshot):
    base = live_server.url
    make_staff(broker, STAFF_EMAIL)
    virtual_authenticator(page)

    # Without a second factor, the office sends staff to set one up.
    log_in_with_password(page, base, STAFF_EMAIL)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/\?next=%2Fstaff%2F$"))

    add_passkey(page, base, "Büro-Laptop", screenshot)
    factors = Authenticator.objects.filter(user__email=STAFF_EMAIL).exclude(
        type=Authenticator.Type.RECOVERY_CODES
    )
    assert [a.type for a in factors] == [Authenticator.Type.WEBAUTHN]  # no TOTP

    response = page.goto(base + "/staff/")
    assert response is not None and response.status == 200
    assert response.request.redirected_from is None
    expect(page.get_by_role("heading", name="Büro", level=1)).to_be_visible()

    # Next time: the password, then the passkey as the second factor, and the office again.
    log_out(page)
    log_in_with_password(page, base, STAFF_EMAIL)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    screenshot("mfa-authenticate")
    page.get_by_role("button", name="Verwenden Sie einen Sicherheitsschlüssel").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", name="Büro", level=1)).to_be_visible()
    response = page.goto(base + "/staff/")
    assert response is not None and response.status == 200
    assert response.request.redirected_from is None
    screenshot("staff")
