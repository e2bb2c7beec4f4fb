"""Files with processes: JPEG, PNG, HEIC and PDF recognised by content and named for it; at most 20
files and 35 MB together; stored under random names outside every served directory; downloads only for
those who may see the process, as attachments. A hostile corpus is refused with a message naming the
file, and a refused submission writes nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from einblick.processes.files import clean_name
from einblick.processes.models import Attachment, Process
from tests.factories import load, make_grant, member_client
from tests.pages import found, streamed, text
from tests.samples import JPEG, person, png

CLERK = {"name": "Max Betreuer", "email": "max@makler.example", "phone": None, "role": "user"}
WRITE: dict[str, Any] = {"primary_contact": True, "messages": True, "clerk": "U-1"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
GOOD = {"schaden.jpg": JPEG, "plan.png": png(), "foto.heic": HEIC, "rechnung.pdf": PDF}
HOSTILE = {
    "a PDF renamed to .jpg": ("bericht.jpg", PDF, "Die Datei ist ein PDF"),
    "a JPEG renamed to .pdf": ("foto.pdf", JPEG, "Die Datei ist ein JPEG"),
    "an HTML page named .png": (
        "bild.png",
        b"<!doctype html><script>alert(1)</script>",
        "keine JPEG-, PNG-, HEIC- oder PDF-Datei",
    ),
    "an SVG named .png": (
        "bild.png",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "keine JPEG-, PNG-, HEIC- oder PDF-Datei",
    ),
    "an executable named .pdf": (
        "tool.pdf",
        b"MZ\x90\x00" + b"\x00" * 60,
        "keine JPEG-, PNG-, HEIC- oder PDF-Datei",
    ),
    "a GIF": ("anim.gif", b"GIF89a" + b"\x00" * 20, "keine JPEG-, PNG-, HEIC- oder PDF-Datei"),
    "a PNG without a name extension": ("bild", png(), "Die Datei ist ein PNG"),
    "an empty JPEG": ("leer.jpg", b"", "leer"),
}


@pytest.fixture
def grant(broker, settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    load(broker, staff={"U-1": CLERK}, customers={"K-1": person("Muster", "Klara")})
    return make_grant(broker, "Familie Muster", ["K-1"], **WRITE)


def stored_files(settings) -> list[Path]:
    root = Path(settings.UPLOAD_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def send(client, grant, files: dict[str, bytes], subject: str = "Mit Anhang"):
    page = text(client.get(f"/portal/{grant.pk}/messages/new/"))
    token = found(r'name="token" value="([^"]+)"', page, 1)
    uploads = [
        SimpleUploadedFile(name, data, content_type="application/octet-stream")
        for name, data in files.items()
    ]
    return client.post(
        f"/portal/{grant.pk}/messages/new/",
        {"subject": subject, "body": "Siehe Anhang", "token": token, "attachments": uploads},
    )


def test_every_accepted_kind_is_stored_under_a_random_name_and_downloaded_as_an_attachment(grant, settings):
    client = member_client(grant, "klara@example.org")
    response = send(client, grant, GOOD)
    assert response.status_code == 302, response.content.decode()[:3000]
    process = Process.objects.get()
    items = list(Attachment.objects.order_by("pk"))
    assert [(a.name, a.content_type) for a in items] == [
        ("schaden.jpg", "image/jpeg"), ("plan.png", "image/png"), ("foto.heic", "image/heic"), ("rechnung.pdf", "application/pdf")
    ]  # fmt: skip
    paths = stored_files(settings)
    assert len(paths) == 4
    assert all(re.fullmatch(r"[0-9a-f]{32}", p.name) for p in paths)  # nothing of the sender's name on disk
    assert not any(str(p).startswith(str(settings.STATIC_ROOT)) for p in paths)
    thread = text(client.get(response["Location"]))
    for item in items:
        url = f"/portal/{grant.pk}/messages/{process.pk}/files/{item.pk}/"
        assert url in thread
        download = client.get(url)
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["Content-Type"] == item.content_type
        assert download["X-Content-Type-Options"] == "nosniff"
        assert streamed(download) == GOOD[item.name]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_hostile_corpus_is_refused_naming_the_file_and_nothing_is_written(grant, settings, case):
    name, data, message = HOSTILE[case]
    client = member_client(grant, "klara@example.org")
    response = send(client, grant, {"ok.jpg": JPEG, name: data})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field invalid"' in html
    assert message in html
    assert not Process.objects.exists() and not Attachment.objects.exists()
    assert stored_files(settings) == []


def test_path_traversal_names_are_cleaned_and_stay_names(grant, settings):
    client = member_client(grant, "klara@example.org")
    response = send(client, grant, {"../../../etc/passwd.png": png(), "..\\..\\win.ini.pdf": PDF})
    assert response.status_code == 302
    assert sorted(Attachment.objects.values_list("name", flat=True)) == ["passwd.png", "win.ini.pdf"]
    assert all(Path(settings.UPLOAD_ROOT) in p.parents for p in stored_files(settings))


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("a\x00b.jpg", "ab.jpg"),
        ("  .hidden.png", "hidden.png"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
        ("", "datei"),
        ('a<b>:"c|.jpg', "a b c.jpg"),
    ],
)
def test_names_are_made_safe(name, clean):
    assert clean_name(name) == clean


def test_at_most_20_files(grant, settings):
    client = member_client(grant, "klara@example.org")
    response = send(client, grant, {f"foto{i}.jpg": JPEG for i in range(21)})
    assert response.status_code == 200
    assert "Höchstens 20 Dateien, nicht 21." in response.content.decode()
    assert not Process.objects.exists() and stored_files(settings) == []
    assert send(client, grant, {f"foto{i}.jpg": JPEG for i in range(20)}).status_code == 302


def test_at_most_35_mb_together(grant, settings):
    assert settings.UPLOAD_MAX_BYTES == 35 * 1024 * 1024
    settings.UPLOAD_MAX_BYTES = 64 * 1024  # the same rule, smaller for a fast test
    client = member_client(grant, "klara@example.org")
    big = JPEG[:-2] + b"\x00" * (40 * 1024) + b"\xff\xd9"
    response = send(client, grant, {"a.jpg": big, "b.jpg": big})
    assert response.status_code == 200
    assert "MB" in response.content.decode()
    assert not Process.objects.exists() and stored_files(settings) == []
    assert send(client, grant, {"a.jpg": big}).status_code == 302


def test_downloads_only_for_those_who_see_the_process(
    api, broker, other_api, grant, broker_admin, other_broker_admin
):
    klara = member_client(grant, "klara@example.org")
    send(klara, grant, {"schaden.jpg": JPEG})
    process, item = Process.objects.get(), Attachment.objects.get()
    url = f"/portal/{grant.pk}/messages/{process.pk}/files/{item.pk}/"
    otto = member_client(grant, "otto@example.org")  # same grant, processes not shared
    assert otto.get(url).status_code == 404
    load(broker, customers={"K-2": person("Nachbar", "Nora")})
    neighbour = make_grant(broker, "Nachbar", ["K-2"], **WRITE)
    nora = member_client(neighbour, "nora@example.org")
    assert nora.get(url).status_code == 404
    assert nora.get(f"/portal/{neighbour.pk}/messages/{process.pk}/files/{item.pk}/").status_code == 404
    assert Client().get(url).status_code == 302
    office = broker_admin.client
    staff_download = office.get(f"/staff/inbox/{process.pk}/files/{item.pk}/")
    assert staff_download.status_code == 200 and b"".join(staff_download.streaming_content) == JPEG
    stranger = other_broker_admin.client
    assert stranger.get(f"/staff/inbox/{process.pk}/files/{item.pk}/").status_code == 404
    listed = api.get(f"/processes/{process.pk}").json()["messages"][0]["attachments"]
    assert listed == [
        {
            "name": "schaden.jpg",
            "size": len(JPEG),
            "content_type": "image/jpeg",
            "url": f"/api/v1/processes/{process.pk}/attachments/{item.pk}",
        }
    ]
    fetched = api.get(f"/processes/{process.pk}/attachments/{item.pk}")
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == JPEG
    assert other_api.get(f"/processes/{process.pk}/attachments/{item.pk}").status_code == 404
    assert api.get(f"/processes/{process.pk}/attachments/999999").status_code == 404
