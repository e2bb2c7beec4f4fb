"""Every office URL × every kind of visitor, from one table: anonymous, a portal user, a staff user
(role user), a staff admin, and an admin of another broker. A meta-test fails when the office has a URL
the table does not list."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from einblick.brokers.models import StaffMember, TariffAccount
from einblick.brokers.services import create_token
from einblick.grants.models import Grant
from einblick.portfolio.models import Line
from einblick.processes import services
from einblick.processes.models import Attachment, Process
from tests.samples import JPEG

PERSONAS = ("anonymous", "portal", "user", "admin", "other_admin")
LOGIN = 302
# url name → (path pattern, method, expected status per persona)
MATRIX: dict[str, tuple[str, str, dict[str, int]]] = {
    "home": ("/staff/", "get", {"anonymous": LOGIN, "portal": 403, "user": 200, "admin": 200, "other_admin": 200}),
    "preview": ("/staff/grants/{grant}/preview/", "get", {"anonymous": LOGIN, "portal": 404, "user": 404, "admin": 302, "other_admin": 404}),
    "grants": ("/staff/{broker}/grants/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "grant_new": ("/staff/{broker}/grants/new/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "grant": ("/staff/{broker}/grants/{grant}/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "grant_delete": ("/staff/{broker}/grants/{grant}/delete/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "tariffs": ("/staff/{broker}/tariffs/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "tariff": ("/staff/{broker}/tariffs/{tariff}/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "tariff_delete": ("/staff/{broker}/tariffs/{tariff}/delete/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "team": ("/staff/{broker}/staff/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "team_member": ("/staff/{broker}/staff/{staff}/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "team_member_delete": ("/staff/{broker}/staff/{staff}/delete/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "lines": ("/staff/{broker}/lines/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "line": ("/staff/{broker}/lines/{line}/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "tokens": ("/staff/{broker}/api/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "token_revoke": ("/staff/{broker}/api/{token}/revoke/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "webhook": ("/staff/{broker}/api/webhook/", "post", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 302, "other_admin": 404}),
    "appearance": ("/staff/{broker}/appearance/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "appearance_logo": ("/staff/{broker}/appearance/logo/", "post", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 422, "other_admin": 404}),
    "audit": ("/staff/{broker}/audit/", "get", {"anonymous": LOGIN, "portal": 403, "user": 403, "admin": 200, "other_admin": 404}),
    "inbox": ("/staff/inbox/", "get", {"anonymous": LOGIN, "portal": 403, "user": 200, "admin": 200, "other_admin": 200}),
    "process": ("/staff/inbox/{process}/", "get", {"anonymous": LOGIN, "portal": 403, "user": 200, "admin": 200, "other_admin": 404}),
    "attachment": ("/staff/inbox/{process}/files/{attachment}/", "get", {"anonymous": LOGIN, "portal": 403, "user": 200, "admin": 200, "other_admin": 404}),
}  # fmt: skip


def test_every_office_url_is_in_the_table():
    names: set[str | None] = set()
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "staff":
            assert all(isinstance(p, URLPattern) for p in pattern.url_patterns), "an include in the office"
            names = {p.name for p in pattern.url_patterns if isinstance(p, URLPattern)}
    assert names == set(MATRIX), (
        f"missing from the table: {names - set(MATRIX)}; stale: {set(MATRIX) - names}"
    )


@pytest.fixture
def world(broker, klara, broker_user, broker_admin, other_broker_admin) -> dict[str, Any]:
    """The personas, and Klara's conversation with the office with a photo attached."""
    process = services.start_message(grant=klara.grant, user=klara.user, subject="Frage", body="Text")
    photo = SimpleUploadedFile("a.jpg", JPEG)
    services.reply_as_user(process=process, grant=klara.grant, user=klara.user, body="Foto", uploads=[photo])
    clients = {
        "anonymous": Client(),
        "portal": klara.client,
        "user": broker_user.client,
        "admin": broker_admin.client,
        "other_admin": other_broker_admin.client,
    }
    values = {
        "broker": broker.pk,
        "grant": klara.grant.pk,
        "process": process.pk,
        "attachment": Attachment.objects.get().pk,
        "tariff": TariffAccount.objects.create(
            broker=broker, external_id="T-1", name="Rechner", url="https://r.example/"
        ).pk,
        "staff": StaffMember.objects.get(broker=broker, email=broker_user.email).pk,
        "line": Line.objects.get(broker=broker, code="KFZ").pk,
        "token": create_token(broker=broker, name="AMS")[0].pk,
    }
    return {"clients": clients, "values": values}


def _close(response) -> None:
    """Close a download's file as the server would, without request_finished ending the test's database
    connection (Django's test client does the same around its requests)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_matrix(world, name, persona):
    path, method, expected = MATRIX[name]
    response = getattr(world["clients"][persona], method)(path.format(**world["values"]))
    _close(response)
    assert response.status_code == expected[persona], (name, persona, response.status_code)
    if response.status_code == LOGIN and persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    assert Grant.objects.count() == 1 and Process.objects.count() == 1  # a GET changes nothing
