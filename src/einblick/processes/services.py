"""Writes for processes: a portal user writes to the office, the office (staff inbox or AMS) answers
or starts a conversation, the AMS acknowledges. Every write checks what the server must check itself
(visibility.md §6: primary contact and the permission; the process visible to the user), is atomic,
and mails after commit: the clerk on a new process, the user on an answer — that there is news, never
the content."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from einblick.accounts.models import User
from einblick.audit.services import Actor, log_action
from einblick.brokers.models import StaffMember
from einblick.errors import Conflict, FieldError, Invalid
from einblick.errors import messages as M
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.processes import files, notices, webhooks
from einblick.processes.models import Attachment, Message, Process, ProcessState, ProcessType, ReadMark
from einblick.text import without_invisible

MAX_SUBJECT = 200
MAX_BODY = 20_000


def clean_text(value: str, field: str, limit: int, *, free: bool = False) -> str:
    """Trimmed text without NUL bytes; Invalid naming the field when empty or too long. Text that is
    not `free` (subjects, references) loses bidi controls and invisible characters (einblick.text);
    free text (bodies) keeps them and is isolated where it is shown."""
    text = value.replace("\x00", "").strip()
    if not free:
        text = without_invisible(text).strip()
    if not text:
        raise Invalid(M.REQUEST_INVALID, [FieldError((field,), M.NOT_EMPTY)])
    if len(text) > limit:
        raise Invalid(M.REQUEST_INVALID, [FieldError((field,), M.AT_MOST_CHARACTERS % {"limit": limit})])
    return text


def _may_write(grant: Grant) -> None:
    if not visibility.permissions(grant)["messages"]:
        raise PermissionDenied("This grant does not allow messages.")


def user_name(user: User) -> str:
    return user.get_full_name() or user.email


def attach(message: Message, checked: list[files.Checked]) -> None:
    """Store the files and their rows; the files written so far are removed when anything fails."""
    written: list[str] = []
    try:
        for item in checked:
            fields = files.store(item)
            written.append(fields["stored"])
            Attachment.objects.create(message=message, **fields)
    except BaseException:
        files.remove(written)
        raise


@transaction.atomic
def start_message(
    *, grant: Grant, user: User, subject: str, body: str, uploads: Sequence[UploadedFile] = ()
) -> Process:
    """A portal user writes to the office (type MESSAGE), assigned to the grant's clerk."""
    _may_write(grant)
    checked = files.check(uploads)
    errors = []
    try:
        subject = clean_text(subject, "subject", MAX_SUBJECT)
    except Invalid as exc:
        errors += exc.errors
    try:
        body = clean_text(body, "body", MAX_BODY, free=True)
    except Invalid as exc:
        errors += exc.errors
    if errors:
        raise Invalid(M.MESSAGE_NOT_SENT, errors)
    process = Process.objects.create(
        broker_id=grant.broker_id,
        grant=grant,
        type=ProcessType.MESSAGE,
        subject=subject,
        created_by=user,
        clerk=grant.clerk,
    )
    message = Message.objects.create(
        process=process, author_user=user, author_name=user_name(user), body=body
    )
    attach(message, checked)
    opened(process, grant=grant, user=user)
    return process


def opened(process: Process, *, grant: Grant, user: User) -> None:
    """What every process a portal user starts gets, in its transaction: read by its author, written to
    the audit log, announced to the AMS's webhook and (after commit) to the clerk."""
    mark_read(process, user.email)
    log_action(
        broker=grant.broker,
        actor=user,
        action="process.created",
        object_type="process",
        object_id=process.pk,
        data={"type": process.type},
    )
    webhooks.announce(process)
    notices.tell_clerk(process)


@transaction.atomic
def reply_as_user(
    *, process: Process, grant: Grant, user: User, body: str, uploads: Sequence[UploadedFile] = ()
) -> Message:
    """A portal user answers in a process the grant shows them (the caller looked it up through
    visibility.processes_q); writing needs the messages permission."""
    _may_write(grant)
    if (
        process.grant_id != grant.pk
        or not Process.objects.visible(grant, user.email).filter(pk=process.pk).exists()
    ):
        raise PermissionDenied("Not a process of this user.")
    if process.state == ProcessState.CLOSED:
        raise Conflict(M.PROCESS_CLOSED, [FieldError(("process",), M.PROCESS_CLOSED_FIELD)])
    checked = files.check(uploads)
    message = Message.objects.create(
        process=process,
        author_user=user,
        author_name=user_name(user),
        body=clean_text(body, "body", MAX_BODY, free=True),
    )
    attach(message, checked)
    Process.objects.filter(pk=process.pk).update(office_unread=True, updated_at=timezone.now())
    mark_read(process, user.email)
    notices.tell_clerk(process)
    return message


