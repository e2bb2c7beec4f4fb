"""German is the default language, in formal "Sie", and every string of ours is translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.test import Client

from tests.factories import make_user
from tests.pages import log_in

LOCALE = Path(__file__).resolve().parents[2] / "locale"
INFORMAL = re.compile(
    r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|hast|bist|kannst|möchtest|erstelle)\b", re.I
)


@pytest.mark.parametrize("path", ["de/LC_MESSAGES/django.po", "overrides/de/LC_MESSAGES/django.po"])
def test_every_entry_of_the_german_catalogues_is_translated(path):
    with (LOCALE / path).open("rb") as handle:
        catalog = read_po(handle, locale="de")
    missing = [
        message.id
        for message in catalog
        if message.id
        and (not all(message.string) if isinstance(message.string, tuple) else not message.string)
    ]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert not missing, missing
    assert not fuzzy, fuzzy


def _text(html: str) -> str:
    main = html[html.find("<main") : html.find("</main>")]
    return re.sub(r"<[^>]+>", " ", main)


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/password/reset/", "/accounts/signup/", "/accounts/invitation/x/"]
)
def test_the_pages_before_login_speak_formal_german(db, path):
    response = Client().get(path, follow=True)
    text = _text(response.content.decode())
    assert 'lang="de"' in response.content.decode()
    assert not INFORMAL.findall(text), INFORMAL.findall(text)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/overview/",
        "/accounts/2fa/",
        "/accounts/sessions/",
        "/accounts/password/change/",
        "/accounts/reauthenticate/",
        "/accounts/delete/",
        "/portal/",
    ],
)
def test_the_account_pages_speak_formal_german(db, path):
    client = Client()
    make_user("klara@example.org")
    log_in(client, "klara@example.org")
    response = client.get(path)
    assert response.status_code == 200
    text = _text(response.content.decode())
    assert not INFORMAL.findall(text), INFORMAL.findall(text)


def test_english_is_the_second_language_chosen_with_the_switch_in_the_footer(db):
    client = Client()
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert switched.status_code == 302 and switched["Location"] == "/accounts/login/"
    response = client.get("/accounts/login/")
    assert 'lang="en"' in response.content.decode()
    assert "Log in" in response.content.decode()
    assert response["Content-Language"] == "en"


def test_an_english_browser_still_gets_the_german_portal(db):
    response = Client(headers={"accept-language": "en-US,en;q=0.9"}).get("/accounts/login/")
    assert 'lang="de"' in response.content.decode()
    assert "Anmelden" in response.content.decode()
