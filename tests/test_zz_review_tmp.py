"""Throwaway probes of the consent review (DELETE BEFORE FINISHING)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from einblick.accounts import consent
from einblick.accounts.models import Invitation, User
from einblick.accounts.roles import is_staff_user, mfa_required, staff_memberships
from einblick.audit.models import AuditEntry
from einblick.brokers.models import Broker
from einblick.grants.models import GrantMember
from einblick.office.brokers import update_appearance
from einblick.office.members import share
from tests.factories import KLARA, PASSWORD, accepted, make_broker, make_grant, make_user
from tests.mail import link_in
from tests.pages import log_in

pytestmark = pytest.mark.django_db

GRANT_BODY = {"name": "Familie Muster", "customers": [], "share": {}, "actions": {"view": "private"}}


def _grant(api) -> str:
    r = api.post("/grants", GRANT_BODY)
    assert r.status_code == 201, r.content
    return r.json()["id"]


def test_hidden_api_staff_role_rides_on_a_grant_acceptance(klara, other_broker, other_api):
    # B makes Klara admin by API (no mail, no invitation, no card entry for it)
    r = other_api.put("/staff/ST-X", {"name": "Klara", "email": KLARA, "role": "admin"})
    assert r.status_code in (200, 201), r.content
    assert not Invitation.objects.filter(staff__email=KLARA).exists()
    assert not is_staff_user(klara.user)
    gid = _grant(other_api)
    assert other_api.post(f"/grants/{gid}/members", {"email": KLARA}).json()["state"] == "invited"
    page = klara.client.get("/portal/").content.decode()
    assert "Andere Makler AG" in page
    print("CARD mentions staff/office:", "office" in page.lower() or "Büro" in page or "Mitarbeiter" in page)
    r = klara.client.post("/portal/invitations/", {"broker": other_broker.pk, "answer": "accept"})
    assert r.status_code == 302
    fresh = User.objects.get(email=KLARA)
    print("staff at:", [s.broker.name for s in staff_memberships(KLARA)])
    print("is_staff", is_staff_user(fresh), "mfa_required", mfa_required(fresh))
    print("GET / ->", klara.client.get("/")["Location"])
    print("GET /portal/<A grant> ->", klara.client.get(f"/portal/{klara.grant.pk}/").status_code,
          klara.client.get(f"/portal/{klara.grant.pk}/").get("Location"))


def test_name_spoofs(broker, other_broker):
    ok, refused = [], []
    for name in [
        "\u202eHbmG relkaM retsuM",
        "Muster Makler GmbH\u3164",
        "M\u057dster Makler GmbH",
        "Muster MakIer GmbH",
        "Muster Makler GmbH\u2800",
        "Muster Makler GmbH\u200b",
    ]:
        try:
            update_appearance(broker=other_broker, actor=None, name=name, reply_to="",
                              brand_color="#123456", accent_color="#123456")
            ok.append(name)
        except Exception as exc:  # noqa: BLE001
            refused.append((name, type(exc).__name__))
    print("ACCEPTED:", [ascii(n) for n in ok])
    print("REFUSED:", [(ascii(n), e) for n, e in refused])


def test_name_key_too_long(broker, other_broker):
    try:
        update_appearance(broker=other_broker, actor=None, name="\ufdfa" * 12, reply_to="",
                          brand_color="#123456", accent_color="#123456")
        print("long key accepted; len", len(Broker.objects.get(pk=other_broker.pk).name_key))
    except Exception as exc:  # noqa: BLE001
        print("long key ->", type(exc).__name__, exc)


def test_unshare_query_oracle(klara, other_broker, other_api, smtp):
    make_user("konto.ohne.zugang@example.org")
    gid = _grant(other_api)
    addrs = ["niemand@example.org", "konto.ohne.zugang@example.org", KLARA]
    for a in addrs:
        assert other_api.post(f"/grants/{gid}/members", {"email": a}).json()["state"] == "invited"
    for a in addrs:
        with CaptureQueriesContext(connection) as q:
            r = other_api.delete(f"/grants/{gid}/members/{a}")
        assert r.status_code == 204
        print("DELETE", a, "queries:", len(q.captured_queries))
    with CaptureQueriesContext(connection) as q:
        r = other_api.post(f"/grants/{gid}/members", {"email": "niemand2@example.org"})
    n1 = len(q.captured_queries)
    with CaptureQueriesContext(connection) as q:
        r = other_api.post(f"/grants/{gid}/members", {"email": "konto.ohne.zugang@example.org"})
    print("POST members queries unknown/known:", n1, len(q.captured_queries))


def test_unshare_logs_out_invitee(other_broker, other_api):
    u = make_user("konto.ohne.zugang@example.org")
    c = Client()
    assert log_in(c, u.email).status_code == 302
    gid = _grant(other_api)
    other_api.post(f"/grants/{gid}/members", {"email": u.email})
    assert c.get("/portal/").status_code == 200
    other_api.delete(f"/grants/{gid}/members/{u.email}")
    print("after B's DELETE the invitee's session:", c.get("/portal/").status_code)


def test_audit_accept_by_link_vs_card(klara, other_broker, other_api, smtp, django_capture_on_commit_callbacks):
    gid = _grant(other_api)
    with django_capture_on_commit_callbacks(execute=True):
        other_api.post(f"/grants/{gid}/members", {"email": "neu@example.org"})
        other_api.post(f"/grants/{gid}/members", {"email": KLARA})
    path = link_in(smtp.wait(2)[-2])
    c = Client()
    c.get(path)
    c.post("/accounts/invitation/", {"password1": PASSWORD, "password2": PASSWORD})
    klara.client.post("/portal/invitations/", {"broker": other_broker.pk, "answer": "accept"})
    for e in AuditEntry.objects.filter(broker=other_broker).order_by("pk"):
        print("B log:", e.pk, e.action, e.actor_label, e.ip)


def test_failed_login_entry_count(broker, other_broker, klara, db):
    third = make_broker("dritte", "Dritte Makler KG")
    g3 = make_grant(third, "x")
    accepted(third, KLARA)
    share(grant=g3, actor=None, email=KLARA)
    for addr in (KLARA, "niemand@example.org"):
        before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        Client().post("/accounts/login/", {"login": addr, "password": "falsch falsch falsch 1"})
        after = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        print("failed login", addr, "-> new audit rows:", after - before)


def test_audit_before_param_probe(other_broker_admin, other_broker):
    top = AuditEntry.objects.order_by("-pk").first().pk
    r = other_broker_admin.client.get(f"/staff/{other_broker.pk}/audit/?before={top + 1000}")
    print("audit before= status", r.status_code)
    r = other_broker_admin.client.get(f"/staff/{other_broker.pk}/audit/?before=1")
    print("audit before=1 rows:", r.content.decode().count("<tr><td>"))


def test_answer_endpoint_bad_input(klara, other_broker, other_api):
    gid = _grant(other_api)
    other_api.post(f"/grants/{gid}/members", {"email": KLARA})
    c = klara.client
    for data in ({"broker": "abc", "answer": "accept"}, {}, {"broker": other_broker.pk},
                 {"broker": other_broker.pk, "answer": "x"}, {"broker": "", "answer": "accept"},
                 {"broker": klara.grant.broker.pk, "answer": "accept"}):
        print("POST", data, c.post("/portal/invitations/", data).status_code)
    print("GET", c.get("/portal/invitations/").status_code)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(klara.user)
    print("no csrf", strict.post("/portal/invitations/", {"broker": other_broker.pk, "answer": "accept"}).status_code)
    print("still invited:", GrantMember.objects.get(grant_id=gid, email=KLARA).state)


def test_invitation_view_variants(klara, other_broker, other_api, smtp, django_capture_on_commit_callbacks):
    gid = _grant(other_api)
    with django_capture_on_commit_callbacks(execute=True):
        other_api.post(f"/grants/{gid}/members", {"email": "neu@example.org"})
        other_api.post(f"/grants/{gid}/members", {"email": KLARA})
    new_path, klara_path = link_in(smtp.messages[-2]), link_in(smtp.messages[-1])
    c = Client()
    print("no session POST", c.post("/accounts/invitation/", {"decline": "1"}).status_code)
    c.get(new_path)
    print("POST empty", c.post("/accounts/invitation/", {}).status_code)
    print("POST pw1 only", c.post("/accounts/invitation/", {"password1": PASSWORD}).status_code)
    print("POST pw lists", c.post("/accounts/invitation/", {"password1": [PASSWORD, "x"], "password2": ["y"]}).status_code)
    print("PUT", c.put("/accounts/invitation/").status_code)
    # logged-in Klara opens someone else's (new address) link: form shown while logged in
    r = klara.client.get(new_path)
    r = klara.client.get("/accounts/invitation/")
    print("klara opens new-address link:", r.status_code, "neu@example.org" in r.content.decode())
    # someone logged in opens Klara's link (existing account): logout on GET
    other = make_user("dritter@example.org")
    oc = Client()
    oc.force_login(other)
    oc.get(klara_path)
    oc.get("/accounts/invitation/")
    print("other user still logged in after GET:", "_auth_user_id" in oc.session)
    # overlong / odd token
    print("odd token", Client().get("/accounts/invitation/%00%ff/").status_code)
    # decline via Klara's link declines all of B's open invitations for her
    gid2 = _grant(other_api)
    other_api.post(f"/grants/{gid2}/members", {"email": KLARA})
    d = Client()
    d.get(klara_path)
    print("decline:", d.post("/accounts/invitation/", {"decline": "1"}).status_code,
          list(GrantMember.objects.filter(email=KLARA, grant__broker=other_broker).values_list("state", flat=True)))
    # B re-invites right away
    other_api.delete(f"/grants/{gid}/members/{KLARA}")
    print("re-invite:", other_api.post(f"/grants/{gid}/members", {"email": KLARA}).json()["state"],
          "card again:", "Andere Makler AG" in klara.client.get("/portal/").content.decode())


def test_expired(klara, other_broker, other_api):
    gid = _grant(other_api)
    other_api.post(f"/grants/{gid}/members", {"email": KLARA})
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        print("pending after expiry:", consent.pending(KLARA))
        fresh = Client(); fresh.force_login(klara.user)
        print("answer after expiry:", fresh.post("/portal/invitations/", {"broker": other_broker.pk, "answer": "accept"}).status_code)


def test_long_name_via_page(other_broker_admin, other_broker):
    r = other_broker_admin.client.post(f"/staff/{other_broker.pk}/appearance/", {
        "name": "\ufdfa" * 12, "reply_to": "", "brand_color": "#123456", "accent_color": "#123456"})
    print("appearance page long name status:", r.status_code)
