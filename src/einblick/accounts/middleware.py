"""Session limits and the second-factor rule, checked on every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

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


class RequireMfaMiddleware:
    """Who needs a second factor is sent to set one up before the page: staff on every staff page and
    on the outbox, operators in the admin and on the outbox, portal users on portal pages when a
    broker of theirs requires it (Broker.portal_mfa_required). Decided on the resolved view, not on
    the path, so that no prefix or SCRIPT_NAME trick gets round it; the account pages stay reachable
    so that a factor can be set up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, args: object, kwargs: object
    ) -> HttpResponse | None:
        user = request.user
        match = request.resolver_match
        if not user.is_authenticated or match is None:
            return None
        if self._needs_second_factor(user, match.namespace, match.url_name) and not has_second_factor(user):
            messages.info(request, _("Please set up a second factor first: your access requires one."))
            target = reverse("mfa_index") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return None

    @staticmethod
    def _needs_second_factor(user: Any, namespace: str, url_name: str | None) -> bool:
        if namespace == "staff":
            return is_staff_user(user)
        if namespace == "admin":
            return bool(user.is_superuser)
        if url_name == "outbox":
            return True  # only staff and operators may read it, and both need a factor
        if namespace == "portal":
            return mfa_required(user)
        return False


def has_second_factor(user: object) -> bool:
    """TOTP or a security key / passkey; recovery codes alone are a fallback, not a factor."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def stamp_login(sender: object, request: HttpRequest, user: Any, **kwargs: object) -> None:
    """At every login (connected in AccountsConfig.ready): the clocks of SessionLimitsMiddleware
    start, and the session is in the user's session list at once, whichever way they logged in."""
    from allauth.usersessions.models import UserSession

    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now
        if request.META.get("REMOTE_ADDR"):  # a real request (not a test client's force_login)
            UserSession.objects.create_from_request(request, user=user, session=request.session)


class MfaThrottleMiddleware:
    """A second-factor code refused because of the throttle (allauth's `login_failed` limit, which
    MFA codes share with passwords) answers 429 with Retry-After, like every other throttled login
    step (README: rate limits), instead of the form's 200."""

    RETRY_AFTER = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        from einblick.accounts.mfa_forms import THROTTLED

        if getattr(request, THROTTLED, False) and response.status_code == 200:
            response.status_code = 429
            response["Retry-After"] = str(self.RETRY_AFTER)
        return response
