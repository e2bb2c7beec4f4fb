"""Edges of the API found in review: concurrency, error shapes, deletion errors."""

import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from einblick.brokers.services import create_token
from einblick.office.brokers import create_broker
from tests.apiclient import Api


def test_it_answers_a_wrong_method_in_the_error_shape(api):
    response = api.post("/customers/K-1", {"kind": "person", "last_name": "Muster"})

    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "This method is not allowed here.", "errors": []}


def test_it_names_the_list_of_a_bad_deletion(api):
    response = api.post("/import", {"delete": {"customers": ["K-1", "not an id"]}})

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["delete", "customers", 1]
    assert (error["entity"], error["external_id"], error["field"]) == ("customers", None, "delete.1")


def test_it_refuses_a_form_body_over_the_limit_outside_the_api_too(client, db, caplog):
    response = client.post(
        "/accounts/login/",
        b"x" * (settings.API_MAX_BYTES + 1),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400  # Django's RequestDataTooBig, which it logs as a security event
    assert [r.name for r in caplog.records if r.levelname == "ERROR"] == ["django.security.RequestDataTooBig"]
    caplog.clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs two connections"
)
def test_it_answers_409_when_another_writer_creates_the_same_object_at_the_same_time():
    broker = create_broker(slug="race", name="Race")
    _, token = create_token(broker=broker, name="AMS")
    params = connection.get_connection_params()
    other = psycopg.connect(
        **{k: v for k, v in params.items() if k in {"dbname", "user", "host", "port", "password"}}
    )
    other.execute(
        "INSERT INTO portfolio_customer (broker_id, external_id, created_at, updated_at, kind, salutation, "
        "first_name, last_name, company_name, emails, phone, intermediary, street, zip, city, country, sync_hash) "
        "VALUES (%s, 'K-RACE', now(), now(), 'person', '', '', 'Erster', '', '[]', '', '', '', '', '', '', '')",
        [broker.pk],
    )  # not committed yet: the API does not see it, but its insert will wait for it

    def commit_soon() -> None:
        time.sleep(0.5)
        other.commit()

    committer = threading.Thread(target=commit_soon)
    committer.start()
    try:
        response = Api(token).put("/customers/K-RACE", {"kind": "person", "last_name": "Zweiter"})
    finally:
        committer.join()
        other.close()

    assert response.status_code == 409
    assert "retry" in response.json()["detail"]
