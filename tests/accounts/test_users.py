"""One user model keyed by e-mail (case-insensitive, unique), Argon2 hashes, passwords of 12+ characters."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from einblick.accounts.models import User


def test_it_stores_e_mail_addresses_in_lower_case(db):
    user = User.objects.create_user("Klara.Muster@Example.ORG", "ein langes Passwort 42")

    assert user.email == "klara.muster@example.org"


def test_it_refuses_a_second_account_for_the_same_address_in_other_case(db):
    User.objects.create_user("klara@example.org", "ein langes Passwort 42")

    with pytest.raises(IntegrityError), transaction.atomic():
        User(email="KLARA@example.org").save()  # past the manager, straight to the database
    assert User.objects.filter(email__iexact="klara@example.org").count() == 1


@pytest.mark.argon2
def test_it_hashes_passwords_with_argon2(db):
    user = User.objects.create_user("klara@example.org", "ein langes Passwort 42")

    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("ein langes Passwort 42")


@pytest.mark.parametrize("password", ["kurz-11-chr", "123456789012", "password1234"])
def test_it_refuses_short_numeric_and_common_passwords(db, password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_it_accepts_a_long_passphrase(db):
    refusals: list[str] = []
    try:
        validate_password("Sommer am Tegernsee 2026")
    except ValidationError as error:
        refusals = error.messages
    assert refusals == []
