"""Issue 4, invitations (Teilen): the link's token, its single use and lifetime, Link versenden, removal,
foreign grants, the Host header, the session at acceptance, and the audit trail."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from einblick.accounts.models import Consent, Invitation, User
from einblick.audit.models import AuditEntry
from einblick.grants.models import Grant, GrantMember, MemberState
from einblick.office.members import share
from tests.factories import PASSWORD, accepted, make_grant, make_user
from tests.mail import link_in, text_of
from tests.pages import log_in, text

pytestmark = pytest.mark.django_db

INVITEE = "paula.beispiel@example.org"
OTHER_PASSWORD = "ein ganz anderer Satz als Passwort 77"


# Helpers ---------------------------------------------------------------------------------------------


@pytest.fixture
def invite(smtp, django_capture_on_commit_callbacks):
    """Add an unknown address to a grant; answers the path of the link in the mail that arrives."""

    def invite(grant: Grant, email: str = INVITEE) -> str:
        count = len(smtp.messages)
        with django_capture_on_commit_callbacks(execute=True):
            _, created = share(grant=grant, actor=None, email=email)
        assert created
        return link_in(smtp.wait(count + 1)[-1])

    return invite


def token_of(path: str) -> str:
    match = re.fullmatch(r"/accounts/invitation/([^/]+)/", path)
    assert match, path
    return match.group(1)


def open_link(client: Client, path: str, **extra: Any):
    """Follow the mailed link as a browser does: the token moves into the session, then the form."""
    followed = client.get(path, **extra)
    assert followed.status_code == 302
    assert followed["Location"] == "/accounts/invitation/"
    return client.get("/accounts/invitation/", **extra)


def set_password(client: Client, password: str = PASSWORD, **extra: Any):
    return client.post("/accounts/invitation/", {"password1": password, "password2": password}, **extra)


def accept(client: Client, path: str, password: str = PASSWORD, **extra: Any):
    assert open_link(client, path, **extra).status_code == 200
    return set_password(client, password, **extra)


def assert_invalid_link(response) -> None:
    assert response.status_code == 404
    assert "accounts/invitation_invalid.html" in [t.name for t in response.templates]


def state_of(grant: Grant, email: str = INVITEE) -> str:
    return GrantMember.objects.get(grant=grant, email=email).state


def rows_containing(text: str) -> list[str]:
    """Every table (of the whole database) with a row that has `text` in some column."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            if any(text in str(value) for row in cursor.fetchall() for value in row):
                found.append(table)
    return found


# The token -------------------------------------------------------------------------------------------


def test_the_link_carries_a_url_safe_token_of_at_least_128_random_bits(grant, invite):
    first = token_of(invite(grant))
    second = token_of(invite(grant, "zweite.person@example.org"))

    assert re.fullmatch(r"[A-Za-z0-9_-]+", first)
    assert len(first) * 6 >= 128  # each urlsafe-base64 character carries 6 bits
    assert len(first) >= 43  # secrets.token_urlsafe(32): 256 bits
    assert first != second


def test_only_the_sha256_of_the_token_is_stored(grant, invite):
    token = token_of(invite(grant))

    invitation = Invitation.objects.get(member__email=INVITEE)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(Invitation.objects.values_list()))
    assert rows_containing(token) == []  # not in any table at all


def test_an_unknown_or_overlong_token_and_a_session_without_a_token_answer_404(grant, invite):
    invite(grant)
    for token in ("x" * 43, "A" * 200):
        browser = Client()
        assert browser.get(f"/accounts/invitation/{token}/").status_code == 302
        assert_invalid_link(browser.get("/accounts/invitation/"))
        assert_invalid_link(set_password(browser))
    assert_invalid_link(Client().get("/accounts/invitation/"))
    assert not User.objects.exists()
    assert state_of(grant) == MemberState.INVITED


# Single use ------------------------------------------------------------------------------------------


def test_it_refuses_a_used_invitation_link_and_leaves_the_account_as_it_is(grant, invite):
    path = invite(grant)
    assert accept(Client(), path).status_code == 302
    user = User.objects.get(email=INVITEE)
    hash_before = user.password

    again = Client()
    assert_invalid_link(open_link(again, path))
    assert_invalid_link(set_password(again, OTHER_PASSWORD))

    user.refresh_from_db()
    assert user.password == hash_before
    assert user.check_password(PASSWORD)
    assert not user.check_password(OTHER_PASSWORD)
    assert User.objects.count() == 1
    assert not Invitation.objects.exists()


