"""Freischaltungseinsicht (visibility.md §7): a staff admin of the grant's broker sees the portal of a
grant exactly as its members do, with a banner, read-only (every unsafe request 403), audit-logged;
everyone else gets 404."""

from __future__ import annotations

import pytest
from django.test import Client

from einblick.audit.models import AuditEntry
from einblick.brokers.models import StaffMember
from einblick.grants.models import Grant
from einblick.portfolio.models import Claim, Contract, Customer
from tests.factories import accepted, account, client_of, join, load, make_grant, member_client, staff_client
from tests.pages import portal_part, streamed, text
from tests.samples import claim, contract, person


@pytest.fixture
def grants(broker, other_broker) -> tuple[Grant, Grant]:
    load(
        broker,
        staff={
            "U-1": {
                "name": "Max Betreuer",
                "email": "max@makler.example",
                "phone": "+49 89 555",
                "role": "user",
            }
        },
        customers={
            "K-1": person("Muster", "Klara"),
            "K-2": {"kind": "company", "company_name": "Musterfirma GmbH"},
        },
        contracts={
            "V-1": contract("K-1", "HR-1", "HRV", premium="120.00", payment_interval="yearly"),
            "V-2": contract("K-1", "KF-1", "KFZ", risk="VW Golf", status="FREMD"),
            "V-3": contract("K-1", "PH-1", "PHV", risk="Nicht geteilt"),
            "V-4": contract("K-2", "GW-1", "WGV", risk="Halle"),
        },
        claims={"S-1": claim("K-1", "V-1", "SCH-1", status="open")},
    )
    load(other_broker, customers={"K-1": person("Fremd")})
    a = make_grant(
        broker,
        "Familie Muster",
        ["K-1"],
        {"statuses": ["POLICE", "FREMD"], "lines": ["HRV", "KFZ"], "reference_addresses": True},
        clerk="U-1",
        show_clerk=True,
    )
    b = make_grant(broker, "Musterfirma", ["K-2"], view="business")
    return a, b


def urls(grant: Grant) -> list[str]:
    base = f"/portal/{grant.pk}/"
    return [
        base,
        base + "contracts.csv",
        base + "contracts.xlsx",
        base + "customers/",
        base + "claims/",
        base + f"contracts/{Contract.objects.get(external_id='V-1').pk}/",
        base + f"claims/{Claim.objects.get(external_id='S-1').pk}/",
        base + f"customers/{Customer.objects.get(broker=grant.broker, external_id='K-1').pk}/",
    ]


def test_the_preview_opens_the_dashboard_with_a_banner(grants, broker_admin):
    a, _ = grants
    client = broker_admin.client
    response = client.get(f"/staff/grants/{a.pk}/preview/")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/{a.pk}/"
    html = text(client.get(response["Location"]))
    banner = html.split('<div class="banner preview" role="status">', 1)[1].split("</div>", 1)[0]
    assert "Freischaltungseinsicht" in banner
    assert "Familie Muster" in banner


def test_the_preview_shows_exactly_what_a_member_sees(grants, broker_admin):
    a, b = grants
    member = member_client(a, "klara.muster@example.org")
    staff = broker_admin.client
    staff.get(f"/staff/grants/{a.pk}/preview/")
    for url in urls(a):
        if url.endswith((".csv", ".xlsx", "/customers/", "/claims/")):
            continue
        seen = text(member.get(url))
        previewed = text(staff.get(url))
        assert "Freischaltungseinsicht" not in seen
        assert "Freischaltungseinsicht" in previewed
        assert portal_part(previewed) == portal_part(seen), url
    # The export too, byte for byte.
    export = f"/portal/{a.pk}/contracts.csv"
    member_b = member_client(b, "chefin@musterfirma.example")
    staff.get(f"/staff/grants/{b.pk}/preview/")
    assert streamed(staff.get(export.replace(a.pk, b.pk))) == streamed(
        member_b.get(export.replace(a.pk, b.pk))
    )
    for url in (f"/portal/{b.pk}/", f"/portal/{b.pk}/customers/"):
        assert portal_part(text(staff.get(url))) == portal_part(text(member_b.get(url)))


def test_the_preview_hides_what_the_grant_hides(grants, broker, broker_admin):
    a, _ = grants
    staff = broker_admin.client
    staff.get(f"/staff/grants/{a.pk}/preview/")
    html = text(staff.get(f"/portal/{a.pk}/"))
    assert "Wohnung Musterweg 1" in html and "VW Golf" in html and "Nicht geteilt" not in html
    for key in ("V-3", "V-4"):
        assert (
            staff.get(f"/portal/{a.pk}/contracts/{Contract.objects.get(external_id=key).pk}/").status_code
            == 404
        )
    other = Customer.objects.get(broker=broker, external_id="K-2").pk
    assert staff.get(f"/portal/{a.pk}/customers/{other}/").status_code == 404


def test_the_preview_shows_no_switcher_to_the_staffs_own_grants(grants, broker_admin):
    a, b = grants
    staff = broker_admin.client
    join(b, broker_admin.email)  # the admin is also a member of another grant
    staff.get(f"/staff/grants/{a.pk}/preview/")
    html = text(staff.get(f"/portal/{a.pk}/"))
    assert "Zugang wechseln" not in html and b.name not in portal_part(html)


