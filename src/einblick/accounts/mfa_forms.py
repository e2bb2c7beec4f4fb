"""allauth's MFA forms, adjusted: the code used to activate TOTP is spent like any other (no replay at
login), and a code refused because of the throttle marks the request, so that the answer is a 429
(accounts.middleware.MfaThrottleMiddleware) as for every other throttled login step."""

from __future__ import annotations

from typing import Any

from allauth.core import context
from allauth.mfa import app_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal.auth import normalize_user_code
from django.core.cache import cache
from django.core.exceptions import ValidationError

THROTTLED = "_einblick_mfa_throttled"


def _throttled(clean: Any) -> Any:
    """Run a form's clean_code; when allauth refuses for too many attempts, mark the request."""
    try:
        return clean()
    except ValidationError as exc:
        if exc.code == "too_many_login_attempts" and context.request is not None:
            setattr(context.request, THROTTLED, True)
        raise


class ThrottledAuthenticateForm(AuthenticateForm):
    def clean_code(self) -> str:
        return str(_throttled(super().clean_code))


class ThrottledReauthenticateForm(ReauthenticateForm):
    def clean_code(self) -> str:
        return str(_throttled(super().clean_code))


class ActivateTotpForm(ActivateTOTPForm):
    def clean_code(self) -> str:
        code = super().clean_code()
        # The same key allauth's TOTP.validate_code() marks used codes with.
        key = f"allauth.mfa.totp.used?user={self.user.pk}&code={normalize_user_code(code)}"
        timeout = app_settings.TOTP_PERIOD * (2 * app_settings.TOTP_TOLERANCE + 1)
        if not cache.add(key, "y", timeout=timeout):
            raise get_adapter().validation_error("incorrect_code")
        return code
