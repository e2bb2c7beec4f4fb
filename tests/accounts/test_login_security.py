"""Login security of issue 4: open redirects on `next`, Host header poisoning, user enumeration, the
closed sign-up, and rate limits that throttle without locking anyone out (database cache and Redis)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import pytest
import time_machine
from django.core.cache import cache, caches
from django.test import Client

from einblick.accounts.models import User
from einblick.audit.models import AuditEntry
from tests.caches import redis_default_cache
from tests.factories import PASSWORD, make_user
from tests.mail import html_of, text_of
from tests.pages import log_in

WRONG = "ganz sicher nicht das Passwort"
# Mid-period, so that nothing that counts in windows (rate limits, TOTP) straddles a boundary.
START = datetime(2026, 11, 27, 9, 0, 5, tzinfo=UTC)

# Ways to write "another site" into `next` that naive checks let through.
OFF_SITE = [
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "https://evil.example",
    "http://127.0.0.1:8000@evil.example",
    "/\tevil",  # a tab: browsers drop it, `/<tab>/evil` becomes `//evil`
    "/\t/evil.example",
    "/\\tevil",  # a literal backslash: browsers read `/\` as `//`
    "\\\\evil.example",
    "///evil.example",
    "http:/evil.example",
    "HTTPS://EVIL.EXAMPLE",
    " //evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "//evil.example/%2F..",
    "https://127.0.0.1:8000.evil.example/",
]


def stays_on_site(location: str) -> bool:
    """How a browser resolves Location: tabs and newlines dropped, backslashes read as slashes."""
    browser = re.sub(r"[\t\n\r]", "", location).strip().replace("\\", "/")
    parts = urlsplit(browser)
    return browser.startswith("/") and not browser.startswith("//") and not parts.scheme and not parts.netloc


def without_csrf(body: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', body.decode())


def is_logged_in(client: Client) -> bool:
    response = client.get("/accounts/overview/")
    return response.status_code == 200


# --- open redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", OFF_SITE)
def test_after_a_successful_login_an_off_site_next_is_ignored(db, target):
    make_user("klara@example.org")
    client = Client()

    response = client.post(
        "/accounts/login/?" + urlencode({"next": target}),
        {"login": "klara@example.org", "password": PASSWORD, "next": target},
    )

    assert response.status_code == 302
    assert stays_on_site(response["Location"]), response["Location"]
    assert "evil" not in response["Location"]
    assert is_logged_in(client)


@pytest.mark.parametrize("target", OFF_SITE)
def test_an_off_site_next_in_the_query_alone_is_ignored_too(db, target):
    make_user("klara@example.org")
    client = Client()

    response = client.post(
        "/accounts/login/?" + urlencode({"next": target}),
        {"login": "klara@example.org", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_local_next_is_honoured_after_login(db):
    make_user("klara@example.org")
    client = Client()

    response = client.post(
        "/accounts/login/?next=/accounts/overview/",
        {"login": "klara@example.org", "password": PASSWORD, "next": "/accounts/overview/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/overview/"
    assert client.get(response["Location"]).status_code == 200


def test_the_next_parameter_is_not_reflected_unescaped_into_the_login_page(db):
    payload = '/"><script>alert(1)</script>'

    page = Client().get("/accounts/login/?" + urlencode({"next": payload})).content.decode()

    assert "<script>alert(1)</script>" not in page


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
def test_logging_out_ignores_an_off_site_next(db, target):
    make_user("klara@example.org")
    client = Client()
    log_in(client, "klara@example.org")

    response = client.post("/accounts/logout/?" + urlencode({"next": target}), {"next": target})

    assert response.status_code == 302
    assert stays_on_site(response["Location"]), response["Location"]
    assert not is_logged_in(client)


def test_the_language_switch_ignores_an_off_site_next(db):
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "//evil.example"})

    assert response.status_code == 302
    assert stays_on_site(response["Location"])


# --- Host header poisoning -----------------------------------------------------------------------


def test_a_request_for_a_foreign_host_is_refused_with_400(db, caplog):
    response = Client().get("/accounts/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    # Django reports a foreign Host on django.security.DisallowedHost at ERROR: expected here.
    refused = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert refused and refused[0].levelno == logging.ERROR
    caplog.clear()


def test_a_login_post_for_a_foreign_host_logs_nobody_in(db, caplog):
    make_user("klara@example.org")
    client = Client()

    response = client.post(
        "/accounts/login/", {"login": "klara@example.org", "password": PASSWORD}, HTTP_HOST="evil.example"
    )

    assert response.status_code == 400
    assert "sessionid" not in response.cookies
    caplog.clear()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_HOST": "localhost"},
        {"HTTP_HOST": "127.0.0.1:8443"},
        {"HTTP_HOST": "localhost", "HTTP_X_FORWARDED_HOST": "evil.example"},
    ],
    ids=["alias", "other-port", "forwarded-host"],
)
def test_password_reset_links_are_built_from_base_url_whatever_the_host_header(db, smtp, settings, headers):
    settings.BASE_URL = "https://portal.example"
    make_user("klara@example.org")

    response = Client().post("/accounts/password/reset/", {"email": "klara@example.org"}, **headers)

    assert response.status_code == 302
    [mail] = smtp.wait(1)
    text = text_of(mail)
    links = re.findall(r"https?://\S+", text)
    assert links and all(
        link.startswith("https://portal.example/accounts/password/reset/key/") for link in links
    )
    for body in (text, html_of(mail)):
        assert "localhost" not in body and "evil.example" not in body and "8443" not in body
        assert "127.0.0.1" not in body


def test_no_mail_the_portal_sends_links_to_the_host_of_the_request(db, smtp, settings):
    """allauth's e-mail management would mail a verification link built from the Host header; the
    page is switched off, so no such mail can be asked for."""
    settings.BASE_URL = "https://portal.example"
    make_user("klara@example.org")
    client = Client()
    log_in(client, "klara@example.org")

    client.post(
        "/accounts/email/", {"action_add": "", "email": "klara.privat@example.org"}, HTTP_HOST="localhost"
    )

    for mail in smtp.messages:
        assert "localhost" not in text_of(mail)


def test_a_user_cannot_attach_a_second_address_and_make_the_portal_mail_a_stranger(db, smtp):
    from allauth.account.models import EmailAddress

    make_user("klara@example.org")
    client = Client()
    log_in(client, "klara@example.org")

    assert client.get("/accounts/email/").status_code == 404
    client.post("/accounts/email/", {"action_add": "", "email": "fremd@example.org"})
    client.post("/accounts/email/", {"action_primary": "", "email": "fremd@example.org"})

    assert not EmailAddress.objects.filter(email="fremd@example.org").exists()
    assert User.objects.get().email == "klara@example.org"
    assert smtp.messages == []


# --- enumeration ---------------------------------------------------------------------------------


def test_a_failed_login_looks_the_same_for_an_unknown_address_and_a_wrong_password(db):
    unknown = Client().post("/accounts/login/", {"login": "klara@example.org", "password": WRONG})
    make_user("klara@example.org")
    wrong = Client().post("/accounts/login/", {"login": "klara@example.org", "password": WRONG})

    assert unknown.status_code == wrong.status_code == 200
    assert without_csrf(unknown.content) == without_csrf(wrong.content)
    assert "sessionid" not in wrong.cookies


def test_a_failed_login_for_an_inactive_account_looks_like_any_other_failure(db):
    unknown = Client().post("/accounts/login/", {"login": "klara@example.org", "password": PASSWORD})
    make_user("klara@example.org", is_active=False)
    inactive = Client().post("/accounts/login/", {"login": "klara@example.org", "password": WRONG})

    assert inactive.status_code == unknown.status_code == 200
    assert without_csrf(unknown.content) == without_csrf(inactive.content)


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(db, smtp):
    make_user("klara@example.org")

    known = Client().post("/accounts/password/reset/", {"email": "klara@example.org"}, follow=True)
    unknown = Client().post("/accounts/password/reset/", {"email": "niemand@example.org"}, follow=True)

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain == [("/accounts/password/reset/done/", 302)]
    assert without_csrf(known.content) == without_csrf(unknown.content)
    smtp.wait(1)
    assert smtp.to("niemand@example.org") == []  # no mail to unknown addresses (no hint either way)


# --- sign-up is closed ---------------------------------------------------------------------------


def test_the_sign_up_page_says_it_is_closed(db):
    response = Client().get("/accounts/signup/")

    assert response.status_code == 200
    assert "<form" not in response.content.decode().split('<main id="main"')[1].split("</main>")[0]


def test_posting_to_sign_up_creates_no_account_and_sends_no_mail(db, smtp):
    response = Client().post(
        "/accounts/signup/", {"email": "neu@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code in (200, 403)
    assert not User.objects.filter(email="neu@example.org").exists()
    assert smtp.messages == []
    assert log_in(Client(), "neu@example.org").status_code != 302


def test_the_login_form_refuses_a_post_without_the_csrf_token(db):
    make_user("klara@example.org")
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"login": "klara@example.org", "password": PASSWORD})

    assert response.status_code == 403
    assert not is_logged_in(client)


# --- rate limits without lockout -----------------------------------------------------------------


@pytest.fixture(params=["database", "redis"])
def cache_backend(request, settings) -> Iterator[str]:
    """The rate limits on the default database cache, and on Redis (db 15). Each test writes under a
    key prefix of its own and removes exactly those keys afterwards, so parallel runs do not meet."""
    if request.param == "redis":
        with redis_default_cache(settings):
            yield "redis"
    else:
        yield "database"


def _fail_five_times(email: str) -> None:
    for _ in range(5):
        response = log_in(Client(), email, WRONG)
        assert response.status_code == 200  # the form again, with its error


def test_the_rate_limits_run_on_the_configured_cache(db, cache_backend):
    expected = "RedisCache" if cache_backend == "redis" else "DatabaseCache"

    assert type(caches["default"]).__name__ == expected
    cache.set("probe", "da", 5)
    assert cache.get("probe") == "da"


def test_five_failed_logins_for_an_address_make_the_next_attempt_answer_429_even_with_the_right_password(
    db, cache_backend
):
    make_user("klara@example.org")
    with time_machine.travel(START, tick=False):
        _fail_five_times("klara@example.org")
        client = Client()
        blocked = log_in(client, "klara@example.org")

        assert blocked.status_code == 429
        assert "sessionid" not in blocked.cookies
        assert not is_logged_in(client)
        assert log_in(Client(), "KLARA@example.org").status_code == 429  # the address, in any case


def test_the_throttle_ends_after_five_minutes_so_nobody_is_locked_out(db, cache_backend):
    make_user("klara@example.org")
    with time_machine.travel(START, tick=False) as clock:
        _fail_five_times("klara@example.org")
        clock.shift(timedelta(minutes=4, seconds=50))
        assert log_in(Client(), "klara@example.org").status_code == 429

        clock.shift(timedelta(seconds=11))
        client = Client()
        response = log_in(client, "klara@example.org")

        assert response.status_code == 302
        assert is_logged_in(client)


def test_other_addresses_are_not_blocked_while_one_is_throttled(db, cache_backend):
    make_user("klara@example.org")
    make_user("max@example.org")
    with time_machine.travel(START, tick=False):
        _fail_five_times("klara@example.org")
        assert log_in(Client(), "klara@example.org").status_code == 429

        client = Client()
        response = log_in(client, "max@example.org")  # same IP, other address

        assert response.status_code == 302
        assert is_logged_in(client)


def test_a_successful_login_does_not_count_against_the_address(db, cache_backend):
    make_user("klara@example.org")
    with time_machine.travel(START, tick=False):
        for _ in range(8):
            assert log_in(Client(), "klara@example.org").status_code == 302


def test_a_throttled_attempt_is_audited_without_the_password(db, broker, cache_backend):
    make_user("klara@example.org")
    with time_machine.travel(START, tick=False):
        _fail_five_times("klara@example.org")
        Client().post(
            "/accounts/login/",
            {"login": "klara@example.org", "password": PASSWORD},
            REMOTE_ADDR="198.51.100.9",
        )

    entry = AuditEntry.objects.get(action="account.login_throttled")
    assert entry.ip == "198.51.100.9"
    assert PASSWORD not in repr(entry.data) + entry.actor_label


def test_the_429_page_is_the_portals_german_page(db):
    make_user("klara@example.org")
    with time_machine.travel(START, tick=False):
        _fail_five_times("klara@example.org")
        response = log_in(Client(), "klara@example.org")

    assert response.status_code == 429
    assert "<h1>Zu viele Versuche</h1>" in response.content.decode()


def test_password_reset_requests_for_one_address_are_throttled_alike_for_known_and_unknown(db, smtp):
    make_user("klara@example.org")
    with time_machine.travel(START, tick=False):
        known = [
            Client().post("/accounts/password/reset/", {"email": "klara@example.org"}).status_code
            for _ in range(6)
        ]
        unknown = [
            Client().post("/accounts/password/reset/", {"email": "niemand@example.org"}).status_code
            for _ in range(6)
        ]

    assert known == unknown == [302] * 5 + [429]


def test_changing_the_host_header_does_not_reset_the_throttle_of_an_address(db):
    make_user("klara@example.org")
    with time_machine.travel(START, tick=False):
        _fail_five_times("klara@example.org")
        assert log_in(Client(), "klara@example.org").status_code == 429

        for host in ("localhost", "127.0.0.1:8001", "127.0.0.1:8002"):
            response = Client().post(
                "/accounts/login/", {"login": "klara@example.org", "password": WRONG}, HTTP_HOST=host
            )
            assert response.status_code == 429, host
