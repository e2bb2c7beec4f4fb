"""Issue 4, the user's rights over their own data: the JSON export (GDPR Art. 15/20) and the deletion of
the account (Art. 17), which removes the login and the memberships but keeps the broker's portfolio."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from einblick.accounts.models import Invitation, User
from einblick.audit.models import AuditEntry
from einblick.grants.models import Grant, GrantMember, MemberState
from einblick.office.members import share
from einblick.portfolio.models import Contract, Customer
from tests.factories import PASSWORD, accepted, make_grant, make_user
from tests.pages import log_in
from tests.samples import CONTRACT, CUSTOMER

pytestmark = pytest.mark.django_db

PAULA = "paula.beispiel@example.org"
NEIGHBOUR = "nachbar@example.org"
IP = "203.0.113.9"


# Helpers ---------------------------------------------------------------------------------------------


@pytest.fixture
def paula(api, broker, other_broker) -> User:
    """A portal user: active in a grant of Muster Makler (with a customer and a contract), invited to a
    grant of Andere Makler, with a neighbour in the same grant, and one failed and one good login."""
    assert api.put("/customers/K-1001", CUSTOMER).status_code == 201
    assert api.put("/contracts/V-2001", CONTRACT).status_code == 201
    grant = api.post("/grants", {"name": "Familie Beispiel", "customers": ["K-1001"]}).json()
    share(grant=make_grant(other_broker, "Fremde Familie"), actor=None, email=PAULA)  # invited
    user = make_user(PAULA)
    accepted(broker, PAULA)
    assert api.post(f"/grants/{grant['id']}/members", {"email": PAULA}).json()["state"] == "active"
    make_user(NEIGHBOUR)
    accepted(broker, NEIGHBOUR)
    assert api.post(f"/grants/{grant['id']}/members", {"email": NEIGHBOUR}).json()["state"] == "active"
    assert log_in(Client(), PAULA, "nicht mein Passwort, sondern falsch").status_code == 200
    return user


def logged_in(email: str = PAULA, ip: str = IP) -> Client:
    browser = Client(REMOTE_ADDR=ip)
    answer = log_in(browser, email)
    assert answer.status_code == 302, answer.content
    return browser


def delete(browser: Client, password: str = PASSWORD, confirm: bool = True):
    data: dict[str, Any] = {"password": password}
    if confirm:
        data["confirm"] = "on"
    return browser.post("/accounts/delete/", data)


def rows_containing(text: str) -> dict[str, int]:
    """Every table of the whole database with rows that mention `text` (ignoring case)."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            hits = sum(1 for row in cursor.fetchall() if text.lower() in repr(row).lower())
            if hits:
                found[table] = hits
    return found


# Export ----------------------------------------------------------------------------------------------


def test_the_export_is_a_json_attachment_of_the_users_own_data(paula, broker, other_broker):
    browser = logged_in()
    TOTP.activate(paula, generate_totp_secret())

    answer = browser.get("/accounts/export/")

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/json")
    assert answer["Content-Disposition"].startswith('attachment; filename="einblick-daten-')
    assert answer["Content-Disposition"].endswith('.json"')
    assert "no-store" in answer["Cache-Control"]
    data = json.loads(answer.content)
    assert {"account", "grant_memberships", "second_factors", "sessions", "activity"} <= set(data)
    assert data["account"]["email"] == PAULA
    assert data["account"]["last_login"]
    memberships = {(m["broker"], m["grant"], m["state"]) for m in data["grant_memberships"]}
    assert memberships == {
        ("Muster Makler GmbH", "Familie Beispiel", "active"),
        ("Andere Makler AG", "Fremde Familie", "invited"),
    }
    assert [f["type"] for f in data["second_factors"]] == ["totp"]
    assert data["sessions"] and data["sessions"][0]["ip"] == IP
    actions = [a["action"] for a in data["activity"]]
    assert "account.login" in actions
    assert any(a["ip"] == IP for a in data["activity"] if a["action"] == "account.login")


def test_the_export_carries_no_password_hash_no_secret_and_nobody_elses_data(paula):
    browser = logged_in()
    TOTP.activate(paula, secret := generate_totp_secret())
    stored_secret = Authenticator.objects.get(user=paula).data["secret"]
    logged_in(NEIGHBOUR, "198.51.100.77")

    body = browser.get("/accounts/export/").content.decode()

    paula.refresh_from_db()
    for private in (paula.password, "argon2", "pbkdf2", PASSWORD, secret, stored_secret, '"password"'):
        assert private not in body
    for other in (NEIGHBOUR, "198.51.100.77", "Klara", "HR-4711"):
        assert other not in body
    assert json.loads(body)["account"]["email"] == PAULA


def test_the_export_needs_a_login():
    answer = Client().get("/accounts/export/")

    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/?next=/accounts/export/"


# Deletion --------------------------------------------------------------------------------------------


def test_the_deletion_page_needs_a_login():
    for method in ("get", "post"):
        answer = getattr(Client(), method)("/accounts/delete/")
        assert answer.status_code == 302
        assert answer["Location"] == "/accounts/login/?next=/accounts/delete/"


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [
        ("nicht mein Passwort, sondern falsch", True, "password"),
        (PASSWORD, False, "confirm"),
        ("", True, "password"),
    ],
    ids=["wrong-password", "not-confirmed", "no-password"],
)
def test_a_deletion_without_the_right_password_and_confirmation_deletes_nothing(
    paula, password, confirm, field
):
    browser = logged_in()
    before = (GrantMember.objects.filter(email=PAULA).count(), AuditEntry.objects.count())

    answer = delete(browser, password, confirm)

    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    assert User.objects.filter(pk=paula.pk).exists()
    assert User.objects.get(pk=paula.pk).check_password(PASSWORD)
    assert (GrantMember.objects.filter(email=PAULA).count(), AuditEntry.objects.count()) == before
    assert not AuditEntry.objects.filter(action="account.deleted").exists()
    assert browser.get("/accounts/overview/").status_code == 200  # still logged in


