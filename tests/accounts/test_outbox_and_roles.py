"""The demo's outbox (EMAIL_URL=outbox:) and who counts as staff or portal user."""

from __future__ import annotations

import pytest
from django.test import Client

from einblick.accounts.models import User
from einblick.accounts.roles import is_staff_user, member_grants, mfa_required
from einblick.brokers.models import StaffMember
from einblick.office.members import share
from tests.factories import accepted, make_grant, make_staff, make_user, staff_client

OUTBOX = "einblick.accounts.outbox.OutboxBackend"


@pytest.fixture
def outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = OUTBOX
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    return settings.EMAIL_OUTBOX_DIR


def _with_factor(user):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def test_the_outbox_keeps_each_mail_as_a_file_and_staff_read_their_brokers_mails(
    outbox, broker, other_broker, grant, django_capture_on_commit_callbacks
):
    other_grant = make_grant(other_broker, "Andere")
    with django_capture_on_commit_callbacks(execute=True):
        share(grant=grant, actor=None, email="neu@example.org")
        share(grant=other_grant, actor=None, email="fremd@example.org")
    assert len(list(outbox.glob("*.eml"))) == 2
    assert all(oct(path.stat().st_mode & 0o777) == "0o600" for path in outbox.glob("*.eml"))

    page = staff_client(broker, "max@example.org").get("/accounts/outbox/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "neu@example.org" in text and "/accounts/invitation/" in text
    assert "fremd@example.org" not in text  # another broker's mail
    # Staff of role user work the inbox; the invitation links in the mails are not theirs to read.
    assert staff_client(broker, "sina@example.org", "user").get("/accounts/outbox/").status_code == 403


def test_operators_read_every_mail_and_portal_users_none(
    outbox, broker, grant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        share(grant=grant, actor=None, email="neu@example.org")
    operator = Client()
    operator.force_login(_with_factor(make_user("operator@example.org", is_superuser=True, is_staff=True)))
    customer = Client()
    customer_user = make_user("kunde@example.org")
    customer.force_login(customer_user)

    assert "neu@example.org" in operator.get("/accounts/outbox/").content.decode()
    assert customer.get("/accounts/outbox/").status_code == 302  # to the MFA page first: never in
    _with_factor(customer_user)
    assert customer.get("/accounts/outbox/").status_code == 403
    assert Client().get("/accounts/outbox/").status_code == 302  # to the login


def test_without_the_outbox_backend_there_is_no_outbox_page(broker):
    operator = Client()
    operator.force_login(_with_factor(make_user("operator@example.org", is_superuser=True, is_staff=True)))

    assert operator.get("/accounts/outbox/").status_code == 404


def test_a_staff_address_added_to_a_grant_gets_that_grant_and_stays_staff_of_its_own_broker(
    broker, other_broker, django_capture_on_commit_callbacks
):
    staff = make_staff(other_broker, "erika@andere.example", role="user")
    grant = make_grant(broker, "Nur diese")
    make_grant(broker, "Nicht diese")
    accepted(broker, "erika@andere.example")  # she said yes to this broker's invitation

    share(grant=grant, actor=None, email="Erika@Andere.example")

    assert list(member_grants(staff.email)) == [grant]
    assert is_staff_user(staff)
    assert not StaffMember.objects.filter(broker=broker, email__iexact=staff.email).exists()


def test_role_none_is_a_clerk_record_without_a_staff_login(broker):
    user = make_staff(broker, "sachbearbeiter@example.org", role="none")

    assert not is_staff_user(user)
    assert Client().get("/staff/").status_code == 302
    client = Client()
    client.force_login(user)
    assert client.get("/staff/").status_code == 403


def test_a_second_factor_is_required_for_staff_always_and_for_portal_users_when_their_broker_says_so(
    broker, grant
):
    staff = make_staff(broker, "max@example.org")
    klara = make_user("klara@example.org")
    accepted(grant, klara.email)
    share(grant=grant, actor=None, email=klara.email)

    assert mfa_required(staff)
    assert not mfa_required(klara)
    broker.portal_mfa_required = True
    broker.save()
    assert mfa_required(User.objects.get(pk=klara.pk))  # the next request's user: answered anew
    assert not mfa_required(klara)  # one answer per user object (per request): one query, not one per ask


def test_users_cannot_add_or_change_e_mail_addresses(db):
    client = Client()
    client.force_login(make_user("klara@example.org"))

    assert client.get("/accounts/email/").status_code == 404
    response = client.post("/accounts/email/", {"action_add": "", "email": "other@example.org"})

    assert response.status_code == 404
    from allauth.account.models import EmailAddress

    assert list(EmailAddress.objects.values_list("email", flat=True)) == ["klara@example.org"]


def test_staff_and_operators_without_a_second_factor_cannot_read_the_outbox(outbox, broker):
    staff = Client()
    staff.force_login(make_staff(broker, "max@example.org"))
    operator = Client()
    operator.force_login(make_user("operator@example.org", is_superuser=True, is_staff=True))

    for client in (staff, operator):
        response = client.get("/accounts/outbox/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/2fa/")
