"""Who reaches which portal page (visibility.md §7): anonymous → login, non-members → 404, objects of
another grant or broker, or not shared by this grant → 404; the chooser, the redirect and the switcher."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.test import Client

from einblick.grants.models import Grant, GrantMember, MemberState
from einblick.office.members import share, unshare
from einblick.portfolio.models import Claim, Contract, Customer
from tests.factories import account, client_of, join, load, make_grant, member_client
from tests.pages import text
from tests.samples import claim, contract, person

KLARA = "klara.muster@example.org"


@dataclass
class World:
    a: Grant  # Familie Muster: K-1, claims, POLICE/ANTRAG/EIGEN in HRV and KFZ
    b: Grant  # Nachbar: K-2, same broker
    x: Grant  # the other broker's grant over its own K-1
    ids: dict[str, int]  # "contract V-1" / "claim S-1" / "customer K-1" (ours), "other ..." (other broker)

    def url(self, name: str, grant: Grant | None = None) -> str:
        grant = grant or self.a
        base = f"/portal/{grant.pk}/"
        if name == "dashboard":
            return base
        if name == "csv":
            return base + "contracts.csv"
        if name == "xlsx":
            return base + "contracts.xlsx"
        if name in ("customers", "claims"):
            return f"{base}{name}/"
        kind, _key = name.split(" ")[-2:]
        path = {"contract": "contracts", "claim": "claims", "customer": "customers"}[kind]
        return f"{base}{path}/{self.ids[name]}/"


@pytest.fixture
def world(broker, other_broker) -> World:
    load(
        broker,
        customers={"K-1": person("Muster", "Klara"), "K-2": person("Nachbar", "Otto")},
        contracts={
            "V-1": contract("K-1", "HR-1", "HRV"),
            "V-2": contract("K-1", "PH-2", "PHV", risk="Privathaftpflicht"),  # outside the line filter
            "V-3": contract("K-1", "KF-3", "KFZ", status="STORNO"),  # outside the status options
            "V-4": contract("K-2", "HR-4", "HRV", risk="Haus Nachbar"),
        },
        claims={
            "S-1": claim("K-1", "V-1", "SCH-1"),
            "S-2": claim("K-1", "V-2", "SCH-2"),  # on a hidden contract
            "S-4": claim("K-2", "V-4", "SCH-4"),
        },
    )
    # The other broker uses the same external ids.
    load(
        other_broker,
        customers={"K-1": person("Fremd", "Frieda")},
        contracts={"V-1": contract("K-1", "OT-1", "HRV")},
        claims={"S-1": claim("K-1", "V-1", "OT-S-1")},
    )
    lines = {"lines": ["HRV", "KFZ"]}
    a = make_grant(broker, "Familie Muster", ["K-1"], lines)
    b = make_grant(broker, "Nachbar", ["K-2"], lines)
    x = make_grant(other_broker, "Fremde Familie", ["K-1"], lines)
    ids: dict[str, int] = {}
    for prefix, owner in (("", broker), ("other ", other_broker)):
        ids[f"{prefix}contract V-1"] = Contract.objects.get(broker=owner, external_id="V-1").pk
        ids[f"{prefix}claim S-1"] = Claim.objects.get(broker=owner, external_id="S-1").pk
        ids[f"{prefix}customer K-1"] = Customer.objects.get(broker=owner, external_id="K-1").pk
    for key in ("V-2", "V-3", "V-4"):
        ids[f"contract {key}"] = Contract.objects.get(broker=a.broker, external_id=key).pk
    for key in ("S-2", "S-4"):
        ids[f"claim {key}"] = Claim.objects.get(broker=a.broker, external_id=key).pk
    ids["customer K-2"] = Customer.objects.get(broker=a.broker, external_id="K-2").pk
    return World(a=a, b=b, x=x, ids=ids)


PAGES = ["dashboard", "csv", "xlsx", "customers", "claims", "contract V-1", "claim S-1", "customer K-1"]


def test_an_active_member_opens_every_page_and_nothing_is_cached(world):
    client = member_client(world.a, KLARA)
    for page in PAGES:
        response = client.get(world.url(page))
        assert response.status_code == 200, page
        assert "no-store" in response["Cache-Control"], page


def test_anonymous_is_sent_to_the_login(world):
    for page in PAGES:
        url = world.url(page)
        for method in ("get", "post"):
            response = getattr(Client(), method)(url)
            assert response.status_code == 302, (method, page)
            assert response["Location"] == "/accounts/login/?" + urlencode({"next": url}, safe="/"), (
                method,
                page,
            )


def test_anonymous_is_sent_to_the_login_from_the_chooser_and_the_preview(world):
    for url in ("/portal/", f"/staff/grants/{world.a.pk}/preview/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def _invited(world: World) -> Client:
    """Invited to grant A (before having an account), registered separately, never accepted."""
    share(grant=world.a, actor=None, email="eingeladen@example.org")
    user = account("eingeladen@example.org")
    assert GrantMember.objects.get(grant=world.a, email=user.email).state == MemberState.INVITED
    return client_of(user)


def _member_of_another_grant(world: World) -> Client:
    return member_client(world.b, "otto@example.org")


def _removed(world: World) -> Client:
    """Removed from grant A; still a member of grant B, so the session lives on."""
    join(world.b, "weg@example.org")
    client = member_client(world.a, "weg@example.org")
    assert client.get(world.url("dashboard")).status_code == 200
    unshare(member=GrantMember.objects.get(grant=world.a, email="weg@example.org"), actor=None)
    return client


def _of_the_other_broker(world: World) -> Client:
    return member_client(world.x, "frieda@example.org")


def _without_any_grant(world: World) -> Client:
    return client_of(account("niemand@example.org"))


OUTSIDERS = [_invited, _member_of_another_grant, _removed, _of_the_other_broker, _without_any_grant]


@pytest.mark.parametrize("outsider", OUTSIDERS, ids=lambda f: f.__name__.strip("_"))
def test_who_is_not_an_active_member_gets_404(world, outsider):
    client = outsider(world)
    for page in PAGES:
        assert client.get(world.url(page)).status_code == 404, page
        assert client.post(world.url(page)).status_code == 404, page


@pytest.mark.parametrize("outsider", OUTSIDERS, ids=lambda f: f.__name__.strip("_"))
def test_who_is_not_an_active_member_cannot_preview_either(world, outsider):
    client = outsider(world)
    assert client.get(f"/staff/grants/{world.a.pk}/preview/").status_code == 404
    assert client.get(world.url("dashboard")).status_code == 404


def test_a_deleted_grant_is_gone_for_its_members(world, api):
    client = member_client(world.a, KLARA)
    join(world.b, KLARA)  # keeps the session alive
    assert api.delete(f"/grants/{world.a.pk}").status_code == 204
    assert client.get(world.url("dashboard")).status_code == 404
    assert client.get(world.url("contract V-1")).status_code == 404


def test_an_unknown_grant_id_is_404(world):
    client = member_client(world.a, KLARA)
    for grant_id in ("g_doesnotexist", "x" * 300, "..%2F", "%C2%B2"):
        assert client.get(f"/portal/{grant_id}/").status_code == 404
        assert client.get(f"/portal/{grant_id}/contracts.csv").status_code == 404
        assert client.get(f"/staff/grants/{grant_id}/preview/").status_code == 404


@pytest.mark.parametrize(
    "url", ["/portal/g_%00/", "/portal/g_%00/contracts.csv", "/staff/grants/g_%00/preview/"]
)
def test_a_nul_in_the_grant_id_is_404_not_500(world, url):
    client = member_client(world.a, KLARA)
    client.raise_request_exception = False
    assert client.get(url).status_code == 404


HIDDEN = [
    "contract V-4",  # another grant's customer, same broker
    "claim S-4",
    "customer K-2",
    "other contract V-1",  # another broker (same external ids)
    "other claim S-1",
    "other customer K-1",
    "contract V-2",  # the grant's customer, but outside its line filter
    "contract V-3",  # the grant's customer, but outside its status options
    "claim S-2",  # a claim on a hidden contract
]


def test_an_object_the_grant_does_not_show_is_404(world):
    client = member_client(world.a, KLARA)
    for name in HIDDEN:
        assert client.get(world.url(name)).status_code == 404, name


def test_a_missing_object_is_404(world):
    client = member_client(world.a, KLARA)
    for path in ("contracts", "claims", "customers"):
        assert client.get(f"/portal/{world.a.pk}/{path}/999999/").status_code == 404
        assert client.get(f"/portal/{world.a.pk}/{path}/99999999999999999999/").status_code == 404


def test_an_object_of_the_users_other_grant_is_404_in_this_context(world):
    """Visibility is per grant: what grant B shows does not open through grant A's URLs."""
    client = member_client(world.a, KLARA)
    join(world.b, KLARA)
    for name in ("contract V-4", "claim S-4", "customer K-2"):
        assert client.get(world.url(name, world.b)).status_code == 200
        assert client.get(world.url(name, world.a)).status_code == 404
    assert client.get(world.url("contract V-1", world.b)).status_code == 404