def test_deleting_the_account_removes_the_login_memberships_factors_and_sessions(paula, broker):
    browser = logged_in()
    elsewhere = logged_in(ip="198.51.100.20")  # the same person on another device
    TOTP.activate(paula, generate_totp_secret())
    keys = [browser.session.session_key, elsewhere.session.session_key]
    assert UserSession.objects.filter(user=paula).count() == 2

    answer = delete(browser)

    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/"
    assert not User.objects.filter(email__iexact=PAULA).exists()
    assert not GrantMember.objects.filter(email=PAULA, grant__broker=broker).exists()
    # The other broker, which she never accepted, keeps its open invitation, as it would for an
    # address without an account: it must not learn that there was one (domain.md §3).
    [invited] = GrantMember.objects.filter(email=PAULA)
    assert invited.state == MemberState.INVITED and invited.grant.broker != broker
    assert not Authenticator.objects.exists()
    assert not UserSession.objects.exists()
    assert not Session.objects.filter(session_key__in=keys).exists()
    for client in (browser, elsewhere):
        gone = client.get("/accounts/overview/")
        assert gone.status_code == 302
        assert gone["Location"].startswith("/accounts/login/")
    assert log_in(Client(), PAULA).status_code == 200  # the login no longer works
    # The neighbour in the same grant keeps their access.
    assert GrantMember.objects.get(email=NEIGHBOUR).state == MemberState.ACTIVE


def test_deleting_the_account_keeps_the_brokers_portfolio_and_grants(paula, broker, other_broker):
    customers, contracts, grants = Customer.objects.count(), Contract.objects.count(), Grant.objects.count()
    browser = logged_in()

    assert delete(browser).status_code == 302

    assert (Customer.objects.count(), Contract.objects.count(), Grant.objects.count()) == (
        customers,
        contracts,
        grants,
    )
    assert Customer.objects.filter(broker=broker, external_id="K-1001").exists()
    assert Contract.objects.filter(broker=broker, external_id="V-2001").exists()


def test_the_deletion_is_audited_and_the_audit_log_forgets_the_address(paula, broker, other_broker):
    browser = logged_in()
    assert AuditEntry.objects.filter(actor_label=PAULA).exists()  # her login and her failed login

    assert delete(browser).status_code == 302

    deleted = AuditEntry.objects.filter(action="account.deleted")
    assert {e.broker_id for e in deleted} == {broker.pk}  # not the broker she never accepted
    assert all(e.ip == IP for e in deleted)
    assert not AuditEntry.objects.filter(actor_label__icontains=PAULA).exists()
    assert not AuditEntry.objects.filter(actor_user__isnull=False, actor_label="deleted user").exists()
    for row in AuditEntry.objects.exclude(broker=other_broker).values():
        assert PAULA not in repr(row).lower()
    # The other broker's log keeps what it did itself (inviting the address), unchanged.
    [invited] = AuditEntry.objects.filter(broker=other_broker, data__email=PAULA)
    assert invited.action == "grant.member_added"
    # Her own actions stay in the log without naming her.
    assert AuditEntry.objects.filter(action="account.login", actor_label="deleted user").exists()
    assert AuditEntry.objects.filter(action="account.login_failed", actor_label="deleted user").exists()


def test_after_the_deletion_the_address_is_stored_only_where_an_unaccepted_broker_wrote_it(
    paula, other_broker
):
    browser = logged_in()

    assert delete(browser).status_code == 302

    # The other broker's invitation and its log entry of sending it: its own records, kept so that it
    # cannot tell from them whether the address had an account (domain.md §3).
    assert rows_containing(PAULA) == {"grants_grantmember": 1, "audit_auditentry": 1}
    assert GrantMember.objects.get(email=PAULA).grant.broker == other_broker
    assert AuditEntry.objects.get(data__email=PAULA).broker == other_broker


def test_the_address_can_be_invited_again_after_the_deletion(paula, broker):
    assert delete(logged_in()).status_code == 302

    grant = make_grant(broker, "Neuer Anfang")
    member, created = share(grant=grant, actor=None, email=PAULA)

    assert created
    assert member.state == MemberState.INVITED
    assert Invitation.objects.filter(member=member).exists()


def test_guessing_the_password_on_the_deletion_page_is_throttled(paula, settings):
    assert settings.ACCOUNT_RATE_LIMITS["reauthenticate"] == "10/m/user"
    browser = logged_in()

    answers = [delete(browser, f"geratenes Passwort Nummer {i}").status_code for i in range(11)]

    assert answers[:10] == [400] * 10
    assert answers[10] == 429
    assert User.objects.filter(pk=paula.pk).exists()


def test_deleting_an_account_that_belongs_to_no_broker_is_audited_too(db):
    make_user(PAULA)
    browser = logged_in()

    assert delete(browser).status_code == 302

    assert not User.objects.exists()
    [entry] = AuditEntry.objects.filter(action="account.deleted")
    assert entry.broker is None
    assert entry.ip == IP