def test_the_browser_that_used_the_link_cannot_post_a_second_password_with_it(grant, invite):
    browser = Client()
    path = invite(grant)
    assert accept(browser, path).status_code == 302

    browser.logout()
    # The same browser, with whatever its session kept, cannot set a password again.
    assert_invalid_link(open_link(browser, path))
    assert_invalid_link(set_password(browser, OTHER_PASSWORD))
    assert User.objects.get(email=INVITEE).check_password(PASSWORD)


def test_of_two_browsers_with_the_form_open_only_the_first_sets_the_password(grant, invite):
    path = invite(grant)
    first, second = Client(), Client()
    assert open_link(first, path).status_code == 200
    assert open_link(second, path).status_code == 200

    assert set_password(first).status_code == 302
    assert_invalid_link(set_password(second, OTHER_PASSWORD))

    assert User.objects.get().check_password(PASSWORD)
    assert "_auth_user_id" not in second.session


def test_the_invitation_pages_are_not_cached(grant, invite):
    path = invite(grant)
    browser = Client()

    followed = browser.get(path)
    form = browser.get("/accounts/invitation/")

    for answer in (followed, form):
        assert "no-store" in answer["Cache-Control"]
    assert form.status_code == 200
    assert token_of(path) not in form.content.decode()


# Lifetime --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before_expiry", "valid"),
    [
        (timedelta(days=1), True),  # 13 days after the invitation
        (timedelta(minutes=1), True),  # 13 days, 23 hours and 59 minutes
        (timedelta(0), False),  # exactly 14 days
        (-timedelta(minutes=1), False),  # 14 days and a minute
        (-timedelta(days=30), False),
    ],
    ids=["13-days", "14-days-less-a-minute", "14-days", "14-days-and-a-minute", "44-days"],
)
def test_a_link_is_valid_for_14_days(grant, invite, before_expiry, valid):
    path = invite(grant)
    invitation = Invitation.objects.get()
    sent_at = invitation.expires_at - timedelta(days=14)
    assert abs(invitation.created_at - sent_at) < timedelta(seconds=5)

    with time_machine.travel(invitation.expires_at - before_expiry, tick=False):
        browser = Client()
        form = open_link(browser, path)
        done = set_password(browser)

    if valid:
        assert form.status_code == 200
        assert done.status_code == 302
        assert state_of(grant) == MemberState.ACTIVE
        assert User.objects.filter(email=INVITEE).exists()
    else:
        assert_invalid_link(form)
        assert_invalid_link(done)
        assert state_of(grant) == MemberState.INVITED
        assert not User.objects.exists()


def test_a_form_loaded_before_expiry_but_sent_after_it_is_refused(grant, invite):
    path = invite(grant)
    expires_at = Invitation.objects.get().expires_at
    browser = Client()

    with time_machine.travel(expires_at - timedelta(minutes=2), tick=False):
        assert open_link(browser, path).status_code == 200
    with time_machine.travel(expires_at + timedelta(minutes=1), tick=False):
        assert_invalid_link(set_password(browser))

    assert not User.objects.exists()
    assert state_of(grant) == MemberState.INVITED


def test_the_lifetime_follows_the_einblick_invitation_days_setting(grant, invite, settings, smtp):
    settings.EINBLICK_INVITATION_DAYS = 3
    path = invite(grant)
    invitation = Invitation.objects.get()
    sent_at = invitation.expires_at - timedelta(days=3)
    assert abs(invitation.created_at - sent_at) < timedelta(seconds=5)
    assert "3 Tage" in text_of(smtp.messages[-1])

    with time_machine.travel(sent_at + timedelta(days=3, minutes=1), tick=False):
        assert_invalid_link(open_link(Client(), path))
    with time_machine.travel(sent_at + timedelta(days=2, hours=23), tick=False):
        assert open_link(Client(), path).status_code == 200


# Link versenden, removal, deletion -------------------------------------------------------------------


def test_link_versenden_mails_a_new_link_and_the_old_one_stops_working(
    api, grant, invite, smtp, django_capture_on_commit_callbacks
):
    old = invite(grant)

    with django_capture_on_commit_callbacks(execute=True):
        resent = api.post(f"/grants/{grant.pk}/members/{INVITEE}/resend")
    assert resent.status_code == 202, resent.content
    assert resent.json()["state"] == "invited"
    first, second = smtp.wait(2)
    assert link_in(first) == old
    new = link_in(second)
    assert second["To"] == INVITEE
    assert new != old

    assert_invalid_link(open_link(Client(), old))
    assert Invitation.objects.count() == 1
    assert AuditEntry.objects.filter(action="grant.invitation_resent", object_id=grant.pk).exists()
    assert accept(Client(), new).status_code == 302
    assert state_of(grant) == MemberState.ACTIVE


