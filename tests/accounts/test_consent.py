"""Issue 14, consent between brokers (domain.md §3): the attack of the issue replayed step by step with
two brokers on one installation, each step refused or harmless; the card's answers and their edges;
identical answers for a known and an unknown address; unique broker names; who a mail says it is
from; and the data migration that keeps what existed working.

Broker A is `broker` (Muster Makler GmbH), where Klara is an active member; broker B is `other_broker`
(Andere Makler AG) with its own API token (`other_api`) and office admin (`other_broker_admin`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from einblick.accounts import mail
from einblick.accounts.models import Consent, Invitation, User
from einblick.accounts.roles import is_staff_user, mfa_required
from einblick.audit.models import AuditEntry
from einblick.brokers.logo import set_logo
from einblick.brokers.models import Broker, StaffMember, name_key
from einblick.errors import Conflict, Invalid
from einblick.grants.models import GrantMember, MemberState
from einblick.office.brokers import create_broker
from tests.factories import KLARA, PASSWORD, accepted, make_broker, make_grant, make_user
from tests.mail import html_of, link_in, text_of
from tests.pages import log_in, text
from tests.samples import png

UNKNOWN = "niemand.bekannt@example.org"


def _other_grant(other_api, name: str = "Familie Muster") -> str:
    created = other_api.post("/grants", {"name": name})
    assert created.status_code == 201, created.content
    return created.json()["id"]


def _share(api, grant_id: str, email: str, capture) -> Any:
    with capture(execute=True):
        return api.post(f"/grants/{grant_id}/members", {"email": email})


def _card_answer(client: Client, broker: Broker, answer: str) -> Any:
    """The card's button: the broker and the invitations the card shows (read from the page)."""
    page = client.get("/portal/").content.decode()
    shown = re.findall(r'name="invitation" value="(\d+)"', page)
    return client.post("/portal/invitations/", {"broker": broker.pk, "answer": answer, "invitation": shown})


# --- 1. Attaching: the API and the office answer the same for every address --------------------------


def _normalised(sql: str) -> str:
    """A query with its values taken out: what ran, not with which address."""
    return re.sub(r"'[^']*'|\"s\d+_x\d+\"|\b\d+\b", "?", sql)


