"""Settings, tabs Tarifrechner, Sparten and API-Zugänge: an admin creates, edits and deletes tariff
accounts (with the grants that use one), edits the line catalogue (the portal shows the new label at
once), creates and revokes API tokens (the secret is shown once) and sets the webhook. Every write is
audit-logged and raises the broker's data version where the portal shows it; another broker's objects
are 404; a staff user (role user) gets 403 and writes nothing."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from einblick.audit.models import AuditEntry
from einblick.brokers.models import ApiToken, Broker, TariffAccount, hash_token
from einblick.brokers.services import create_token
from einblick.grants.models import Grant
from einblick.portfolio.models import Line
from tests.apiclient import Api
from tests.factories import load, make_grant, member_client
from tests.pages import found, portal_part, text
from tests.samples import contract, person

CALCULATOR = {"name": "con:center Muster", "url": "https://cc.example/{account}/rechner?sparte={line}"}
SECRET = re.compile(r"ebk_[A-Za-z0-9_-]{20,}")


def version(broker: Broker) -> str:
    return Broker.objects.get(pk=broker.pk).data_version


def actions(broker: Broker) -> list[str]:
    return list(AuditEntry.objects.filter(broker=broker).order_by("pk").values_list("action", flat=True))


def plain(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).strip()


def field_error(page: str, name: str) -> str:
    """The error shown with the form field `name` (includes/field.html), as text; "" without one."""
    for chunk in page.split('<div class="field')[1:]:
        head, found, rest = chunk.partition('<div class="errors">')
        if f'name="{name}"' in head and found and chunk.startswith(' invalid"'):
            return plain(rest.split("</div>", 1)[0])
    return ""


def cells(row: str) -> list[str]:
    return [plain(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def table_row(page: str, needle: str) -> str:
    """The table row of the page's table that contains `needle`."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [row for row in body.split("<tr>")[1:] if needle in row]
    assert len(rows) == 1, (needle, rows)
    return rows[0]


def tariff_setup(broker):
    """A tariff account of the AMS (TA-1) and a grant with offer creation that uses it."""
    load(
        broker,
        customers={"K-1": person("Muster", "Klara")},
        tariff_accounts={"TA-1": {"name": "Rechner Alt", "url": "https://alt.example/{account}"}},
    )
    account = TariffAccount.objects.get(external_id="TA-1")
    grant = make_grant(broker, "Familie Muster", ["K-1"], offer_creation=True, tariff_account="TA-1")
    assert grant.tariff_account == account
    return account, grant


# Tarifrechner


def test_an_admin_creates_a_tariff_account(broker, broker_admin):
    admin = broker_admin.client
    url = f"/staff/{broker.pk}/tariffs/"
    page = text(admin.get(url))
    assert "<h1>Tarifrechner</h1>" in page and "Noch keine Tarifrechner-Konten." in page
    before = version(broker)

    response = admin.post(url, CALCULATOR)

    assert response.status_code == 302 and response["Location"] == url
    account = TariffAccount.objects.get(broker=broker)
    assert (account.name, account.url) == (CALCULATOR["name"], CALCULATOR["url"])
    assert re.fullmatch(r"web-[0-9a-f]{8}", account.external_id)
    listed = text(admin.get(url))
    assert "Das Tarifrechner-Konto ist angelegt." in listed
    row = table_row(listed, f"/tariffs/{account.pk}/")
    assert CALCULATOR["name"] in row and CALCULATOR["url"] in row and "keine Freischaltung" in row
    entry = AuditEntry.objects.get(broker=broker, action="tariff_accounts.created")
    assert entry.object_id == account.external_id
    assert entry.actor_user == broker_admin.user
    assert version(broker) != before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "url": "https://cc.example/"}, "name", "Dieses Feld ist zwingend erforderlich."),
        ({"name": "   ", "url": "https://cc.example/"}, "name", "Dieses Feld ist zwingend erforderlich."),
        ({"name": "Rechner", "url": ""}, "url", "Dieses Feld ist zwingend erforderlich."),
        ({"name": "Rechner", "url": "ftp://x"}, "url", "Bitte eine gültige Adresse eingeben."),
        (
            {"name": "Rechner", "url": "ftp://files.example/rechner"},
            "url",
            "Bitte geben Sie eine http- oder https-Adresse ein.",
        ),
        (
            {"name": "Rechner", "url": "https://r.example/?a={foo}"},
            "url",
            "Nur {account} und {line} können ersetzt werden.",
        ),
    ],
)
def test_an_invalid_tariff_account_is_refused_next_to_the_field(broker, data, field, message, broker_admin):
    admin = broker_admin.client
    before = version(broker)

    response = admin.post(f"/staff/{broker.pk}/tariffs/", data)

    assert response.status_code == 422
    page = response.content.decode()
    assert field_error(page, field) == message
    other = "url" if field == "name" else "name"
    assert field_error(page, other) == ""
    assert not TariffAccount.objects.filter(broker=broker).exists()
    assert "tariff_accounts.created" not in actions(broker)
    assert version(broker) == before


