"""Einblick settings: one file, configured through the environment (see .env.example)."""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from einblick.config.env import (
    cache_settings,
    email_settings,
    env_bool,
    env_int,
    env_list,
    env_rate,
    env_str,
    mfa_key,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent  # src/einblick
DATA_DIR = Path(env_str("EINBLICK_DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key(DATA_DIR)
BASE_URL = env_str("EINBLICK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [urlsplit(BASE_URL).hostname or "localhost", "localhost", "127.0.0.1"]
)
CSRF_TRUSTED_ORIGINS = [BASE_URL]

INSTALLED_APPS = [
    "einblick.config.apps.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "einblick.config",
    "einblick.accounts",
    "einblick.audit",
    "einblick.brokers",
    "einblick.portfolio",
    "einblick.grants",
    "einblick.processes",
    "einblick.office",
    "django_tasks",
    "django_tasks_db",
    "einblick.demo",
    "einblick.portal",
    "einblick.staff",
]
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    # /healthz and /readyz, answered before everything else: any Host, no redirect, no session.
    "einblick.config.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "einblick.audit.context.AuditContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "einblick.api.middleware.ApiEdgeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "einblick.config.locale.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # before any view or process_view (CSRF reads POST) touches the body
    "einblick.config.limits.PageBodyLimitMiddleware",
    "einblick.accounts.middleware.SessionLimitsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "einblick.accounts.middleware.RequireMfaMiddleware",
    "einblick.accounts.middleware.MfaThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "einblick.config.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "einblick.config.urls"
WSGI_APPLICATION = "einblick.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "einblick.accounts.context.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'einblick.sqlite3'}"), conn_max_age=60
    )
}
# SQLite has one write lock. WAL lets reads go on while somebody writes; every transaction takes the
# lock when it begins (IMMEDIATE: no deadlock between two readers that both start writing), and a
# write waits at most EINBLICK_SQLITE_TIMEOUT seconds for it. A request that still finds the database
# locked answers 503 with Retry-After (config/busy.py), never 500.
SQLITE_TIMEOUT = env_int("EINBLICK_SQLITE_TIMEOUT", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_TIMEOUT,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding: executemany runs as a pipelined prepared statement, and large IN lists
    # are not quoted into the SQL text one value at a time (the import depends on both).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id for new and changed passwords; older hashes are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# At least 12 characters, up to 512, no composition rules (ASVS 5.0 V6.2); Django's common-password,
# similarity and numeric checks, and no password built on the product's or the user's brokers' names.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "einblick.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 512}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "einblick.accounts.validators.ContextWordsValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Accounts (django-allauth): log in by e-mail; accounts come from invitations, there is no open sign-up.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "einblick.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"  # the invitation link proves the address
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_EMAIL_NOTIFICATIONS = True  # a mail after every change of password or second factor (ASVS V6.3.7)
ACCOUNT_REAUTHENTICATION_METHODS = ["password", "mfa"]  # no mailed codes: a mailbox is not a factor
# Five failed logins per address in five minutes (ten per IP and minute), then 429 until the window
# has passed: throttling, never a permanent lockout.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "accept_invitation": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
PASSWORD_RESET_TIMEOUT = 60 * 60  # reset links live one hour and die when used
EINBLICK_INVITATION_DAYS = env_int("EINBLICK_INVITATION_DAYS", 14)
# After a person declines a broker, its Teilen to the address stays "declined" (no mail) this long.
EINBLICK_DECLINE_QUIET_DAYS = env_int("EINBLICK_DECLINE_QUIET_DAYS", 30)
EINBLICK_CONTEXT_WORDS = ["einblick"]

MFA_ADAPTER = "einblick.accounts.adapters.MfaAdapter"
MFA_FORMS = {
    "activate_totp": "einblick.accounts.mfa_forms.ActivateTotpForm",
    "authenticate": "einblick.accounts.mfa_forms.ThrottledAuthenticateForm",
    "reauthenticate": "einblick.accounts.mfa_forms.ThrottledReauthenticateForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Einblick"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not BASE_URL.startswith("https://")
MFA_KEY = mfa_key(DATA_DIR)

# The session list shows where and when each session started; tracking "last seen" would write a row
# on every request (the idle clock of SessionLimitsMiddleware lives in the session itself).
USERSESSIONS_TRACK_ACTIVITY = False

# Sessions: a new id at login (Django), ended on the server at logout; portal sessions end after
# 30 idle minutes and at the latest 12 hours after login (accounts.middleware.SessionLimitsMiddleware).
SESSION_IDLE_SECONDS = env_int("EINBLICK_SESSION_IDLE_MINUTES", 30) * 60
SESSION_MAX_SECONDS = env_int("EINBLICK_SESSION_MAX_HOURS", 12) * 3600
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"

CACHES = cache_settings(env_str("REDIS_URL"), DATA_DIR)
# Background work (the AMS webhook's deliveries and retries) waits in the database for `einblick
# db_worker`; without a worker nothing is lost: the AMS finds every process in its outbox.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The AMS webhook goes to public internet addresses over https only, checked when it is saved and again
# before every delivery, which connects to exactly the address it checked (brokers/egress.py).
# EINBLICK_WEBHOOK_ALLOW_HTTP also allows plain http. EINBLICK_WEBHOOK_ALLOW_PRIVATE lets an on-premise
# installation reach an AMS on its own network: loopback, 10/8, 172.16/12, 192.168/16, 100.64/10 and
# fc00::/7; link-local addresses (169.254.169.254 and the other cloud metadata services), multicast and
# reserved ones stay refused.
EINBLICK_WEBHOOK_ALLOW_HTTP = env_bool("EINBLICK_WEBHOOK_ALLOW_HTTP")
EINBLICK_WEBHOOK_ALLOW_PRIVATE = env_bool("EINBLICK_WEBHOOK_ALLOW_PRIVATE")

LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
# Our catalogue, then formal ("Sie") German for django-allauth's own strings, then the apps' catalogues.
LOCALE_PATHS = [BASE_DIR.parent.parent / "locale", BASE_DIR.parent.parent / "locale" / "overrides"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
# Files users send with processes: under server-made names, outside every served directory, handed
# out only by views that check who may see the process (processes/files.py).
UPLOAD_ROOT = DATA_DIR / "uploads"
UPLOAD_MAX_FILES = 20
UPLOAD_MAX_BYTES = 35 * 1024 * 1024  # all files of one submission together
# The AMS's documents (portfolio/documents.py): every access goes through storages["documents"], so
# object storage replaces this directory by these settings alone. Never served by the web server.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "documents", "directory_permissions_mode": 0o700},
    },
}

# Request bodies: the batch import takes up to 64 MiB (api-v1.md); everything else far less.
IMPORT_MAX_BYTES = 64 * 1024 * 1024
IMPORT_MAX_OBJECTS = 50_000
API_MAX_BYTES = 1024 * 1024
DOCUMENT_MAX_BYTES = 100 * 1024 * 1024  # one document's file, PUT /documents/{id}/content (api-v1.md)
# API rate limits (api/throttle.py), counted in the default cache: requests per token, and requests
# without a valid token per client address. "off" turns one off.
API_RATE = env_rate("EINBLICK_API_RATE", "600/m")
API_ANON_RATE = env_rate("EINBLICK_API_ANON_RATE", "60/m")
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BYTES  # the import view streams its larger body itself

EMAIL_URL = env_str("EMAIL_URL", "console:")
EMAIL_OUTBOX_DIR = DATA_DIR / "outbox"
globals().update(email_settings(EMAIL_URL))
# Mails come from one address of the installation. A broker's mails carry the broker's name as the
# sender's name (and its office address as Reply-To); mails of no broker (password reset, security
# notices) carry the installation's name, EINBLICK_NAME.
EINBLICK_NAME = " ".join(env_str("EINBLICK_NAME", "Einblick").split()) or "Einblick"
EMAIL_FROM_ADDRESS = parseaddr(env_str("EMAIL_FROM", "portal@localhost"))[1] or "portal@localhost"
DEFAULT_FROM_EMAIL = formataddr((EINBLICK_NAME, EMAIL_FROM_ADDRESS))

# Cookies are Secure and HSTS is sent whenever the portal is served over https (EINBLICK_BASE_URL).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 31_536_000 if SESSION_COOKIE_SECURE else 0
# Behind one reverse proxy: trust its X-Forwarded-Proto and its (last) X-Forwarded-For entry.
EINBLICK_BEHIND_PROXY = env_bool("EINBLICK_BEHIND_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if EINBLICK_BEHIND_PROXY else None
ALLAUTH_TRUSTED_PROXY_COUNT = 1 if EINBLICK_BEHIND_PROXY else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact": {"()": "einblick.config.logs.RedactEmails"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["redact"]},
        "django.server": {"filters": ["redact"]},
    },
}
