"""Grant edges found in review: resend to a joined member, the union's size, option order."""

from einblick.accounts.models import User
from einblick.api import grants as grants_api
from tests.apiclient import assert_error
from tests.factories import accepted


def _grant(api, name: str = "Familie Muster", **share) -> str:
    response = api.post("/grants", {"name": name, "share": share})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_it_refuses_to_resend_an_invitation_to_a_member_who_has_joined(api, db):
    User.objects.create_user("klara@example.org", "ein langes Passwort 42")
    grant_id = _grant(api)
    accepted(grant_id, "klara@example.org")
    assert api.post(f"/grants/{grant_id}/members", {"email": "klara@example.org"}).json()["state"] == "active"

    response = api.post(f"/grants/{grant_id}/members/klara@example.org/resend")

    assert_error(response, 409)


def test_it_stores_status_options_in_the_order_of_the_spec(api, db):
    grant_id = _grant(api, auto_contracts=True, statuses=["EIGEN", "POLICE", "STORNO", "ANFRAGE"])

    assert api.get(f"/grants/{grant_id}").json()["share"]["statuses"] == [
        "ANFRAGE",
        "STORNO",
        "POLICE",
        "EIGEN",
    ]


def test_it_refuses_a_combined_view_over_more_grants_than_it_can_combine(api, db, monkeypatch):
    monkeypatch.setattr(grants_api, "MAX_UNION", 2)
    User.objects.create_user("klara@example.org", "ein langes Passwort 42")
    for n in range(3):
        grant_id = _grant(api, name=f"Grant {n}")
        accepted(grant_id, "klara@example.org")
        assert api.post(f"/grants/{grant_id}/members", {"email": "klara@example.org"}).status_code == 201

    response = api.get("/users/klara@example.org/view")

    assert_error(response, 422, "path", "email")


def test_a_consent_is_found_however_the_address_is_capitalised_beyond_ascii(api, db):
    """The address is lower-cased as members and consents are stored before the consent is looked up:
    SQLite's case-insensitive match knows only ASCII, so "…@Änne-…" would miss "…@änne-…" and invite
    her. (Local parts are ASCII: einblick.text.is_email.)"""
    User.objects.create_user("anne@änne-versicherung.de", "ein langes Passwort 42")
    grant_id = _grant(api)
    accepted(grant_id, "ANNE@ÄNNE-Versicherung.de")

    member = api.post(f"/grants/{grant_id}/members", {"email": "Anne@Änne-Versicherung.DE"}).json()

    assert (member["email"], member["state"]) == ("anne@änne-versicherung.de", "active")
