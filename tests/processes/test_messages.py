"""Messages (domain.md §5, visibility.md §6): a portal user writes to the office with the messages
permission and primary contact; the office answers through the AMS; shared_processes decides whether the
grant's members see each other's threads; unread markers; e-mails say that there is news, never the
content; the preview and every access edge refuse."""

from __future__ import annotations

import re
from typing import Any

import pytest

from einblick.grants.models import Grant
from einblick.processes.models import Message, Process, ProcessState, ProcessType
from tests.factories import load, make_grant, member_client
from tests.mail import link_in, text_of
from tests.pages import text
from tests.samples import person

CLERK = {"name": "Max Betreuer", "email": "max@makler.example", "phone": "+49 89 1", "role": "user"}
WRITE: dict[str, Any] = {"primary_contact": True, "messages": True, "clerk": "U-1"}
SECRET = "Mein Wasserschaden in der Küche"


@pytest.fixture
def family(broker) -> Grant:
    load(broker, staff={"U-1": CLERK}, customers={"K-1": person("Muster", "Klara")})
    return make_grant(broker, "Familie Muster", ["K-1"], **WRITE)


def token_of(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def write(client, grant: Grant, subject: str = "Frage zur Hausrat", body: str = SECRET):
    page = text(client.get(f"/portal/{grant.pk}/messages/new/"))
    return client.post(
        f"/portal/{grant.pk}/messages/new/", {"subject": subject, "body": body, "token": token_of(page)}
    )


def test_a_member_writes_and_the_clerk_is_told_without_the_content(
    family,
    smtp,
    django_capture_on_commit_callbacks,
):
    client = member_client(family, "klara@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = write(client, family)
    process = Process.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/{family.pk}/messages/{process.pk}/"
    assert (process.type, process.state, process.grant_id) == (
        ProcessType.MESSAGE,
        ProcessState.NEW,
        family.pk,
    )
    assert process.clerk is not None and process.clerk.external_id == "U-1"
    assert process.created_by is not None and process.created_by.email == "klara@example.org"
    page = text(client.get(response["Location"]))
    assert SECRET in page and "Frage zur Hausrat" in page
    mail = smtp.wait(1)[0]
    assert "max@makler.example" in mail["To"]
    assert SECRET not in text_of(mail) and "Hausrat" not in text_of(mail) and "Hausrat" not in mail["Subject"]


def test_the_office_answers_through_the_ams_and_the_user_sees_it_marked_new(
    family,
    api,
    smtp,
    django_capture_on_commit_callbacks,
):
    client = member_client(family, "klara@example.org")
    write(client, family)
    process = Process.objects.get()
    listing = text(client.get(f"/portal/{family.pk}/messages/"))
    assert "Neue Antwort" not in listing
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/processes/{process.pk}/messages", {"body": "Wir kümmern uns.", "author": "U-1"}
        )
    assert response.status_code == 201, response.content
    mail = smtp.to("klara@example.org")[0]
    assert "Wir kümmern uns" not in text_of(mail)
    assert link_in(mail) == f"/portal/{family.pk}/messages/{process.pk}/"
    listing = text(client.get(f"/portal/{family.pk}/messages/"))
    assert "Neue Antwort" in listing
    thread = text(client.get(f"/portal/{family.pk}/messages/{process.pk}/"))
    assert "Wir kümmern uns." in thread and "Max Betreuer" in thread
    assert "Neue Antwort" not in text(client.get(f"/portal/{family.pk}/messages/"))  # read now


def test_the_user_answers_in_the_thread_and_the_office_sees_it_unread(family):
    client = member_client(family, "klara@example.org")
    write(client, family)
    process = Process.objects.get()
    Process.objects.filter(pk=process.pk).update(office_unread=False)
    url = f"/portal/{family.pk}/messages/{process.pk}/"
    response = client.post(url, {"body": "Noch eine Frage", "token": token_of(text(client.get(url)))})
    assert response.status_code == 302
    assert list(process.messages.values_list("body", flat=True)) == [SECRET, "Noch eine Frage"]
    assert Process.objects.get().office_unread


def test_a_double_submitted_form_writes_once(family):
    client = member_client(family, "klara@example.org")
    page = text(client.get(f"/portal/{family.pk}/messages/new/"))
    body = {"subject": "Frage", "body": SECRET, "token": token_of(page)}
    first = client.post(f"/portal/{family.pk}/messages/new/", body)
    second = client.post(f"/portal/{family.pk}/messages/new/", body)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == f"/portal/{family.pk}/messages/"
    assert Process.objects.count() == 1 and Message.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"subject": "", "body": "x"}, "subject"),
        ({"subject": "x", "body": "   "}, "body"),
        ({"subject": "x" * 201, "body": "x"}, "subject"),
    ],
)
def test_bad_input_is_answered_in_place_and_nothing_is_written(family, data, field):
    client = member_client(family, "klara@example.org")
    page = text(client.get(f"/portal/{family.pk}/messages/new/"))
    response = client.post(f"/portal/{family.pk}/messages/new/", {**data, "token": token_of(page)})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'<div class="field invalid">\s*<label for="id_{field}"', html), html
    assert not Process.objects.exists()


