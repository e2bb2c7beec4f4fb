"""MFA of issue 4: mandatory for staff, per broker for portal users, TOTP secrets encrypted at rest,
the login step, replay, recovery codes, and brute force of the second factor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from cryptography.fernet import Fernet
from django.test import Client

from einblick.accounts.adapters import MfaAdapter
from tests.factories import PASSWORD, accepted, give_totp, join, make_staff, make_user
from tests.mfa import activate_totp, reauthenticate, totp_code
from tests.pages import log_in

START = datetime(2026, 11, 27, 9, 0, 5, tzinfo=UTC)  # 5 s into a 30 s TOTP period


# --- helpers ---------------------------------------------------------------------------------------------


def second_step(client: Client, code: str):
    return client.post("/accounts/2fa/authenticate/", {"code": code})


def redirect_target(response) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(response["Location"])
    return parts.path, parse_qs(parts.query)


# --- mandatory for staff -------------------------------------------------------------------------


def test_a_staff_user_without_a_second_factor_is_sent_to_set_one_up(db, broker):
    make_staff(broker, "max@muster-makler.de")
    client = Client()
    assert log_in(client, "max@muster-makler.de").status_code == 302

    response = client.get("/staff/")

    assert response.status_code == 302
    assert redirect_target(response) == ("/accounts/2fa/", {"next": ["/staff/"]})
    assert client.get("/accounts/2fa/").status_code == 200  # the setup page itself stays reachable


def test_the_rule_follows_the_view_so_a_script_name_prefix_does_not_get_round_it(db, broker, grant):
    from einblick.office.members import share

    make_staff(broker, "max@muster-makler.de")
    klara = make_user("klara@example.org")
    accepted(grant, klara.email)
    share(grant=grant, actor=None, email=klara.email)
    broker.portal_mfa_required = True
    broker.save()
    staff, customer = Client(), Client()
    log_in(staff, "max@muster-makler.de")
    log_in(customer, "klara@example.org")

    for client, path in ((staff, "/staff/"), (customer, "/portal/")):
        response = client.get("/x" + path, SCRIPT_NAME="/x", PATH_INFO=path)
        assert response.status_code == 302, path
        assert redirect_target(response)[0].endswith("/accounts/2fa/")


def test_operators_need_a_second_factor_for_the_admin_and_log_in_through_the_one_login(db):
    operator = make_user("operator@example.org", is_superuser=True, is_staff=True)
    client = Client()

    admin_login = client.get("/admin/login/?next=/admin/accounts/user/")
    assert admin_login.status_code == 302
    assert redirect_target(admin_login) == ("/accounts/login/", {"next": ["/admin/accounts/user/"]})
    refused = client.post("/admin/login/", {"username": operator.email, "password": PASSWORD})
    assert refused.status_code == 302 and "_auth_user_id" not in client.session

    log_in(client, operator.email)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert redirect_target(response)[0] == "/accounts/2fa/"


def test_the_front_door_sends_staff_without_a_second_factor_to_the_setup_too(db, broker):
    make_staff(broker, "max@muster-makler.de")
    client = Client()
    log_in(client, "max@muster-makler.de")

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/2fa/?")


def test_after_activating_totp_the_staff_user_reaches_the_staff_pages(db, broker):
    make_staff(broker, "max@muster-makler.de")
    client = Client()
    log_in(client, "max@muster-makler.de")

    activate_totp(client)

    assert client.get("/staff/").status_code == 200


def test_totp_activation_needs_a_recent_reauthentication(db, broker):
    make_staff(broker, "max@muster-makler.de")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "max@muster-makler.de")
        clock.shift(timedelta(minutes=6))  # the login itself no longer counts as recent

        response = client.get("/accounts/2fa/totp/activate/")

        assert response.status_code == 302
        assert redirect_target(response)[0] == "/accounts/reauthenticate/"
        reauthenticate(client)
        assert client.get("/accounts/2fa/totp/activate/").status_code == 200


def test_a_wrong_activation_code_activates_nothing(db, broker):
    make_staff(broker, "max@muster-makler.de")
    client = Client()
    log_in(client, "max@muster-makler.de")
    reauthenticate(client)
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session[SECRET_SESSION_KEY]
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/2fa/totp/activate/", {"code": wrong})

    assert response.status_code == 200
    assert not Authenticator.objects.exists()
    assert client.get("/staff/").status_code == 302


def test_recovery_codes_alone_do_not_count_as_a_second_factor_for_staff(db, broker):
    user = make_staff(broker, "max@muster-makler.de")
    RecoveryCodes.activate(user)
    client = Client()
    log_in(client, "max@muster-makler.de")

    assert client.get("/staff/").status_code == 302


# --- optional, or per broker mandatory, for portal users -----------------------------------------


def test_a_portal_user_reaches_the_portal_without_mfa_when_the_broker_does_not_require_it(db, broker, grant):
    assert broker.portal_mfa_required is False
    join(grant, "klara@example.org", PASSWORD)
    client = Client()
    log_in(client, "klara@example.org")

    assert client.get("/portal/", follow=True).status_code == 200


def test_a_portal_user_is_sent_to_set_up_mfa_when_the_broker_requires_it(db, broker, grant):
    broker.portal_mfa_required = True
    broker.save()
    join(grant, "klara@example.org", PASSWORD)
    client = Client()
    log_in(client, "klara@example.org")

    response = client.get("/portal/")

    assert response.status_code == 302
    assert redirect_target(response) == ("/accounts/2fa/", {"next": ["/portal/"]})
    activate_totp(client)
    assert client.get("/portal/", follow=True).status_code == 200


def test_the_broker_rule_applies_only_to_its_own_portal_users(db, broker, other_broker):
    from einblick.grants.payloads import GrantIn
    from einblick.grants.services import create_grant

    other_broker.portal_mfa_required = True
    other_broker.save()
    grant = create_grant(broker=broker, actor=None, data=GrantIn.model_validate({"name": "Familie Muster"}))
    join(grant, "klara@example.org", PASSWORD)
    client = Client()
    log_in(client, "klara@example.org")

    assert client.get("/portal/", follow=True).status_code == 200


# --- encrypted at rest ---------------------------------------------------------------------------


def test_totp_secrets_are_stored_encrypted(db, broker):
    user = make_staff(broker, "max@muster-makler.de")
    client = Client()
    log_in(client, "max@muster-makler.de")

    secret = activate_totp(client)

    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    assert stored.startswith("fernet:")
    assert secret not in stored and secret.lower() not in stored.lower()
    assert MfaAdapter().decrypt(stored) == secret
    seed = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).data["seed"]
    assert seed.startswith("fernet:")


def test_a_wrong_mfa_key_cannot_decrypt_the_secret(db, settings):
    user = make_user("klara@example.org")
    give_totp(user)
    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]

    settings.MFA_KEY = Fernet.generate_key().decode()

    with pytest.raises(ValueError):
        MfaAdapter().decrypt(stored)


def test_an_unencrypted_secret_is_refused_rather_than_used(db):
    with pytest.raises(ValueError):
        MfaAdapter().decrypt("JBSWY3DPEHPK3PXP")


def test_two_encryptions_of_the_same_secret_differ(db):
    adapter = MfaAdapter()

    assert adapter.encrypt("JBSWY3DPEHPK3PXP") != adapter.encrypt("JBSWY3DPEHPK3PXP")


# --- the login step ------------------------------------------------------------------------------


def test_the_password_alone_does_not_log_a_totp_user_in(db):
    user = make_user("klara@example.org")
    give_totp(user)
    client = Client()

    response = log_in(client, "klara@example.org")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    step = client.get("/accounts/2fa/authenticate/").content.decode()
    assert "oder einen Ihrer Wiederherstellungscodes" in step  # recovery codes work here too
    portal = client.get("/portal/")
    assert portal.status_code == 302
    assert redirect_target(portal)[0] == "/accounts/login/"
    assert client.get("/accounts/overview/").status_code == 302


def test_the_code_completes_the_login(db):
    user = make_user("klara@example.org")
    secret, _ = give_totp(user)
    client = Client()
    with time_machine.travel(START, tick=False):
        log_in(client, "klara@example.org")

        response = second_step(client, totp_code(secret))

        assert response.status_code == 302
        assert client.get("/accounts/overview/").status_code == 200


def test_a_wrong_code_does_not_log_in(db):
    user = make_user("klara@example.org")
    secret, _ = give_totp(user)
    client = Client()
    with time_machine.travel(START, tick=False):
        log_in(client, "klara@example.org")

        response = second_step(client, f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}")

        assert response.status_code == 200
        assert client.get("/accounts/overview/").status_code == 302


def test_a_code_of_a_past_period_is_refused(db):
    user = make_user("klara@example.org")
    secret, _ = give_totp(user)
    client = Client()
    with time_machine.travel(START, tick=False):
        old = totp_code(secret, START.timestamp() - 60)
        log_in(client, "klara@example.org")

        assert second_step(client, old).status_code == 200
        assert client.get("/accounts/overview/").status_code == 302


def test_the_local_next_survives_the_second_step(db):
    user = make_user("klara@example.org")
    secret, _ = give_totp(user)
    client = Client()
    with time_machine.travel(START, tick=False):
        client.post(
            "/accounts/login/?next=/accounts/overview/",
            {"login": "klara@example.org", "password": PASSWORD, "next": "/accounts/overview/"},
        )

        response = second_step(client, totp_code(secret))

        assert response["Location"] == "/accounts/overview/"


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
def test_an_off_site_next_is_ignored_after_the_second_step_too(db, target):
    user = make_user("klara@example.org")
    secret, _ = give_totp(user)
    client = Client()
    with time_machine.travel(START, tick=False):
        client.post(
            "/accounts/login/?" + urlencode({"next": target}),
            {"login": "klara@example.org", "password": PASSWORD, "next": target},
        )

        response = second_step(client, totp_code(secret))

        assert response.status_code == 302
        assert response["Location"] == "/"


def test_the_second_step_page_cannot_be_used_without_the_password_step(db):
    user = make_user("klara@example.org")
    secret, _ = give_totp(user)
    client = Client()
    with time_machine.travel(START, tick=False):
        response = second_step(client, totp_code(secret))

        assert response.status_code == 302
        assert client.get("/accounts/overview/").status_code == 302


# --- replay and recovery codes -------------------------------------------------------------------


def test_a_totp_code_used_for_one_login_is_refused_for_a_second_login_in_the_same_window(db):
    user = make_user("klara@example.org")
    secret, _ = give_totp(user)
    first, second = Client(), Client()
    with time_machine.travel(START, tick=False) as clock:
        code = totp_code(secret)
        log_in(first, "klara@example.org")
        assert second_step(first, code).status_code == 302

        clock.shift(timedelta(seconds=20))  # still the same 30 s period
        assert totp_code(secret) == code
        log_in(second, "klara@example.org")
        replayed = second_step(second, code)

        assert replayed.status_code == 200
        assert second.get("/accounts/overview/").status_code == 302
        assert first.get("/accounts/overview/").status_code == 200

        clock.shift(timedelta(seconds=30))  # the next period's code works: no lockout
        assert second_step(second, totp_code(secret)).status_code == 302
        assert second.get("/accounts/overview/").status_code == 200


def test_each_recovery_code_logs_in_once(db):
    user = make_user("klara@example.org")
    _, codes = give_totp(user)
    first, second, third = Client(), Client(), Client()

    log_in(first, "klara@example.org")
    assert second_step(first, codes[0]).status_code == 302
    assert first.get("/accounts/overview/").status_code == 200

    log_in(second, "klara@example.org")
    assert second_step(second, codes[0]).status_code == 200
    assert second.get("/accounts/overview/").status_code == 302

    log_in(third, "klara@example.org")
    assert second_step(third, codes[1]).status_code == 302
    assert third.get("/accounts/overview/").status_code == 200
    assert len(
        RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).get_unused_codes()
    ) == (len(codes) - 2)


def test_guessing_codes_is_throttled_and_the_throttle_passes(db):
    user = make_user("klara@example.org")
    secret, _ = give_totp(user)
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "klara@example.org")
        right = totp_code(secret)
        for guess in range(5):
            wrong = f"{(int(right) + 1 + guess) % 1_000_000:06d}"
            assert second_step(client, wrong).status_code == 200

        assert second_step(client, right).status_code == 429  # throttled: even the right code
        assert client.get("/accounts/overview/").status_code == 302

        clock.shift(timedelta(minutes=5, seconds=30))
        fresh = Client()
        log_in(fresh, "klara@example.org")
        assert second_step(fresh, totp_code(secret)).status_code == 302
        assert fresh.get("/accounts/overview/").status_code == 200


# Issue 15: a second factor for everyone who wants it; the throttle answers 429 -----------------------


def test_a_password_reset_requested_for_a_customer_does_not_keep_them_from_totp(db, smtp):
    """Anyone may request a reset for any address; it used to leave an unverified address record that
    allauth then held against activating TOTP ("…bis Sie Ihre E-Mail-Adresse verifiziert haben")."""
    from allauth.account.models import EmailAddress

    make_user("klara@example.org")
    assert Client().post("/accounts/password/reset/", {"email": "klara@example.org"}).status_code == 302
    assert list(EmailAddress.objects.values_list("email", "verified", "primary")) == [
        ("klara@example.org", True, True)
    ]
    client = Client()
    log_in(client, "klara@example.org")

    activate_totp(client)

    assert Authenticator.objects.filter(user__email="klara@example.org", type="totp").exists()


def test_the_migration_verifies_the_address_of_every_existing_account(db):
    """Accounts from before: without a record, or with the unverified one a reset request left."""
    import importlib

    from allauth.account.models import EmailAddress
    from django.apps import apps

    old = make_user("alt@example.org")
    stale = make_user("klara@example.org")
    EmailAddress.objects.filter(user=old).delete()
    EmailAddress.objects.filter(user=stale).update(verified=False, primary=False)

    importlib.import_module("einblick.accounts.migrations.0007_verified_addresses").verify_all(apps, None)

    assert set(EmailAddress.objects.values_list("email", "verified", "primary")) == {
        ("alt@example.org", True, True),
        ("klara@example.org", True, True),
    }


def test_too_many_wrong_codes_at_login_answer_429_with_retry_after(db):
    user = make_user("klara@example.org")
    give_totp(user)
    client = Client()
    assert log_in(client, "klara@example.org")["Location"] == "/accounts/2fa/authenticate/"

    answers = [client.post("/accounts/2fa/authenticate/", {"code": "000000"}) for _ in range(6)]

    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert answers[5].status_code == 429
    assert answers[5]["Retry-After"] == "60"
