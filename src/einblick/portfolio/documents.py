"""The files of the AMS's documents (api-v1.md "PUT /documents/{id}/content"): checked by their content,
streamed into the "documents" storage under random names, read back for downloads, and removed after
the transaction that deleted or replaced them commits.

Every access goes through `storages["documents"]` (settings.STORAGES), so that object storage can
replace the data directory by settings alone. A body is read in chunks of 64 KiB, hashed and counted
on the way, and never held whole in memory; whatever goes wrong, nothing of it stays in storage.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone

from einblick.audit.services import Actor, log_action
from einblick.brokers.models import Broker
from einblick.brokers.services import data_changed
from einblick.errors import DomainError, FieldError, Invalid, TooLarge, UnsupportedType
from einblick.portfolio.models import Document

CHUNK = 64 * 1024
# The media types a document's file may have, and the extension a download is named with.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/tiff": (".tif", ".tiff"),
}
ACCEPTED = tuple(EXTENSIONS)
HEAD = 16  # bytes that sniff() needs to be sure (PNG: signature and the IHDR chunk's type)
BODY = ("body",)
CONTENT_TYPE = ("header", "Content-Type")


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def storage() -> Storage:
    return storages["documents"]


def sniff(head: bytes) -> str | None:
    """The accepted media type the first bytes prove, or None (HTML, SVG, text, anything else)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "image/png"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    return None


@dataclass(frozen=True)
class Stored:
    size: int
    sha256: str
    content_type: str


def store_content(
    *,
    broker: Broker,
    actor: Actor,
    document: Document,
    stream: Readable,
    content_type: str | None,
    length: int | None,
) -> Stored:
    """Take the document's file from `stream` (length: the Content-Length, None when there is none),
    replacing the file it had (removed once this commits). Refused before anything is written: a
    type that is not accepted (415), more than DOCUMENT_MAX_BYTES announced (413), an empty body, a
    content that is not of its type (422); while reading: more than DOCUMENT_MAX_BYTES (413), fewer
    bytes than announced (400). Document.DoesNotExist when the document went away meanwhile."""
    limit = settings.DOCUMENT_MAX_BYTES
    if content_type not in ACCEPTED:
        raise UnsupportedType(
            "The body must be a PDF, JPEG, PNG or TIFF file.",
            [FieldError(CONTENT_TYPE, f"must be one of {', '.join(ACCEPTED)}")],
        )
    if length is not None and length > limit:
        raise TooLarge(_too_large(limit), [FieldError(BODY, f"at most {limit} bytes")])
    head = _head(stream, limit)
    if not head:
        raise Invalid("The body is empty.", [FieldError(BODY, "must not be empty")])
    found = sniff(head)
    if found != content_type:
        what = "no PDF, JPEG, PNG or TIFF file" if found is None else found
        raise Invalid(
            "The content does not match its Content-Type.",
            [FieldError(BODY, f"the content ({what}) does not match its Content-Type {content_type}")],
        )
    upload = _Upload(head, stream, limit)
    random = uuid.uuid4().hex
    name = f"{random[:2]}/{random}"
    try:
        name = storage().save(name, upload)
        if length is not None and upload.size != length:
            raise DomainError(
                "The body ended before its Content-Length.",
                [FieldError(BODY, f"{upload.size} of the {length} bytes announced arrived")],
            )
        stored = Stored(size=upload.size, sha256=upload.digest.hexdigest(), content_type=content_type)
        _record(broker=broker, actor=actor, document=document, name=name, stored=stored)
    except BaseException:
        storage().delete(name)
        raise
    return stored


def _too_large(limit: int) -> str:
    return f"The body is larger than {limit} bytes."


def _head(stream: Readable, limit: int) -> bytes:
    """The first bytes, at least HEAD of them unless the body is shorter."""
    head = b""
    while len(head) < HEAD:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        head += chunk
    if len(head) > limit:
        raise TooLarge(_too_large(limit), [FieldError(BODY, f"at most {limit} bytes")])
    return head


class _Upload(File):
    """The rest of a request body as a file for Storage.save(): read in chunks, hashed and counted on
    the way, refused once it passes the limit (also when no Content-Length said so before)."""

    def __init__(self, head: bytes, stream: Readable, limit: int) -> None:
        super().__init__(None, name="document")
        self._head: bytes | None = head
        self._stream = stream
        self._limit = limit
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int | None = -1) -> bytes:
        if self._head is not None:
            chunk, self._head = self._head, None
        else:
            chunk = self._stream.read(CHUNK if size is None or size < 0 else min(size, CHUNK))
        self.size += len(chunk)
        if self.size > self._limit:
            raise TooLarge(_too_large(self._limit), [FieldError(BODY, f"at most {self._limit} bytes")])
        self.digest.update(chunk)
        return chunk

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        while chunk := self.read(CHUNK):
            yield chunk

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True

    def close(self) -> None:
        pass


def _record(*, broker: Broker, actor: Actor, document: Document, name: str, stored: Stored) -> None:
    with transaction.atomic():
        current = Document.objects.select_for_update().get(pk=document.pk, broker=broker)
        if current.stored:
            remove_after_commit(current.stored)
        Document.objects.filter(pk=current.pk).update(
            stored=name,
            size=stored.size,
            sha256=stored.sha256,
            content_type=stored.content_type,
            file_at=timezone.now(),
            updated_at=timezone.now(),
        )
        data_changed(broker.pk)  # a document whose file arrived may now be shown
        log_action(
            broker=broker,
            actor=actor,
            action="documents.content",
            object_type="documents",
            object_id=document.external_id,
            data={"size": stored.size, "sha256": stored.sha256, "content_type": stored.content_type},
        )


def open_content(document: Document) -> IO[bytes]:
    """The stored file, for a caller that has checked who may see the document; FileNotFoundError
    when its file has not arrived or is gone."""
    if not document.stored:
        raise FileNotFoundError(document.external_id)
    handle: Any = storage().open(document.stored, "rb")
    return handle


def download_name(document: Document) -> str:
    """The AMS's file name (cleaned on import), ending in the extension of the stored type."""
    extensions = EXTENSIONS.get(document.content_type, ())
    name = document.filename or document.external_id
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    return name


def remove_after_commit(name: str) -> None:
    """Remove a stored file once the current transaction commits (at once outside of one); a rollback
    keeps it, as it keeps the row that names it."""
    if name:
        transaction.on_commit(lambda: storage().delete(name))


def document_deleted(sender: Any, instance: Document, **kwargs: Any) -> None:
    """post_delete of Document, also when a customer, contract, claim or broker takes it along: its
    file goes after the commit (PortfolioConfig.ready connects it)."""
    remove_after_commit(instance.stored)
