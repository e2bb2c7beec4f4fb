"""The broker and the office's settings tabs: a new broker with its line catalogue; tariff accounts,
staff, lines, appearance.

Tariff accounts, staff and lines are also the AMS's objects (api-v1.md): the office writes them through
the same import path as a PUT (portfolio.importing.put_object/delete_object), so one judge decides, the
import's fingerprints stay right and what the grants show is announced as changed. Objects the office
creates get an external id of their own (`web-` and 8 hex digits) that the AMS may adopt."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from einblick.accounts import consent, invitations
from einblick.accounts.models import Invitation
from einblick.audit.services import Actor, log_action
from einblick.brokers.models import (
    LOGIN_ROLES,
    NAME_PROBLEMS,
    Broker,
    StaffMember,
    TariffAccount,
    name_key,
    name_problem,
)
from einblick.brokers.services import data_changed
from einblick.errors import Conflict, FieldError, Invalid, from_validation
from einblick.errors import messages as M
from einblick.grants.models import Grant
from einblick.office.admins import lost_admins
from einblick.portfolio.catalogue import DEFAULT_LINES
from einblick.portfolio.importing import delete_object, put_object
from einblick.portfolio.models import Line
from einblick.text import is_email


@transaction.atomic
def create_broker(*, slug: str, name: str, actor: Actor = None) -> Broker:
    """A new tenant with the default line catalogue."""
    if Broker.objects.filter(slug=slug).exists():
        raise Conflict(M.BROKER_SLUG_TAKEN % {"slug": repr(slug)}, [FieldError(("slug",), M.TAKEN)])
    broker = Broker(slug=slug, name=" ".join(name.split()))
    _name_free(broker)
    try:
        broker.full_clean()
    except ValidationError as exc:
        raise Invalid(M.BROKER_INVALID, from_validation(exc)) from None
    broker.save()
    Line.objects.bulk_create(
        [
            Line(broker=broker, code=code, label=label, group=group, gdv=gdv)
            for code, label, group, gdv in DEFAULT_LINES
        ]
    )
    log_action(broker=broker, actor=actor, action="broker.created", object_type="broker", object_id=slug)
    return broker


def _name_free(broker: Broker) -> None:
    """Two brokers of one installation never carry the same name (domain.md §3): compared as a reader
    sees it (brokers.models.name_key), and written so that it shows as it is (name_problem)."""
    if problem := name_problem(broker.name):
        raise Invalid(NAME_PROBLEMS[problem], [FieldError(("name",), NAME_PROBLEMS[problem])])
    taken = Broker.objects.filter(name_key=name_key(broker.name)).exclude(pk=broker.pk).first()
    if taken is not None:  # broker names are public: every portal page shows its own
        raise Conflict(M.BROKER_NAME_TAKEN % {"name": taken.name}, [FieldError(("name",), M.NAME_TAKEN)])


def new_external_id(model: type[StaffMember] | type[TariffAccount], broker: Broker) -> str:
    while True:
        candidate = f"web-{secrets.token_hex(4)}"
        if not model.objects.filter(broker=broker, external_id=candidate).exists():
            return candidate


# Tarifrechner


def save_tariff_account(
    *, broker: Broker, actor: Actor, name: str, url: str, account: TariffAccount | None = None
) -> TariffAccount:
    external_id = account.external_id if account else new_external_id(TariffAccount, broker)
    put_object(
        broker=broker, actor=actor, section="tariff_accounts", external_id=external_id,
        data={"name": name, "url": url},
    )  # fmt: skip
    return TariffAccount.objects.get(broker=broker, external_id=external_id)


def delete_tariff_account(*, account: TariffAccount, actor: Actor) -> None:
    """Grants that used it lose their calculator: offer creation falls back to the request form."""
    delete_object(
        broker=account.broker, actor=actor, section="tariff_accounts", external_id=account.external_id
    )


# Sparten


def edit_line(*, line: Line, actor: Actor, label: str, group: str) -> None:
    """Label and dashboard group; the code and the GDV code stay as the catalogue has them."""
    put_object(
        broker=line.broker, actor=actor, section="lines", external_id=line.code,
        data={"label": label, "group": group, "gdv": line.gdv},
    )  # fmt: skip


# Mitarbeiter


def _tell(staff: StaffMember, actor: Actor) -> None:
    """A staff member with a login role: a notice that the office is open to them when they have
    accepted a staff role of the broker already, else an invitation (domain.md §3: the same mail
    whether or not the address has an account; with one, they answer on the portal's card after
    login)."""
    if consent.refused(staff.broker, staff.email) and not consent.has_accepted(staff.broker, staff.email):
        raise Conflict(M.PERSON_DECLINED, [FieldError(("email",), M.PERSON_DECLINED)])
    if consent.has_accepted(staff.broker, staff.email, staff=True):
        invitations.send_staff_notice(staff=staff)
        log_action(broker=staff.broker, actor=actor, action="staff.notified", object_type="staff",
                   object_id=staff.external_id, data={"email": staff.email})  # fmt: skip
    else:
        invitations.send_staff_invitation(staff=staff)
        log_action(broker=staff.broker, actor=actor, action="staff.invitation_sent", object_type="staff",
                   object_id=staff.external_id, data={"email": staff.email})  # fmt: skip


@transaction.atomic
def add_staff(
    *, broker: Broker, actor: Actor, name: str, email: str, role: str, phone: str = ""
) -> StaffMember:
    """A new staff member; with role admin or user they are invited by e-mail."""
    email = email.strip().lower()
    if not is_email(email):
        raise Invalid(M.EMAIL_INVALID, [FieldError(("email",), M.EMAIL_FIELD)])
    if StaffMember.objects.filter(broker=broker, email__iexact=email).exists():
        raise Conflict(M.STAFF_EXISTS, [FieldError(("email",), M.STAFF_EXISTS_FIELD)])
    external_id = new_external_id(StaffMember, broker)
    put_object(
        broker=broker, actor=actor, section="staff", external_id=external_id,
        data={"name": name, "email": email, "phone": phone, "role": role},
    )  # fmt: skip
    staff = StaffMember.objects.select_related("broker").get(broker=broker, external_id=external_id)
    if staff.role in LOGIN_ROLES:
        _tell(staff, actor)
    return staff


def _locked(staff: StaffMember) -> StaffMember:
    """Lock the broker's row, so that the office's staff changes of one broker happen one after the
    other, and read the staff member afresh under that lock (the caller's copy may be old)."""
    Broker.objects.select_for_update().filter(pk=staff.broker_id).exists()
    fresh = StaffMember.objects.select_related("broker").filter(pk=staff.pk).first()
    if fresh is None:
        raise Conflict(M.STAFF_REMOVED, [FieldError(("role",), M.REMOVED_MEANWHILE)])
    return fresh


def _keep_an_admin(staff: StaffMember, new_role: str | None) -> None:
    """The broker always keeps an administrator who can log in (who has accepted the staff role):
    the last one can neither remove themselves nor give up the role (office.admins: the same rule as
    the API's). Called under _locked."""
    if lost_admins(
        staff.broker_id, {staff.external_id: None if new_role is None else (new_role, staff.email)}
    ):
        raise Conflict(M.LAST_ADMIN, [FieldError(("role",), M.LAST_ADMIN_FIELD)])


@transaction.atomic
def change_staff(*, staff: StaffMember, actor: Actor, name: str, phone: str, role: str) -> None:
    """Name, phone and role. Losing the login role ends an open invitation and the clerk duty: the
    grants they were clerk of have none (a clerk must be able to log in)."""
    staff = _locked(staff)
    _keep_an_admin(staff, role)
    was = staff.role
    put_object(
        broker=staff.broker, actor=actor, section="staff", external_id=staff.external_id,
        data={"name": name, "email": staff.email, "phone": phone, "role": role},
    )  # fmt: skip
    if role == was:
        return
    log_action(broker=staff.broker, actor=actor, action="staff.role_changed", object_type="staff",
               object_id=staff.external_id, data={"from": was, "to": role})  # fmt: skip
    if was not in LOGIN_ROLES and role in LOGIN_ROLES:
        _tell(staff, actor)
    elif role not in LOGIN_ROLES:
        Invitation.objects.filter(staff=staff).delete()
        grants = list(Grant.objects.filter(clerk=staff).values_list("pk", flat=True))
        if grants:
            Grant.objects.filter(pk__in=grants).update(clerk=None, updated_at=timezone.now())
            data_changed(staff.broker_id)
            log_action(broker=staff.broker, actor=actor, action="staff.clerk_removed", object_type="staff",
                       object_id=staff.external_id, data={"grants": grants})  # fmt: skip


@transaction.atomic
def remove_staff(*, staff: StaffMember, actor: Actor) -> None:
    """Grants whose clerk they were keep no clerk; their processes stay."""
    staff = _locked(staff)
    _keep_an_admin(staff, None)
    delete_object(broker=staff.broker, actor=actor, section="staff", external_id=staff.external_id)


@transaction.atomic
def resend_staff_invitation(*, staff: StaffMember, actor: Actor) -> None:
    staff = _locked(staff)
    if staff.role not in LOGIN_ROLES:
        raise Conflict(M.STAFF_WITHOUT_LOGIN, [FieldError(("role",), M.ROLE_WITHOUT_LOGIN)])
    _tell(staff, actor)


# Erscheinungsbild


@transaction.atomic
def update_appearance(
    *, broker: Broker, actor: Actor, name: str, reply_to: str, brand_color: str, accent_color: str
) -> None:
    """Name (unique on the installation), the office's reply address for the portal's e-mails, and
    the colours."""
    fields = ("name", "reply_to", "brand_color", "accent_color")
    Broker.objects.select_for_update().filter(pk=broker.pk).exists()  # renames one after the other
    before = {f: getattr(broker, f) for f in fields}
    broker.name = " ".join(name.split())
    broker.reply_to = reply_to.strip().lower()
    if broker.reply_to and not is_email(broker.reply_to):
        raise Invalid(M.APPEARANCE_INVALID, [FieldError(("reply_to",), M.EMAIL_FIELD)])
    broker.brand_color, broker.accent_color = brand_color.lower(), accent_color.lower()
    _name_free(broker)
    try:
        broker.full_clean(exclude=["slug", "webhook_url"])
    except ValidationError as exc:
        raise Invalid(M.APPEARANCE_INVALID, from_validation(exc)) from None
    after = {f: getattr(broker, f) for f in before}
    if after == before:
        return
    try:
        with transaction.atomic():
            broker.save(update_fields=[*before, "name_key"])
    except IntegrityError:  # the same name taken by another broker at this moment
        raise Conflict(
            M.BROKER_NAME_TAKEN % {"name": broker.name}, [FieldError(("name",), M.NAME_TAKEN)]
        ) from None
    # The broker's name is on cached pages (the frame is not cached, but the coverage texts may be).
    data_changed(broker.pk)
    log_action(
        broker=broker, actor=actor, action="broker.appearance_changed",
        data={f: after[f] for f in after if after[f] != before[f]},
    )  # fmt: skip
