"""Settings, tab Mitarbeiter: the staff list with roles and login state; admins add staff by e-mail (a
new address is invited over real SMTP and chooses a password with the link, a known one gets a notice,
role none gets nothing), change roles and remove staff; the broker always keeps an administrator;
another broker's staff 404."""

from __future__ import annotations

import pytest
from django.test import Client

from einblick.accounts.models import Invitation, User
from einblick.accounts.roles import is_staff_user
from einblick.audit.models import AuditEntry
from einblick.brokers.models import Broker, StaffMember, StaffRole
from tests.factories import PASSWORD, accepted, account, load, make_grant, staff_client
from tests.mail import link_in, text_of
from tests.pages import log_in, text
from tests.samples import person

ADMIN = "chefin@muster-makler.example"  # the broker_admin persona
MAILS = pytest.mark.django_db(transaction=True)  # mails leave after commit


@pytest.fixture
def admin(broker_admin):
    return broker_admin.client


def me(broker) -> StaffMember:
    return StaffMember.objects.get(broker=broker, email=ADMIN)


def add(admin, broker, **data):
    body = {"name": "Neue Kollegin", "email": "neu@muster-makler.example", "phone": "", "role": "user"} | data
    return admin.post(f"/staff/{broker.pk}/staff/", body)


def test_the_list_shows_roles_login_states_and_clerk_duties(broker, admin):
    load(broker, customers={"K-1": person("Muster", "Klara")})
    StaffMember.objects.create(
        broker=broker, external_id="U-9", name="Ohne Zugang", email="o@x.example", role="none"
    )
    make_grant(broker, "Familie", ["K-1"], clerk=me(broker).external_id)
    page = text(admin.get(f"/staff/{broker.pk}/staff/"))
    row = page[page.index("Ohne Zugang") :].split("</tr>")[0]
    assert "Kein Zugang" in row and "<td>–</td>" in row  # role none: no login state
    assert "Sina Staff" in page and "(Sie)" in page  # the admin sees themselves marked
    assert "1 Freischaltung" in page
    assert "aktiv" in page  # the admin has an account