def test_an_old_link_already_open_in_a_browser_dies_with_link_versenden(
    api, grant, invite, smtp, django_capture_on_commit_callbacks
):
    browser = Client()
    assert open_link(browser, invite(grant)).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/grants/{grant.pk}/members/{INVITEE}/resend").status_code == 202

    assert_invalid_link(set_password(browser))
    assert not User.objects.exists()


def test_link_versenden_is_refused_for_a_member_who_has_joined(
    api, grant, invite, smtp, django_capture_on_commit_callbacks
):
    assert accept(Client(), invite(grant)).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        resent = api.post(f"/grants/{grant.pk}/members/{INVITEE}/resend")

    assert resent.status_code == 409
    assert len(smtp.messages) == 1
    assert not Invitation.objects.exists()


def test_removing_the_member_kills_the_link(api, grant, invite):
    path = invite(grant)
    browser = Client()
    assert open_link(browser, path).status_code == 200  # the form is open in a browser

    assert api.delete(f"/grants/{grant.pk}/members/{INVITEE}").status_code == 204

    assert_invalid_link(set_password(browser))
    assert_invalid_link(open_link(Client(), path))
    assert not User.objects.exists()
    assert not Invitation.objects.exists()


def test_deleting_the_grant_kills_the_link(api, grant, invite):
    path = invite(grant)

    assert api.delete(f"/grants/{grant.pk}").status_code == 204

    assert_invalid_link(open_link(Client(), path))
    assert not User.objects.exists()
    assert not GrantMember.objects.exists()


# Other grants and other addresses --------------------------------------------------------------------


def test_a_token_of_one_grant_never_activates_membership_in_another_brokers_grant(
    broker, other_broker, grant, invite
):
    foreign = make_grant(other_broker, "Fremde Familie")
    invite(foreign, "someone.else@example.org")
    path = invite(grant)

    assert accept(Client(), path).status_code == 302

    assert state_of(grant) == MemberState.ACTIVE
    assert not GrantMember.objects.filter(grant=foreign, email=INVITEE).exists()
    assert state_of(foreign, "someone.else@example.org") == MemberState.INVITED
    user = User.objects.get(email=INVITEE)
    assert list(Grant.objects.filter(members__email=user.email, members__state=MemberState.ACTIVE)) == [grant]


def test_a_dead_link_of_one_grant_does_not_activate_the_address_in_another_grant(
    api, broker, other_broker, grant, invite
):
    foreign = make_grant(other_broker, "Fremde Familie")
    path = invite(grant)
    invite(foreign)
    assert api.delete(f"/grants/{grant.pk}/members/{INVITEE}").status_code == 204

    browser = Client()
    assert_invalid_link(open_link(browser, path))
    assert_invalid_link(set_password(browser))

    assert state_of(foreign) == MemberState.INVITED
    assert not User.objects.exists()


def test_accepting_with_the_link_accepts_that_broker_only(broker, other_broker, grant, invite):
    """Choosing a password with broker A's link is a yes to A (accounts.consent): every open
    invitation of A for the address becomes active and its links are used up. Broker B's invitation
    of the same address waits for its own answer (the portal's card) and its link stays valid; other
    addresses in the same grants stay invited."""
    second = make_grant(broker, "Zweite Familie")
    foreign = make_grant(other_broker, "Fremde Familie")
    path = invite(grant)
    invite(second)
    foreign_path = invite(foreign)
    invite(grant, "nachbar@example.org")
    invite(foreign, "nachbarin@example.org")

    assert accept(Client(), path).status_code == 302

    assert state_of(grant) == MemberState.ACTIVE
    assert state_of(second) == MemberState.ACTIVE
    assert GrantMember.objects.get(grant=second, email=INVITEE).joined_at is not None
    assert state_of(foreign) == MemberState.INVITED
    assert state_of(grant, "nachbar@example.org") == MemberState.INVITED
    assert state_of(foreign, "nachbarin@example.org") == MemberState.INVITED
    assert set(Invitation.objects.values_list("member__email", "member__grant")) == {
        ("nachbar@example.org", grant.pk),
        ("nachbarin@example.org", foreign.pk),
        (INVITEE, foreign.pk),
    }
    assert open_link(Client(), foreign_path).status_code == 200
    assert set(Consent.objects.values_list("broker", "email")) == {(broker.pk, INVITEE)}
    accepted = AuditEntry.objects.filter(action="account.invitation_accepted")
    assert {(e.broker_id, e.object_id) for e in accepted} == {(broker.pk, grant.pk), (broker.pk, second.pk)}


