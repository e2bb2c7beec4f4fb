"""Second factors as a person uses them: TOTP codes from the secret, and TOTP set up through allauth's
pages. (A stored factor without the pages: tests/factories.py give_totp.)"""

from __future__ import annotations

import time

from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.test import Client

from tests.factories import PASSWORD


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238 with allauth's parameters (SHA-1, 30 s, 6 digits)."""
    moment = time.time() if at is None else at
    return format_hotp_value(hotp_value(secret, int(moment) // 30))


def reauthenticate(client: Client) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content


def activate_totp(client: Client) -> str:
    """Through allauth's pages, as a person would: reauthenticate, open the form, type the code."""
    reauthenticate(client)
    form = client.get("/accounts/2fa/totp/activate/")
    assert form.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302, done.content
    assert done["Location"] == "/accounts/2fa/recovery-codes/"
    return secret
