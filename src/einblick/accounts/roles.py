"""Who a user is to the brokers: staff (by their staff membership) and portal user (by grant membership).

Both are found by the user's e-mail address, which is unique ignoring case (domain.md §1)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower

from einblick.accounts.consent import accepted_brokers
from einblick.accounts.models import Consent, User
from einblick.brokers.models import LOGIN_ROLES, Broker, StaffMember
from einblick.grants.models import Grant, GrantMember


def staff_memberships(email: str) -> QuerySet[StaffMember]:
    """Staff rows that carry a login (role admin or user; role none is a clerk record only) whose staff
    role the person has accepted (domain.md §3: a staff role without the person's yes is no more than
    an invitation, and a yes to a broker's grants is not a yes to its office)."""
    return StaffMember.objects.filter(
        email__iexact=email, role__in=LOGIN_ROLES, broker_id__in=accepted_brokers(email, staff=True)
    ).select_related("broker")


def _flags(user: User) -> tuple[bool, bool]:
    """(staff with a login, member of a grant whose broker requires a second factor): asked by the
    middleware and the page frame on every request, so answered by one query, once per user object."""
    cached = getattr(user, "_einblick_flags", None)
    if cached is None:
        row = (
            User.objects.filter(pk=user.pk)
            .annotate(
                staff=Exists(staff_memberships(user.email)),
                portal_mfa=Exists(member_grants(user.email).filter(broker__portal_mfa_required=True)),
            )
            .values_list("staff", "portal_mfa")
            .first()
        )
        cached = (bool(row[0]), bool(row[1])) if row else (False, False)
        user._einblick_flags = cached  # type: ignore[attr-defined]
    return cached


def has_accepted() -> Exists:
    """For a queryset of StaffMember: whether the address has accepted a staff role of the broker."""
    return Exists(
        Consent.objects.filter(broker_id=OuterRef("broker_id"), email=Lower(OuterRef("email")), staff=True)
    )


def is_staff_user(user: User) -> bool:
    return user.is_authenticated and _flags(user)[0]


def member_grants(email: str) -> QuerySet[Grant]:
    """Grants in which this address is an active member, of every broker."""
    return Grant.objects.of_active_member(email)


def brokers_of(email: str) -> QuerySet[Broker]:
    """Every broker this address belongs to or is invited by: as staff (any role) or as a member of a
    grant (any state). For the broker's logo and colours and the password's context words; what a
    broker may learn of the person goes by audit_brokers."""
    email = email.lower()
    return Broker.objects.filter(
        pk__in=GrantMember.objects.filter(email=email).values("grant__broker_id")
    ) | Broker.objects.filter(pk__in=StaffMember.objects.filter(email__iexact=email).values("broker_id"))


def mfa_required(user: User) -> bool:
    """Staff always need a second factor; portal users when a broker of one of their grants says so."""
    return user.is_authenticated and any(_flags(user))


def audit_brokers(email: str) -> QuerySet[Broker]:
    """The brokers whose audit log sees this person's account events: brokers the person has
    accepted and still belongs to (staff with a login, or an active member of one of its grants)."""
    email = email.lower()
    return Broker.objects.filter(pk__in=member_grants(email).values("broker_id")) | Broker.objects.filter(
        pk__in=staff_memberships(email).values("broker_id")
    )
