"""The office's inbox: the broker's processes for its staff (admin or user), filterable by clerk, type
and state; opening one reads it, the answer reaches the user (by e-mail: that there is news), closing
ends the user's answers. Everyone else: 403 or 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from einblick.accounts.models import User
from einblick.processes import services
from einblick.processes.models import Process, ProcessState
from tests.factories import load, make_grant, member_client, staff_client
from tests.mail import text_of
from tests.pages import text
from tests.samples import person

CLERK = {"name": "Max Betreuer", "email": "max@makler.example", "phone": None, "role": "user"}
WRITE: dict[str, Any] = {"primary_contact": True, "messages": True, "clerk": "U-1"}


@pytest.fixture
def process(broker) -> Process:
    load(broker, staff={"U-1": CLERK}, customers={"K-1": person("Muster", "Klara")})
    grant = make_grant(broker, "Familie Muster", ["K-1"], **WRITE)
    member_client(grant, "klara@example.org")
    user = User.objects.get(email="klara@example.org")
    return services.start_message(
        grant=grant, user=user, subject="Frage zur Hausrat", body="Wie hoch ist ...?"
    )


def test_staff_see_the_brokers_processes_and_filter_them(broker, process):
    office = staff_client(broker, "chefin@muster-makler.example", role="user")
    page = text(office.get("/staff/inbox/"))
    assert "Frage zur Hausrat" in page and "ungelesen" in page
    assert "Frage zur Hausrat" in text(office.get("/staff/inbox/?type=MESSAGE&state=new"))
    assert "Frage zur Hausrat" not in text(office.get("/staff/inbox/?type=CLAIM_REPORT"))
    assert "Frage zur Hausrat" not in text(office.get("/staff/inbox/?state=closed"))
    assert "Frage zur Hausrat" in text(office.get(f"/staff/inbox/?clerk={process.clerk_id}"))
    assert "Frage zur Hausrat" not in text(office.get("/staff/inbox/?clerk=mine"))  # Max's, not hers


def test_opening_reads_answering_tells_the_user_and_closing_ends_it(
    process, smtp, django_capture_on_commit_callbacks, broker_admin
):
    office = broker_admin.client
    url = f"/staff/inbox/{process.pk}/"
    assert "Wie hoch ist" in text(office.get(url))
    assert not Process.objects.get(pk=process.pk).office_unread
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(url, {"body": "Die Summe steht in der Police."})
    assert response.status_code == 302
    assert process.messages.last().author_name == "Sina Staff"
    mail = smtp.to("klara@example.org")[0]
    assert "Police" not in text_of(mail)
    assert office.post(url, {"action": "close"}).status_code == 302
    assert Process.objects.get(pk=process.pk).state == ProcessState.CLOSED
    klara = Client()
    klara.force_login(User.objects.get(email="klara@example.org"))
    thread = text(klara.get(f"/portal/{process.grant_id}/messages/{process.pk}/"))
    assert "Die Summe steht in der Police." in thread and 'name="body"' not in thread


def test_an_empty_answer_is_refused_in_place(process, broker_admin):
    office = broker_admin.client
    response = office.post(f"/staff/inbox/{process.pk}/", {"body": "  "})
    assert response.status_code == 200
    assert 'class="field invalid"' in response.content.decode()
    assert process.messages.count() == 1


def test_everyone_else_is_refused(broker, process, other_broker_admin):
    other = other_broker_admin.client
    assert other.get(f"/staff/inbox/{process.pk}/").status_code == 404
    assert other.post(f"/staff/inbox/{process.pk}/", {"body": "x"}).status_code == 404
    assert "Frage zur Hausrat" not in text(other.get("/staff/inbox/"))
    clerk_record = staff_client(broker, "nur.akte@muster-makler.example", role="none")
    assert clerk_record.get("/staff/inbox/").status_code == 403
    klara = Client()
    klara.force_login(User.objects.get(email="klara@example.org"))
    assert klara.get("/staff/inbox/").status_code == 403
    assert Client().get("/staff/inbox/").status_code == 302
    assert process.messages.count() == 1
