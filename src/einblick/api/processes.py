"""The AMS outbox (api-v1.md "Processes"): processes oldest first, one with its messages, acknowledge,
answer as a staff member, start a conversation with a member. Another broker's process: 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status

from einblick.api.common import ERRORS, Limit, actor_of, broker_of
from einblick.api.http import ApiRequest
from einblick.brokers.models import EXTERNAL_ID_PATTERN, StaffMember
from einblick.errors import FieldError, Invalid, explain_pattern
from einblick.grants.models import Grant
from einblick.processes import files, services
from einblick.processes.models import Attachment, Message, Process

router = Router(tags=["processes"])
ProcessId = Path(
    ...,
    pattern=explain_pattern(r"^p_[A-Za-z0-9_-]{1,22}$", "not a process id"),
    description="The process's opaque id",
)
StaffId = Field(..., pattern=EXTERNAL_ID_PATTERN, description="The writing staff member's external id")


class AttachmentOut(Schema):
    name: str
    size: int
    content_type: str
    url: str


class MessageOut(Schema):
    id: int
    author: str = Field(description="a staff member's external id, or the portal user's e-mail address")
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]


class ProcessOut(Schema):
    id: str
    type: Literal["MESSAGE", "CLAIM_REPORT", "ONLINE_VERTRAG", "OFFER_REQUEST"]
    state: Literal["new", "acknowledged", "closed"]
    grant: str | None
    customer: str | None
    contract: str | None
    created_by: str | None = Field(description="the portal user's e-mail address")
    clerk: str | None
    created_at: datetime
    subject: str
    payload: dict[str, Any]
    ams_reference: str | None
    messages: list[MessageOut]


class ProcessPage(Schema):
    items: list[ProcessOut]
    next: str | None


class AckIn(Schema):
    ams_reference: str = Field(..., min_length=1, max_length=100)


class ReplyIn(Schema):
    body: str = Field(..., min_length=1, max_length=services.MAX_BODY)
    author: str = StaffId


class ConversationIn(Schema):
    grant: str = Field(..., pattern=r"^[A-Za-z0-9_-]{1,24}$")
    recipient: str = Field(..., max_length=254)
    subject: str = Field(..., min_length=1, max_length=services.MAX_SUBJECT)
    body: str = Field(..., min_length=1, max_length=services.MAX_BODY)
    author: str = StaffId


def _processes(request: ApiRequest) -> QuerySet[Process]:
    messages = (
        Message.objects.select_related("author_user", "author_staff")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    return (
        Process.objects.filter(broker=broker_of(request))
        .select_related("customer", "contract", "clerk", "created_by")
        .prefetch_related(Prefetch("messages", queryset=messages))
    )


def _process(request: ApiRequest, process_id: str) -> Process:
    return get_object_or_404(_processes(request), pk=process_id)


def _message_out(message: Message) -> dict[str, Any]:
    if message.author_staff is not None:
        author = message.author_staff.external_id
    elif message.author_user is not None:
        author = message.author_user.email
    else:
        author = message.author_name  # the writer's account or staff record is gone
    return {
        "id": message.pk,
        "author": author,
        "body": message.body,
        "created_at": message.created_at,
        "attachments": [
            {
                "name": item.name,
                "size": item.size,
                "content_type": item.content_type,
                "url": reverse("api-v1:process_attachment", args=[message.process_id, item.pk]),
            }
            for item in message.attachments.all()
        ],
    }


def process_out(process: Process) -> dict[str, Any]:
    return {
        "id": process.pk,
        "type": process.type,
        "state": process.state,
        "grant": process.grant_id,
        "customer": process.customer.external_id if process.customer else None,
        "contract": process.contract.external_id if process.contract else None,
        "created_by": process.created_by.email if process.created_by else None,
        "clerk": process.clerk.external_id if process.clerk else None,
        "created_at": process.created_at,
        "subject": process.subject,
        "payload": process.payload,
        "ams_reference": process.ams_reference or None,
        "messages": [_message_out(m) for m in process.messages.all()],
    }


def _cursor(process: Process) -> str:
    return f"{int(process.created_at.timestamp() * 1_000_000)}:{process.pk}"


# "<microseconds>:<process id>" of the last process of the previous page; every cursor of this form is
# a position in the list (the OpenAPI document states the pattern, the server has no other rule).
PROCESS_CURSOR: Any = Query(
    None,
    pattern=explain_pattern(
        r"^([0-9]{1,16}:p_[A-Za-z0-9_-]{1,22})?$", "not a cursor: use the next of a previous page"
    ),
    description="The `next` of the previous page; empty or absent: the first.",
)
ProcessStateName = Literal["new", "acknowledged", "closed"]


def _after(cursor: str) -> Q:
    micros, _, pk = cursor.partition(":")
    moment = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
    return Q(created_at__gt=moment) | Q(created_at=moment, pk__gt=pk)


@router.get("/processes", response={200: ProcessPage, **ERRORS})
def list_processes(
    request: ApiRequest,
    state: ProcessStateName | None = None,
    limit: int = Limit,
    cursor: str | None = PROCESS_CURSOR,
) -> dict[str, Any]:
    """Oldest first. `state`: new (not yet acknowledged), acknowledged or closed."""
    rows = _processes(request)
    if state is not None:
        rows = rows.filter(state=state)
    if cursor:
        rows = rows.filter(_after(cursor))
    found = list(rows.order_by("created_at", "pk")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return {"items": [process_out(p) for p in found], "next": _cursor(found[-1]) if more else None}


@router.get("/processes/{id}", response={200: ProcessOut, **ERRORS})
def get_process(request: ApiRequest, id: str = ProcessId) -> dict[str, Any]:
    return process_out(_process(request, id))


@router.post("/processes/{id}/ack", response={200: ProcessOut, **ERRORS})
def ack_process(request: ApiRequest, body: AckIn, id: str = ProcessId) -> dict[str, Any]:
    """Idempotent: the same reference again answers 200 and changes nothing; another one 409."""
    services.acknowledge(
        process=_process(request, id), ams_reference=body.ams_reference, actor=actor_of(request)
    )
    return process_out(_process(request, id))


def _author(request: ApiRequest, external_id: str) -> StaffMember:
    author = StaffMember.objects.filter(broker=broker_of(request), external_id=external_id).first()
    if author is None:
        raise Invalid(
            "The request is invalid.", [FieldError(("author",), f"staff member {external_id} does not exist")]
        )
    return author


@router.post("/processes/{id}/messages", response={201: ProcessOut, **ERRORS})
def answer_process(request: ApiRequest, body: ReplyIn, id: str = ProcessId) -> Status:
    """An answer from the office; the user is told by e-mail that there is news."""
    process = _process(request, id)
    services.reply_as_office(
        process=process, author=_author(request, body.author), body=body.body, actor=actor_of(request)
    )
    return Status(201, process_out(_process(request, id)))


@router.post("/processes", response={201: ProcessOut, **ERRORS})
def start_process(request: ApiRequest, body: ConversationIn) -> Status:
    """The office starts a conversation with an active member of one of its grants."""
    grant = (
        Grant.objects.filter(broker=broker_of(request), pk=body.grant)
        .select_related("broker", "clerk")
        .first()
    )
    if grant is None:
        raise Invalid(
            "The request is invalid.", [FieldError(("grant",), f"grant {body.grant} does not exist")]
        )
    process = services.start_conversation(
        grant=grant,
        recipient=body.recipient,
        subject=body.subject,
        body=body.body,
        author=_author(request, body.author),
        actor=actor_of(request),
    )
    return Status(201, process_out(_process(request, process.pk)))


@router.get(
    "/processes/{id}/attachments/{n}",
    response={200: None, **ERRORS},
    url_name="process_attachment",
    openapi_extra={
        # 200 as a number, as the router keys its own answers: a string "200" would be a second key
        "responses": {200: {"description": "the file", "content": {"application/octet-stream": {}}}}
    },
)
def get_attachment(request: ApiRequest, n: int, id: str = ProcessId) -> FileResponse:
    """The file, as a download."""
    process = get_object_or_404(Process, broker=broker_of(request), pk=id)
    return files.download(get_object_or_404(Attachment, pk=n, message__process=process))
