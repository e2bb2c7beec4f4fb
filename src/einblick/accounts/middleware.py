"""Session limits and the second-factor rule, checked on every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from einblick.accounts.roles import is_staff_user, mfa_required

LOGIN_AT = "einblick_login_at"
SEEN_AT = "einblick_seen_at"
TOUCH_EVERY = 60  # seconds: the session is written at most once a minute for the idle clock


class SessionLimitsMiddleware:
    """Ends a session after SESSION_IDLE_SECONDS without a request and SESSION_MAX_SECONDS after
    login, on the server (the session row is deleted), whatever the cookie says."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            login_at = session.get(LOGIN_AT)
            seen_at = session.get(SEEN_AT, now)
            if login_at is None:
                session[LOGIN_AT] = login_at = now
            if now - login_at > settings.SESSION_MAX_SECONDS or now - seen_at > settings.SESSION_IDLE_SECONDS:
                logout(request)
            elif now - seen_at >= TOUCH_EVERY or SEEN_AT not in session:
                session[SEEN_AT] = now
        return self.get_response(request)


# Where a second factor is needed when the rule applies; the account pages (to set one up), the
# login and logout flow and static files stay reachable.
STAFF_PREFIXES = ("/staff/",)
PORTAL_PREFIXES = ("/portal/",)


class RequireMfaMiddleware:
    """Staff without a second factor are sent to set one up before any staff page; so are portal
    users of a broker that requires it (Broker.portal_mfa_required)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        user = request.user
        if (
            user.is_authenticated
            and path.startswith(STAFF_PREFIXES + PORTAL_PREFIXES)
            and not self._has_second_factor(user)
            and self._needs_second_factor(user, path)
        ):
            target = reverse("mfa_index") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)

    @staticmethod
    def _has_second_factor(user: object) -> bool:
        from allauth.mfa.models import Authenticator

        return Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists()

    @staticmethod
    def _needs_second_factor(user: object, path: str) -> bool:
        if path.startswith(STAFF_PREFIXES):
            return is_staff_user(user)  # type: ignore[arg-type]
        return mfa_required(user)  # type: ignore[arg-type]


def stamp_login(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    """The clocks of SessionLimitsMiddleware start at login (connected in AccountsConfig.ready)."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now