def test_an_admin_edits_a_tariff_account(broker, broker_admin):
    account, _ = tariff_setup(broker)
    admin = broker_admin.client
    url = f"/staff/{broker.pk}/tariffs/{account.pk}/"
    page = text(admin.get(url))
    assert 'value="Rechner Alt"' in page and 'value="https://alt.example/{account}"' in page
    assert "Schlüssel im AMS: TA-1" in page

    refused = admin.post(url, {"name": "Rechner Neu", "url": "https://r.example/?a={foo}"})
    assert refused.status_code == 422
    assert field_error(refused.content.decode(), "url") == "Nur {account} und {line} können ersetzt werden."
    account.refresh_from_db()
    assert (account.name, account.url) == ("Rechner Alt", "https://alt.example/{account}")

    before = version(broker)
    response = admin.post(url, {"name": "Rechner Neu", "url": "https://neu.example/{account}?s={line}"})

    assert response.status_code == 302 and response["Location"] == f"/staff/{broker.pk}/tariffs/"
    account.refresh_from_db()
    assert (account.name, account.url) == ("Rechner Neu", "https://neu.example/{account}?s={line}")
    assert account.external_id == "TA-1"  # the AMS's key stays
    assert TariffAccount.objects.filter(broker=broker).count() == 1
    assert version(broker) != before
    entry = AuditEntry.objects.get(broker=broker, action="tariff_accounts.updated")
    assert entry.object_id == "TA-1"
    listed = text(admin.get(f"/staff/{broker.pk}/tariffs/"))
    assert "Gespeichert." in listed
    assert "Rechner Neu" in listed and "Rechner Alt" not in listed


def test_the_list_and_the_edit_page_show_the_grants_that_use_an_account(broker, broker_admin):
    account, grant = tariff_setup(broker)
    load(broker, tariff_accounts={"TA-2": {"name": "Rechner Frei", "url": "https://frei.example/"}})
    unused = TariffAccount.objects.get(external_id="TA-2")
    admin = broker_admin.client

    listed = text(admin.get(f"/staff/{broker.pk}/tariffs/"))
    used_row = table_row(listed, f"/tariffs/{account.pk}/")
    assert f'<a href="/staff/{broker.pk}/grants/{grant.pk}/">Familie Muster</a>' in used_row
    assert "keine Freischaltung" not in used_row
    unused_row = table_row(listed, f"/tariffs/{unused.pk}/")
    assert "Familie Muster" not in unused_row and "keine Freischaltung" in unused_row

    page = text(admin.get(f"/staff/{broker.pk}/tariffs/{account.pk}/"))
    used_by = page.split("<h2>Verwendet von</h2>", 1)[1]
    assert f'<a href="/staff/{broker.pk}/grants/{grant.pk}/">Familie Muster</a>' in used_by
    unused_page = text(admin.get(f"/staff/{broker.pk}/tariffs/{unused.pk}/"))
    assert "keine Freischaltung" in unused_page.split("<h2>Verwendet von</h2>", 1)[1]


def test_delete_asks_first_then_deletes_and_the_grant_loses_its_calculator(api, broker, broker_admin):
    account, grant = tariff_setup(broker)
    admin = broker_admin.client
    url = f"/staff/{broker.pk}/tariffs/{account.pk}/delete/"
    before = version(broker)

    question = text(admin.get(url))

    assert "„Rechner Alt“ löschen?" in question
    assert "Diese Freischaltungen verwenden es" in question and "<li>Familie Muster</li>" in question
    assert TariffAccount.objects.filter(pk=account.pk).exists()  # the question changed nothing
    assert version(broker) == before

    response = admin.post(url)

    assert response.status_code == 302 and response["Location"] == f"/staff/{broker.pk}/tariffs/"
    assert not TariffAccount.objects.filter(pk=account.pk).exists()
    grant.refresh_from_db()
    assert grant.tariff_account is None and grant.offer_creation
    assert version(broker) != before
    assert AuditEntry.objects.get(broker=broker, action="tariff_accounts.deleted").object_id == "TA-1"
    listed = text(admin.get(f"/staff/{broker.pk}/tariffs/"))
    assert "Das Tarifrechner-Konto „Rechner Alt“ ist gelöscht." in listed
    assert api.get(f"/grants/{grant.pk}").json()["actions"]["tariff_account"] is None