def test_the_api_answers_a_known_and_an_unknown_address_identically(
    klara, other_broker, other_api, smtp, django_capture_on_commit_callbacks
):
    first, second = _other_grant(other_api, "Eins"), _other_grant(other_api, "Zwei")
    with CaptureQueriesContext(connection) as known_queries:
        known = _share(other_api, first, KLARA, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = _share(other_api, second, UNKNOWN, django_capture_on_commit_callbacks)

    assert known.status_code == unknown.status_code == 201
    strip = {"email", "invited_at"}
    assert (
        {k: v for k, v in known.json().items() if k not in strip}
        == {k: v for k, v in unknown.json().items() if k not in strip}
        == {"state": "invited", "joined_at": None}
    )
    assert set(known.json()) == set(unknown.json())
    # The same work: the same queries (no account lookup for one kind only) and one mail each, alike.
    assert [_normalised(q["sql"]) for q in known_queries] == [_normalised(q["sql"]) for q in unknown_queries]
    mails = smtp.wait(2)
    by_to = {m["To"]: m for m in mails}
    assert set(by_to) == {KLARA, UNKNOWN}
    assert by_to[KLARA]["Subject"] == by_to[UNKNOWN]["Subject"]
    assert by_to[KLARA]["From"] == by_to[UNKNOWN]["From"] == "Andere Makler AG <portal@localhost>"
    token = re.compile(r"/accounts/invitation/[A-Za-z0-9_-]+/")
    assert token.sub("LINK", text_of(by_to[KLARA])) == token.sub("LINK", text_of(by_to[UNKNOWN]))
    # And what B lists afterwards says the same about both.
    listed = {m["email"]: m["state"] for m in other_api.get(f"/grants/{first}/members").json()}
    listed |= {m["email"]: m["state"] for m in other_api.get(f"/grants/{second}/members").json()}
    assert listed == {KLARA: "invited", UNKNOWN: "invited"}


def test_the_office_answers_a_known_and_an_unknown_address_identically(
    klara, other_broker, other_broker_admin
):
    grant = make_grant(other_broker, "Familie Muster")
    url = f"/staff/{other_broker.pk}/grants/{grant.pk}/"

    for email in (KLARA, UNKNOWN):
        response = other_broker_admin.client.post(url, {"area": "users", "action": "share", "email": email})
        assert response.status_code == 302

    states = dict(GrantMember.objects.filter(grant=grant).values_list("email", "state"))
    assert states == {KLARA: MemberState.INVITED, UNKNOWN: MemberState.INVITED}
    page = text(other_broker_admin.client.get(url))
    assert f'{KLARA} <span class="muted">(eingeladen)</span>' in page
    assert f'{UNKNOWN} <span class="muted">(eingeladen)</span>' in page


def test_until_she_accepts_klara_sees_nothing_of_the_other_brokers_grant(
    klara, other_broker, other_api, django_capture_on_commit_callbacks
):
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)

    assert klara.client.get(f"/portal/{grant_id}/").status_code == 404
    front = klara.client.get("/portal/")
    assert front.status_code == 200  # no longer straight into her one grant: a broker waits
    page = text(front)
    assert "Andere Makler AG möchte Ihnen Zugang geben" in page
    assert f"/portal/{grant_id}/" not in page
    assert (
        other_api.get(f"/users/{KLARA}/view").status_code
        == other_api.get(f"/users/{UNKNOWN}/view").status_code
    )
    assert klara.client.get("/").headers["Location"] == "/portal/"


def test_accepting_on_the_card_makes_the_grant_visible_and_tells_the_broker_active(
    klara, other_broker, other_api, django_capture_on_commit_callbacks
):
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)

    answer = _card_answer(klara.client, other_broker, "accept")

    assert answer.status_code == 302 and answer["Location"] == "/"
    assert klara.client.get(f"/portal/{grant_id}/").status_code == 200
    [member] = other_api.get(f"/grants/{grant_id}/members").json()
    assert member["state"] == "active" and member["joined_at"]
    assert Consent.objects.filter(broker=other_broker, email=KLARA).exists()
    [entry] = AuditEntry.objects.filter(broker=other_broker, action="account.invitation_accepted")
    assert entry.actor_user == klara.user and entry.object_id == grant_id
    # From now on Teilen at B activates at once, with a notice (the seed's behaviour inside a broker).
    later = _other_grant(other_api, "Später")
    assert _share(other_api, later, KLARA, django_capture_on_commit_callbacks).json()["state"] == "active"
    # Two grants called "Familie Muster": the chooser tells them apart by their brokers.
    chooser = text(klara.client.get("/portal/"))
    assert "Muster Makler GmbH" in chooser and "Andere Makler AG" in chooser


def test_declining_on_the_card_hides_the_grant_for_good_and_tells_the_broker_declined(
    klara, other_broker, other_api, django_capture_on_commit_callbacks
):
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)

    answer = _card_answer(klara.client, other_broker, "decline")

    assert answer.status_code == 302
    assert klara.client.get(f"/portal/{grant_id}/").status_code == 404
    assert "Andere Makler AG" not in text(klara.client.get("/portal/", follow=True))
    assert other_api.get(f"/grants/{grant_id}/members").json()[0]["state"] == "declined"
    assert not Consent.objects.filter(broker=other_broker).exists()
    assert not Invitation.objects.filter(member__grant_id=grant_id).exists()
    # Sharing again changes nothing; a new link is refused with a reason; the decline is logged
    # without her account or IP.
    again = _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)
    assert (again.status_code, again.json()["state"]) == (200, "declined")
    resend = other_api.post(f"/grants/{grant_id}/members/{KLARA}/resend")
    assert resend.status_code == 409 and "abgelehnt" not in resend.json()["detail"]  # English API
    assert "declined" in resend.json()["detail"]
    [entry] = AuditEntry.objects.filter(broker=other_broker, action="account.invitation_declined")
    assert entry.actor_user is None and entry.ip is None and entry.data == {"email": KLARA}


