"""Invitations (Teilen, a new staff member): the single-use link a broker sends to ask for a yes.

A new address says yes by choosing a password with the link, and has an account then; an existing
account logs in and answers on the portal's card (accounts.consent). Both get the same e-mail, sent
in the same way: the broker cannot tell them apart.

The token has 256 random bits and exists only in the e-mail; the database keeps its SHA-256. A link
lives EINBLICK_INVITATION_DAYS days, dies when used, and a new link for the same member (Link
versenden) kills the old one. Links are built from EINBLICK_BASE_URL, never from the request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from einblick.accounts import consent, mail
from einblick.accounts.models import Invitation, User
from einblick.brokers.models import LOGIN_ROLES, Broker, StaffMember
from einblick.grants.models import GrantMember, MemberState

TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return settings.BASE_URL + reverse("accept_invitation", kwargs={"token": token})


def send_invitation(*, member: GrantMember) -> None:
    """A new link for an invited member, replacing any earlier one, mailed after commit."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    Invitation.objects.filter(member=member).delete()
    Invitation.objects.create(
        member=member,
        token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.EINBLICK_INVITATION_DAYS),
    )
    broker = member.grant.broker
    mail.send_after_commit(
        mail.render(
            "invitation",
            to=member.email,
            broker=broker,
            context={"url": invitation_url(token), "days": settings.EINBLICK_INVITATION_DAYS},
        )
    )


def send_staff_invitation(*, staff: StaffMember) -> None:
    """A new link for a staff member without an account (tab Mitarbeiter), replacing any earlier one,
    mailed after commit. With the link they choose a password; the office then asks for a second
    factor."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    Invitation.objects.filter(staff=staff).delete()
    Invitation.objects.create(
        staff=staff,
        sent_to=staff.email,
        token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.EINBLICK_INVITATION_DAYS),
    )
    mail.send_after_commit(
        mail.render(
            "staff_invitation",
            to=staff.email,
            broker=staff.broker,
            context={"url": invitation_url(token), "days": settings.EINBLICK_INVITATION_DAYS},
        )
    )


def send_staff_notice(*, staff: StaffMember) -> None:
    """A known e-mail became staff: tell them the office is open to them."""
    mail.send_after_commit(
        mail.render(
            "staff_notice",
            to=staff.email,
            broker=staff.broker,
            context={"url": settings.BASE_URL + reverse("account_login")},
        )
    )


def send_access_notice(*, member: GrantMember) -> None:
    """A known e-mail was added to a grant: tell them there is something new to see."""
    broker = member.grant.broker
    mail.send_after_commit(
        mail.render(
            "access_notice",
            to=member.email,
            broker=broker,
            context={"url": settings.BASE_URL + reverse("account_login")},
        )
    )


def find_invitation(token: str) -> Invitation | None:
    """The open invitation for this token, or None when it is unknown, used, replaced or expired."""
    if not token or len(token) > 128:
        return None
    invitation = (
        Invitation.objects.select_related("member__grant__broker", "staff__broker")
        .filter(token_hash=_hash(token))
        .first()
    )
    if invitation is None or invitation.expires_at <= timezone.now():
        return None
    if invitation.member is not None and invitation.member.state != MemberState.INVITED:
        return None
    if invitation.staff is not None and (
        invitation.staff.role not in LOGIN_ROLES  # the role was taken away after the link was sent
        or invitation.sent_to.lower() != invitation.staff.email.lower()  # the address was changed
    ):
        return None
    return invitation


def check_password_for(invitation: Invitation, password: str) -> None:
    """Django's validators with the broker's name as a context word (raises ValidationError)."""
    validate_password(password, user=User(email=invitation.email))


@transaction.atomic
def accept_invitation(*, token: str, password: str, ip: str | None) -> User | None:
    """A new address says yes with its link: the account is made with the chosen password, and the
    inviting broker is accepted for what the link offered (accounts.consent.accept). Invitations of
    other brokers, and a staff invitation the link did not carry, wait for their answer on the
    portal's cards.

    Returns None when the link is not valid any more (used meanwhile by a parallel request, expired,
    replaced) or an account exists for the address by now: an existing account answers after login,
    never by holding a link."""
    invitation = find_invitation(token)
    if invitation is None:
        return None
    # Lock the row: of two parallel requests with the same link only one goes on.
    if not Invitation.objects.select_for_update().filter(pk=invitation.pk).exists():
        return None
    if User.objects.filter(email__iexact=invitation.email).exists():
        return None
    check_password_for(invitation, password)
    try:
        with transaction.atomic():
            user = User.objects.create_user(invitation.email, password)
    except IntegrityError:  # another invitation of the same address was accepted this moment
        return None
    # The yes is to what the link offered: a grant link does not take a staff role of the same
    # broker along (that waits for the card), a staff link does not need one.
    consent.accept(user=user, broker=invitation.broker, ip=ip, ids=[invitation.pk])
    return user


def decline_invitation(*, token: str) -> Broker | None:
    """*Ablehnen* with the link: the inviting broker's open invitations for the address end as
    declined. Returns the broker, or None when the link is not valid any more."""
    invitation = find_invitation(token)
    if invitation is None:
        return None
    broker = invitation.broker
    consent.decline(email=invitation.email, broker=broker)
    return broker
