"""Account events in the audit log: with actor, time and IP, never a password, token or code.

An event is written once for every broker the person really belongs to — staff with a login, or an
active member of a grant — so each broker's log shows its own users' logins; a broker that merely
invited an address (or keeps a clerk record of it) learns nothing about that person's logins.
Someone who belongs to no broker gets one entry without a broker."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authentication_failed as mfa_authentication_failed
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from einblick.accounts.models import User
from einblick.accounts.roles import audit_brokers
from einblick.audit.context import client_ip
from einblick.audit.services import log_action
from einblick.brokers.models import Broker


def record(
    request: HttpRequest | None,
    *,
    action: str,
    user: User | None = None,
    email: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    address = (user.email if user is not None else email or "").lower()[:254]
    actor: Any = user if user is not None else None
    brokers: list[Broker | None] = list(audit_brokers(address)) if address else []
    for broker in brokers or [None]:
        log_action(
            broker=broker,
            actor=actor,
            action=action,
            object_type="user",
            data=data,
            ip=client_ip(request),
            actor_label=address if actor is None else None,  # a failed login names the address tried
        )


def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Every failed password check (allauth's form, anything else): Django removes the password."""
    record(
        request,
        action="account.login_failed",
        email=str(credentials.get("email") or credentials.get("username") or ""),
    )


def _on_mfa_failed(
    sender: Any, request: HttpRequest, user: User, authenticator: Any = None, **kwargs: Any
) -> None:
    record(request, action="account.mfa_failed", user=user)


# Set on the request of the login that follows choosing a password with an invitation link: that
# moment is logged as the invitation's acceptance (with the IP). A login entry besides it would tell
# the broker that this account is new, which an existing account accepting on the card does not show.
QUIET_LOGIN = "_einblick_quiet_login"


def _on_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if request is not None and getattr(request, QUIET_LOGIN, False):
        return
    record(request, action="account.login", user=user)


def _on_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record(request, action="account.logout", user=user)


def _on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record(request, action="account.password_changed", user=user)


def _on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record(request, action="account.password_reset", user=user)


def _mfa(action: str) -> Any:
    def receiver(sender: Any, request: HttpRequest, user: User, authenticator: Any, **kwargs: Any) -> None:
        record(request, action=action, user=user, data={"type": authenticator.type})

    return receiver


_on_mfa_added = _mfa("account.mfa_added")
_on_mfa_removed = _mfa("account.mfa_removed")
_on_mfa_reset = _mfa("account.mfa_reset")


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="einblick.audit.login")
    user_logged_out.connect(_on_logout, dispatch_uid="einblick.audit.logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="einblick.audit.login_failed")
    mfa_authentication_failed.connect(_on_mfa_failed, dispatch_uid="einblick.audit.mfa_failed")
    password_changed.connect(_on_password_changed, dispatch_uid="einblick.audit.password_changed")
    password_reset.connect(_on_password_reset, dispatch_uid="einblick.audit.password_reset")
    authenticator_added.connect(_on_mfa_added, dispatch_uid="einblick.audit.mfa_added")
    authenticator_removed.connect(_on_mfa_removed, dispatch_uid="einblick.audit.mfa_removed")
    authenticator_reset.connect(_on_mfa_reset, dispatch_uid="einblick.audit.mfa_reset")