def test_each_preview_is_audit_logged(grants, broker, broker_admin):
    a, _ = grants
    staff = broker_admin.client
    staff.get(f"/staff/grants/{a.pk}/preview/")
    staff.get(f"/staff/grants/{a.pk}/preview/")
    entries = AuditEntry.objects.filter(action="grant.previewed")
    assert entries.count() == 2
    entry = entries.first()
    assert entry is not None and entry.broker_id == broker.pk
    assert entry.object_type == "grant" and entry.object_id == a.pk
    assert entry.actor_user == broker_admin.user and entry.actor_label == broker_admin.email


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_every_unsafe_request_in_preview_is_refused(grants, method, broker_admin):
    a, b = grants
    staff = broker_admin.client
    staff.get(f"/staff/grants/{a.pk}/preview/")
    staff.get(f"/staff/grants/{b.pk}/preview/")
    for url in [*urls(a), f"/portal/{b.pk}/", f"/portal/{b.pk}/contracts.csv", f"/portal/{b.pk}/customers/"]:
        response = getattr(staff, method)(url, {"note": "x"}, content_type="application/json")
        assert response.status_code == 403, (method, url)
    assert staff.get(f"/portal/{a.pk}/").status_code == 200  # reading goes on


def test_safe_methods_other_than_get_are_allowed_in_preview(grants, broker_admin):
    a, _ = grants
    staff = broker_admin.client
    staff.get(f"/staff/grants/{a.pk}/preview/")
    assert staff.head(f"/portal/{a.pk}/").status_code == 200


def test_a_member_is_not_refused_where_the_preview_is(grants):
    a, _ = grants
    member = member_client(a, "klara.muster@example.org")
    assert member.post(f"/portal/{a.pk}/").status_code != 403


def test_staff_with_role_user_gets_404(grants, broker):
    a, _ = grants
    staff = staff_client(broker, "sachbearbeiter@muster-makler.example", role="user")
    assert staff.get(f"/staff/grants/{a.pk}/preview/").status_code == 404
    assert staff.get(f"/portal/{a.pk}/").status_code == 404
    assert not AuditEntry.objects.filter(action="grant.previewed").exists()


def test_staff_admin_of_another_broker_gets_404(grants, other_broker_admin):
    a, _ = grants
    staff = other_broker_admin.client
    assert staff.get(f"/staff/grants/{a.pk}/preview/").status_code == 404
    assert staff.get(f"/portal/{a.pk}/").status_code == 404
    assert not AuditEntry.objects.filter(action="grant.previewed").exists()


def test_a_portal_user_gets_404(grants):
    a, _ = grants
    member = member_client(a, "klara.muster@example.org")
    assert member.get(f"/staff/grants/{a.pk}/preview/").status_code == 404
    assert not AuditEntry.objects.filter(action="grant.previewed").exists()


def test_a_staff_admin_without_preview_gets_404_on_the_portal(grants, broker_admin):
    a, _ = grants
    staff = broker_admin.client
    for url in urls(a):
        assert staff.get(url).status_code == 404


def test_previewing_one_grant_does_not_open_another(grants, broker_admin):
    a, b = grants
    staff = broker_admin.client
    staff.get(f"/staff/grants/{a.pk}/preview/")
    assert staff.get(f"/portal/{a.pk}/").status_code == 200
    assert staff.get(f"/portal/{b.pk}/").status_code == 404
    assert staff.post(f"/portal/{b.pk}/").status_code == 404  # not even a 403: nothing is open
    staff.get(f"/staff/grants/{b.pk}/preview/")
    assert staff.get(f"/portal/{b.pk}/").status_code == 200
    assert staff.get(f"/portal/{a.pk}/").status_code == 200  # both stay open in this session


def test_the_preview_ends_when_the_admin_loses_the_role(grants, broker_admin):
    a, _ = grants
    staff = broker_admin.client
    staff.get(f"/staff/grants/{a.pk}/preview/")
    assert staff.get(f"/portal/{a.pk}/").status_code == 200
    StaffMember.objects.filter(email=broker_admin.email).update(role="user")
    assert staff.get(f"/portal/{a.pk}/").status_code == 404


def test_the_preview_ends_with_the_grant(grants, api, broker_admin):
    a, _ = grants
    staff = broker_admin.client
    staff.get(f"/staff/grants/{a.pk}/preview/")
    assert api.delete(f"/grants/{a.pk}").status_code == 204
    assert staff.get(f"/portal/{a.pk}/").status_code == 404


def test_a_preview_belongs_to_its_session(grants, broker_admin):
    a, _ = grants
    broker_admin.client.get(f"/staff/grants/{a.pk}/preview/")
    other_session = client_of(broker_admin.user)
    assert other_session.get(f"/portal/{a.pk}/").status_code == 404


def test_the_preview_needs_the_staff_second_factor(grants, broker):
    StaffMember.objects.create(
        broker=broker, external_id="ST-X", name="Ohne", email="ohne@muster.example", role="admin"
    )
    accepted(broker, "ohne@muster.example", staff=True)
    client = Client()
    client.force_login(account("ohne@muster.example"))
    response = client.get(f"/staff/grants/{grants[0].pk}/preview/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/")
    assert not AuditEntry.objects.filter(action="grant.previewed").exists()