@pytest.mark.parametrize("missing", ["primary_contact", "messages"])
def test_without_primary_contact_or_messages_writing_is_refused(broker, family, missing):
    grant = make_grant(broker, "Ohne", ["K-1"], **{**WRITE, missing: False})
    client = member_client(grant, "klara@example.org")
    assert client.get(f"/portal/{grant.pk}/messages/new/").status_code == 403
    assert client.post(f"/portal/{grant.pk}/messages/new/", {"subject": "x", "body": "y"}).status_code == 403
    assert "Nachricht schreiben" not in text(client.get(f"/portal/{grant.pk}/messages/"))
    assert not Process.objects.exists()


def test_own_threads_unless_shared_processes(api, family):
    klara = member_client(family, "klara@example.org")
    otto = member_client(family, "otto@example.org")
    write(klara, family, subject="Von Klara")
    process = Process.objects.get()
    url = f"/portal/{family.pk}/messages/{process.pk}/"
    assert "Von Klara" not in text(otto.get(f"/portal/{family.pk}/messages/"))
    assert otto.get(url).status_code == 404
    assert otto.post(url, {"body": "Ich auch"}).status_code == 404

    body = {
        "name": "Familie Muster",
        "customers": ["K-1"],
        "share": {"shared_processes": True},
        "actions": WRITE,
    }
    assert api.put(f"/grants/{family.pk}", body).status_code == 200
    assert "Von Klara" in text(otto.get(f"/portal/{family.pk}/messages/"))
    reply = otto.post(url, {"body": "Ich auch", "token": token_of(text(otto.get(url)))})
    assert reply.status_code == 302
    assert process.messages.count() == 2


def test_another_grant_or_broker_never_sees_a_thread(broker, other_api, family):
    load(broker, customers={"K-2": person("Nachbar", "Nora")})
    neighbour = make_grant(broker, "Nachbar", ["K-2"], **WRITE)
    klara = member_client(family, "klara@example.org")
    write(klara, family)
    process = Process.objects.get()
    nora = member_client(neighbour, "nora@example.org")
    assert nora.get(f"/portal/{neighbour.pk}/messages/{process.pk}/").status_code == 404
    assert nora.get(f"/portal/{family.pk}/messages/{process.pk}/").status_code == 404
    assert klara.get(f"/portal/{family.pk}/messages/p_unknownunknown/").status_code == 404
    assert other_api.get(f"/processes/{process.pk}").status_code == 404


def test_the_preview_reads_shared_threads_and_refuses_to_write(api, family, broker_admin):
    body = {
        "name": "Familie Muster",
        "customers": ["K-1"],
        "share": {"shared_processes": True},
        "actions": WRITE,
    }
    assert api.put(f"/grants/{family.pk}", body).status_code == 200
    family.refresh_from_db()
    write(member_client(family, "klara@example.org"), family, subject="Sichtbar")
    process = Process.objects.get()
    staff = broker_admin.client
    staff.get(f"/staff/grants/{family.pk}/preview/")
    assert "Sichtbar" in text(staff.get(f"/portal/{family.pk}/messages/"))
    assert staff.get(f"/portal/{family.pk}/messages/{process.pk}/").status_code == 200
    assert staff.post(f"/portal/{family.pk}/messages/{process.pk}/", {"body": "x"}).status_code == 403
    assert staff.post(f"/portal/{family.pk}/messages/new/", {"subject": "x", "body": "y"}).status_code == 403
    assert process.messages.count() == 1


def test_a_closed_thread_takes_no_answer(family):
    client = member_client(family, "klara@example.org")
    write(client, family)
    process = Process.objects.get()
    Process.objects.filter(pk=process.pk).update(state=ProcessState.CLOSED)
    url = f"/portal/{family.pk}/messages/{process.pk}/"
    page = text(client.get(url))
    assert 'name="body"' not in page
    token = token_of(text(client.get(f"/portal/{family.pk}/messages/new/")))  # a valid one-time token
    response = client.post(url, {"body": "Hallo?", "token": token})
    assert response.status_code == 200
    assert "geschlossen" in response.content.decode()
    assert process.messages.count() == 1
    refused = text(response)  # the refusal is shown, and what was typed is not lost
    assert "Der Vorgang ist abgeschlossen; bitte schreiben Sie eine neue Nachricht." in refused
    assert "Ihr Text, der nicht gesendet wurde:" in refused and "Hallo?" in refused


def test_anonymous_visitors_are_sent_to_the_login(family):
    from django.test import Client

    for path in ("messages/", "messages/new/"):
        response = Client().get(f"/portal/{family.pk}/{path}")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_used_token_stays_used_even_if_a_parallel_request_kept_it(family):
    """Two requests in flight with one token: the session of the second still lists it, the cache's
    atomic add refuses it."""
    client = member_client(family, "klara@example.org")
    page = text(client.get(f"/portal/{family.pk}/messages/new/"))
    token = token_of(page)
    session = client.session
    kept = list(session["einblick_form_tokens"])
    body = {"subject": "Frage", "body": SECRET, "token": token}
    assert client.post(f"/portal/{family.pk}/messages/new/", body).status_code == 302
    session = client.session
    session["einblick_form_tokens"] = kept  # as the parallel request saw the session
    session.save()
    assert (
        client.post(f"/portal/{family.pk}/messages/new/", body)["Location"]
        == f"/portal/{family.pk}/messages/"
    )
    assert Process.objects.count() == 1
