"""The account, portal and office pages at a phone's width (360 px) and a desktop's (1280 px): nothing
runs off to the side, and the basics of WCAG 2.2 AA hold — a language, one h1, a main landmark,
labelled form fields, named buttons and links, and a visible focus outline for the keyboard.

People log in through Django's test client (force_login); the session cookie goes into the browser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from einblick.accounts.models import User
from einblick.brokers.logo import set_logo
from einblick.office.members import share
from tests.browser.flows import EMAIL, STAFF_EMAIL, invite, portal_user
from tests.factories import make_grant, make_staff, make_user
from tests.samples import png

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 1280)
HEIGHT = 800
MAX_TABS = 40  # more focusable elements than any of these pages has


@dataclass(frozen=True)
class Screen:
    path: str  # where the page is, or "invitation…" for the mailed link (see _open)
    who: str | None  # None: not logged in; "portal" or "staff"
    heading: str  # the h1, as a person reads it


SCREENS = {
    "login": Screen("/accounts/login/", None, "Anmelden"),
    "password-reset": Screen("/accounts/password/reset/", None, "Passwort zurücksetzen"),
    "invitation": Screen("invitation", None, "Muster Makler GmbH möchte Ihnen Zugang geben"),
    "invitation-existing": Screen(
        "invitation-existing", None, "Muster Makler GmbH möchte Ihnen Zugang geben"
    ),
    "invitation-declined": Screen("invitation-declined", None, "Einladung abgelehnt"),
    "invitation-card": Screen("/portal/", "invited", "Einladungen"),
    "account": Screen("/accounts/overview/", "portal", "Mein Konto"),
    "mfa-index": Screen("/accounts/2fa/", "portal", "Zwei-Faktor-Authentifizierung"),
    "sessions": Screen("/accounts/sessions/", "portal", "Sitzungen"),
    "delete-account": Screen("/accounts/delete/", "portal", "Konto löschen"),
    "portal": Screen("/portal/", "portal", "Meine aktuellen Absicherungen"),
    "staff": Screen("/staff/", "staff", "Büro"),
}

# What the page says about itself, measured in the browser.
_FACTS = """() => {
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const describe = (el) => el.outerHTML.replace(/\\s+/g, " ").slice(0, 160);
  const fields = [...document.querySelectorAll("input, select, textarea")]
    .filter((el) => el.type !== "hidden" && visible(el));
  const unlabelled = fields.filter((el) =>
    !(el.labels && [...el.labels].some((l) => l.textContent.trim())) &&
    !(el.getAttribute("aria-label") || "").trim() &&
    !(el.getAttribute("aria-labelledby") || "").split(/\\s+/).some(
      (id) => id && document.getElementById(id) && document.getElementById(id).textContent.trim()));
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => visible(el) && el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .filter((el) => !el.closest(".table-wrap") && !el.matches(".skip"));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    lang: document.documentElement.getAttribute("lang") || "",
    h1: [...document.querySelectorAll("h1")].map((h) => h.textContent.trim()),
    main: document.querySelectorAll("main, [role=main]").length,
    fields: fields.length,
    unlabelled: unlabelled.map(describe),
    wide: wide.slice(0, 5).map(describe),
  };
}"""

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  return {
    html: el.outerHTML.replace(/\\s+/g, " ").slice(0, 120),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth) || 0,
    color: style.outlineColor,
  };
}"""

_OUTER_HTML = "function () { return this.outerHTML.replace(/\\s+/g, ' ').slice(0, 160); }"


def _log_in(page: Any, base: str, user: User) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": base}])


