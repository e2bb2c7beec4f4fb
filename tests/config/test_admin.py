"""The Django admin is for operators (superusers) only; it is not the broker's UI."""

import pytest
from django.test import Client

from einblick.accounts.models import User


@pytest.fixture
def staff_user(db) -> User:
    return User.objects.create_user("max@muster-makler.example", "a long demo password", is_staff=True)


@pytest.fixture
def operator(db) -> User:
    """An operator with a second factor (the admin requires one; tests/accounts/test_mfa.py)."""
    from allauth.mfa.models import Authenticator

    user = User.objects.create_superuser("operator@einblick.example", "a long demo password")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "unused"})
    return user


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_sends_anonymous_visitors_of_the_admin_to_its_login(db):
    response = Client().get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_keeps_staff_users_who_are_no_operators_out_of_the_admin(staff_user):
    response = _client_for(staff_user).get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_lets_operators_into_the_admin(operator):
    response = _client_for(operator).get("/admin/")

    assert response.status_code == 200
    assert b"Einblick operators" in response.content


def test_it_never_shows_token_hashes_in_the_admin(operator, broker):
    from einblick.brokers.services import create_token

    token, secret = create_token(broker=broker, name="AMS")
    response = _client_for(operator).get(f"/admin/brokers/apitoken/{token.pk}/change/")

    assert response.status_code == 200
    assert token.key_hash.encode() not in response.content
    assert secret.encode() not in response.content


def test_it_resets_the_fingerprint_when_an_operator_edits_a_synced_row(operator, broker):
    from einblick.brokers.models import StaffMember
    from einblick.portfolio.importing import import_batch

    staff = {"name": "Max Betreuer", "email": "max@muster-makler.example", "role": "admin"}
    import_batch(broker=broker, actor=None, data={"staff": {"U-1": staff}})
    member = StaffMember.objects.get(external_id="U-1")
    assert member.sync_hash

    response = _client_for(operator).post(
        f"/admin/brokers/staffmember/{member.pk}/change/",
        {"name": "Max Geändert", "email": "max@muster-makler.example", "phone": "", "role": "admin"},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.sync_hash, member.broker_id) == ("Max Geändert", "", broker.pk)
    result = import_batch(broker=broker, actor=None, data={"staff": {"U-1": staff}})
    assert result.updated["staff"] == 1  # the AMS's version wins again
    member.refresh_from_db()
    assert member.name == "Max Betreuer"
