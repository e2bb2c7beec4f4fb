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
