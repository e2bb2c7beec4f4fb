"""Settings, tab Erscheinungsbild: broker name (unique), reply address, two colours and the logo (PNG or JPEG
by content); the portal's pages and e-mails use them at once; bad input is refused in place and
changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from einblick.accounts import mail
from einblick.audit.models import AuditEntry
from einblick.brokers.logo import MAX_BYTES
from einblick.brokers.models import Broker, BrokerLogo
from tests.pages import text
from tests.samples import HOSTILE, JPEG, png

GOOD = {"name": "Muster & Partner Makler", "reply_to": "Buero@Muster-Partner.example", "brand_color": "#0F766E",
        "accent_color": "#b45309"}  # fmt: skip


@pytest.fixture
def admin(broker_admin):
    return broker_admin.client


def test_the_page_shows_the_current_appearance_with_einblicks_colours_by_default(broker, admin):
    page = text(admin.get(f"/staff/{broker.pk}/appearance/"))
    assert 'value="Muster Makler GmbH"' in page
    assert 'type="color"' in page and 'value="#1d4ed8"' in page
    assert "Noch kein Logo" in page


def test_name_reply_address_and_colours_are_saved_and_used_by_portal_and_mail(broker, admin, klara):
    client, grant = klara.client, klara.grant
    version = Broker.objects.get(pk=broker.pk).data_version
    response = admin.post(f"/staff/{broker.pk}/appearance/", GOOD)
    assert response.status_code == 302
    saved = Broker.objects.get(pk=broker.pk)
    assert (saved.name, saved.reply_to, saved.brand_color, saved.accent_color) == (
        "Muster & Partner Makler", "buero@muster-partner.example", "#0f766e", "#b45309",
    )  # fmt: skip
    assert saved.data_version != version
    entry = AuditEntry.objects.get(broker=broker, action="broker.appearance_changed")
    assert entry.data["brand_color"] == "#0f766e"

    page = client.get(f"/portal/{grant.pk}/").content.decode()
    assert "Muster &amp; Partner Makler" in page
    assert f"/portal/brand/{broker.pk}.css?v=0f766eb45309" in page
    css = client.get(f"/portal/brand/{broker.pk}.css").content.decode()
    assert "--brand: #0f766e" in css and "--accent: #b45309" in css
    message = mail.render(
        "access_notice", to="klara@example.org", broker=saved, context={"url": "https://x/"}
    )
    # The broker's name is the sender's name, the office's address takes the replies.
    assert message.from_email == "Muster & Partner Makler <portal@localhost>"
    assert message.reply_to == ["buero@muster-partner.example"]
    html, _ = message.alternatives[0]
    assert isinstance(html, str) and "background: #0f766e; color: #ffffff;" in html
    assert "Eine Antwort erreicht das Büro von Muster &amp; Partner Makler" in html
    # Without a reply address there is no Reply-To, and the mail says not to reply.
    admin.post(f"/staff/{broker.pk}/appearance/", GOOD | {"reply_to": ""})
    message = mail.render(
        "access_notice", to="klara@example.org", broker=Broker.objects.get(pk=broker.pk), context={"url": "x"}
    )
    assert message.reply_to == [] and "Bitte antworten Sie nicht" in message.body


def test_saving_without_a_change_writes_nothing(broker, admin):
    admin.post(f"/staff/{broker.pk}/appearance/", GOOD)
    version = Broker.objects.get(pk=broker.pk).data_version
    assert admin.post(f"/staff/{broker.pk}/appearance/", GOOD).status_code == 302
    assert AuditEntry.objects.filter(action="broker.appearance_changed").count() == 1
    assert Broker.objects.get(pk=broker.pk).data_version == version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "  "}, "Dieses Feld ist zwingend erforderlich"),
        ({"brand_color": "red"}, "#rrggbb"),
        ({"accent_color": "#12345"}, "#rrggbb"),
        ({"brand_color": "#1234567"}, "höchstens 7 Zeichen"),
        ({"reply_to": "kein-at-zeichen"}, "gültige E-Mail-Adresse"),
        ({"name": "x" * 201}, "höchstens 200 Zeichen"),
    ],
)
def test_bad_input_is_refused_next_to_its_field(broker, admin, change, message):
    response = admin.post(f"/staff/{broker.pk}/appearance/", GOOD | change)
    assert response.status_code == 422
    assert message in response.content.decode()
    saved = Broker.objects.get(pk=broker.pk)
    assert (saved.name, saved.brand_color) == ("Muster Makler GmbH", "")


def test_a_logo_is_uploaded_shown_and_removed(broker, admin):
    url = f"/staff/{broker.pk}/appearance/logo/"
    response = admin.post(url, {"logo": SimpleUploadedFile("logo.png", png(), content_type="image/png")})
    assert response.status_code == 302
    assert BrokerLogo.objects.get(broker=broker).content == png()
    page = text(admin.get(f"/staff/{broker.pk}/appearance/"))
    assert f"/portal/brand/{broker.pk}/logo?v=" in page
    assert admin.get(f"/portal/brand/{broker.pk}/logo").content == png()  # staff see their logo too
    # A JPEG named .png replaces it (judged by content, not name).
    admin.post(url, {"logo": SimpleUploadedFile("bild.png", JPEG, content_type="image/png")})
    assert Broker.objects.get(pk=broker.pk).logo_type == "image/jpeg"
    assert admin.post(url, {"action": "remove"}).status_code == 302
    assert not BrokerLogo.objects.filter(broker=broker).exists()
    assert Broker.objects.get(pk=broker.pk).logo_type == ""


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_anything_but_png_or_jpeg_is_refused(broker, admin, kind):
    response = admin.post(
        f"/staff/{broker.pk}/appearance/logo/",
        {"logo": SimpleUploadedFile("logo.png", HOSTILE[kind], content_type="image/png")},
    )
    assert response.status_code == 422
    assert "kein PNG- oder JPEG-Bild" in response.content.decode()
    assert not BrokerLogo.objects.exists()


def test_too_large_and_missing_files_are_refused(broker, admin):
    url = f"/staff/{broker.pk}/appearance/logo/"
    big = png() + b"\x00" * MAX_BYTES
    response = admin.post(url, {"logo": SimpleUploadedFile("gross.png", big, content_type="image/png")})
    assert response.status_code == 422 and "zu groß" in response.content.decode()
    empty = admin.post(url, {})
    assert empty.status_code == 422 and "Dieses Feld ist zwingend erforderlich" in empty.content.decode()
    assert not BrokerLogo.objects.exists()


def test_a_staff_user_and_another_broker_change_nothing(broker, admin, broker_user, other_broker_admin):
    for client, status in ((broker_user.client, 403), (other_broker_admin.client, 404)):
        assert client.post(f"/staff/{broker.pk}/appearance/", GOOD).status_code == status
        logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
        assert client.post(f"/staff/{broker.pk}/appearance/logo/", {"logo": logo}).status_code == status
    saved = Broker.objects.get(pk=broker.pk)
    assert saved.name == "Muster Makler GmbH" and saved.logo_type == ""