def test_a_claim_is_404_when_the_grant_does_not_share_claims(world, broker):
    quiet = make_grant(broker, "Ohne Schäden", ["K-1"], {"claims": False, "lines": ["HRV", "KFZ"]})
    client = member_client(quiet, "ohne@example.org")
    assert client.get(world.url("contract V-1", quiet)).status_code == 200
    assert client.get(world.url("claim S-1", quiet)).status_code == 404
    assert client.get(world.url("claims", quiet)).status_code == 404
    assert "SCH-1" not in text(client.get(world.url("contract V-1", quiet)))


def test_one_grant_goes_straight_to_its_dashboard(world):
    response = member_client(world.a, KLARA).get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/{world.a.pk}/"


def test_several_grants_of_different_brokers_are_offered_in_a_chooser(world):
    client = member_client(world.a, KLARA)
    join(world.b, KLARA)
    join(world.x, KLARA)
    invited_only = make_grant_invited(world)
    page = text(client.get("/portal/"))
    assert "Zugang wählen" in page
    for grant in (world.a, world.b, world.x):
        assert f'href="/portal/{grant.pk}/"' in page
        assert grant.name in page
    assert "Muster Makler GmbH" in page and "Andere Makler AG" in page
    assert invited_only.pk not in page


def make_grant_invited(world: World) -> Grant:
    """A grant where Klara's membership is only invited (it must not be offered)."""
    grant = Grant.objects.create(broker=world.a.broker, name="Nur eingeladen")
    GrantMember.objects.create(
        grant=grant, email=KLARA, state=MemberState.INVITED, invited_at=grant.created_at
    )
    return grant


