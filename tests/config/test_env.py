"""The environment helpers behind settings.py: defaults that work, loud failures on bad values."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from einblick.config.env import cache_settings, email_settings, env_int, generated_secret, mfa_key


def test_the_cache_is_the_database_without_redis_url_and_redis_with_it(tmp_path):
    local = cache_settings("", tmp_path)
    assert local["default"]["BACKEND"] == "einblick.config.cache.DatabaseCache"  # Django's, busy → 503
    # The portal's entries apart from the security state (rate limits, used TOTP codes) in default.
    assert local["portal"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert local["portal"]["LOCATION"] == str(tmp_path / "cache" / "portal")
    settings = cache_settings("redis://127.0.0.1:6379/3", tmp_path)
    assert settings["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3",
    }
    assert settings["portal"] == {**settings["default"], "KEY_PREFIX": "portal"}


def test_the_outbox_scheme_selects_the_file_outbox_and_unknown_schemes_fail():
    assert email_settings("outbox:")["EMAIL_BACKEND"] == "einblick.accounts.outbox.OutboxBackend"
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings("pop3://mail.example")


def test_a_generated_secret_is_made_once_with_owner_only_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv("EXAMPLE_SECRET", raising=False)
    first = generated_secret("EXAMPLE_SECRET", tmp_path, lambda: "one")
    second = generated_secret("EXAMPLE_SECRET", tmp_path, lambda: "two")
    assert first == second == "one"
    assert oct((tmp_path / "example_secret").stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("EXAMPLE_SECRET", "from-env")
    assert generated_secret("EXAMPLE_SECRET", tmp_path, lambda: "three") == "from-env"


def test_the_mfa_key_is_generated_as_32_bytes_and_a_bad_one_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.delenv("EINBLICK_MFA_KEY", raising=False)
    assert len(base64.urlsafe_b64decode(mfa_key(tmp_path))) == 32
    monkeypatch.setenv("EINBLICK_MFA_KEY", "too-short")
    with pytest.raises(ImproperlyConfigured, match="EINBLICK_MFA_KEY"):
        mfa_key(tmp_path)


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "1.5"])
def test_whole_number_settings_refuse_bad_values(monkeypatch, raw):
    monkeypatch.setenv("EINBLICK_SESSION_IDLE_MINUTES", raw)
    with pytest.raises(ImproperlyConfigured, match="EINBLICK_SESSION_IDLE_MINUTES"):
        env_int("EINBLICK_SESSION_IDLE_MINUTES", 30)


def test_whole_number_settings_read_good_values_and_default(monkeypatch):
    monkeypatch.delenv("EINBLICK_INVITATION_DAYS", raising=False)
    assert env_int("EINBLICK_INVITATION_DAYS", 14) == 14
    monkeypatch.setenv("EINBLICK_INVITATION_DAYS", "7")
    assert env_int("EINBLICK_INVITATION_DAYS", 14) == 7