def test_another_brokers_tariff_account_is_404(broker, other_broker, broker_admin):
    admin = broker_admin.client
    load(other_broker, tariff_accounts={"TA-1": {"name": "Fremder Rechner", "url": "https://fremd.example/"}})
    foreign = TariffAccount.objects.get(broker=other_broker)
    before = version(other_broker)

    assert admin.get(f"/staff/{broker.pk}/tariffs/{foreign.pk}/").status_code == 404
    assert admin.get(f"/staff/{broker.pk}/tariffs/{foreign.pk}/delete/").status_code == 404
    edit = admin.post(
        f"/staff/{broker.pk}/tariffs/{foreign.pk}/", {"name": "Gekapert", "url": "https://x.example/"}
    )
    assert edit.status_code == 404
    assert admin.post(f"/staff/{broker.pk}/tariffs/{foreign.pk}/delete/").status_code == 404
    assert admin.get(f"/staff/{other_broker.pk}/tariffs/").status_code == 404
    assert admin.post(f"/staff/{other_broker.pk}/tariffs/{foreign.pk}/delete/").status_code == 404

    foreign.refresh_from_db()
    assert (foreign.name, foreign.url) == ("Fremder Rechner", "https://fremd.example/")
    assert version(other_broker) == before
    assert "Fremder Rechner" not in text(admin.get(f"/staff/{broker.pk}/tariffs/"))


# Sparten


def test_the_lines_tab_shows_the_default_catalogue(broker, broker_admin):
    admin = broker_admin.client

    page = text(admin.get(f"/staff/{broker.pk}/lines/"))

    assert "<h1>Sparten</h1>" in page
    for code, label, group, gdv in (
        ("KFZ", "Kraftfahrt", "Mobilität", "050"),
        ("HRV", "Hausrat", "Wohnen", "130"),
        ("HPV", "Privathaftpflicht", "Haftung", "040"),
    ):
        row = table_row(page, f'<th scope="row">{code}</th>')
        line = Line.objects.get(broker=broker, code=code)
        assert f'name="label" value="{label}"' in row
        assert re.search(rf'<option value="{group}" selected>', row), row
        assert len(re.findall(r" selected>", row)) == 1
        assert f"<td>{gdv}</td>" in row
        assert f'action="/staff/{broker.pk}/lines/{line.pk}/"' in row
    assert page.count('<th scope="row">') == Line.objects.filter(broker=broker).count() == 11


def test_an_admin_edits_a_line(broker, broker_admin):
    admin = broker_admin.client
    line = Line.objects.get(broker=broker, code="HRV")
    before = version(broker)

    response = admin.post(
        f"/staff/{broker.pk}/lines/{line.pk}/", {"label": "Wohninhalt", "group": "Sonstiges"}
    )

    assert response.status_code == 302 and response["Location"] == f"/staff/{broker.pk}/lines/"
    line.refresh_from_db()
    assert (line.code, line.label, line.group, line.gdv) == ("HRV", "Wohninhalt", "Sonstiges", "130")
    assert version(broker) != before
    entry = AuditEntry.objects.get(broker=broker, action="lines.updated")
    assert entry.object_id == "HRV" and entry.actor_user == broker_admin.user
    page = text(admin.get(f"/staff/{broker.pk}/lines/"))
    assert "Die Sparte HRV ist gespeichert." in page
    row = table_row(page, '<th scope="row">HRV</th>')
    assert 'value="Wohninhalt"' in row and '<option value="Sonstiges" selected>' in row


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"label": "Wohninhalt", "group": "Garten"},
            "group",
            "Bitte eine gültige Auswahl treffen. Garten ist keine gültige Auswahl.",
        ),
        ({"label": "", "group": "Wohnen"}, "label", "Dieses Feld ist zwingend erforderlich."),
        ({"label": "  ", "group": "Wohnen"}, "label", "Dieses Feld ist zwingend erforderlich."),
        ({"label": "Wohninhalt"}, "group", "Dieses Feld ist zwingend erforderlich."),
    ],
)
def test_an_invalid_line_edit_is_refused(broker, data, field, message, broker_admin):
    admin = broker_admin.client
    line = Line.objects.get(broker=broker, code="HRV")
    before = version(broker)

    response = admin.post(f"/staff/{broker.pk}/lines/{line.pk}/", data)

    assert response.status_code == 422
    assert field_error(response.content.decode(), field) == message
    line.refresh_from_db()
    assert (line.label, line.group, line.gdv) == ("Hausrat", "Wohnen", "130")
    assert version(broker) == before
    assert "lines.updated" not in actions(broker)


