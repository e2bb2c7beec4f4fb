"""Files that come with processes: photos and documents (JPEG, PNG, HEIC, PDF), recognised by their
content and required to be named for it (a PDF named .jpg is refused, and so is an SVG or HTML page
named .png); at most UPLOAD_MAX_FILES files and UPLOAD_MAX_BYTES together per submission; stored under
random names below UPLOAD_ROOT (never served by the web server), handed out as downloads only by views
that have checked who may see the process."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404

from einblick.errors import FieldError, Invalid, TooLarge
from einblick.errors import messages as M
from einblick.processes.models import Attachment
from einblick.text import clean_file_name as clean_name

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/heic": (".heic", ".heif"),
    "application/pdf": (".pdf",),
}
LABELS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIC", "application/pdf": "PDF"}


def sniff(head: bytes) -> str | None:
    """The media type the first bytes prove, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "image/png"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


@dataclass
class Checked:
    upload: UploadedFile
    name: str
    content_type: str


def check(files: Iterable[UploadedFile], field: str = "attachments") -> list[Checked]:
    """Every file of one submission, or Invalid / TooLarge naming the field and the file."""
    files = list(files)
    if len(files) > settings.UPLOAD_MAX_FILES:
        raise Invalid(
            M.TOO_MANY_FILES,
            [
                FieldError(
                    (field,), M.AT_MOST_FILES % {"limit": settings.UPLOAD_MAX_FILES, "count": len(files)}
                )
            ],
        )
    total = sum(f.size or 0 for f in files)
    if total > settings.UPLOAD_MAX_BYTES:
        limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        raise TooLarge(
            M.FILES_TOO_LARGE,
            [
                FieldError(
                    (field,),
                    M.AT_MOST_MB % {"limit": limit, "size": f"{total / 1048576:.1f}".replace(".", ",")},
                )
            ],
        )
    checked, errors = [], []
    for upload in files:
        name = clean_name(upload.name or "")
        upload.seek(0)
        kind = sniff(upload.read(32))
        upload.seek(0)
        ext = os.path.splitext(name)[1].lower()
        if kind is None:
            errors.append(FieldError((field,), M.FILE_NOT_ACCEPTED % {"name": name}))
        elif ext not in EXTENSIONS[kind]:
            errors.append(
                FieldError(
                    (field,),
                    M.FILE_MISNAMED % {"name": name, "kind": LABELS[kind], "ext": EXTENSIONS[kind][0]},
                )
            )
        elif not upload.size:
            errors.append(FieldError((field,), M.FILE_IS_EMPTY % {"name": name}))
        else:
            checked.append(Checked(upload, name, kind))
    if errors:
        raise Invalid(M.FILES_REFUSED, errors)
    return checked


def store(item: Checked) -> dict[str, Any]:
    """Write the file under a random name; returns the Attachment's fields."""
    root = Path(settings.UPLOAD_ROOT)
    stored = uuid.uuid4().hex
    folder = root / stored[:2]
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    size = 0
    with open(folder / stored, "xb") as out:
        for chunk in item.upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {
        "name": item.name,
        "stored": stored,
        "content_type": item.content_type,
        "size": size,
        "sha256": digest.hexdigest(),
    }


def store_bytes(data: bytes, name: str, content_type: str) -> dict[str, Any]:
    """Write bytes the server made (the claim report's PDF) like an upload."""
    stored = uuid.uuid4().hex
    folder = Path(settings.UPLOAD_ROOT) / stored[:2]
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / stored).write_bytes(data)
    return {
        "name": name,
        "stored": stored,
        "content_type": content_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def path_of(stored: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", stored):
        raise ValueError("not a stored name")
    return Path(settings.UPLOAD_ROOT) / stored[:2] / stored


def remove(stored_names: Iterable[str]) -> None:
    for stored in stored_names:
        with contextlib.suppress(OSError, ValueError):
            path_of(stored).unlink()


def download(item: Attachment) -> FileResponse:
    """The stored file as a download (never inline), for a view that has checked who may see it."""
    try:
        handle = path_of(item.stored).open("rb")
    except (OSError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=item.name, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