def test_an_invitation_that_expired_is_no_longer_offered_or_accepted(
    klara, other_broker, other_api, django_capture_on_commit_callbacks, settings
):
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now() + timedelta(days=settings.EINBLICK_INVITATION_DAYS, minutes=1)):
        client = Client()
        client.force_login(klara.user)
        assert "Andere Makler AG" not in text(client.get("/portal/", follow=True))
        assert _card_answer(client, other_broker, "accept").status_code == 404
    assert GrantMember.objects.get(grant_id=grant_id).state == MemberState.INVITED


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"broker": "abc", "answer": "accept"},
        {"broker": "", "answer": "accept"},
        {"broker": "1" * 40, "answer": "accept"},
        {"answer": "accept"},
        {"broker": "{other}", "answer": "maybe"},
        {"broker": "{own}", "answer": "accept"},  # nothing pending at her own broker
    ],
)
def test_a_card_answer_for_nothing_pending_or_bad_input_is_404_and_changes_nothing(
    klara, broker, other_broker, other_api, django_capture_on_commit_callbacks, data
):
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)
    values = {k: v.format(other=other_broker.pk, own=broker.pk) for k, v in data.items()}

    assert klara.client.post("/portal/invitations/", values).status_code == 404
    assert GrantMember.objects.get(grant_id=grant_id).state == MemberState.INVITED
    assert not Consent.objects.filter(broker=other_broker).exists()


def test_the_card_answer_needs_a_post_a_login_a_csrf_token_and_an_invitation_of_ones_own(
    klara, outsider, broker_admin, other_broker, other_api, django_capture_on_commit_callbacks
):
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)
    body = {"broker": other_broker.pk, "answer": "accept"}

    assert klara.client.get("/portal/invitations/").status_code == 405
    anonymous = Client().post("/portal/invitations/", body)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(klara.user)
    assert forged.post("/portal/invitations/", body).status_code == 403
    # Somebody else cannot answer her invitation: it is not theirs.
    assert outsider.client.post("/portal/invitations/", body).status_code == 404
    assert broker_admin.client.post("/portal/invitations/", body).status_code == 404
    assert GrantMember.objects.get(grant_id=grant_id).state == MemberState.INVITED


# --- 2. Watching: the other broker's Protokoll never shows her account events ------------------------


def test_the_other_brokers_log_shows_none_of_her_logins_until_she_accepts(
    klara, broker, other_broker, other_api, other_broker_admin, django_capture_on_commit_callbacks
):
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)
    staff_put = other_api.put("/staff/B-1", {"name": "Klara", "email": KLARA, "role": "user"})
    assert staff_put.status_code == 201

    assert log_in(Client(), KLARA, "falsch geraten, ganz falsch").status_code == 200
    assert log_in(Client(), KLARA, PASSWORD).status_code == 302
    klara.client.get("/accounts/export/")

    def accounts_at(broker: Broker) -> set[str]:
        hers = AuditEntry.objects.filter(Q(actor_user=klara.user) | Q(actor_label=KLARA))
        return set(hers.filter(broker=broker, action__startswith="account.").values_list("action", flat=True))

    assert {"account.login", "account.login_failed", "account.exported"} <= accounts_at(broker)
    assert accounts_at(other_broker) == set()
    protokoll = text(other_broker_admin.client.get(f"/staff/{other_broker.pk}/audit/"))
    assert "account.login_failed" not in protokoll and "account.exported" not in protokoll

    _card_answer(klara.client, other_broker, "accept")
    log_in(Client(), KLARA, PASSWORD)
    assert "account.login" in accounts_at(other_broker)  # she said yes: now B sees her logins


