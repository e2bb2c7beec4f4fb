"""The TOTP activation form, with the code used to activate spent like any other (no replay at login)."""

from __future__ import annotations

from allauth.mfa import app_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal.auth import normalize_user_code
from django.core.cache import cache


class ActivateTotpForm(ActivateTOTPForm):
    def clean_code(self) -> str:
        code = super().clean_code()
        # The same key allauth's TOTP.validate_code() marks used codes with.
        key = f"allauth.mfa.totp.used?user={self.user.pk}&code={normalize_user_code(code)}"
        timeout = app_settings.TOTP_PERIOD * (2 * app_settings.TOTP_TOLERANCE + 1)
        if not cache.add(key, "y", timeout=timeout):
            raise get_adapter().validation_error("incorrect_code")
        return code