@MAILS
def test_a_new_address_is_invited_and_sets_a_password_with_the_mailed_link(broker, admin, smtp):
    response = add(admin, broker, name="Nora Neu", email="Nora@Muster-Makler.example", role="user")
    assert response.status_code == 302
    staff = StaffMember.objects.get(broker=broker, email="nora@muster-makler.example")
    assert staff.role == "user" and staff.external_id.startswith("web-")
    assert Invitation.objects.filter(staff=staff).exists()
    assert "eingeladen" in text(admin.get(f"/staff/{broker.pk}/staff/"))
    [mail] = smtp.wait(1)
    assert mail["To"] == "nora@muster-makler.example"
    assert "Mitarbeiterzugang zum Kundenportal" in text_of(mail)
    path = link_in(mail)

    browser = Client()
    assert browser.get(path)["Location"] == "/accounts/invitation/"
    form = browser.get("/accounts/invitation/")
    assert form.status_code == 200 and "nora@muster-makler.example" in form.content.decode()
    done = browser.post("/accounts/invitation/", {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302
    assert User.objects.filter(email="nora@muster-makler.example").exists()
    assert not Invitation.objects.filter(staff=staff).exists()
    # Staff need a second factor before the office opens.
    office = browser.get("/staff/")
    assert office.status_code == 302 and "/accounts/2fa/" in office["Location"]
    assert log_in(Client(), "nora@muster-makler.example").status_code == 302
    assert AuditEntry.objects.filter(broker=broker, action="staff.invitation_sent").exists()
    assert AuditEntry.objects.filter(
        broker=broker, action="account.invitation_accepted", object_type="staff"
    ).exists()
    # The link was single use.
    again = Client()
    again.get(path)
    assert again.get("/accounts/invitation/").status_code == 404


@MAILS
def test_an_address_that_accepted_a_staff_role_gets_a_notice_and_role_none_gets_nothing(broker, admin, smtp):
    account("bekannt@muster-makler.example")
    accepted(
        broker, "bekannt@muster-makler.example", staff=True
    )  # staff before, e.g. removed and added again
    assert add(admin, broker, email="bekannt@muster-makler.example", role="admin").status_code == 302
    [mail] = smtp.wait(1)
    assert "bestehenden Konto" in text_of(mail)
    assert not Invitation.objects.exists()
    assert add(admin, broker, name="Akte", email="akte@muster-makler.example", role="none").status_code == 302
    assert StaffMember.objects.get(email="akte@muster-makler.example").role == "none"
    assert len(smtp.wait(1)) == 1  # nothing more was sent
    assert AuditEntry.objects.filter(broker=broker, action="staff.notified").count() == 1


@MAILS
@pytest.mark.parametrize("customer", [False, True], ids=["stranger", "own-customer"])
def test_an_account_that_never_accepted_a_staff_role_is_invited_like_a_new_address(
    broker, admin, smtp, customer
):
    """Domain.md §3: a staff role is a first link too, also for the broker's own customer (a yes to its
    grants is not one to its office). The office sees "invited" and the mail is the invitation,
    exactly as for an address without an account; no staff rights until the yes."""
    user = account("kundin@anderswo.example")
    if customer:
        accepted(broker, user.email)
    assert add(admin, broker, email="kundin@anderswo.example", role="admin").status_code == 302
    [mail] = smtp.wait(1)
    assert "/accounts/invitation/" in text_of(mail)
    staff = StaffMember.objects.get(broker=broker, email="kundin@anderswo.example")
    assert Invitation.objects.filter(staff=staff).exists()
    assert AuditEntry.objects.filter(broker=broker, action="staff.invitation_sent").count() == 1
    assert "eingeladen" in text(admin.get(f"/staff/{broker.pk}/staff/"))
    assert not is_staff_user(user)


@pytest.mark.parametrize(
    ("data", "field_text"),
    [
        ({"email": "kein-at"}, "gültige E-Mail-Adresse"),
        ({"name": ""}, "Dieses Feld ist zwingend erforderlich"),
        ({"role": "boss"}, "Bitte eine gültige Auswahl treffen"),
        ({"email": ADMIN.upper()}, "bereits zu einem Mitarbeiter"),
    ],
)
def test_bad_input_is_refused_in_place_and_writes_nothing(broker, admin, data, field_text):
    before = StaffMember.objects.count()
    response = add(admin, broker, **data)
    assert response.status_code == 422
    assert field_text in response.content.decode()
    assert StaffMember.objects.count() == before and not Invitation.objects.exists()


@MAILS
def test_roles_change_and_a_login_role_sends_the_link_none_takes_it_back(broker, admin, smtp):
    add(admin, broker, name="Paul", email="paul@muster-makler.example", role="none")
    paul = StaffMember.objects.get(email="paul@muster-makler.example")
    url = f"/staff/{broker.pk}/staff/{paul.pk}/"
    assert admin.post(url, {"name": "Paul P.", "phone": "+49 1", "role": "user"}).status_code == 302
    paul.refresh_from_db()
    assert (paul.name, paul.phone, paul.role) == ("Paul P.", "+49 1", "user")
    [mail] = smtp.wait(1)
    path = link_in(mail)
    entry = AuditEntry.objects.get(broker=broker, action="staff.role_changed")
    assert entry.data == {"from": "none", "to": "user"}
    # Taking the login role away kills the link.
    assert admin.post(url, {"name": "Paul P.", "phone": "", "role": "none"}).status_code == 302
    assert not Invitation.objects.filter(staff=paul).exists()
    browser = Client()
    browser.get(path)
    assert browser.get("/accounts/invitation/").status_code == 404
    # "Link versenden" for someone without a login role is refused.
    page = admin.post(url, {"action": "invite"})
    assert page.status_code == 422 and "keinen Zugang" in page.content.decode()


@MAILS
def test_the_link_can_be_sent_again_and_replaces_the_old_one(broker, admin, smtp):
    add(admin, broker, email="neu@muster-makler.example", role="user")
    staff = StaffMember.objects.get(email="neu@muster-makler.example")
    first = link_in(smtp.wait(1)[0])
    assert admin.post(f"/staff/{broker.pk}/staff/{staff.pk}/", {"action": "invite"}).status_code == 302
    second = link_in(smtp.wait(2)[1])
    assert first != second and Invitation.objects.filter(staff=staff).count() == 1
    old = Client()
    old.get(first)
    assert old.get("/accounts/invitation/").status_code == 404
    new = Client()
    new.get(second)
    assert new.get("/accounts/invitation/").status_code == 200


def test_the_last_admin_can_neither_step_down_nor_remove_themselves(broker, admin):
    mine = me(broker)
    url = f"/staff/{broker.pk}/staff/{mine.pk}/"
    response = admin.post(url, {"name": "Sina Staff", "phone": "", "role": "user"})
    assert response.status_code == 422 and "braucht einen Administrator" in response.content.decode()
    removed = admin.post(url + "delete/")
    assert removed.status_code == 409 and "braucht einen Administrator" in removed.content.decode()
    mine.refresh_from_db()
    assert mine.role == StaffRole.ADMIN
    # With a second admin, the first may go; they lose the office at once.
    staff_client(broker, "zweite@muster-makler.example", role="admin")
    assert admin.post(url + "delete/").status_code == 302
    assert not StaffMember.objects.filter(pk=mine.pk).exists()
    assert admin.get("/staff/").status_code == 403
    assert AuditEntry.objects.filter(broker=broker, action="staff.deleted").exists()


def test_removing_a_clerk_asks_first_and_leaves_the_grant_without_one(broker, admin):
    load(broker, customers={"K-1": person("Muster", "Klara")})
    clerk_client = staff_client(broker, "clerk@muster-makler.example", role="user")
    clerk = StaffMember.objects.get(email="clerk@muster-makler.example")
    grant = make_grant(broker, "Familie", ["K-1"], clerk=clerk.external_id)
    url = f"/staff/{broker.pk}/staff/{clerk.pk}/delete/"
    confirm = text(admin.get(url))
    assert "Familie" in confirm and StaffMember.objects.filter(pk=clerk.pk).exists()
    assert admin.post(url).status_code == 302
    grant.refresh_from_db()
    assert grant.clerk is None
    assert clerk_client.get("/staff/inbox/").status_code == 403  # no staff access any more


def test_another_brokers_staff_is_not_found(broker, other_broker, admin):
    stranger = StaffMember.objects.create(
        broker=other_broker, external_id="X-1", name="Fremd", email="f@andere.example", role="admin"
    )
    for path in ("", "delete/"):
        assert admin.get(f"/staff/{broker.pk}/staff/{stranger.pk}/{path}").status_code == 404
        assert (
            admin.post(
                f"/staff/{broker.pk}/staff/{stranger.pk}/{path}", {"role": "none", "name": "x"}
            ).status_code
            == 404
        )
    stranger.refresh_from_db()
    assert stranger.role == "admin"


def test_a_staff_user_cannot_change_staff(broker, admin):
    user = staff_client(broker, "user@muster-makler.example", role="user")
    before = StaffMember.objects.count()
    assert add(user, broker, role="admin").status_code == 403
    target = me(broker)
    assert (
        user.post(f"/staff/{broker.pk}/staff/{target.pk}/", {"name": "x", "role": "none"}).status_code == 403
    )
    assert user.post(f"/staff/{broker.pk}/staff/{target.pk}/delete/").status_code == 403
    assert StaffMember.objects.count() == before and me(broker).role == "admin"


@MAILS
def test_a_link_dies_when_the_ams_changes_the_address(api, broker, admin, smtp):
    """Otherwise whoever received the link could make an account for somebody else's address."""
    add(admin, broker, name="Tippfehler", email="tippfehler@muster-makler.example", role="user")
    staff = StaffMember.objects.get(email="tippfehler@muster-makler.example")
    path = link_in(smtp.wait(1)[0])
    body = {"name": "Tippfehler", "email": "richtig@muster-makler.example", "role": "user"}
    assert api.put(f"/staff/{staff.external_id}", body).status_code == 200
    browser = Client()
    browser.get(path)
    assert browser.get("/accounts/invitation/").status_code == 404
    done = browser.post("/accounts/invitation/", {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 404
    assert not User.objects.filter(
        email__in=["richtig@muster-makler.example", "tippfehler@muster-makler.example"]
    ).exists()
    # A new link goes to the new address and works.
    assert admin.post(f"/staff/{broker.pk}/staff/{staff.pk}/", {"action": "invite"}).status_code == 302
    fresh = smtp.wait(2)[1]
    assert fresh["To"] == "richtig@muster-makler.example"
    new = Client()
    new.get(link_in(fresh))
    assert new.get("/accounts/invitation/").status_code == 200


def test_losing_the_login_role_ends_the_clerk_duty(broker, admin):
    load(broker, customers={"K-1": person("Muster", "Klara")})
    staff_client(broker, "clerk@muster-makler.example", role="user")
    clerk = StaffMember.objects.get(email="clerk@muster-makler.example")
    grant = make_grant(broker, "Familie", ["K-1"], clerk=clerk.external_id, show_clerk=True)
    version = Broker.objects.get(pk=broker.pk).data_version
    url = f"/staff/{broker.pk}/staff/{clerk.pk}/"
    assert admin.post(url, {"name": clerk.name, "phone": "", "role": "none"}).status_code == 302
    grant.refresh_from_db()
    assert grant.clerk is None
    assert Broker.objects.get(pk=broker.pk).data_version != version
    entry = AuditEntry.objects.get(broker=broker, action="staff.clerk_removed")
    assert entry.data == {"grants": [grant.pk]}
    # The grant can be edited again at once (a clerk without a login would be refused).
    editor = admin.post(
        f"/staff/{broker.pk}/grants/{grant.pk}/", {"area": "actions", "view": "private", "messages": "on"}
    )
    assert editor.status_code == 302


def test_only_an_admin_who_can_log_in_counts_as_the_other_admin(broker, admin):
    """An admin row nobody can log in with (never accepted the link) does not let the last real admin go."""
    StaffMember.objects.create(
        broker=broker, external_id="A-2", name="Nie da", email="nie@muster-makler.example", role="admin"
    )
    mine = me(broker)
    response = admin.post(
        f"/staff/{broker.pk}/staff/{mine.pk}/", {"name": "Sina Staff", "phone": "", "role": "user"}
    )
    assert response.status_code == 422
    assert me(broker).role == StaffRole.ADMIN


def test_an_admin_who_steps_down_lands_in_the_office(broker, admin):
    staff_client(broker, "zweite@muster-makler.example", role="admin")
    mine = me(broker)
    response = admin.post(
        f"/staff/{broker.pk}/staff/{mine.pk}/", {"name": "Sina Staff", "phone": "", "role": "user"}
    )
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert admin.get("/staff/").status_code == 200
    assert admin.get(f"/staff/{broker.pk}/staff/").status_code == 403


def test_a_clerk_whose_login_the_ams_took_away_does_not_block_the_editor(api, broker, admin):
    load(broker, customers={"K-1": person("Muster", "Klara")})
    staff_client(broker, "clerk@muster-makler.example", role="user")
    clerk = StaffMember.objects.get(email="clerk@muster-makler.example")
    grant = make_grant(broker, "Familie", ["K-1"], clerk=clerk.external_id)
    body = {"name": clerk.name, "email": clerk.email, "role": "none"}
    assert api.put(f"/staff/{clerk.external_id}", body).status_code == 200
    response = admin.post(f"/staff/{broker.pk}/grants/{grant.pk}/", {"area": "sharing", "claims": "on"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.claims and grant.clerk is None
