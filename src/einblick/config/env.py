"""Small typed helpers that read the environment and fail loudly on bad values."""

from __future__ import annotations

import base64
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# The key files this process generated (`einblick restore` may replace them: they hold nothing yet).
GENERATED: list[Path] = []


def secret_file(name: str, data_dir: Path) -> Path:
    """Where a secret that is not in the environment is generated: file `name` in lower case."""
    return data_dir / name.lower()


def generated_secret(name: str, data_dir: Path, make: Callable[[], str]) -> str:
    """A secret from the environment variable `name`, else generated once into the data directory
    (file `name` in lower case, mode 0600), so that a fresh installation needs no configuration."""
    if key := os.environ.get(name):
        return key
    path = secret_file(name, data_dir)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = make()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    GENERATED.append(path)
    return key


def secret_key(data_dir: Path) -> str:
    """SECRET_KEY from the environment, else generated once into the data directory."""
    return generated_secret("SECRET_KEY", data_dir, lambda: secrets.token_urlsafe(50))


def mfa_key(data_dir: Path) -> str:
    """The key that encrypts TOTP secrets at rest (Fernet, 32 bytes url-safe base64)."""
    key = generated_secret(
        "EINBLICK_MFA_KEY", data_dir, lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )
    try:
        if len(base64.urlsafe_b64decode(key.encode())) != 32:
            raise ValueError
    except ValueError as exc:
        raise ImproperlyConfigured("EINBLICK_MFA_KEY must be 32 bytes in url-safe base64") from exc
    return key


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


_RATE = re.compile(r"([0-9]+)/([0-9]*)([smh])")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


def env_rate(name: str, default: str) -> tuple[int, int] | None:
    """A rate limit such as "600/m" (requests per second, minute or hour; "100/10s": per ten seconds)
    as (requests, seconds); "off" is None."""
    raw = os.environ.get(name, default).strip().lower()
    if raw == "off":
        return None
    match = _RATE.fullmatch(raw)
    if match is None or int(match[1]) < 1 or match[2].lstrip("0") != match[2]:
        raise ImproperlyConfigured(
            f'{name} must be a number of requests per s, m or h (e.g. "600/m", "100/10s") or "off", '
            f"not {raw!r}"
        )
    return int(match[1]), int(match[2] or 1) * _SECONDS[match[3]]


def cache_settings(redis_url: str, data_dir: Path) -> dict[str, dict[str, object]]:
    """Two caches. `default` holds security state (allauth's rate-limit counters, used TOTP codes):
    Redis when REDIS_URL is set, else the database cache (config/cache.py; table created by a
    migration). `portal` holds what grants show (portal/cache.py), which any signed-in user can make
    grow: apart, so that its culling never evicts security state; Redis under its own prefix, else
    files in the data directory (no database writes on a portal read)."""
    if redis_url:
        redis: dict[str, object] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        }
        return {"default": redis, "portal": {**redis, "KEY_PREFIX": "portal"}}
    return {
        "default": {"BACKEND": "einblick.config.cache.DatabaseCache", "LOCATION": "einblick_cache"},
        "portal": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(data_dir / "cache" / "portal"),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        },
    }


def email_settings(url: str) -> dict[str, object]:
    """Django e-mail settings from EMAIL_URL (smtp://, smtps://, console:, outbox:)."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "outbox":
        return {"EMAIL_BACKEND": "einblick.accounts.outbox.OutboxBackend"}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured("EMAIL_URL must start with smtp://, smtps://, console: or outbox:")
    try:
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL has a bad port: {exc}") from exc
    implicit_tls = parts.scheme == "smtps"
    port = port or (465 if implicit_tls else 25)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": implicit_tls,
        "EMAIL_USE_TLS": not implicit_tls and port == 587,
        "EMAIL_TIMEOUT": 20,
    }
