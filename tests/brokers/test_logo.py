"""The broker's logo frames its portal pages: PNG or JPEG, recognised by content, at most 512 KB, set
from the command line (the settings UI follows in issue 7), served only to the broker's own people."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from einblick.audit.models import AuditEntry
from einblick.brokers.logo import MAX_BYTES, media_type, remove_logo, set_logo
from einblick.brokers.models import Broker, BrokerLogo
from einblick.errors import Invalid
from tests.factories import make_grant, member_client
from tests.samples import HOSTILE, JPEG, png


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
    assert first is not None and stored.logo_changed_at is not None
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


def test_the_portal_shows_the_logo_and_serves_it_only_to_the_brokers_people(broker, other_broker, klara):
    set_logo(broker=broker, data=png(), actor=None)
    client, grant = klara.client, klara.grant
    page = client.get(f"/portal/{grant.pk}/").content.decode()
    url = f"/portal/brand/{broker.pk}/logo?v="
    assert f'<img class="logo" src="{url}' in page
    response = client.get(f"/portal/brand/{broker.pk}/logo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == png()

    stranger = member_client(make_grant(other_broker, "Fremde Familie"), "fremd@example.org")
    assert stranger.get(f"/portal/brand/{broker.pk}/logo").status_code == 404
    assert Client().get(f"/portal/brand/{broker.pk}/logo").status_code == 302


def test_without_a_logo_the_name_alone_frames_the_page(broker, klara):
    client, grant = klara.client, klara.grant
    page = client.get(f"/portal/{grant.pk}/").content.decode()
    assert 'class="logo"' not in page and broker.name in page
    assert client.get(f"/portal/brand/{broker.pk}/logo").status_code == 404