# --- 3. Impersonating: staff roles, names, mails ------------------------------------------------------


def test_a_staff_role_put_by_the_other_brokers_api_gives_no_rights_and_demands_nothing(
    klara, other_broker, other_api, smtp
):
    assert other_api.put("/staff/B-1", {"name": "Klara", "email": KLARA, "role": "admin"}).status_code == 201

    user = User.objects.get(pk=klara.user.pk)
    assert not is_staff_user(user) and not mfa_required(user)
    assert klara.client.get(f"/portal/{klara.grant.pk}/").status_code == 200  # no second-factor demand
    assert klara.client.get("/staff/").status_code == 403
    assert klara.client.get(f"/staff/{other_broker.pk}/grants/").status_code in (403, 404)
    assert smtp.messages == []  # the AMS's record alone mails nobody


def test_a_yes_to_a_brokers_grants_is_no_yes_to_its_office(
    klara, other_broker, other_api, django_capture_on_commit_callbacks
):
    """The review's variant: B records Klara as its admin, then shares a grant; her card shows the
    grant only, and accepting it makes her a member, not staff. A later PUT /staff changes nothing."""
    assert other_api.put("/staff/B-1", {"name": "Klara", "email": KLARA, "role": "admin"}).status_code == 201
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)
    card = text(klara.client.get("/portal/"))
    assert "Mitarbeiterzugang" not in card

    _card_answer(klara.client, other_broker, "accept")
    assert other_api.put("/staff/B-2", {"name": "Klara", "email": KLARA, "role": "user"}).status_code == 201

    user = User.objects.get(pk=klara.user.pk)
    assert klara.client.get(f"/portal/{grant_id}/").status_code == 200
    assert not is_staff_user(user) and not mfa_required(user)
    assert klara.client.get("/staff/").status_code == 403
    assert Consent.objects.get(broker=other_broker, email=KLARA).staff is False


def test_only_what_the_card_showed_is_accepted(
    klara, other_broker, other_api, django_capture_on_commit_callbacks
):
    first = _other_grant(other_api, "Gezeigt")
    _share(other_api, first, KLARA, django_capture_on_commit_callbacks)
    page = klara.client.get("/portal/").content.decode()
    shown = re.findall(r'name="invitation" value="(\d+)"', page)
    # Meanwhile B's office invites her as staff: the card she looked at did not say so.
    staff = StaffMember.objects.create(
        broker=other_broker, external_id="B-9", name="K", email=KLARA, role="admin"
    )
    from einblick.accounts.invitations import send_staff_invitation

    with django_capture_on_commit_callbacks(execute=False):
        send_staff_invitation(staff=staff)

    body = {"broker": other_broker.pk, "answer": "accept", "invitation": shown}
    assert klara.client.post("/portal/invitations/", body).status_code == 302

    assert klara.client.get(f"/portal/{first}/").status_code == 200
    assert not is_staff_user(User.objects.get(pk=klara.user.pk))
    assert Invitation.objects.filter(staff=staff).exists()
    assert "Mitarbeiterzugang" in text(klara.client.get("/portal/"))  # asked on its own card


