"""The broker's logo frames its portal pages: PNG or JPEG, recognised by content, at most 512 KB, set
from the command line (the settings UI follows in issue 7), served only to the broker's own people."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from einblick.audit.models import AuditEntry
from einblick.brokers.logo import MAX_BYTES, media_type, remove_logo, set_logo
from einblick.brokers.models import Broker, BrokerLogo
from einblick.errors import Invalid
from einblick.grants.models import Grant
from einblick.office.members import share
from tests.accounts.conftest import make_user


def png(width: int = 4, height: int = 2) -> bytes:
    """A real PNG (one colour), built from its chunks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x0f\x76\x6e" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
HOSTILE = {
    "a PDF": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
    "an SVG": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "an HTML page": b"<!doctype html><html><script>alert(1)</script></html>",
    "a GIF": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    "a PNG signature without its header": b"\x89PNG\r\n\x1a\n" + b"<html>" * 10,
    "a JPEG start without its end": JPEG[:-2] + b"<script>",
    "text": b"just text",
}


def test_png_and_jpeg_are_recognised_by_content():
    assert media_type(png()) == "image/png"
    assert media_type(JPEG) == "image/jpeg"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_anything_else_is_refused_naming_the_field(broker, name):
    with pytest.raises(Invalid) as caught:
        set_logo(broker=broker, data=HOSTILE[name], actor=None)
    assert [e.loc for e in caught.value.errors] == [("logo",)]
    assert not BrokerLogo.objects.exists()
    assert Broker.objects.get(pk=broker.pk).logo_type == ""


def test_empty_and_oversized_files_are_refused(broker):
    for data in (b"", png() + b"\x00" * MAX_BYTES):
        with pytest.raises(Invalid) as caught:
            set_logo(broker=broker, data=data, actor=None)
        assert caught.value.errors[0].loc == ("logo",)
    assert not BrokerLogo.objects.exists()


def test_set_replace_and_remove_are_audited(broker):
    assert set_logo(broker=broker, data=png(), actor=None) == "image/png"
    first = Broker.objects.get(pk=broker.pk).logo_changed_at
    assert set_logo(broker=broker, data=JPEG, actor=None) == "image/jpeg"
    stored = Broker.objects.get(pk=broker.pk)
    assert stored.logo_type == "image/jpeg" and stored.logo_changed_at > first
    assert bytes(BrokerLogo.objects.get(broker=broker).content) == JPEG
    remove_logo(broker=stored, actor=None)
    assert not BrokerLogo.objects.exists() and Broker.objects.get(pk=broker.pk).logo_type == ""
    actions = list(AuditEntry.objects.filter(broker=broker).values_list("action", flat=True))
    assert actions.count("broker.logo_set") == 2 and "broker.logo_removed" in actions


def test_the_command_line_sets_and_removes_it(broker, tmp_path: Path, capsys):
    path = tmp_path / "logo.png"
    path.write_bytes(png())
    call_command("broker", "logo", broker.slug, str(path))
    assert "image/png" in capsys.readouterr().out
    assert Broker.objects.get(pk=broker.pk).logo_type == "image/png"
    renamed = tmp_path / "logo.jpg"
    renamed.write_bytes(HOSTILE["a PDF"])
    with pytest.raises(CommandError, match="PNG or JPEG"):
        call_command("broker", "logo", broker.slug, str(renamed))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("broker", "logo", broker.slug, str(tmp_path / "missing.png"))
    with pytest.raises(CommandError, match="no broker"):
        call_command("broker", "logo", "unbekannt", str(path))
    call_command("broker", "logo", broker.slug, "--remove")
    assert Broker.objects.get(pk=broker.pk).logo_type == ""


def member(broker: Broker, email: str) -> tuple[Client, Grant]:
    grant = Grant.objects.create(broker=broker, name=f"Zugang {email}")
    user = make_user(email)
    share(grant=grant, actor=None, email=email)
    client = Client()
    client.force_login(user)
    return client, grant


def test_the_portal_shows_the_logo_and_serves_it_only_to_the_brokers_people(broker, other_broker):
    set_logo(broker=broker, data=png(), actor=None)
    client, grant = member(broker, "klara@example.org")
    page = client.get(f"/portal/{grant.pk}/").content.decode()
    url = f"/portal/brand/{broker.pk}/logo?v="
    assert f'<img class="logo" src="{url}' in page
    response = client.get(f"/portal/brand/{broker.pk}/logo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == png()

    stranger, _ = member(other_broker, "fremd@example.org")
    assert stranger.get(f"/portal/brand/{broker.pk}/logo").status_code == 404
    assert Client().get(f"/portal/brand/{broker.pk}/logo").status_code == 302


def test_without_a_logo_the_name_alone_frames_the_page(broker):
    client, grant = member(broker, "klara@example.org")
    page = client.get(f"/portal/{grant.pk}/").content.decode()
    assert 'class="logo"' not in page and broker.name in page
    assert client.get(f"/portal/brand/{broker.pk}/logo").status_code == 404