def test_another_brokers_line_is_404(broker, other_broker, broker_admin):
    admin = broker_admin.client
    foreign = Line.objects.get(broker=other_broker, code="HRV")
    before = version(other_broker)

    assert admin.get(f"/staff/{broker.pk}/lines/{foreign.pk}/").status_code == 404
    response = admin.post(f"/staff/{broker.pk}/lines/{foreign.pk}/", {"label": "Gekapert", "group": "Recht"})
    assert response.status_code == 404
    assert admin.get(f"/staff/{other_broker.pk}/lines/").status_code == 404

    foreign.refresh_from_db()
    assert (foreign.label, foreign.group) == ("Hausrat", "Wohnen")
    assert Line.objects.get(broker=broker, code="HRV").label == "Hausrat"
    assert version(other_broker) == before


def test_a_changed_label_shows_in_the_portal_at_the_next_request(broker, broker_admin):
    load(
        broker,
        customers={"K-1": person("Muster", "Klara")},
        contracts={"C-1": contract("K-1", "N-1", "HRV"), "C-2": contract("K-1", "N-2", "KFZ")},
    )
    grant = make_grant(broker, "Firma", ["K-1"], view="business")
    member = member_client(grant, "firma@example.org")
    url = f"/portal/{grant.pk}/"
    for _ in range(2):  # the second answer comes from the cache
        page = portal_part(text(member.get(url)))
        assert "<td>Hausrat</td>" in page and "<td>Kraftfahrt</td>" in page
    admin = broker_admin.client
    line = Line.objects.get(broker=broker, code="HRV")

    assert (
        admin.post(
            f"/staff/{broker.pk}/lines/{line.pk}/", {"label": "Wohninhalt", "group": "Wohnen"}
        ).status_code
        == 302
    )

    page = portal_part(text(member.get(url)))
    assert "<td>Wohninhalt</td>" in page and "<td>Hausrat</td>" not in page
    assert "<td>Kraftfahrt</td>" in page


# API-Zugänge


