"""API tokens: shown once, stored only as a SHA-256 hash, revocable, read-only or read-write."""

from __future__ import annotations

import hashlib

from django.db import connection
from django.test import Client

from einblick.audit.models import AuditEntry
from einblick.brokers.models import ApiToken
from einblick.brokers.services import create_token, revoke_token


def every_stored_value() -> list[str]:
    """Every value of every column of every table, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            values += [str(value) for row in cursor.fetchall() for value in row if value is not None]
    return values


def get_customers(token: str):
    return Client().get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})


def put_customer(token: str):
    return Client().put(
        "/api/v1/customers/K-1",
        {"kind": "company", "company_name": "Musterfirma GmbH"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_it_returns_the_clear_token_once_and_stores_only_its_sha256(broker):
    token, secret = create_token(broker=broker, name="AMS")

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert len(secret) >= 40
    assert secret.startswith(stored.prefix)
    assert len(stored.prefix) < len(secret) // 3
    assert not any(secret in value for value in every_stored_value())


def test_it_makes_a_new_token_every_time(broker):
    _, first = create_token(broker=broker, name="AMS")
    _, second = create_token(broker=broker, name="AMS")

    assert first != second
    assert ApiToken.objects.filter(broker=broker).count() == 2


def test_it_accepts_the_clear_token_but_not_its_hash(broker):
    token, secret = create_token(broker=broker, name="AMS")

    assert get_customers(secret).status_code == 200
    assert get_customers(token.key_hash).status_code == 401
    assert get_customers(secret + "x").status_code == 401


def test_it_scopes_a_token_to_its_broker(broker, other_broker):
    _, secret = create_token(broker=other_broker, name="AMS")

    assert put_customer(secret).status_code == 201
    assert not broker.customers.exists()
    assert other_broker.customers.filter(external_id="K-1").exists()


def test_it_revokes_a_token_once_and_refuses_it_afterwards(broker):
    token, secret = create_token(broker=broker, name="AMS")
    assert get_customers(secret).status_code == 200

    revoke_token(token=token)
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    revoke_token(token=token)

    assert revoked_at is not None
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at
    assert AuditEntry.objects.filter(broker=broker, action="api_token.revoked").count() == 1
    assert get_customers(secret).status_code == 401


def test_it_lets_a_read_only_token_read_but_not_write(broker):
    token, secret = create_token(broker=broker, name="Reporting", read_only=True)

    assert ApiToken.objects.get(pk=token.pk).read_only is True
    assert get_customers(secret).status_code == 200
    assert put_customer(secret).status_code == 403
    assert not broker.customers.exists()


def test_it_lets_a_read_write_token_write(broker):
    token, secret = create_token(broker=broker, name="AMS")

    assert ApiToken.objects.get(pk=token.pk).read_only is False
    assert put_customer(secret).status_code == 201


def test_it_records_the_creation_of_a_token_without_the_token(broker):
    token, secret = create_token(broker=broker, name="AMS", read_only=True)

    entry = AuditEntry.objects.get(broker=broker, action="api_token.created")
    assert entry.object_id == token.prefix
    assert entry.data == {"read_only": True}
    assert secret not in str(entry.data)
