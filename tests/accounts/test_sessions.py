"""Sessions of issue 4: a new id at login, logout and timeouts end the session on the server, the
user can end their other sessions, and lost access (member removed, grant deleted) logs out."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client

from einblick.accounts.models import User
from tests.factories import PASSWORD, accepted, make_staff, make_user
from tests.mail import link_in
from tests.pages import log_in
from tests.samples import CONTRACT, CUSTOMER, example_grant

START = datetime(2026, 11, 27, 9, 0, 5, tzinfo=UTC)
NEW_PASSWORD = "ein ganz anderer langer Satz 7"


def cookie_of(client: Client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def signed_in(client: Client) -> bool:
    response = client.get("/accounts/overview/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def with_cookie(key: str) -> Client:
    """Another browser that presents a copied session cookie."""
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = key
    return client


# --- login and logout ----------------------------------------------------------------------------


def test_login_gives_a_new_session_id_and_the_planted_one_stays_anonymous(db):
    make_user("klara@example.org")
    client = Client()
    planted = client.session.session_key  # an anonymous session, e.g. fixed by an attacker
    assert planted and Session.objects.filter(session_key=planted).exists()

    assert log_in(client, "klara@example.org").status_code == 302

    assert cookie_of(client) != planted
    assert signed_in(client)
    assert not Session.objects.filter(session_key=planted).exists()
    assert not signed_in(with_cookie(planted))


def test_a_signed_in_user_posting_the_login_form_keeps_their_session(db):
    make_user("klara@example.org")
    client = Client()
    log_in(client, "klara@example.org")
    first = cookie_of(client)

    response = log_in(client, "klara@example.org")

    assert response.status_code == 302
    assert cookie_of(client) == first and signed_in(client)


def test_logout_deletes_the_session_on_the_server(db):
    make_user("klara@example.org")
    client = Client()
    log_in(client, "klara@example.org")
    key = cookie_of(client)
    assert Session.objects.filter(session_key=key).exists()

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert not signed_in(client)
    assert not signed_in(with_cookie(key))  # the old cookie, replayed, is worth nothing


def test_logout_by_get_only_asks_for_confirmation(db):
    make_user("klara@example.org")
    client = Client()
    log_in(client, "klara@example.org")

    response = client.get("/accounts/logout/")

    assert response.status_code == 200
    assert signed_in(client)


def test_logout_needs_the_csrf_token(db):
    make_user("klara@example.org")
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    client.post(
        "/accounts/login/", {"login": "klara@example.org", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert signed_in(client)

    assert client.post("/accounts/logout/").status_code == 403
    assert signed_in(client)


# --- timeouts ------------------------------------------------------------------------------------


def test_a_session_idle_for_29_minutes_is_still_valid(db):
    make_user("klara@example.org")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "klara@example.org")
        clock.shift(timedelta(minutes=29))

        assert signed_in(client)


def test_a_session_idle_for_31_minutes_is_ended_on_the_server(db):
    make_user("klara@example.org")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "klara@example.org")
        key = cookie_of(client)
        clock.shift(timedelta(minutes=31))

        assert not signed_in(client)
        assert not Session.objects.filter(session_key=key).exists()
        assert not signed_in(with_cookie(key))


def test_activity_resets_the_idle_clock(db):
    make_user("klara@example.org")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "klara@example.org")
        for _ in range(4):
            clock.shift(timedelta(minutes=25))
            assert signed_in(client)


def test_a_session_ends_twelve_hours_after_login_however_active(db):
    make_user("klara@example.org")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "klara@example.org")
        key = cookie_of(client)
        for _ in range(35):  # active every 20 minutes up to 11 h 40 min
            clock.shift(timedelta(minutes=20))
            assert signed_in(client)

        clock.shift(timedelta(minutes=21))  # 12 h 01 min after login

        assert not signed_in(client)
        assert not Session.objects.filter(session_key=key).exists()


def test_a_new_login_starts_the_twelve_hours_again(db):
    make_user("klara@example.org")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "klara@example.org")
        for _ in range(30):
            clock.shift(timedelta(minutes=20))
            signed_in(client)
        client.post("/accounts/logout/")
        log_in(client, "klara@example.org")  # at 10 h
        for _ in range(30):
            clock.shift(timedelta(minutes=20))
            assert signed_in(client)


def test_the_idle_timeout_follows_the_setting(db, settings):
    settings.SESSION_IDLE_SECONDS = 10 * 60
    make_user("klara@example.org")
    stays, leaves = Client(), Client()
    with time_machine.travel(START, tick=False) as clock:
        log_in(stays, "klara@example.org")
        log_in(leaves, "klara@example.org")
        clock.shift(timedelta(minutes=9))
        assert signed_in(stays)

        clock.shift(timedelta(minutes=2))  # leaves: 11 minutes idle; stays: 2 minutes

        assert not signed_in(leaves)
        assert signed_in(stays)


def test_the_absolute_timeout_follows_the_setting(db, settings):
    settings.SESSION_MAX_SECONDS = 60 * 60
    make_user("klara@example.org")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "klara@example.org")
        for _ in range(2):
            clock.shift(timedelta(minutes=20))
            assert signed_in(client)
        clock.shift(timedelta(minutes=19))
        assert signed_in(client)  # 59 minutes

        clock.shift(timedelta(minutes=2))  # 61 minutes

        assert not signed_in(client)


def test_the_timeouts_come_from_the_environment(tmp_path):
    env = {
        **os.environ,
        "EINBLICK_DATA_DIR": str(tmp_path),
        "EINBLICK_SESSION_IDLE_MINUTES": "15",
        "EINBLICK_SESSION_MAX_HOURS": "8",
        "DJANGO_SETTINGS_MODULE": "einblick.config.settings",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_IDLE_SECONDS, s.SESSION_MAX_SECONDS, s.SESSION_COOKIE_AGE)"
    )

    result = subprocess.run(  # noqa: S603 - our own settings module
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    assert result.stdout.split() == ["900", "28800", "28800"]


@pytest.mark.parametrize("variable", ["EINBLICK_SESSION_IDLE_MINUTES", "EINBLICK_SESSION_MAX_HOURS"])
@pytest.mark.parametrize("value", ["0", "-5", "dreißig"])
def test_a_nonsense_timeout_in_the_environment_stops_the_start(tmp_path, variable, value):
    env = {**os.environ, "EINBLICK_DATA_DIR": str(tmp_path), variable: value}
    env["DJANGO_SETTINGS_MODULE"] = "einblick.config.settings"

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr


# --- the session list ----------------------------------------------------------------------------


def test_the_session_list_shows_each_session_of_the_user(db):
    make_user("klara@example.org")
    make_user("max@example.org")
    desk, phone, stranger = Client(), Client(), Client()
    log_in(desk, "klara@example.org", user_agent="Schreibtisch-Browser/1.0")
    log_in(phone, "klara@example.org", user_agent="Telefon-Browser/2.0")
    log_in(stranger, "max@example.org", user_agent="Fremder-Browser/3.0")

    response = desk.get("/accounts/sessions/", headers={"user-agent": "Schreibtisch-Browser/1.0"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Schreibtisch-Browser/1.0" in page and "Telefon-Browser/2.0" in page
    assert "Fremder-Browser/3.0" not in page
    assert response.context["session_count"] == 2


def test_ending_the_other_sessions_logs_the_other_browser_out_and_keeps_this_one(db):
    make_user("klara@example.org")
    make_user("max@example.org")
    desk, phone, stranger = Client(), Client(), Client()
    log_in(desk, "klara@example.org")
    log_in(phone, "klara@example.org")
    log_in(stranger, "max@example.org")
    phone_key = cookie_of(phone)

    response = desk.post("/accounts/sessions/")

    assert response.status_code == 302
    assert signed_in(desk)
    assert not signed_in(phone)
    assert not Session.objects.filter(session_key=phone_key).exists()
    assert signed_in(stranger)  # nobody else's sessions


def test_the_session_list_needs_a_login(db):
    response = Client().get("/accounts/sessions/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(db):
    make_user("klara@example.org")
    desk, phone = Client(), Client()
    log_in(desk, "klara@example.org")
    log_in(phone, "klara@example.org")

    response = desk.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert signed_in(desk)
    assert not signed_in(phone)


def test_a_password_reset_by_mail_ends_every_session(db, smtp):
    make_user("klara@example.org")
    phone = Client()
    log_in(phone, "klara@example.org")
    browser = Client()
    browser.post("/accounts/password/reset/", {"email": "klara@example.org"})
    [mail] = smtp.wait(1)

    opened = browser.get(link_in(mail))
    assert opened.status_code == 302
    done = browser.post(opened["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert not signed_in(phone)
    assert User.objects.get().check_password(NEW_PASSWORD)
    assert browser.get(link_in(mail)).status_code in (200, 302)
    assert browser.post(opened["Location"], {"password1": PASSWORD, "password2": PASSWORD}).status_code != 302
    assert User.objects.get().check_password(NEW_PASSWORD)  # the link worked once


# --- lost access ---------------------------------------------------------------------------------


def _portfolio(api) -> None:
    assert api.put("/customers/K-1001", CUSTOMER).status_code in (200, 201)
    firm = dict(CUSTOMER, last_name="Firma", emails=["firma@example.org"])
    assert api.put("/customers/K-1002", firm).status_code in (200, 201)
    hrv = dict(CONTRACT, customer="K-1001", number="HR-4711", line="HRV")
    assert api.put("/contracts/V-2001", hrv).status_code in (200, 201)
    kfz = dict(CONTRACT, customer="K-1002", number="KF-0042", line="KFZ", risk="Firmenwagen")
    kfz.pop("risk_locations")
    assert api.put("/contracts/V-3001", kfz).status_code in (200, 201)


def _grant(api, name: str, customer: str) -> str:
    created = api.post("/grants", example_grant(name, [customer]))
    assert created.status_code == 201, created.content
    return created.json()["id"]


def _member(api, grant_id: str, email: str) -> None:
    """Teilen with a person who has said yes to the broker before: active at once."""
    accepted(grant_id, email)
    added = api.post(f"/grants/{grant_id}/members", {"email": email})
    assert added.status_code == 201
    assert added.json()["state"] == "active"


def test_removing_a_user_from_their_only_grant_ends_their_sessions(db, api):
    make_user("klara@example.org")
    grant = api.post("/grants", {"name": "X"}).json()["id"]
    _member(api, grant, "klara@example.org")
    desk, phone = Client(), Client()
    log_in(desk, "klara@example.org")
    log_in(phone, "klara@example.org")
    assert desk.get("/portal/", follow=True).status_code == 200

    assert api.delete(f"/grants/{grant}/members/klara@example.org").status_code == 204

    for client in (desk, phone):
        response = client.get("/portal/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert not signed_in(client)


def test_deleting_a_users_only_grant_ends_their_sessions(db, api):
    make_user("klara@example.org")
    grant = api.post("/grants", {"name": "X"}).json()["id"]
    _member(api, grant, "klara@example.org")
    client = Client()
    log_in(client, "klara@example.org")

    assert api.delete(f"/grants/{grant}").status_code == 204

    assert not signed_in(client)


def test_removal_from_one_of_two_grants_keeps_the_session_but_hides_that_grants_data(db, api):
    _portfolio(api)
    make_user("klara@example.org")
    family = _grant(api, "Familie Muster", "K-1001")
    firm = _grant(api, "Firma Muster", "K-1002")
    _member(api, family, "klara@example.org")
    _member(api, firm, "klara@example.org")
    client = Client()
    log_in(client, "klara@example.org")
    assert "Wohnung Musterweg 1" in client.get(f"/portal/{family}/").content.decode()  # HR-4711's risk
    assert "Firmenwagen" in client.get(f"/portal/{firm}/").content.decode()  # KF-0042's risk

    assert api.delete(f"/grants/{firm}/members/klara@example.org").status_code == 204

    assert client.get(f"/portal/{firm}/").status_code == 404
    after = client.get("/portal/", follow=True)  # one grant left: straight in
    assert after.status_code == 200
    page = after.content.decode()
    assert "Wohnung Musterweg 1" in page
    assert "Firmenwagen" not in page and "Firma Muster" not in page


def test_removal_from_a_grant_does_not_log_out_a_staff_member(db, api, broker):
    make_staff(broker, "max@muster-makler.de")
    grant = api.post("/grants", {"name": "X"}).json()["id"]
    _member(api, grant, "max@muster-makler.de")
    client = Client()
    log_in(client, "max@muster-makler.de")

    assert api.delete(f"/grants/{grant}/members/max@muster-makler.de").status_code == 204

    assert signed_in(client)


def test_removal_from_the_only_grant_of_one_broker_keeps_a_grant_of_another(db, api, other_api):
    make_user("klara@example.org")
    ours = api.post("/grants", {"name": "X"}).json()["id"]
    theirs = other_api.post("/grants", {"name": "Y"}).json()["id"]
    _member(api, ours, "klara@example.org")
    _member(other_api, theirs, "klara@example.org")
    client = Client()
    log_in(client, "klara@example.org")

    assert api.delete(f"/grants/{ours}/members/klara@example.org").status_code == 204

    assert signed_in(client)
    page = client.get("/portal/", follow=True).content.decode()
    assert "Andere Makler AG" in page and "Muster Makler GmbH" not in page


def test_removing_a_member_leaves_other_users_logged_in(db, api):
    make_user("klara@example.org")
    make_user("max@example.org")
    grant = api.post("/grants", {"name": "X"}).json()["id"]
    _member(api, grant, "klara@example.org")
    _member(api, grant, "max@example.org")
    klara, max_ = Client(), Client()
    log_in(klara, "klara@example.org")
    log_in(max_, "max@example.org")

    api.delete(f"/grants/{grant}/members/klara@example.org")

    assert not signed_in(klara)
    assert signed_in(max_)
