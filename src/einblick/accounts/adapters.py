"""django-allauth, fitted to Einblick: no open sign-up, links from EINBLICK_BASE_URL, local redirects
only, 429 for too many failed logins, audit of failures, and TOTP secrets encrypted at rest."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from einblick.accounts import audit
from einblick.accounts.mail import sender


def is_local_path(url: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
        return False
    if any(ord(char) < 32 for char in url):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False  # accounts come from invitations (Teilen) only

    def is_safe_url(self, url: str | None) -> bool:
        return is_local_path(url)

    def get_from_email(self) -> str:
        return sender(None)

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return settings.BASE_URL + path.replace("UID-KEY", quote(key))

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """Every mail has a text and an HTML part: allauth's notices come as text only, so their HTML
        part is the same text in our mail frame."""
        message = super().render_mail(template_prefix, email, context, headers)
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            html = render_to_string(
                "emails/plain_message.html", {"text": message.body, "subject": message.subject}
            )
            message.attach_alternative(html, "text/html")
        return message

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """German, and independent of the request (allauth's notices are sent after commit, and the
        site is EINBLICK_BASE_URL, not the request's Host)."""
        ctx = {
            "email": email,
            "base_url": settings.BASE_URL,
            "current_site": {"name": settings.EINBLICK_NAME, "domain": urlsplit(settings.BASE_URL).netloc},
            **context,
        }
        with translation.override(settings.LANGUAGE_CODE):
            self.render_mail(template_prefix, email, ctx).send()

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """allauth keys the failed-login budget on the site's domain, which without the sites framework
        is the request's Host header: another allowed host name would start a fresh budget. The
        address alone is the key."""
        login = credentials.get("email", credentials.get("username", "")) or ""
        return "login:" + login.lower()

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as exc:
            if exc.code == "too_many_login_attempts":
                audit.record(request, action="account.login_throttled", email=credentials.get("email"))
                raise ImmediateHttpResponse(respond_429(request)) from exc
            raise


class MfaAdapter(DefaultMFAAdapter):
    """TOTP secrets are stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under MFA_KEY."""

    @staticmethod
    def _fernet() -> Fernet:
        return Fernet(settings.MFA_KEY.encode())

    def encrypt(self, text: str) -> str:
        return "fernet:" + self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith("fernet:"):
            raise ValueError("TOTP secret is not encrypted")
        try:
            return self._fernet().decrypt(encrypted_text.removeprefix("fernet:").encode()).decode()
        except InvalidToken as exc:
            raise ValueError("TOTP secret cannot be decrypted with MFA_KEY") from exc