@pytest.mark.django_db(transaction=True)
def test_the_other_brokers_staff_invitation_is_a_card_and_the_office_opens_after_yes(
    broker, other_broker, other_broker_admin, smtp
):
    klara = make_user(KLARA)
    accepted(broker, KLARA)
    other_broker_admin.client.post(
        f"/staff/{other_broker.pk}/staff/",
        {"name": "Klara Muster", "email": KLARA, "role": "user", "phone": ""},
    )
    staff = StaffMember.objects.get(broker=other_broker, email=KLARA)
    [invitation] = smtp.wait(1)
    assert invitation["From"] == "Andere Makler AG <portal@localhost>"
    assert "/accounts/invitation/" in text_of(invitation)
    team = text(other_broker_admin.client.get(f"/staff/{other_broker.pk}/staff/"))
    assert "eingeladen" in team  # as for any address: nothing says she has an account
    assert not is_staff_user(klara)

    client = Client()
    log_in(client, KLARA)
    front = text(client.get("/portal/"))
    assert "Mitarbeiterzugang zum Büro" in front
    assert _card_answer(client, other_broker, "accept").status_code == 302

    assert is_staff_user(User.objects.get(pk=klara.pk))
    office = client.get("/staff/")
    assert office.status_code == 302 and office["Location"].startswith("/accounts/2fa/")
    assert not Invitation.objects.filter(staff=staff).exists()
    assert "aktiv" in text(other_broker_admin.client.get(f"/staff/{other_broker.pk}/staff/{staff.pk}/"))


@pytest.mark.parametrize(
    "taken",
    [
        "Muster Makler GmbH",
        "muster makler gmbh",
        "  Muster   Makler\tGmbH ",
        "Muster\u00a0Makler GmbH",  # no-break space
        "Muster\u200b Makler GmbH",  # zero-width space
        "\uff2duster Makler GmbH",  # fullwidth M
        "\u041custer Makler GmbH",  # Cyrillic М
        "Mu\u0455ter Makler GmbH",  # Cyrillic ѕ
        "MUSTER MAKLER GMBH",
        "Muster MakIer GmbH",  # a capital I for the l
        "Muster Mak1er GmbH",
        "Muster Makler GrnbH",  # r and n for m
    ],
)
def test_a_broker_cannot_take_another_brokers_name(broker, other_broker, other_broker_admin, taken):
    response = other_broker_admin.client.post(
        f"/staff/{other_broker.pk}/appearance/",
        {"name": taken, "reply_to": "", "brand_color": "#1d4ed8", "accent_color": "#1d4ed8"},
    )
    assert response.status_code == 422
    # taken, or (with invisible characters or letters of two scripts) refused as written
    shown = response.content.decode()
    assert any(
        why in shown for why in ("ein anderer Makler trägt diesen Namen", "unsichtbare", "einer Schrift")
    )
    assert Broker.objects.get(pk=other_broker.pk).name == "Andere Makler AG"
    with pytest.raises((Conflict, Invalid)) as refused:
        create_broker(slug="dritte", name=taken)
    assert [e.loc for e in refused.value.errors] == [("name",)]
    assert not Broker.objects.filter(slug="dritte").exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("\u202eHbmG relkaM retsuM", "unsichtbare"),  # a right-to-left override shows it the right way round
        ("Muster Makler GmbH\u3164", "unsichtbare"),  # Hangul filler: shows as nothing
        ("Muster Makler GmbH\u2800", "unsichtbare"),  # braille blank
        ("M\u057dster Makler GmbH", "einer Schrift"),  # Armenian u among Latin letters
        ("\ufdfa" * 12, "zu lang"),  # twelve characters that become 216
    ],
)
def test_a_name_that_does_not_show_as_it_is_written_is_refused(
    broker, other_broker, other_broker_admin, name, reason
):
    response = other_broker_admin.client.post(
        f"/staff/{other_broker.pk}/appearance/",
        {"name": name, "reply_to": "", "brand_color": "#1d4ed8", "accent_color": "#1d4ed8"},
    )
    assert response.status_code == 422
    assert reason in response.content.decode()
    assert Broker.objects.get(pk=other_broker.pk).name == "Andere Makler AG"
    with pytest.raises(Invalid):
        create_broker(slug="dritte", name=name)