def test_a_new_token_is_shown_once_and_works_against_the_api(broker, broker_admin):
    admin = broker_admin.client
    url = f"/staff/{broker.pk}/api/"
    assert "Noch keine Tokens." in text(admin.get(url))

    response = admin.post(url, {"name": "AMS Produktion"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Der Token „AMS Produktion“ ist erstellt." in page
    shown = re.search(r'<code class="secret" id="new-token">([^<]+)</code>', page)
    assert shown and SECRET.fullmatch(shown.group(1))
    secret = shown.group(1)
    token = ApiToken.objects.get(broker=broker)
    assert token.name == "AMS Produktion" and not token.read_only and token.revoked_at is None
    assert token.key_hash == hash_token(secret) and token.prefix == secret[:10]
    assert secret not in token.key_hash + token.prefix
    entry = AuditEntry.objects.get(broker=broker, action="api_token.created")
    assert entry.object_id == token.prefix and entry.actor_user == broker_admin.user
    assert entry.data == {"read_only": False}

    later = text(admin.get(url))
    assert secret not in later and not SECRET.search(later.replace(token.prefix + "…", ""))
    row = table_row(later, "AMS Produktion")
    assert f"<code>{token.prefix}…</code>" in row and "lesen und schreiben" in row
    assert cells(row)[4] == "nie"  # last used

    lines = Api(secret).get("/lines")
    assert lines.status_code == 200, lines.content
    assert "HRV" in {line["code"] for line in lines.json()["items"]}

    token.refresh_from_db()
    assert token.last_used_at is not None
    row = table_row(text(admin.get(url)), "AMS Produktion")
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", cells(row)[4]), cells(row)


def test_a_read_only_token_can_read_but_not_write(broker, broker_admin):
    admin = broker_admin.client
    response = admin.post(f"/staff/{broker.pk}/api/", {"name": "Reporting", "read_only": "on"})
    assert response.status_code == 200
    secret = found(SECRET, response.content.decode())
    token = ApiToken.objects.get(broker=broker, name="Reporting")
    assert token.read_only
    assert AuditEntry.objects.get(broker=broker, action="api_token.created").data == {"read_only": True}
    reporting = Api(secret)

    assert reporting.get("/lines").status_code == 200
    refused = reporting.put("/lines/XYZ", {"label": "Neu", "group": "Sonstiges", "gdv": None})
    assert refused.status_code == 403
    assert not Line.objects.filter(broker=broker, code="XYZ").exists()
    assert "Nur Lesezugriff" in table_row(text(admin.get(f"/staff/{broker.pk}/api/")), "Reporting")


def test_a_token_without_a_name_is_refused(broker, broker_admin):
    admin = broker_admin.client

    response = admin.post(f"/staff/{broker.pk}/api/", {"name": ""})

    assert response.status_code == 422
    page = response.content.decode()
    assert field_error(page, "name") == "Dieses Feld ist zwingend erforderlich."
    assert not SECRET.search(page)
    assert not ApiToken.objects.filter(broker=broker).exists()
    assert "api_token.created" not in actions(broker)


def test_revoke_asks_first_then_the_api_refuses_the_token(broker, broker_admin):
    token, secret = create_token(broker=broker, name="AMS")
    ams = Api(secret)
    admin = broker_admin.client
    url = f"/staff/{broker.pk}/api/{token.pk}/revoke/"
    listed = text(admin.get(f"/staff/{broker.pk}/api/"))
    assert f'href="{url}"' in table_row(listed, f"{token.prefix}…")

    question = text(admin.get(url))

    assert f"„AMS“ ({token.prefix}…) widerrufen?" in question
    token.refresh_from_db()
    assert token.revoked_at is None  # the question changed nothing
    assert ams.get("/lines").status_code == 200

    response = admin.post(url)

    assert response.status_code == 302 and response["Location"] == f"/staff/{broker.pk}/api/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ams.get("/lines").status_code == 401
    entry = AuditEntry.objects.get(broker=broker, action="api_token.revoked")
    assert entry.object_id == token.prefix and entry.actor_user == broker_admin.user
    page = text(admin.get(f"/staff/{broker.pk}/api/"))
    assert "Der Token „AMS“ ist widerrufen." in page
    row = table_row(page, f"{token.prefix}…")
    assert "widerrufen am" in row and f'href="{url}"' not in row


def test_another_brokers_token_is_404(broker, other_broker, broker_admin):
    admin = broker_admin.client
    foreign, secret = create_token(broker=other_broker, name="Fremd-AMS")

    assert admin.get(f"/staff/{broker.pk}/api/{foreign.pk}/revoke/").status_code == 404
    assert admin.post(f"/staff/{broker.pk}/api/{foreign.pk}/revoke/").status_code == 404
    assert admin.post(f"/staff/{other_broker.pk}/api/{foreign.pk}/revoke/").status_code == 404
    assert admin.get(f"/staff/{other_broker.pk}/api/").status_code == 404

    foreign.refresh_from_db()
    assert foreign.revoked_at is None
    assert Api(secret).get("/lines").status_code == 200
    assert "Fremd-AMS" not in text(admin.get(f"/staff/{broker.pk}/api/"))


def test_the_webhook_is_saved_with_a_secret_shown_once_and_removed(broker, broker_admin):
    admin = broker_admin.client
    url = f"/staff/{broker.pk}/api/webhook/"

    response = admin.post(url, {"url": "https://ams.example/hook"})

    assert response.status_code == 200
    broker.refresh_from_db()
    assert broker.webhook_url == "https://ams.example/hook" and len(broker.webhook_secret) >= 32
    page = response.content.decode()
    assert "Der Webhook ist gespeichert." in page
    assert f'<code class="secret" id="webhook-secret">{broker.webhook_secret}</code>' in page
    later = text(admin.get(f"/staff/{broker.pk}/api/"))
    assert broker.webhook_secret not in later
    assert 'value="https://ams.example/hook"' in later
    assert "broker.webhook_set" in actions(broker)

    first_secret = broker.webhook_secret
    assert admin.post(url, {"url": "https://ams.example/hook2"}).status_code == 200
    broker.refresh_from_db()
    assert broker.webhook_url == "https://ams.example/hook2" and broker.webhook_secret != first_secret

    removed = admin.post(url, {"url": ""})

    assert removed.status_code == 302 and removed["Location"] == f"/staff/{broker.pk}/api/"
    broker.refresh_from_db()
    assert (broker.webhook_url, broker.webhook_secret) == ("", "")
    assert "Der Webhook ist entfernt." in text(admin.get(f"/staff/{broker.pk}/api/"))
    assert actions(broker)[-1] == "broker.webhook_removed"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("kein url", "Bitte eine gültige Adresse eingeben."),
        ("ftp://ams.example/hook", "Bitte geben Sie eine http- oder https-Adresse ein."),
    ],
)
def test_an_invalid_webhook_is_refused_and_the_old_one_kept(broker, value, message, broker_admin):
    admin = broker_admin.client
    url = f"/staff/{broker.pk}/api/webhook/"
    assert admin.post(url, {"url": "https://ams.example/hook"}).status_code == 200
    broker.refresh_from_db()
    kept = (broker.webhook_url, broker.webhook_secret)
    count = AuditEntry.objects.filter(broker=broker).count()

    response = admin.post(url, {"url": value})

    assert response.status_code == 422
    page = response.content.decode()
    assert field_error(page, "url") == message
    assert 'id="webhook-secret"' not in page
    broker.refresh_from_db()
    assert (broker.webhook_url, broker.webhook_secret) == kept
    assert AuditEntry.objects.filter(broker=broker).count() == count


