"""Invitations (Teilen): the single-use link that turns an invited grant member into an account.

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

from einblick.accounts import mail
from einblick.accounts.models import Invitation, User
from einblick.audit.services import log_action
from einblick.brokers.models import LOGIN_ROLES, StaffMember
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
    """Create the account (or use the existing one), activate the membership, use up the link.

    Every other open invitation of the same address becomes active too: the address is now a known
    e-mail, and a known e-mail joins at once (issue 4). Returns None when the link is not valid
    any more (used meanwhile by a parallel request, expired, replaced)."""
    invitation = find_invitation(token)
    if invitation is None:
        return None
    # Lock the row: of two parallel requests with the same link only one goes on.
    if not Invitation.objects.select_for_update().filter(pk=invitation.pk).exists():
        return None
    email = invitation.email
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        check_password_for(invitation, password)
        try:
            with transaction.atomic():
                user = User.objects.create_user(email, password)
        except IntegrityError:  # another invitation of the same address was accepted this moment
            return None
    _mark_email_verified(user)
    if invitation.staff is not None:
        invitation.delete()
        log_action(
            broker=invitation.staff.broker,
            actor=user,
            action="account.invitation_accepted",
            object_type="staff",
            object_id=invitation.staff.external_id,
            ip=ip,
        )
    now = timezone.now()
    members = list(
        GrantMember.objects.select_related("grant__broker").filter(email=email, state=MemberState.INVITED)
    )
    GrantMember.objects.filter(pk__in=[m.pk for m in members]).update(state=MemberState.ACTIVE, joined_at=now)
    Invitation.objects.filter(member__in=members).delete()
    for member in members:
        log_action(
            broker=member.grant.broker,
            actor=user,
            action="account.invitation_accepted",
            object_type="grant",
            object_id=member.grant_id,
            ip=ip,
        )
    return user


def _mark_email_verified(user: User) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
