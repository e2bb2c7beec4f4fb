"""The AMS cannot take the broker's last administrator who can log in away (issue 15, item 7): not by
`PUT /staff/{id}` with another role or an address that has not accepted, not by `DELETE /staff/{id}`,
not by the batch import; 409 with a clear message, the same rule as the office's (office/admins.py).
"Can log in" is an administrator who has accepted the staff role (accounts.roles.has_accepted)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from einblick.audit.models import AuditEntry
from einblick.brokers.models import StaffMember
from einblick.brokers.services import create_token
from einblick.office.brokers import create_broker
from tests.apiclient import Api, assert_error
from tests.factories import accepted
from tests.samples import person

MESSAGE = "The broker must keep an administrator who can log in."
FIELD = (
    "the last administrator who can log in (who has accepted the staff role); make another staff member "
    "administrator first"
)
SINA = {"name": "Sina Staff", "email": "chefin@muster-makler.example", "role": "admin"}


def staff(api: Api, key: str, email: str, role: str = "admin", *, accept: bool = True) -> dict[str, Any]:
    body = {"name": key, "email": email, "role": role}
    assert api.put(f"/staff/{key}", body).status_code in (200, 201)
    if accept:
        accepted(StaffMember.objects.get(external_id=key).broker, email, staff=True)
    return body


def role_of(key: str) -> str:
    return StaffMember.objects.get(external_id=key).role


def assert_refused(response: Any, *loc: str) -> None:
    errors = assert_error(response, 409, *loc)
    assert response.json()["detail"] == MESSAGE
    assert [error["msg"] for error in errors] == [FIELD]


# --- PUT and DELETE /staff/{id} -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["none", "user"])
def test_the_last_admin_who_can_log_in_cannot_be_demoted(api, broker_admin, role):
    response = api.put("/staff/ST-1", {**SINA, "role": role})

    assert_refused(response, "body", "role")
    assert role_of("ST-1") == "admin"
    assert broker_admin.client.get("/staff/").status_code == 200  # still in the office
    assert not AuditEntry.objects.filter(action="staff.updated").exists()


def test_the_last_admin_who_can_log_in_cannot_be_moved_to_an_address_that_has_not_accepted(api, broker_admin):
    response = api.put("/staff/ST-1", {**SINA, "email": "neu@muster-makler.example"})

    assert_refused(response, "body", "email")
    assert StaffMember.objects.get(external_id="ST-1").email == SINA["email"]


def test_the_last_admin_who_can_log_in_cannot_be_deleted(api, broker_admin):
    response = api.delete("/staff/ST-1")

    assert_refused(response, "path", "external_id")
    assert role_of("ST-1") == "admin"


def test_the_last_admin_may_change_name_and_phone(api, broker_admin):
    response = api.put("/staff/ST-1", {**SINA, "name": "Sina Chefin", "phone": "+49 89 1"})

    assert response.status_code == 200 and response.json()["name"] == "Sina Chefin"


def test_with_a_second_admin_who_can_log_in_the_first_may_go(api, broker_admin):
    staff(api, "ST-2", "zweite@muster-makler.example")

    assert api.put("/staff/ST-1", {**SINA, "role": "user"}).status_code == 200
    assert_refused(api.delete("/staff/ST-2"), "path", "external_id")  # now the last one
    assert api.put("/staff/ST-1", SINA).status_code == 200
    assert api.delete("/staff/ST-2").status_code == 204


@pytest.mark.parametrize(
    "other", [("admin", False), ("user", True)], ids=["an admin who has not accepted", "a user who has"]
)
def test_only_an_admin_who_has_accepted_counts(api, broker_admin, other):
    role, accept = other
    staff(api, "ST-2", "zweite@muster-makler.example", role, accept=accept)

    assert_refused(api.put("/staff/ST-1", {**SINA, "role": "none"}), "body", "role")
    assert_refused(api.delete("/staff/ST-1"), "path", "external_id")


def test_an_admin_who_has_not_accepted_may_be_demoted_and_removed(api, broker_admin):
    staff(api, "ST-2", "zweite@muster-makler.example", accept=False)

    assert (
        api.put(
            "/staff/ST-2", {"name": "Zweite", "email": "zweite@muster-makler.example", "role": "user"}
        ).status_code
        == 200
    )
    assert api.delete("/staff/ST-2").status_code == 204


def test_before_anybody_has_accepted_the_ams_sets_its_staff_freely(api):
    """A new broker: the AMS sends its staff first, the invitations are answered later."""
    staff(api, "U-1", "max@makler.example", accept=False)

    assert (
        api.put("/staff/U-1", {"name": "Max", "email": "max@makler.example", "role": "none"}).status_code
        == 200
    )
    assert api.delete("/staff/U-1").status_code == 204


def test_another_brokers_admins_do_not_count(api, broker_admin, other_broker_admin):
    assert_refused(api.put("/staff/ST-1", {**SINA, "role": "none"}), "body", "role")


# --- the batch import -------------------------------------------------------------------------------


def demotion(role: str = "none") -> dict[str, Any]:
    return {
        "staff": {"ST-1": {**SINA, "role": role}, "U-9": {"name": "Neu", "email": "neu@makler.example"}},
        "customers": {"K-1": person("Muster", "Klara")},
    }


def test_an_atomic_import_that_demotes_the_last_admin_is_refused_whole(api, broker_admin):
    response = api.post("/import", demotion())

    assert_refused(response, "staff", "ST-1", "role")
    [error] = response.json()["errors"]
    assert (error["entity"], error["external_id"], error["field"]) == ("staff", "ST-1", "role")
    assert role_of("ST-1") == "admin"
    assert not StaffMember.objects.filter(external_id="U-9").exists()
    assert api.get("/customers/K-1").status_code == 404


def test_a_partial_import_rejects_the_demotion_and_applies_the_rest(api, broker_admin):
    response = api.post("/import?mode=partial", demotion("user"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(e["entity"], e["external_id"], e["field"], e["msg"]) for e in body["errors"]] == [
        ("staff", "ST-1", "role", FIELD)
    ]
    assert body["created"]["staff"] == 1 and body["created"]["customers"] == 1
    assert role_of("ST-1") == "admin"
    assert api.get("/customers/K-1").status_code == 200


def test_an_import_may_hand_the_role_to_someone_who_has_accepted(api, broker_admin):
    accepted(StaffMember.objects.get().broker, "zweite@muster-makler.example", staff=True)
    batch = {
        "staff": {
            "ST-1": {**SINA, "role": "user"},
            "ST-2": {"name": "Zweite", "email": "zweite@muster-makler.example", "role": "admin"},
        }
    }

    response = api.post("/import", batch)

    assert response.status_code == 200, response.content
    assert (role_of("ST-1"), role_of("ST-2")) == ("user", "admin")


def test_an_import_that_demotes_every_admin_names_each_of_them(api, broker_admin):
    staff(api, "ST-2", "zweite@muster-makler.example")
    batch = {
        "staff": {
            "ST-1": {**SINA, "role": "user"},
            "ST-2": {"name": "Z", "email": "zweite@muster-makler.example", "role": "none"},
        }
    }

    response = api.post("/import", batch)

    assert_error(response, 409)
    assert [e["external_id"] for e in response.json()["errors"]] == ["ST-1", "ST-2"]
    assert (role_of("ST-1"), role_of("ST-2")) == ("admin", "admin")


def test_an_invalid_staff_object_is_refused_as_invalid_not_as_the_last_admin(api, broker_admin):
    response = api.post("/import", {"staff": {"ST-1": {**SINA, "role": "none", "email": "kaputt"}}})

    assert_error(response, 422, "staff", "ST-1", "email")
    assert role_of("ST-1") == "admin"


# --- two demotions at once --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs two connections"
)
def test_two_parallel_demotions_cannot_each_leave_the_other_as_the_last_admin():
    """The office's transaction demotes admin A (it holds the broker's row) while the AMS demotes
    admin B: the AMS waits for it, then sees A demoted and refuses."""
    broker = create_broker(slug="race", name="Race")
    _, token = create_token(broker=broker, name="AMS")
    api = Api(token)
    for key in ("A", "B"):
        staff(api, key, f"{key.lower()}@race.example")
    params = connection.get_connection_params()
    office = psycopg.connect(
        **{k: v for k, v in params.items() if k in {"dbname", "user", "host", "port", "password"}}
    )
    office.execute("SELECT id FROM brokers_broker WHERE id = %s FOR UPDATE", [broker.pk])
    office.execute(
        "UPDATE brokers_staffmember SET role = 'none' WHERE broker_id = %s AND external_id = 'A'", [broker.pk]
    )

    def commit_soon() -> None:
        time.sleep(0.5)
        office.commit()

    committer = threading.Thread(target=commit_soon)
    committer.start()
    try:
        response = api.put("/staff/B", {"name": "B", "email": "b@race.example", "role": "none"})
    finally:
        committer.join()
        office.close()

    assert_refused(response, "body", "role")
    assert role_of("B") == "admin"


# --- einblick import: the same rule -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["atomic", "partial"])
def test_the_command_line_import_keeps_the_last_admin_too(broker, broker_admin, tmp_path, mode):
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(demotion()))

    if mode == "atomic":
        with pytest.raises(CommandError):
            call_command("import", str(batch), "--broker", broker.slug, "--mode", mode)
        assert not StaffMember.objects.filter(external_id="U-9").exists()
    else:
        call_command("import", str(batch), "--broker", broker.slug, "--mode", mode)
        assert StaffMember.objects.filter(external_id="U-9").exists()
    assert role_of("ST-1") == "admin"
