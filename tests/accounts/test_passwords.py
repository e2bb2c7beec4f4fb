"""Issue 4, passwords: length (12 to 512), Django's validators with the product's and the broker's names
as context words, Argon2id, change with the current password, and reset by e-mail (one hour, single
use, from EINBLICK_BASE_URL, no user enumeration)."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from einblick.accounts.models import Invitation, User
from einblick.audit.models import AuditEntry
from einblick.brokers.models import Broker
from einblick.grants.models import Grant, GrantMember, MemberState
from einblick.office.members import share
from tests.factories import PASSWORD, join, make_grant
from tests.mail import link_in, text_of
from tests.pages import log_in

pytestmark = pytest.mark.django_db

INVITEE = "paula.beispiel@example.org"
NEW_PASSWORD = "ein neuer Satz für das Konto 2025"
PORTAL = "https://portal.makler.example"


# Helpers ---------------------------------------------------------------------------------------------


def passphrase(length: int) -> str:
    """Plain German words cut to `length`: long enough is the only rule they can meet or break."""
    words = "Wolkenkratzer am Fluss sieben Brücken weit "
    return (words * (length // len(words) + 1))[:length]


@pytest.fixture
def invite(smtp, django_capture_on_commit_callbacks):
    """Add an unknown address to a grant; answers the path of the link in the mail."""

    def invite(grant: Grant, email: str = INVITEE) -> str:
        count = len(smtp.messages)
        with django_capture_on_commit_callbacks(execute=True):
            share(grant=grant, actor=None, email=email)
        return link_in(smtp.wait(count + 1)[-1])

    return invite


@pytest.fixture
def invited(grant, invite) -> Client:
    """A browser with the invitation form open."""
    browser = Client()
    assert browser.get(invite(grant)).status_code == 302
    assert browser.get("/accounts/invitation/").status_code == 200
    return browser


def choose(browser: Client, password1: str, password2: str | None = None):
    return browser.post(
        "/accounts/invitation/",
        {"password1": password1, "password2": password1 if password2 is None else password2},
    )


def error_codes(response, field: str) -> set[str]:
    form = response.context["form"]
    return {error.code for error in form.errors.as_data().get(field, [])}


def assert_refused_at_password1(response, grant: Grant) -> None:
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"password1"}
    assert_error_shown_at(response, "password1")
    assert not User.objects.exists()
    assert GrantMember.objects.get(grant=grant, email=INVITEE).state == MemberState.INVITED
    assert Invitation.objects.filter(member__email=INVITEE).exists()  # the link is not used up


def input_tag(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"no input {name}"
    return match.group(0)


def assert_error_shown_at(response, field: str) -> None:
    """The page marks the field invalid and points it at its error text (and only that field)."""
    page = response.content.decode()
    tag = input_tag(page, field)
    assert 'aria-invalid="true"' in tag
    described = re.search(r'aria-describedby="([^"]*)"', tag)
    assert described, tag
    error_ids = [i for i in described.group(1).split() if i.startswith(f"id_{field}_error")]
    assert error_ids, tag
    assert f'id="{error_ids[0]}"' in page
    for other in ("password1", "password2"):
        if other != field:
            assert 'aria-invalid="true"' not in input_tag(page, other)


def member(broker: Broker, email: str) -> User:
    """A portal user with an account and an active membership in a grant of `broker`."""
    return join(make_grant(broker, "Familie Beispiel"), email, PASSWORD)


def without_csrf(content: bytes) -> str:
    text = content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', text)
    return re.sub(r'"csrfToken"\s*:\s*"[^"]*"', '"csrfToken": ""', text)


# Length ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "accepted"),
    [(11, False), (12, True), (128, True), (512, True), (513, False)],
)
def test_passwords_of_12_to_512_characters_are_accepted(grant, invited, length, accepted):
    password = passphrase(length)
    assert len(password) == length

    answer = choose(invited, password)

    if accepted:
        assert answer.status_code == 302
        user = User.objects.get(email=INVITEE)
        assert user.check_password(password)
        assert not user.check_password(password[:-1])  # every character counts, nothing is cut off
    else:
        assert_refused_at_password1(answer, grant)
        expected = "password_too_short" if length < 12 else "password_too_long"
        assert error_codes(answer, "password1") == {expected}


def test_a_space_at_either_end_is_part_of_the_password(grant, invited):
    password = "  " + passphrase(20) + "  "

    assert choose(invited, password).status_code == 302

    user = User.objects.get(email=INVITEE)
    assert user.check_password(password)
    assert not user.check_password(password.strip())


# Validators ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("startfinding", "password_too_common"),
        ("qwerty123456", "password_too_common"),
        ("804219736152", "password_entirely_numeric"),
        ("Paula.Beispiel.Example", "password_too_similar"),
        ("Mein Einblick ins Leben", "password_context_word"),
        ("E-i-n-b-l-i-c-k am Abend", "password_context_word"),
        ("Hallo Muster Sonnenschein", "password_context_word"),
        ("MUSTERMUSTERMUSTER", "password_context_word"),
    ],
    ids=[
        "common",
        "common-with-digits",
        "numeric",
        "similar-to-e-mail",
        "product-name",
        "product-name-spaced-out",
        "broker-name-word",
        "broker-name-upper-case",
    ],
)
def test_it_refuses_weak_passwords_at_password1_with_400_and_creates_nothing(grant, invited, password, code):
    answer = choose(invited, password)

    assert_refused_at_password1(answer, grant)
    assert code in error_codes(answer, "password1")
    # The link still works with a good password afterwards.
    assert choose(invited, PASSWORD).status_code == 302
    assert User.objects.get(email=INVITEE).check_password(PASSWORD)


def test_the_brokers_name_is_a_context_word_only_for_that_brokers_people(other_broker, invite):
    grant = make_grant(other_broker, "Familie Beispiel")
    browser = Client()
    browser.get(invite(grant))

    answer = choose(browser, "Hallo Muster Sonnenschein")  # "Muster" is the other broker's name

    assert answer.status_code == 302
    assert User.objects.get(email=INVITEE).check_password("Hallo Muster Sonnenschein")


def test_the_generic_words_of_a_brokers_name_are_no_context_words(grant, invited):
    answer = choose(invited, "Makler sind auch Menschen")  # "Makler" of "Muster Makler GmbH"

    assert answer.status_code == 302


def test_the_page_with_a_password_error_has_no_duplicate_ids(grant, invited):
    answer = choose(invited, passphrase(11))

    assert answer.status_code == 400
    ids = re.findall(r'\sid="([^"]+)"', answer.content.decode())
    assert "id_password1_error" in ids
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_two_different_passwords_are_refused_at_password2(grant, invited):
    answer = choose(invited, PASSWORD, PASSWORD + "!")

    assert answer.status_code == 400
    assert set(answer.context["form"].errors) == {"password2"}
    assert_error_shown_at(answer, "password2")
    assert not User.objects.exists()


@pytest.mark.argon2
def test_the_stored_hash_is_argon2id(grant, invited):
    assert choose(invited, PASSWORD).status_code == 302

    stored = User.objects.get(email=INVITEE).password
    assert stored.startswith("argon2$argon2id$")
    assert PASSWORD not in stored


# Change ----------------------------------------------------------------------------------------------


def change(browser: Client, current: str, new: str = NEW_PASSWORD):
    return browser.post(
        "/accounts/password/change/", {"oldpassword": current, "password1": new, "password2": new}
    )


def test_a_password_change_needs_the_current_password(broker):
    user = member(broker, INVITEE)
    browser = Client()
    assert log_in(browser, INVITEE).status_code == 302

    refused = change(browser, "nicht das richtige Passwort")

    assert refused.status_code != 302
    assert "oldpassword" in refused.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not user.check_password(NEW_PASSWORD)
    assert not AuditEntry.objects.filter(action="account.password_changed").exists()


@pytest.mark.argon2
def test_a_password_change_with_the_current_password_is_stored_as_argon2id_and_audited(broker):
    user = member(broker, INVITEE)
    browser = Client()
    assert log_in(browser, INVITEE, REMOTE_ADDR="198.51.100.4").status_code == 302

    changed = change(browser, PASSWORD)

    assert changed.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.password.startswith("argon2$argon2id$")
    [entry] = AuditEntry.objects.filter(action="account.password_changed")
    assert entry.actor_user == user and entry.broker == broker
    for row in AuditEntry.objects.values():
        assert PASSWORD not in repr(row) and NEW_PASSWORD not in repr(row)
    assert browser.get("/accounts/overview/").status_code == 200  # still logged in
    assert log_in(Client(), INVITEE, NEW_PASSWORD).status_code == 302


def test_a_password_change_logs_out_the_other_sessions_but_keeps_this_one(broker):
    member(broker, INVITEE)
    browser, elsewhere = Client(), Client()
    assert log_in(browser, INVITEE).status_code == 302
    assert log_in(elsewhere, INVITEE).status_code == 302
    key = browser.session.session_key

    assert change(browser, PASSWORD).status_code == 302

    assert browser.get("/accounts/overview/").status_code == 200
    assert browser.session.session_key != key  # a new session id after the change
    gone = elsewhere.get("/accounts/overview/")
    assert gone.status_code == 302 and gone["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("new", "code"),
    [(passphrase(11), "password_too_short"), ("Hallo Muster Sonnenschein", "password_context_word")],
    ids=["short", "broker-name"],
)
def test_a_password_change_applies_the_same_rules(broker, new, code):
    user = member(broker, INVITEE)
    browser = Client()
    assert log_in(browser, INVITEE).status_code == 302

    refused = change(browser, PASSWORD, new)

    assert refused.status_code != 302
    assert code in error_codes(refused, "password1")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_password_change_needs_a_login():
    answer = Client().get("/accounts/password/change/")

    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")


# Reset -----------------------------------------------------------------------------------------------


def request_reset(browser: Client, email: str, **headers: str):
    return browser.post("/accounts/password/reset/", {"email": email}, headers=headers)


def mailed_reset_link(smtp) -> tuple[str, datetime]:
    """Ask for a reset of INVITEE; answers the path of the mailed link and the time it was sent."""
    count = len(smtp.messages)
    sent_at = timezone.now()
    assert request_reset(Client(), INVITEE, Host="localhost").status_code == 302
    return link_in(smtp.wait(count + 1)[-1], PORTAL), sent_at


@pytest.fixture
def reset_link(broker, smtp, settings) -> tuple[str, datetime]:
    """A known user asks for a reset."""
    settings.BASE_URL = PORTAL
    member(broker, INVITEE)
    return mailed_reset_link(smtp)


def reset_with(browser: Client, path: str, password: str = NEW_PASSWORD):
    """Follow the reset link and set a password; answers (GET of the link, POST of the form)."""
    followed = browser.get(path)
    if followed.status_code != 302:
        return followed, browser.post(path, {"password1": password, "password2": password})
    form_path = followed["Location"]
    assert form_path.endswith("-set-password/")
    assert browser.get(form_path).status_code == 200
    return followed, browser.post(form_path, {"password1": password, "password2": password})


def test_a_reset_mails_a_link_built_from_the_base_url(reset_link, smtp):
    path, _ = reset_link

    [mail] = smtp.messages
    assert mail["To"] == INVITEE
    assert "innerhalb einer Stunde" in text_of(mail)
    assert re.match(r"/accounts/password/reset/key/[0-9a-z]+-[0-9A-Za-z-]+/$", path)
    assert f"{PORTAL}{path}" in text_of(mail)
    assert "localhost" not in text_of(mail) and "testserver" not in text_of(mail)


@pytest.mark.argon2
def test_the_reset_link_sets_a_new_password(reset_link):
    path, _ = reset_link

    followed, done = reset_with(Client(), path)

    assert followed.status_code == 302
    assert done.status_code == 302
    user = User.objects.get(email=INVITEE)
    assert user.check_password(NEW_PASSWORD)
    assert user.password.startswith("argon2$argon2id$")
    assert AuditEntry.objects.filter(action="account.password_reset", actor_user=user).exists()
    assert log_in(Client(), INVITEE, NEW_PASSWORD).status_code == 302


def test_a_reset_logs_out_every_session_of_the_account(broker, smtp, settings):
    settings.BASE_URL = PORTAL
    member(broker, INVITEE)
    elsewhere = Client()
    assert log_in(elsewhere, INVITEE).status_code == 302
    path, _ = mailed_reset_link(smtp)

    assert reset_with(Client(), path)[1].status_code == 302

    gone = elsewhere.get("/accounts/overview/")
    assert gone.status_code == 302 and gone["Location"].startswith("/accounts/login/")


def test_a_reset_request_with_an_unknown_host_is_refused_and_mails_nothing(broker, smtp, caplog):
    member(broker, INVITEE)

    refused = request_reset(Client(), INVITEE, Host="evil.example")

    assert refused.status_code == 400
    assert smtp.messages == []
    assert all(
        r.name == "django.security.DisallowedHost" for r in caplog.records if r.levelno >= logging.ERROR
    )
    caplog.clear()


@pytest.mark.parametrize(("minutes", "valid"), [(59, True), (61, False), (60 * 24, False)])
def test_the_reset_link_is_valid_for_one_hour(reset_link, minutes, valid):
    path, sent_at = reset_link

    # Local time: Django's reset tokens count naive local seconds, time-machine sets TZ from the zone.
    with time_machine.travel(timezone.localtime(sent_at + timedelta(minutes=minutes)), tick=False):
        followed, done = reset_with(Client(), path)

    user = User.objects.get(email=INVITEE)
    if valid:
        assert followed.status_code == 302 and done.status_code == 302
        assert user.check_password(NEW_PASSWORD)
    else:
        assert followed.status_code == 200
        assert followed.context["token_fail"] is True
        assert done.status_code != 302
        assert user.check_password(PASSWORD)
        assert not user.check_password(NEW_PASSWORD)


def test_the_reset_link_can_be_used_once(reset_link):
    path, _ = reset_link
    assert reset_with(Client(), path)[1].status_code == 302

    followed, done = reset_with(Client(), path, "noch ein anderer Satz als Passwort")

    assert followed.status_code == 200
    assert followed.context["token_fail"] is True
    assert done.status_code != 302
    assert User.objects.get(email=INVITEE).check_password(NEW_PASSWORD)


def test_a_login_after_the_reset_request_kills_the_link(reset_link):
    path, _ = reset_link

    assert log_in(Client(), INVITEE).status_code == 302  # the person remembered the password

    followed, done = reset_with(Client(), path)
    assert followed.context["token_fail"] is True
    assert done.status_code != 302
    assert User.objects.get(email=INVITEE).check_password(PASSWORD)


def test_a_reset_link_opened_before_the_reset_dies_with_it(reset_link):
    path, _ = reset_link
    slow = Client()
    form_path = slow.get(path)["Location"]
    assert reset_with(Client(), path)[1].status_code == 302

    late = slow.post(
        form_path, {"password1": "ein später Satz als Passwort", "password2": "ein später Satz als Passwort"}
    )

    assert late.status_code != 302
    assert User.objects.get(email=INVITEE).check_password(NEW_PASSWORD)


def test_a_reset_applies_the_password_rules(reset_link):
    path, _ = reset_link

    _, refused = reset_with(Client(), path, "Hallo Muster Sonnenschein")

    assert refused.status_code != 302
    assert "password_context_word" in error_codes(refused, "password1")
    assert User.objects.get(email=INVITEE).check_password(PASSWORD)


def test_a_reset_answers_a_known_and_an_unknown_address_alike_and_mails_only_the_known_one(broker, smtp):
    member(broker, INVITEE)

    unknown = request_reset(Client(), "niemand@example.org")
    known = request_reset(Client(), INVITEE)

    assert (unknown.status_code, unknown.get("Location")) == (known.status_code, known.get("Location"))
    assert without_csrf(unknown.content) == without_csrf(known.content)
    # The page the browser lands on is the same as well.
    unknown_page = Client().get(unknown["Location"])
    known_page = Client().get(known["Location"])
    assert unknown_page.status_code == known_page.status_code == 200
    assert without_csrf(unknown_page.content) == without_csrf(known_page.content)
    [mail] = smtp.wait(1)
    assert mail["X-Envelope-To"] == INVITEE
    assert smtp.to("niemand@example.org") == []


def test_a_reset_answers_a_known_and_an_unknown_address_alike_when_followed_in_one_browser(broker, smtp):
    member(broker, INVITEE)
    pages = []
    for address in ("niemand@example.org", INVITEE):
        browser = Client()
        answer = browser.post("/accounts/password/reset/", {"email": address}, follow=True)
        pages.append((answer.status_code, answer.redirect_chain, without_csrf(answer.content)))

    assert pages[0] == pages[1]
    assert len(smtp.wait(1)) == 1