def test_a_name_that_only_looks_alike_to_a_machine_stays_free(broker):
    """Names a reader tells apart are different names."""
    for name in (
        "Muster Makler AG",
        "Muster-Makler GmbH",
        "Muster Makler GmbH & Co. KG",
        "Müster Makler GmbH",
    ):
        assert name_key(name) != name_key(broker.name)
    assert make_broker("zwei", "Muster Makler GmbH & Co. KG").name_key == "muster makier gmbh & co. kg"
    assert make_broker("drei", "Страховой брокер").name  # one script, not Latin: fine


def test_the_command_line_refuses_a_taken_name_with_a_clear_message(broker):
    with pytest.raises(CommandError) as taken:
        call_command("broker", "create", "zwei", "--name", "muster makler gmbh")
    assert str(taken.value) == (
        "Another broker on this installation is called “Muster Makler GmbH” (or a name that looks the"
        " same); please choose another name."
    )
    with pytest.raises(CommandError) as hidden:
        call_command("broker", "create", "drei", "--name", "Muster\u202e Zwei")
    assert str(hidden.value) == (
        "The name must not contain invisible characters, control characters or special blanks."
    )


def test_a_brokers_mail_names_it_carries_its_logo_and_sends_replies_to_its_office(broker):
    set_logo(broker=broker, data=png(40, 20), actor=None)
    Broker.objects.filter(pk=broker.pk).update(reply_to="buero@muster-makler.example")
    broker.refresh_from_db()

    message = mail.render("invitation", to=KLARA, broker=broker, context={"url": "https://x/", "days": 14})
    raw = message.message()

    assert raw["From"] == "Muster Makler GmbH <portal@localhost>"
    assert raw["Reply-To"] == "buero@muster-makler.example"
    assert raw.get_content_type() == "multipart/related"
    [image] = [part for part in raw.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<broker-logo>"
    assert image.get_payload(decode=True) == png(40, 20)
    assert 'src="cid:broker-logo"' in message.alternatives[0][0]  # type: ignore[operator]
    assert "Muster Makler GmbH" in message.alternatives[0][0]  # type: ignore[operator]


def test_a_brokers_name_in_a_mail_cannot_reorder_the_sentence_around_it(broker):
    """A name in a right-to-left script is isolated (<bdi>) wherever a sentence of the HTML part names
    the broker; the text part and the subject name it plainly (FSI/PDI show as boxes in some mail
    programs)."""
    Broker.objects.filter(pk=broker.pk).update(name="מקלר Muster")
    broker.refresh_from_db()

    message = mail.render("invitation", to=KLARA, broker=broker, context={"url": "https://x/", "days": 14})

    html = message.alternatives[0][0]
    assert "<bdi>מקלר Muster</bdi> möchte Ihnen" in html  # type: ignore[operator]
    assert "מקלר Muster" in message.subject and "\u2068" not in message.subject
    assert "מקלר Muster" in message.body and "\u2068" not in message.body


def test_a_mail_of_no_broker_carries_the_installations_name(db, settings, smtp):
    settings.EINBLICK_NAME = "Kundenportal Beispiel"
    make_user(KLARA)

    Client().post("/accounts/password/reset/", {"email": KLARA})

    [reset] = smtp.wait(1)
    assert reset["From"] == "Kundenportal Beispiel <portal@localhost>"
    assert mail.sender(None) == "Kundenportal Beispiel <portal@localhost>"


# --- 4. The invitation link ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_new_address_can_decline_with_the_link_and_no_account_is_made(other_broker, other_api, smtp):
    grant_id = _other_grant(other_api)
    other_api.post(f"/grants/{grant_id}/members", {"email": UNKNOWN})
    path = link_in(smtp.wait(1)[0])
    browser = Client()
    browser.get(path)
    page = browser.get("/accounts/invitation/")
    assert "Andere Makler AG möchte Ihnen Zugang geben" in text(page)

    declined = browser.post("/accounts/invitation/", {"decline": "1"})

    assert declined.status_code == 200 and "Einladung abgelehnt" in text(declined)
    assert not User.objects.filter(email=UNKNOWN).exists()
    assert other_api.get(f"/grants/{grant_id}/members").json()[0]["state"] == "declined"
    assert Client().get(path, follow=True).status_code == 404  # the link is used up


@pytest.mark.django_db(transaction=True)
def test_the_invitation_page_shows_the_brokers_logo_before_login(other_broker, other_api, smtp):
    set_logo(broker=other_broker, data=png(30, 10), actor=None)
    grant_id = _other_grant(other_api)
    other_api.post(f"/grants/{grant_id}/members", {"email": UNKNOWN})
    browser = Client()
    browser.get(link_in(smtp.wait(1)[0]))

    html = browser.get("/accounts/invitation/").content.decode()

    assert 'src="data:image/png;base64,' in html and "<strong>Andere Makler AG</strong>" in html
    assert 'src="cid:broker-logo"' in html_of(smtp.messages[0])  # and the mail carries it too


# --- 5. What existed keeps working -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_existing_links_as_accepted_and_renames_twins():
    from django.db.migrations.executor import MigrationExecutor

    before = [("accounts", "0004_staff_invitations"), ("brokers", "0007_broker_mail_sender_name"),
              ("grants", "0001_initial")]  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldBroker, OldUser = old.get_model("brokers", "Broker"), old.get_model("accounts", "User")
    OldGrant, OldMember = old.get_model("grants", "Grant"), old.get_model("grants", "GrantMember")
    OldStaff = old.get_model("brokers", "StaffMember")
    a = OldBroker.objects.create(slug="a", name="Muster Makler GmbH")
    b = OldBroker.objects.create(slug="b", name="muster  makler GMBH")
    OldUser.objects.create(email="klara@example.org", password="!")
    OldUser.objects.create(email="max@example.org", password="!")
    now = timezone.now()
    grant = OldGrant.objects.create(id="g_1", broker=a, name="G")
    OldMember.objects.create(
        grant=grant, email="klara@example.org", state="active", invited_at=now, joined_at=now
    )
    OldMember.objects.create(grant=grant, email="neu@example.org", state="invited", invited_at=now)
    OldStaff.objects.create(broker=b, external_id="S-1", name="Max", email="Max@Example.org", role="admin")
    OldStaff.objects.create(broker=b, external_id="S-2", name="Ohne", email="ohne@example.org", role="user")
    OldStaff.objects.create(broker=a, external_id="S-3", name="Akte", email="max@example.org", role="none")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert set(Consent.objects.values_list("broker__slug", "email", "staff")) == {
        ("a", "klara@example.org", False),  # an active member
        ("b", "max@example.org", True),  # staff with a login role and an account
    }
    names = dict(Broker.objects.values_list("slug", "name"))
    assert names == {"a": "Muster Makler GmbH", "b": "muster makler GMBH (b)"}
    assert GrantMember.objects.get(email="neu@example.org").state == MemberState.INVITED


def test_removing_an_invited_member_costs_the_same_and_logs_nobody_out(
    klara, other_broker, other_api, django_capture_on_commit_callbacks
):
    grant_id = _other_grant(other_api)
    for email in (KLARA, UNKNOWN):
        _share(other_api, grant_id, email, django_capture_on_commit_callbacks)
    answers, queries = [], []
    for email in (KLARA, UNKNOWN):
        with CaptureQueriesContext(connection) as ran:
            answers.append(other_api.delete(f"/grants/{grant_id}/members/{email}").status_code)
        queries.append([_normalised(q["sql"]) for q in ran])

    assert answers == [204, 204]
    assert queries[0] == queries[1]
    assert klara.client.get(f"/portal/{klara.grant.pk}/").status_code == 200  # still logged in


@pytest.mark.django_db(transaction=True)
def test_accepting_by_link_and_on_the_card_leave_the_same_trace_in_the_brokers_log(
    broker, other_broker, other_api, smtp
):
    """A login entry only after registering would tell the broker the account is new."""
    make_user(KLARA)
    accepted(broker, KLARA)
    for email in (KLARA, UNKNOWN):
        other_api.post(f"/grants/{_other_grant(other_api, email)}/members", {"email": email})
    mails = {m["To"]: m for m in smtp.wait(2)}
    newcomer = Client()
    newcomer.get(link_in(mails[UNKNOWN]))
    assert (
        newcomer.post("/accounts/invitation/", {"password1": PASSWORD, "password2": PASSWORD}).status_code
        == 302
    )
    klara = Client()
    log_in(klara, KLARA)
    assert _card_answer(klara, other_broker, "accept").status_code == 302

    def trace(email: str) -> list[str]:
        user = User.objects.get(email=email)
        return list(
            AuditEntry.objects.filter(broker=other_broker, actor_user=user).values_list("action", flat=True)
        )

    assert trace(KLARA) == trace(UNKNOWN) == ["account.invitation_accepted"]


def test_after_declining_the_broker_cannot_ask_again_at_once(
    klara, other_broker, other_api, other_broker_admin, smtp, settings, django_capture_on_commit_callbacks
):
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)
    _card_answer(klara.client, other_broker, "decline")
    klara.client.get("/", follow=True)  # the page that says she declined
    smtp.wait(1)

    # Removing her and sharing again, or sharing another grant: declined at once, no mail, no card.
    assert other_api.delete(f"/grants/{grant_id}/members/{KLARA}").status_code == 204
    again = _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)
    other = _share(other_api, _other_grant(other_api, "Noch eine"), KLARA, django_capture_on_commit_callbacks)
    assert (again.status_code, again.json()["state"]) == (201, "declined")
    assert other.json()["state"] == "declined"
    assert len(smtp.messages) == 1  # only the first invitation
    assert "Andere Makler AG" not in text(klara.client.get("/portal/", follow=True))
    # Nor as staff: the office is told why.
    refused = other_broker_admin.client.post(
        f"/staff/{other_broker.pk}/staff/", {"name": "Klara", "email": KLARA, "role": "user", "phone": ""}
    )
    assert refused.status_code == 422 and "kürzlich abgelehnt" in refused.content.decode()
    assert not StaffMember.objects.filter(broker=other_broker, email=KLARA).exists()
    # After the quiet period the broker may ask once more.
    with time_machine.travel(timezone.now() + timedelta(days=settings.EINBLICK_DECLINE_QUIET_DAYS, hours=1)):
        later = _share(
            other_api, _other_grant(other_api, "Später"), KLARA, django_capture_on_commit_callbacks
        )
    assert later.json()["state"] == "invited"


def test_her_account_page_says_declined_and_the_card_of_a_known_broker_does_not_claim_ignorance(
    klara, broker, other_broker, other_api, django_capture_on_commit_callbacks
):
    grant_id = _other_grant(other_api)
    _share(other_api, grant_id, KLARA, django_capture_on_commit_callbacks)
    _card_answer(klara.client, other_broker, "decline")
    overview = text(klara.client.get("/accounts/overview/"))
    assert "<td>Andere Makler AG</td><td>Familie Muster</td><td>abgelehnt</td>" in overview

    # Her own broker, which she accepted as a customer, now offers a staff role.
    StaffMember.objects.create(broker=broker, external_id="S-9", name="Klara", email=KLARA, role="user")
    from einblick.accounts.invitations import send_staff_invitation

    with django_capture_on_commit_callbacks(execute=False):
        send_staff_invitation(staff=StaffMember.objects.get(external_id="S-9"))
    card = text(klara.client.get("/portal/"))
    assert "erhalten Sie diesen Zugang von Muster Makler GmbH nicht" in card
    assert "sieht Muster Makler GmbH nichts von Ihrem Konto" not in card