def _open(screen: Screen, request: pytest.FixtureRequest, page: Any, base: str) -> None:
    """The data the page needs, the person logged in, and the page loaded."""
    if screen.path.startswith("invitation"):
        if screen.path == "invitation-existing":
            make_user(EMAIL)  # an account of her own, made elsewhere: the page asks her to log in
        fixtures = ("api", "broker", "smtp", "settings", "live_server")
        link = invite(*(request.getfixturevalue(name) for name in fixtures))
        response = page.goto(link)
        if screen.path == "invitation-declined":
            with page.expect_navigation() as declined:
                page.get_by_role("button", name="Ablehnen").click()
            response = declined.value  # the answer to the POST is the page
    else:
        if screen.who == "invited":
            # Klara of one broker, invited by another: the portal's front page asks her first.
            user = portal_user(request.getfixturevalue("broker"))
            other = request.getfixturevalue("other_broker")
            set_logo(broker=other, data=png(600, 120), actor=None)  # a wide logo on a narrow card
            share(grant=make_grant(other, "Haushalt Klara"), actor=None, email=EMAIL)
            _log_in(page, base, user)
        elif screen.who == "portal":
            _log_in(page, base, portal_user(request.getfixturevalue("broker")))
        elif screen.who == "staff":
            _log_in(page, base, make_staff(request.getfixturevalue("broker"), STAFF_EMAIL, totp=True))
        response = page.goto(base + screen.path)
    assert response is not None and response.status == 200, (response and response.status, page.url)
    assert not page.url.endswith("/accounts/login/") or screen.who is None, page.url


def _nameless_controls(page: Any) -> list[str]:
    """Buttons and links without an accessible name, as Chromium's accessibility tree computes it."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.getDocument", {"depth": 0})
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
        found = []
        for node in nodes:
            role = node.get("role", {}).get("value")
            if node.get("ignored") or role not in ("button", "link"):
                continue
            if str(node.get("name", {}).get("value", "")).strip():
                continue
            target = cdp.send("DOM.resolveNode", {"backendNodeId": node["backendDOMNodeId"]})
            html = cdp.send(
                "Runtime.callFunctionOn",
                {
                    "objectId": target["object"]["objectId"],
                    "functionDeclaration": _OUTER_HTML,
                    "returnByValue": True,
                },
            )
            found.append(f"{role}: {html['result']['value']}")
        return found
    finally:
        cdp.detach()


def _focus_outlines(page: Any) -> tuple[int, list[str]]:
    """Tab through the page from the top: how many stops, and those without a visible outline."""
    page.locator("body").focus()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    stops: list[str] = []
    missing: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None or focused["html"] in stops:  # out of the page, or round again
            break
        stops.append(focused["html"])
        if focused["style"] == "none" or focused["width"] <= 0 or focused["color"] == "rgba(0, 0, 0, 0)":
            missing.append(f"{focused['html']} (outline {focused['style']} {focused['width']}px)")
    return len(stops), missing


def assert_fits_and_is_accessible(page: Any, screen: Screen, width: int) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(screen.heading)
    facts = page.evaluate(_FACTS)
    assert facts["innerWidth"] == width
    assert facts["scrollWidth"] <= facts["innerWidth"], (
        f"horizontal overflow: {facts['scrollWidth']}px of {facts['innerWidth']}px; too wide: {facts['wide']}"
    )
    assert facts["lang"] == "de", facts["lang"]
    assert len(facts["h1"]) == 1, facts["h1"]
    assert facts["main"] == 1, "one main landmark"
    assert not facts["unlabelled"], f"fields without a label: {facts['unlabelled']}"
    assert not (nameless := _nameless_controls(page)), f"buttons/links without a name: {nameless}"
    stops, missing = _focus_outlines(page)
    assert stops >= 3, f"only {stops} Tab stops"
    assert not missing, f"focused without a visible outline: {missing}"


CASES = [pytest.param(name, width, id=f"{name}-{width}") for name in SCREENS for width in WIDTHS]


@pytest.mark.parametrize(("name", "width"), CASES)
def test_page_fits_the_screen_and_is_accessible(
    name: str, width: int, request: pytest.FixtureRequest, live_server, page, screenshot: Callable
):
    screen = SCREENS[name]
    page.set_viewport_size({"width": width, "height": HEIGHT})
    _open(screen, request, page, live_server.url)
    screenshot(f"{name}-{width}")
    assert_fits_and_is_accessible(page, screen, width)
