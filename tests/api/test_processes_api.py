"""The AMS outbox (api-v1.md "Processes"): list oldest first by state with cursor paging, fetch one,
acknowledge idempotently, answer, start a conversation; another broker's process is 404, bad input 422
naming the field, a read-only token 403."""

from __future__ import annotations

from typing import Any

import pytest

from einblick.grants.models import Grant
from einblick.processes import services
from einblick.processes.models import Process, ProcessState
from tests.factories import load, make_grant, member_client
from tests.samples import person

CLERK = {"name": "Max Betreuer", "email": "max@makler.example", "phone": None, "role": "user"}
WRITE: dict[str, Any] = {"primary_contact": True, "messages": True, "clerk": "U-1"}


@pytest.fixture
def grant(broker) -> Grant:
    load(broker, staff={"U-1": CLERK}, customers={"K-1": person("Muster", "Klara")})
    return make_grant(broker, "Familie Muster", ["K-1"], **WRITE)


@pytest.fixture
def three(grant) -> list[Process]:
    member_client(grant, "klara@example.org")
    from einblick.accounts.models import User

    user = User.objects.get(email="klara@example.org")
    return [
        services.start_message(grant=grant, user=user, subject=f"Frage {i}", body=f"Text {i}")
        for i in range(3)
    ]


def test_new_processes_oldest_first_with_cursor_paging(api, three):
    first = api.get("/processes", state="new", limit=2)
    assert first.status_code == 200, first.content
    body = first.json()
    assert [p["subject"] for p in body["items"]] == ["Frage 0", "Frage 1"]
    second = api.get("/processes", state="new", limit=2, cursor=body["next"]).json()
    assert [p["subject"] for p in second["items"]] == ["Frage 2"] and second["next"] is None
    item = body["items"][0]
    assert set(item) == {
        "id", "type", "state", "grant", "customer", "contract", "created_by", "clerk", "created_at",
        "subject", "payload", "ams_reference", "messages",
    }  # fmt: skip
    assert (item["type"], item["state"], item["clerk"], item["created_by"]) == (
        "MESSAGE", "new", "U-1", "klara@example.org"
    )  # fmt: skip
    assert item["messages"][0]["author"] == "klara@example.org"
    assert item["messages"][0]["body"] == "Text 0" and item["messages"][0]["attachments"] == []


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"state": "offen"}, ["query", "state"]),
        ({"cursor": "nonsense"}, ["query", "cursor"]),
        ({"cursor": "99999999999999999999:p_x"}, ["query", "cursor"]),
        ({"cursor": "²:p_x"}, ["query", "cursor"]),
        ({"limit": 0}, ["query", "limit"]),
    ],
)
def test_bad_list_queries_are_422_naming_the_parameter(api, three, params, loc):
    response = api.get("/processes", **params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc


def test_acknowledge_is_idempotent_and_another_reference_conflicts(api, three):
    process = three[0]
    for _ in range(2):
        response = api.post(f"/processes/{process.pk}/ack", {"ams_reference": "AMS-4711"})
        assert response.status_code == 200, response.content
        assert (response.json()["state"], response.json()["ams_reference"]) == ("acknowledged", "AMS-4711")
    assert [p["id"] for p in api.get("/processes", state="new").json()["items"]] == [three[1].pk, three[2].pk]
    assert [p["id"] for p in api.get("/processes", state="acknowledged").json()["items"]] == [process.pk]
    conflict = api.post(f"/processes/{process.pk}/ack", {"ams_reference": "AMS-9999"})
    assert conflict.status_code == 409
    assert Process.objects.get(pk=process.pk).ams_reference == "AMS-4711"
    assert api.post(f"/processes/{process.pk}/ack", {"ams_reference": ""}).status_code == 422
    assert api.post(f"/processes/{process.pk}/ack", {}).status_code == 422


def test_another_brokers_process_is_404_everywhere(other_api, three, other_broker):
    load(other_broker, staff={"U-1": CLERK})
    pk = three[0].pk
    assert other_api.get(f"/processes/{pk}").status_code == 404
    assert other_api.post(f"/processes/{pk}/ack", {"ams_reference": "X"}).status_code == 404
    assert other_api.post(f"/processes/{pk}/messages", {"body": "x", "author": "U-1"}).status_code == 404
    assert other_api.get("/processes").json()["items"] == []
    assert Process.objects.get(pk=pk).state == ProcessState.NEW


def test_unknown_and_malformed_ids(api, three):
    assert api.get("/processes/p_doesnotexist00").status_code == 404
    assert api.get("/processes/../grants").status_code in (404, 422)
    assert api.get("/processes/x%00y").status_code in (404, 422)


def test_an_answer_needs_a_staff_member_of_this_broker_and_a_body(api, three):
    pk = three[0].pk
    unknown = api.post(f"/processes/{pk}/messages", {"body": "Hallo", "author": "U-9"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["author"]
    empty = api.post(f"/processes/{pk}/messages", {"body": "", "author": "U-1"})
    assert empty.status_code == 422
    blank = api.post(f"/processes/{pk}/messages", {"body": "   ", "author": "U-1"})
    assert blank.status_code == 422
    ok = api.post(f"/processes/{pk}/messages", {"body": "Erledigt", "author": "U-1"})
    assert ok.status_code == 201
    assert [m["author"] for m in ok.json()["messages"]] == ["klara@example.org", "U-1"]


def test_read_only_tokens_read_but_do_not_write(read_only_api, three):
    pk = three[0].pk
    assert read_only_api.get(f"/processes/{pk}").status_code == 200
    assert read_only_api.post(f"/processes/{pk}/ack", {"ams_reference": "A"}).status_code == 403
    assert read_only_api.post(f"/processes/{pk}/messages", {"body": "x", "author": "U-1"}).status_code == 403


def test_the_office_starts_a_conversation_with_an_active_member(api, grant, other_api, other_broker):
    client = member_client(grant, "klara@example.org")
    body = {
        "grant": grant.pk,
        "recipient": "Klara@Example.org",
        "subject": "Ihre Police",
        "body": "Bitte prüfen",
        "author": "U-1",
    }
    response = api.post("/processes", body)
    assert response.status_code == 201, response.content
    started = response.json()
    assert (started["type"], started["created_by"], started["messages"][0]["author"]) == (
        "MESSAGE",
        "klara@example.org",
        "U-1",
    )
    page = client.get(f"/portal/{grant.pk}/messages/").content.decode()
    assert "Ihre Police" in page and "Neue Antwort" in page

    for change, loc in (
        ({"recipient": "fremd@example.org"}, ["recipient"]),
        ({"grant": "g_unknown"}, ["grant"]),
        ({"author": "U-7"}, ["author"]),
        ({"subject": ""}, ["body", "subject"]),
    ):
        refused = api.post("/processes", {**body, **change})
        assert refused.status_code == 422, (change, refused.content)
        assert loc in [e["loc"] for e in refused.json()["errors"]], (change, refused.json())
    load(other_broker, staff={"U-1": CLERK})
    assert other_api.post("/processes", body).status_code == 422  # another broker's grant: unknown
    assert Process.objects.count() == 1