def test_no_grant_shows_a_friendly_empty_chooser(world, outsider):
    page = text(outsider.client.get("/portal/"))
    assert "Sie haben derzeit keinen Zugang zu einem Portal." in page


def test_the_switcher_lists_the_other_grants_with_their_broker(world):
    client = member_client(world.a, KLARA)
    alone = text(client.get(world.url("dashboard")))
    assert "Zugang wechseln" not in alone  # one grant: no switcher
    join(world.b, KLARA)
    join(world.x, KLARA)
    make_grant_invited(world)
    for page in ("dashboard", "contract V-1", "customer K-1", "claim S-1"):
        html = text(client.get(world.url(page)))
        switcher = html.split('aria-label="Zugang wechseln"', 1)[1].split("</nav>", 1)[0]
        assert "Familie Muster" in switcher  # the current one, named
        assert f'href="/portal/{world.a.pk}/"' not in switcher
        assert f'href="/portal/{world.b.pk}/"' in switcher
        assert f'href="/portal/{world.x.pk}/"' in switcher
        # every entry names its broker, so that two grants of the same name never look alike
        assert 'Fremde Familie <span class="muted">(Andere Makler AG)</span>' in switcher
        assert "(Muster Makler GmbH)</span>" in switcher
        assert "Nur eingeladen" not in switcher


def test_the_page_is_framed_by_the_grants_broker(world):
    page = text(member_client(world.x, KLARA).get(world.url("dashboard", world.x)))
    assert "Andere Makler AG" in page
    assert "Muster Makler GmbH" not in page


def test_a_member_cannot_post_to_the_portal_pages_which_only_show(world):
    client = member_client(world.a, KLARA)

    for method in ("post", "put", "delete"):
        response = getattr(client, method)(f"/portal/{world.a.pk}/")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD, OPTIONS"