@transaction.atomic
def reply_as_office(*, process: Process, author: StaffMember, body: str, actor: Actor) -> Message:
    """The office answers (staff inbox or POST /processes/{id}/messages); the user is told."""
    if author.broker_id != process.broker_id:
        raise Invalid(M.REQUEST_INVALID, [FieldError(("author",), M.NOT_STAFF_OF_BROKER)])
    message = Message.objects.create(
        process=process,
        author_staff=author,
        author_name=author.name,
        body=clean_text(body, "body", MAX_BODY, free=True),
    )
    Process.objects.filter(pk=process.pk).update(updated_at=timezone.now())
    log_action(
        broker=author.broker,
        actor=actor,
        action="process.answered",
        object_type="process",
        object_id=process.pk,
    )
    notices.tell_user(process)
    return message


@transaction.atomic
def start_conversation(
    *, grant: Grant, recipient: str, subject: str, body: str, author: StaffMember, actor: Actor
) -> Process:
    """The office writes to an active member of the grant (POST /processes)."""
    recipient = recipient.strip().lower()
    errors = []
    if author.broker_id != grant.broker_id:
        errors.append(FieldError(("author",), M.NOT_STAFF_OF_BROKER))
    if not grant.members.active(recipient).exists():
        errors.append(FieldError(("recipient",), M.NOT_ACTIVE_MEMBER))
    for field, value, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        try:
            clean_text(value, field, limit)
        except Invalid as exc:
            errors += exc.errors
    if errors:
        raise Invalid(M.CONVERSATION_NOT_STARTED, errors)
    process = Process.objects.create(
        broker_id=grant.broker_id,
        grant=grant,
        type=ProcessType.MESSAGE,
        subject=clean_text(subject, "subject", MAX_SUBJECT),
        created_by=User.objects.filter(email__iexact=recipient).first(),
        recipient=recipient,
        clerk=grant.clerk,
        office_unread=False,
    )
    Message.objects.create(
        process=process,
        author_staff=author,
        author_name=author.name,
        body=clean_text(body, "body", MAX_BODY, free=True),
    )
    log_action(
        broker=grant.broker,
        actor=actor,
        action="process.started_by_office",
        object_type="process",
        object_id=process.pk,
        data={"recipient": recipient},
    )
    webhooks.announce(process)
    notices.tell_user(process)
    return process


@transaction.atomic
def acknowledge(*, process: Process, ams_reference: str, actor: Actor) -> Process:
    """The AMS has taken the process over. Idempotent: the same reference again changes nothing; a
    different one is a conflict (409)."""
    reference = clean_text(ams_reference, "ams_reference", 100)
    locked = Process.objects.select_for_update().get(pk=process.pk)
    if locked.ams_reference:
        if locked.ams_reference != reference:
            raise Conflict(
                M.OTHER_REFERENCE,
                [FieldError(("ams_reference",), M.ALREADY_REFERENCE % {"reference": locked.ams_reference})],
            )
        return locked
    locked.ams_reference = reference
    locked.acknowledged_at = timezone.now()
    if locked.state == ProcessState.NEW:
        locked.state = ProcessState.ACKNOWLEDGED
    locked.save(update_fields=["ams_reference", "acknowledged_at", "state", "updated_at"])
    log_action(
        broker=locked.broker,
        actor=actor,
        action="process.acknowledged",
        object_type="process",
        object_id=locked.pk,
    )
    return locked


@transaction.atomic
def close(*, process: Process, actor: Actor) -> None:
    """Done: the thread takes no more answers from the user (the office may still write)."""
    if process.state == ProcessState.CLOSED:
        return
    Process.objects.filter(pk=process.pk).update(state=ProcessState.CLOSED, closed_at=timezone.now())
    log_action(
        broker=process.broker,
        actor=actor,
        action="process.closed",
        object_type="process",
        object_id=process.pk,
    )


def mark_read(process: Process, email: str) -> None:
    ReadMark.objects.update_or_create(
        process=process, email=email.lower(), defaults={"read_at": timezone.now()}
    )


def unread_for(processes: list[Process], email: str) -> set[str]:
    """The ids of those processes with an office message the user has not read yet."""
    marks = dict(
        ReadMark.objects.filter(process__in=processes, email=email.lower()).values_list(
            "process_id", "read_at"
        )
    )
    last_office = dict(
        Message.objects.filter(process__in=processes, author_user__isnull=True)
        .order_by()
        .values("process_id")
        .annotate(last=Max("created_at"))
        .values_list("process_id", "last")
    )
    return {pk for pk, last in last_office.items() if pk not in marks or marks[pk] < last}
