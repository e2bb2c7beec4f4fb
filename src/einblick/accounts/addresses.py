"""Every account's address is verified, from the moment the account exists (domain.md §1).

An account comes from an invitation link (which proves the address) or from an operator (the admin,
`createsuperuser`, the demo), and the user cannot change or add addresses. allauth, however, keeps
its own address records and asks for a verified one before a second factor can be set up; a password
reset requested for an account without a record made an unverified one, and nothing ever verified it
(issue 15: the customer could no longer set up TOTP). So each new account gets its verified, primary
record at once (a post_save signal, connected in AccountsConfig.ready), and migration
accounts.0007 gave every existing account one."""

from __future__ import annotations

from typing import Any

from einblick.accounts.models import User


def verify_address(user: User) -> None:
    """The account's own address as its one verified, primary record (idempotent)."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(primary=False)
    record = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if record is None:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    elif not (record.verified and record.primary):
        EmailAddress.objects.filter(pk=record.pk).update(verified=True, primary=True)


def on_user_saved(sender: Any, instance: User, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        verify_address(instance)
