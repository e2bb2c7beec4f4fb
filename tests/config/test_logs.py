"""Personal data stays out of logs."""

import logging


def test_it_keeps_e_mail_addresses_in_paths_out_of_the_request_log(api, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")

    response = api.get("/users/klara.muster@example.org/view")

    assert response.status_code == 404
    messages = [record.getMessage() for record in caplog.records if record.name == "django.request"]
    assert messages == ["Not Found: /api/v1/users/[e-mail]/view"]
    assert "klara" not in caplog.text


def test_it_redacts_e_mail_addresses_in_the_access_log():
    from einblick.config.logs import access_atoms

    atoms = access_atoms({"U": "/api/v1/grants/g_1/members/a%40b.de/resend", "s": 202})

    assert atoms == {"U": "/api/v1/grants/g_1/members/[e-mail]/resend", "s": 202}


def test_it_redacts_the_tokens_of_invitation_and_password_reset_links_in_the_access_log():
    from einblick.config.logs import access_atoms

    invitation = access_atoms(
        {"U": "/accounts/invitation/3q2-_Zx9aBcD/", "r": "GET /accounts/invitation/3q2-_Zx9aBcD/ HTTP/1.1"}
    )
    reset = access_atoms({"U": "/accounts/password/reset/key/1x-c3f9-8a7b6c/"})

    assert invitation == {
        "U": "/accounts/invitation/[token]/",
        "r": "GET /accounts/invitation/[token]/ HTTP/1.1",
    }
    assert reset == {"U": "/accounts/password/reset/key/[token]/"}


def test_it_keeps_an_invitation_token_out_of_the_request_log(db, client, caplog):
    caplog.set_level(logging.INFO)

    response = client.get("/accounts/invitation/secret-token-value/")

    assert response.status_code == 302  # the token goes into the session, the browser on without it
    assert "secret-token-value" not in caplog.text
    assert "secret-token-value" not in response["Location"]