# Host header -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "localhost"},
        {"Host": "127.0.0.1"},
        {"Host": "localhost", "X-Forwarded-Host": "evil.example"},
        {"Host": "127.0.0.1:8000", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
    ],
    ids=["localhost", "ip", "forwarded-host", "forwarded-host-and-port"],
)
def test_the_link_is_built_from_the_base_url_whatever_host_the_api_request_names(
    api, grant, smtp, settings, django_capture_on_commit_callbacks, headers
):
    settings.BASE_URL = "https://portal.makler.example"

    with django_capture_on_commit_callbacks(execute=True):
        added = api.client.post(
            f"/api/v1/grants/{grant.pk}/members",
            {"email": INVITEE},
            content_type="application/json",
            headers={**api.headers, **headers},
        )

    assert added.status_code == 201, added.content
    [mail] = smtp.wait(1)
    text = text_of(mail)
    assert re.search(r"https://portal\.makler\.example/accounts/invitation/[A-Za-z0-9_-]{43,}/", text)
    assert link_in(mail, "https://portal.makler.example").startswith("/accounts/invitation/")
    for foreign in ("evil.example", "localhost", "127.0.0.1", "testserver"):
        assert foreign not in text


def test_the_notice_to_a_known_address_links_to_the_base_url_as_well(
    api, grant, smtp, settings, django_capture_on_commit_callbacks
):
    settings.BASE_URL = "https://portal.makler.example"
    make_user(INVITEE)
    accepted(grant, INVITEE)  # she has said yes to this broker before: a notice, not an invitation

    with django_capture_on_commit_callbacks(execute=True):
        added = api.client.post(
            f"/api/v1/grants/{grant.pk}/members",
            {"email": INVITEE},
            content_type="application/json",
            headers={**api.headers, "Host": "localhost", "X-Forwarded-Host": "evil.example"},
        )

    assert added.json()["state"] == "active"
    [mail] = smtp.wait(1)
    assert link_in(mail, "https://portal.makler.example") == "/accounts/login/"
    assert "evil.example" not in text_of(mail) and "localhost" not in text_of(mail)


