"""Whose audit log sees a person's account events, and the events beyond logins (review findings)."""

from __future__ import annotations

import pytest
from django.test import Client

from einblick.audit.models import AuditEntry
from einblick.brokers.models import StaffMember
from einblick.office.members import share
from tests.factories import PASSWORD, give_totp, join, make_grant
from tests.pages import log_in


def _logins(broker) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="account.login", broker=broker))


def test_a_broker_that_only_invited_an_address_does_not_see_that_persons_logins(
    db, broker, other_broker, grant
):
    join(grant, "klara@example.org", PASSWORD)
    snoop = make_grant(other_broker, "Neugierig")
    share(grant=snoop, actor=None, email="someone.else@example.org")
    snoop.members.create(
        email="klara@example.org", state="invited", invited_at=grant.members.get().invited_at
    )
    StaffMember.objects.create(
        broker=other_broker, external_id="U-9", name="Klara", email="klara@example.org", role="none"
    )

    log_in(Client(), "klara@example.org")

    assert len(_logins(broker)) == 1
    assert _logins(other_broker) == []


def test_failed_logins_are_logged_whatever_the_login_form(db, broker, grant):
    join(grant, "klara@example.org", PASSWORD)

    Client().post("/accounts/login/", {"login": "klara@example.org", "password": "falsch falsch falsch"})

    [entry] = AuditEntry.objects.filter(action="account.login_failed")
    assert entry.broker == broker and entry.ip == "127.0.0.1"
    assert "falsch" not in str(entry.data) + entry.actor_label


def test_a_wrong_second_factor_code_is_logged(db, broker, grant):
    user = join(grant, "klara@example.org", PASSWORD)
    give_totp(user)
    client = Client()
    log_in(client, user.email)

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})

    assert response.status_code == 200  # the form again, with its error
    [entry] = AuditEntry.objects.filter(action="account.mfa_failed")
    assert entry.actor_user == user and entry.broker == broker
    assert "000000" not in str(entry.data)


def test_downloading_ones_data_is_logged(db, broker, grant):
    user = join(grant, "klara@example.org", PASSWORD)
    client = Client()
    client.force_login(user)

    assert client.get("/accounts/export/").status_code == 200

    assert AuditEntry.objects.filter(action="account.exported", actor_user=user).exists()


def test_member_events_name_the_member_and_deleting_the_account_removes_the_address(db, broker, grant):
    user = join(grant, "klara@example.org", PASSWORD)
    client = Client()
    log_in(client, user.email)
    assert AuditEntry.objects.filter(action="grant.member_added", data__email="klara@example.org").exists()

    client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})

    assert not AuditEntry.objects.filter(data__email="klara@example.org").exists()
    assert "klara@example.org" not in str(list(AuditEntry.objects.values()))


@pytest.mark.django_db(transaction=True)
def test_an_invitation_login_is_in_the_session_list_at_once(broker, smtp):
    from allauth.usersessions.models import UserSession

    from tests.mail import link_in

    grant = make_grant(broker, "Familie")
    share(grant=grant, actor=None, email="neu@example.org")
    [mail] = smtp.wait(1)
    client = Client()
    client.get(link_in(mail))
    client.post("/accounts/invitation/", {"password1": PASSWORD, "password2": PASSWORD})

    assert UserSession.objects.filter(session_key=client.session.session_key).exists()
