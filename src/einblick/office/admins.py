"""The broker keeps an administrator who can log in: a staff member with role admin who has accepted
the broker's staff role (accounts.roles.has_accepted). The same rule whichever door a staff change
comes through: the office's *Mitarbeiter* tab (office.brokers) and the AMS's `PUT` and `DELETE
/staff/{id}` and batch import, which the API sends through the functions below instead of the import's
put_object, delete_object and import_batch (the import sits below accounts and cannot ask it).

A change that would take the last such administrator away (a role other than admin, an address that
has not accepted the staff role, or removal) is refused with 409; in a partial import that staff
object is rejected and the rest applied. A broker none of whose administrators has accepted yet (a new
broker whose AMS sends its staff before anybody has said yes) has nothing to keep: the rule starts
with the first acceptance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from pydantic import ValidationError

from einblick.accounts.models import Consent
from einblick.accounts.roles import has_accepted
from einblick.audit.services import Actor
from einblick.brokers.models import Broker, StaffMember, StaffRole, is_external_id
from einblick.errors import Conflict, FieldError
from einblick.errors import messages as M
from einblick.portfolio.importing import BatchResult, Mode, delete_object, import_batch, put_object
from einblick.portfolio.payloads import StaffIn

# A staff member after a change: (role, e-mail address), or None when removed.
StaffChange = tuple[str, str] | None


def lost_admins(broker_id: int, changes: Mapping[str, StaffChange]) -> list[str]:
    """The external ids among `changes` that would take the broker's last administrators who can log
    in away; empty when the broker keeps one. Call it with the broker's row locked (lock_broker)."""
    admins = set(
        StaffMember.objects.filter(broker_id=broker_id, role=StaffRole.ADMIN)
        .filter(has_accepted())
        .values_list("external_id", flat=True)
    )
    touched = [key for key in changes if key in admins]
    if not admins or len(touched) < len(admins):  # none to keep, or one stays as they are
        return []
    new_admins = {c[1].strip().lower() for c in changes.values() if c is not None and c[0] == StaffRole.ADMIN}
    if Consent.objects.filter(broker_id=broker_id, staff=True, email__in=new_admins).exists():
        return []  # one stays admin with an accepted address, or another becomes one
    return touched


def lock_broker(broker_id: int) -> None:
    """Staff changes of one broker one after the other (until the transaction ends), so that two
    parallel demotions cannot each leave the other as the last administrator."""
    Broker.objects.select_for_update().filter(pk=broker_id).exists()


@transaction.atomic
def put_staff(*, broker: Broker, actor: Actor, external_id: str, data: StaffIn) -> str:
    """PUT /staff/{id}: create or replace, unless it takes the last administrator who can log in away."""
    lock_broker(broker.pk)
    if lost_admins(broker.pk, {external_id: (data.role, data.email)}):
        field = "role" if data.role != StaffRole.ADMIN else "email"
        raise Conflict(M.LAST_LOGIN_ADMIN, [FieldError((field,), M.LAST_LOGIN_ADMIN_FIELD)])
    return put_object(broker=broker, actor=actor, section="staff", external_id=external_id, data=data)


@transaction.atomic
def delete_staff(*, broker: Broker, actor: Actor, external_id: str) -> bool:
    """DELETE /staff/{id}; False when there was none."""
    lock_broker(broker.pk)
    if lost_admins(broker.pk, {external_id: None}):
        raise Conflict(M.LAST_LOGIN_ADMIN, [FieldError(("path", "external_id"), M.LAST_LOGIN_ADMIN_FIELD)])
    return delete_object(broker=broker, actor=actor, section="staff", external_id=external_id)


def import_keeping_an_admin(
    *, broker: Broker, actor: Actor, data: Any, mode: Mode, announce: bool = True
) -> BatchResult:
    """POST /import and `einblick import`. Staff objects that would take the last administrator who can log in away: in
    atomic mode 409 and nothing applied; in partial mode they are rejected and the rest applied."""
    staff = data.get("staff") if isinstance(data, Mapping) else None
    if not isinstance(staff, Mapping) or not staff:
        return import_batch(broker=broker, actor=actor, data=data, mode=mode, announce=announce)
    with transaction.atomic():
        lock_broker(broker.pk)
        lost = lost_admins(broker.pk, _changes(staff))
        errors = [FieldError(("staff", key, "role"), M.LAST_LOGIN_ADMIN_FIELD) for key in lost]
        if errors and mode == "atomic":
            raise Conflict(M.LAST_LOGIN_ADMIN, errors)
        if errors:
            data = {**data, "staff": {key: obj for key, obj in staff.items() if key not in lost}}
        result = import_batch(broker=broker, actor=actor, data=data, mode=mode, announce=announce)
    result.errors = errors + result.errors
    return result


def _changes(staff: Mapping[Any, Any]) -> dict[str, StaffChange]:
    """What the import would make of each staff object; objects it would reject change nothing."""
    changes: dict[str, StaffChange] = {}
    for key, raw in staff.items():
        if not (isinstance(key, str) and is_external_id(key)):
            continue
        try:
            valid = StaffIn.model_validate(raw)
        except ValidationError:
            continue
        changes[key] = (valid.role, valid.email)
    return changes
