"""Sharing a grant with people: the membership (grants) and what the person is told or loses
(accounts: invitations, notices, sessions)."""

from __future__ import annotations

from django.db import transaction

from einblick.accounts import consent, invitations, sessions
from einblick.audit.services import Actor
from einblick.errors import FieldError, Invalid
from einblick.errors import messages as M
from einblick.grants import services
from einblick.grants.models import Grant, GrantMember, MemberState
from einblick.text import is_email


@transaction.atomic
def share(*, grant: Grant, actor: Actor, email: str) -> tuple[GrantMember, bool]:
    """Teilen (domain.md §3, consent): a person who has accepted this broker becomes active at once
    and gets a notice; anyone else is invited by e-mail with a single-use link (accounts.invitations)
    and answers it; who declined this broker within EINBLICK_DECLINE_QUIET_DAYS is added as `declined`
    without a mail. Whether the address has an account is never looked at, so nothing the broker sees
    (state, answer, mail, time) depends on it. Returns the member and whether it is new; sharing
    again with a member changes nothing."""
    email = email.strip().lower()  # as members are stored
    if not is_email(email):  # before anything is written or mailed
        raise Invalid(M.EMAIL_INVALID, [FieldError(("email",), M.EMAIL_FIELD)])
    known = consent.has_accepted(grant.broker_id, email)
    # Who said no to this broker lately is not asked again at once (EINBLICK_DECLINE_QUIET_DAYS).
    refused = not known and consent.refused(grant.broker_id, email)
    member, created = services.add_member(
        grant=grant, actor=actor, email=email, active=known, declined=refused
    )
    if created and not refused:
        if known:
            invitations.send_access_notice(member=member)
        else:
            invitations.send_invitation(member=member)
    return member, created


@transaction.atomic
def resend_invitation(*, member: GrantMember, actor: Actor) -> GrantMember:
    """Link versenden: a fresh link by e-mail; the earlier link stops working."""
    member = services.renew_invitation(member=member, actor=actor)
    invitations.send_invitation(member=member)
    return member


@transaction.atomic
def unshare(*, member: GrantMember, actor: Actor) -> None:
    """Access ends at once; someone left with no grant and no staff login is logged out everywhere.
    Only an active member had access: for an invited or declined one nothing about accounts is looked
    up, so that the removal costs the same whether or not the address has one (domain.md §3)."""
    was_active = member.state == MemberState.ACTIVE
    services.remove_member(member=member, actor=actor)
    if was_active:
        sessions.end_sessions_without_access(emails=[member.email])


@transaction.atomic
def delete_grant(*, grant: Grant, actor: Actor) -> None:
    """The grant goes; its members lose access at once, and who has none left is logged out (active
    members only, as in unshare)."""
    emails = services.delete_grant(grant=grant, actor=actor)
    sessions.end_sessions_without_access(emails=emails)
