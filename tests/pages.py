"""Logging in through the login form, and reading the pages Django's test client gets."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.factories import PASSWORD


def log_in(client: Client, email: str, password: str = PASSWORD, **headers: Any) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password}, headers=headers)


def text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def csv_text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return streamed(response).decode("utf-8")


def streamed(response: Any) -> bytes:
    """The body of a streaming response (a download, an export)."""
    return b"".join(response.streaming_content)


def found(pattern: str | re.Pattern[str], html: str, group: int = 0, flags: int = 0) -> str:
    """What `pattern` matches in `html` (its group `group`); the test fails when it matches nothing."""
    match = re.search(pattern, html, flags)
    assert match, f"{pattern!r} is not in the page"
    return match.group(group)


def portal_part(html: str) -> str:
    """The page below the frame (banner, context switcher): from the first heading to the end of main."""
    match = re.search(r"<h1>.*</main>", html, re.S)
    assert match, html
    return match.group(0)