def test_the_webhook_takes_no_get(broker, broker_admin):
    admin = broker_admin.client
    assert admin.get(f"/staff/{broker.pk}/api/webhook/").status_code == 405


# A staff user (role user): the settings are for administrators


def test_a_staff_user_cannot_write_any_of_these_tabs(api, broker, broker_user):  # api: the token "AMS"
    account, grant = tariff_setup(broker)
    token, secret = create_token(broker=broker, name="AMS Produktion")
    user = broker_user.client
    line = Line.objects.get(broker=broker, code="HRV")
    b = broker.pk
    posts = [
        (f"/staff/{b}/tariffs/", {"name": "Neu", "url": "https://neu.example/"}),
        (f"/staff/{b}/tariffs/{account.pk}/", {"name": "Umbenannt", "url": "https://neu.example/"}),
        (f"/staff/{b}/tariffs/{account.pk}/delete/", {}),
        (f"/staff/{b}/lines/{line.pk}/", {"label": "Wohninhalt", "group": "Sonstiges"}),
        (f"/staff/{b}/api/", {"name": "Hintertür"}),
        (f"/staff/{b}/api/{token.pk}/revoke/", {}),
        (f"/staff/{b}/api/webhook/", {"url": "https://evil.example/hook"}),
    ]
    before = version(broker)
    audit = AuditEntry.objects.filter(broker=broker).count()

    for url, data in posts:
        response = user.post(url, data)
        assert response.status_code == 403, url
        assert not SECRET.search(response.content.decode()), url
    for url in (f"/staff/{b}/tariffs/", f"/staff/{b}/lines/", f"/staff/{b}/api/"):
        assert user.get(url).status_code == 403, url

    account.refresh_from_db()
    assert (account.name, account.url) == ("Rechner Alt", "https://alt.example/{account}")
    assert TariffAccount.objects.filter(broker=broker).count() == 1
    grant = Grant.objects.get(pk=grant.pk)
    assert grant.tariff_account_id == account.pk
    line.refresh_from_db()
    assert (line.label, line.group) == ("Hausrat", "Wohnen")
    assert list(ApiToken.objects.filter(broker=broker).values_list("name", flat=True).order_by("name")) == [
        "AMS",
        "AMS Produktion",
    ]
    token.refresh_from_db()
    assert token.revoked_at is None and Api(secret).get("/lines").status_code == 200
    broker.refresh_from_db()
    assert (broker.webhook_url, broker.webhook_secret) == ("", "")
    assert version(broker) == before
    assert AuditEntry.objects.filter(broker=broker).count() == audit