def test_an_api_request_with_an_unknown_host_is_refused_with_400_and_nothing_is_sent(
    api, grant, smtp, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused = api.client.post(
            f"/api/v1/grants/{grant.pk}/members",
            {"email": INVITEE},
            content_type="application/json",
            headers={**api.headers, "Host": "evil.example"},
        )

    assert refused.status_code == 400
    assert callbacks == []
    assert not GrantMember.objects.exists()
    assert not Invitation.objects.exists()
    assert smtp.messages == []
    # Django reports the poisoned Host on its security logger (at ERROR); that one is expected here.
    disallowed = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert disallowed and "evil.example" in disallowed[0].getMessage()
    assert all(
        r.name == "django.security.DisallowedHost" for r in caplog.records if r.levelno >= logging.ERROR
    )
    caplog.clear()


def test_following_a_link_with_an_unknown_host_is_refused_with_400(grant, invite, caplog):
    path = invite(grant)

    refused = Client().get(path, headers={"Host": "evil.example"})

    assert refused.status_code == 400
    assert all(
        r.name == "django.security.DisallowedHost" for r in caplog.records if r.levelno >= logging.ERROR
    )
    caplog.clear()
    assert open_link(Client(), path).status_code == 200  # the link is not used up by that


# The session at acceptance ---------------------------------------------------------------------------


def test_an_anonymous_browser_gets_a_new_session_id_when_the_password_is_set(grant, invite):
    browser = Client()
    assert open_link(browser, invite(grant)).status_code == 200
    key_with_token = browser.session.session_key

    assert set_password(browser).status_code == 302

    assert browser.session.session_key != key_with_token
    assert browser.session["_auth_user_id"] == str(User.objects.get(email=INVITEE).pk)
    assert browser.get("/portal/", follow=True).status_code == 200


# Audit -----------------------------------------------------------------------------------------------


def test_the_acceptance_is_audited_with_the_ip_and_never_with_the_token(broker, grant, invite):
    path = invite(grant)
    token = token_of(path)

    done = accept(Client(), path, REMOTE_ADDR="203.0.113.7")

    assert done.status_code == 302
    user = User.objects.get(email=INVITEE)
    [entry] = AuditEntry.objects.filter(action="account.invitation_accepted")
    assert entry.ip == "203.0.113.7"
    assert entry.actor_user == user
    assert entry.broker == broker
    assert (entry.object_type, entry.object_id) == ("grant", grant.pk)
    digest = hashlib.sha256(token.encode()).hexdigest()
    for row in AuditEntry.objects.values():
        flat = repr(row)
        assert token not in flat
        assert digest not in flat
        assert PASSWORD not in flat


def test_the_used_token_does_not_stay_in_the_session_after_acceptance(grant, invite):
    browser = Client()
    path = invite(grant)
    token = token_of(path)

    assert accept(browser, path).status_code == 302

    stored = [s.get_decoded() for s in Session.objects.all()]
    assert stored and all("_auth_user_id" in data for data in stored)
    assert all(token not in repr(data) for data in stored)


# An account made meanwhile ---------------------------------------------------------------------------


def test_an_account_made_meanwhile_is_asked_to_log_in_and_the_link_activates_nothing(grant, invite):
    """An existing account answers after login, on the portal's card: holding the link is no yes."""
    path = invite(grant)
    user = make_user(INVITEE, OTHER_PASSWORD)
    hash_before = User.objects.get(pk=user.pk).password

    browser = Client()
    assert browser.get(path).status_code == 302
    answer = browser.get("/accounts/invitation/")

    assert answer.status_code == 200
    assert "Bitte melden Sie sich an" in text(answer)
    assert 'href="/accounts/login/"' in answer.content.decode()
    assert 'name="password1"' not in answer.content.decode()
    assert state_of(grant) == MemberState.INVITED
    user.refresh_from_db()
    assert user.password == hash_before
    assert "_auth_user_id" not in browser.session
    assert not Consent.objects.exists()


def test_a_password_posted_to_a_link_whose_address_got_an_account_meanwhile_is_ignored(grant, invite):
    path = invite(grant)
    browser = Client()
    assert open_link(browser, path).status_code == 200  # the form was open before the account existed
    user = make_user(INVITEE, OTHER_PASSWORD)

    answer = set_password(browser, PASSWORD)

    assert answer.status_code == 200
    assert "Bitte melden Sie sich an" in text(answer)
    user.refresh_from_db()
    assert user.check_password(OTHER_PASSWORD)
    assert not user.check_password(PASSWORD)
    assert "_auth_user_id" not in browser.session
    assert state_of(grant) == MemberState.INVITED


@pytest.mark.parametrize("existing", [True, False], ids=["existing-account", "new-address"])
def test_a_logged_in_other_user_following_a_link_is_told_it_is_not_theirs_and_stays_logged_in(
    grant, invite, existing
):
    path = invite(grant)
    if existing:
        make_user(INVITEE, OTHER_PASSWORD)
    make_user("erika@example.org")
    browser = Client()
    assert log_in(browser, "erika@example.org").status_code == 302

    assert browser.get(path).status_code == 302
    answer = browser.get("/accounts/invitation/")
    declined = browser.post("/accounts/invitation/", {"decline": "1"})
    chosen = browser.post("/accounts/invitation/", {"password1": PASSWORD, "password2": PASSWORD})

    for page in (answer, declined, chosen):
        assert "Diese Einladung gilt einer anderen Adresse" in text(page)
    assert "_auth_user_id" in browser.session  # a link logs nobody out
    assert state_of(grant) == MemberState.INVITED
    assert not User.objects.filter(email=INVITEE).exists() or existing


# Rate limit ------------------------------------------------------------------------------------------


def test_too_many_invitation_requests_answer_429_and_pass_again_after_a_minute(grant, invite, settings):
    assert settings.ACCOUNT_RATE_LIMITS["accept_invitation"] == "20/m/ip"
    path = invite(grant)
    browser = Client()
    start = Invitation.objects.get().created_at + timedelta(minutes=1)

    with time_machine.travel(start, tick=False):
        answers = [browser.get(f"/accounts/invitation/guessed-{i}/").status_code for i in range(20)]
        limited = browser.get(path)
    assert answers == [302] * 20
    assert limited.status_code == 429
    assert "_auth_user_id" not in browser.session

    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert accept(browser, path).status_code == 302  # throttled, never locked out
    assert state_of(grant) == MemberState.ACTIVE
