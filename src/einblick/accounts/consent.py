"""Consent between brokers (domain.md §3): a person is linked to a broker only after saying yes.

A broker's first link to an address — a grant membership or a staff role — is an invitation. The
person answers it on the invitation link (a new address: by choosing a password) or, with an account,
on the card the portal shows after login (*Annehmen* / *Ablehnen*). Accepting records a Consent for
the broker and activates everything the broker has offered that address; declining turns its open
grant invitations into `declined` and ends its staff invitation. From then on *Teilen* activates at
once, as the seed says.

Nothing here looks at whether the address has an account: what a broker sees depends only on what
the person answered to that broker."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from einblick.accounts.models import Consent, Invitation, Refusal, User
from einblick.audit.services import log_action
from einblick.brokers.models import LOGIN_ROLES, Broker, StaffMember
from einblick.grants.models import Grant, GrantMember, MemberState


def has_accepted(broker: Broker | int, email: str, *, staff: bool = False) -> bool:
    """Whether the address said yes to this broker (with `staff`: to a staff role of it)."""
    broker_id = broker if isinstance(broker, int) else broker.pk
    rows = Consent.objects.filter(broker_id=broker_id, email=email.strip().lower())
    return (rows.filter(staff=True) if staff else rows).exists()


def accepted_brokers(email: str, *, staff: bool = False) -> QuerySet[Consent, Any]:
    """The broker ids this address has accepted (with `staff`: as staff), for a subquery:
    `broker_id__in=accepted_brokers(e)`."""
    rows = Consent.objects.filter(email=email.strip().lower())
    return (rows.filter(staff=True) if staff else rows).values("broker_id")


def refused(broker: Broker | int, email: str) -> bool:
    """Whether the address said no to this broker within EINBLICK_DECLINE_QUIET_DAYS."""
    broker_id = broker if isinstance(broker, int) else broker.pk
    since = timezone.now() - timedelta(days=settings.EINBLICK_DECLINE_QUIET_DAYS)
    return Refusal.objects.filter(
        broker_id=broker_id, email=email.strip().lower(), declined_at__gte=since
    ).exists()


def record(*, broker: Broker, email: str, staff: bool = False, at: datetime | None = None) -> None:
    """The person has said yes to this broker, with `staff` to a staff role of it too (idempotent;
    a staff yes is never taken back by a later yes to grants)."""
    email = email.strip().lower()
    try:
        with transaction.atomic():
            consent, created = Consent.objects.get_or_create(
                broker=broker, email=email, defaults={"accepted_at": at or timezone.now(), "staff": staff}
            )
    except IntegrityError:  # recorded at the same moment by a parallel request
        consent, created = Consent.objects.get(broker=broker, email=email), False
    if staff and not created and not consent.staff:
        Consent.objects.filter(pk=consent.pk).update(staff=True)


@dataclass
class Offer:
    """What one broker asks a person to accept: grants to see, or a staff role (the card's content)."""

    broker: Broker
    grants: list[Grant] = field(default_factory=list)
    staff: StaffMember | None = None
    expires_at: datetime | None = None
    invitations: list[int] = field(default_factory=list)  # what the card shows, and only that is answered
    accepted: bool = False  # the person said yes to this broker before (its grants); now it asks more


def _open_invitations(email: str) -> QuerySet[Invitation]:
    email = email.strip().lower()
    return Invitation.objects.filter(expires_at__gt=timezone.now()).filter(
        Q(member__email=email, member__state=MemberState.INVITED)
        | Q(staff__email__iexact=email, sent_to__iexact=email, staff__role__in=LOGIN_ROLES)
    )


def pending(email: str) -> list[Offer]:
    """The brokers waiting for this person's answer, each with what it offers, by broker name. An
    invitation that expired is not offered any more (ignoring one lets it expire)."""
    offers: dict[int, Offer] = {}
    rows = _open_invitations(email).select_related("member__grant__broker", "staff__broker").order_by("pk")
    for invitation in rows:
        broker = invitation.broker
        offer = offers.setdefault(broker.pk, Offer(broker=broker))
        offer.invitations.append(invitation.pk)
        if invitation.member is not None:
            offer.grants.append(invitation.member.grant)
        else:
            offer.staff = invitation.staff
        if offer.expires_at is None or invitation.expires_at > offer.expires_at:
            offer.expires_at = invitation.expires_at
    known = set(
        accepted_brokers(email).filter(broker_id__in=list(offers)).values_list("broker_id", flat=True)
    )
    for offer in offers.values():
        offer.accepted = offer.broker.pk in known
    return sorted(offers.values(), key=lambda o: (o.broker.name.casefold(), o.broker.pk))


def has_pending(email: str) -> bool:
    return _open_invitations(email).exists()


def _answered(email: str, broker: Broker, ids: Collection[int] | None) -> list[Invitation]:
    """The open invitations of this broker for the address, locked; with `ids` only those (what the
    card showed: something the broker added meanwhile waits for its own answer)."""
    rows = _open_invitations(email).filter(Q(member__grant__broker=broker) | Q(staff__broker=broker))
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return list(rows.select_for_update(of=("self",)).select_related("member__grant", "staff"))


@transaction.atomic
def accept(*, user: User, broker: Broker, ip: str | None, ids: Collection[int] | None = None) -> bool:
    """Yes to this broker: a consent, and the invitations answered (those of `ids`, or all the
    broker has open for the address) become active. A yes to the broker takes its other open grant
    invitations along (*Teilen* would now activate at once anyway), but never a staff invitation that
    was not answered: a staff role needs its own yes. False when nothing answered was open any more
    (answered meanwhile, expired, withdrawn)."""
    email = user.email.lower()
    answered = _answered(email, broker, ids)
    if not answered:
        return False
    record(broker=broker, email=email, staff=any(i.staff_id is not None for i in answered))
    Refusal.objects.filter(broker=broker, email=email).delete()
    invitations = {i.pk: i for i in answered}
    invitations |= {i.pk: i for i in _answered(email, broker, None) if i.member_id is not None}
    now = timezone.now()
    members = [i.member_id for i in invitations.values() if i.member_id is not None]
    GrantMember.objects.filter(pk__in=members, state=MemberState.INVITED).update(
        state=MemberState.ACTIVE, joined_at=now
    )
    Invitation.objects.filter(pk__in=list(invitations)).delete()
    for invitation in invitations.values():
        _log(broker, user, "account.invitation_accepted", invitation, ip)
    return True


@transaction.atomic
def decline(*, email: str, broker: Broker, ids: Collection[int] | None = None) -> bool:
    """No to this broker: its open grant invitations for the address (or those of `ids`) become
    `declined` (what the broker sees) and its staff invitation ends. Nothing is linked; the person's
    account, if any, stays unknown to the broker."""
    email = email.strip().lower()
    invitations = _answered(email, broker, ids)
    if not invitations:
        return False
    members = [i.member.pk for i in invitations if i.member is not None]
    GrantMember.objects.filter(pk__in=members, state=MemberState.INVITED).update(state=MemberState.DECLINED)
    Refusal.objects.update_or_create(broker=broker, email=email, defaults={"declined_at": timezone.now()})
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).delete()
    for invitation in invitations:
        _log(broker, None, "account.invitation_declined", invitation, None, email=email)
    return True


def _log(
    broker: Broker, user: User | None, action: str, invitation: Invitation, ip: str | None, email: str = ""
) -> None:
    """Accepted: the person, with their IP, as at a login. Declined: only the address the broker
    invited, without the person's account or IP."""
    if invitation.member is not None:
        object_type, object_id = "grant", invitation.member.grant_id
    else:
        object_type, object_id = "staff", invitation.staff.external_id  # type: ignore[union-attr]
    log_action(
        broker=broker,
        actor=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        ip=ip,
        data={"email": email} if email else None,
        without_ip=user is None,
    )
