"""The demo a newcomer sees after `make run`: both portal views, the seed's sharing rules."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.core.management import call_command
from django.test import Client

from einblick.accounts.models import User
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portfolio.documents import open_content
from einblick.portfolio.models import Document

KLARA = "klara.muster@example.org"


@pytest.fixture
def demo(db) -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_the_demo_customer_has_a_private_and_a_business_context(demo):
    grants = {g.name: g for g in Grant.objects.filter(members__email=KLARA, members__state="active")}

    assert set(grants) == {"Familie Muster", "Musterfirma GmbH"}
    assert grants["Familie Muster"].view == "private"
    assert grants["Musterfirma GmbH"].view == "business"


def test_the_demo_grant_shows_hrv_and_kfz_but_not_hpv(demo):
    grant = Grant.objects.get(name="Familie Muster")

    lines = set(visibility.contracts(grant).values_list("line__code", flat=True))

    assert lines == {"HRV", "KFZ"}


def test_the_demo_customer_picks_a_context_and_sees_both_views(demo):
    client = Client()
    client.force_login(User.objects.get(email=KLARA))

    chooser = client.get("/portal/").content.decode()
    assert "Familie Muster" in chooser and "Musterfirma GmbH" in chooser
    private = Grant.objects.get(name="Familie Muster")
    business = Grant.objects.get(name="Musterfirma GmbH")
    assert "Meine aktuellen Absicherungen" in client.get(f"/portal/{private.pk}/").content.decode()
    page = client.get(f"/portal/{business.pk}/").content.decode()
    assert "Verträge" in page and "Als CSV exportieren" in page


def test_running_the_demo_twice_keeps_one_of_each_grant(demo):
    call_command("demo", stdout=io.StringIO())

    assert Grant.objects.filter(name="Familie Muster").count() == 1
    assert Grant.objects.filter(name="Musterfirma GmbH").count() == 1


def test_the_demo_publishes_pdfs_the_familys_grant_shows_except_on_the_hidden_liability_contract(
    documents_dir, demo
):
    """Issue 16, item 7: Klara's Postfach holds the policies of HRV and KFZ and an invoice; the policy
    on her private liability contract (HPV, hidden by the grant) is not shown."""
    grant = Grant.objects.get(name="Familie Muster")

    shown = {d.external_id: d for d in visibility.documents(grant)}

    assert set(shown) == {"D-3001", "D-3002", "D-3003"}
    assert {d.kind for d in shown.values()} == {"policy", "invoice"}
    hidden = Document.objects.get(external_id="D-3004")
    assert hidden.contract is not None and hidden.contract.line.code == "HPV"
    assert hidden.stored  # it has its file, and stays hidden
    with open_content(shown["D-3001"]) as handle:
        text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(handle.read())).pages)
    assert "Versicherungsschein Hausrat 2024" in text and "HR-4711" in text


def test_running_the_demo_again_keeps_each_documents_file(documents_dir, demo):
    before = dict(Document.objects.values_list("external_id", "sha256"))

    call_command("demo", stdout=io.StringIO())

    assert dict(Document.objects.values_list("external_id", "sha256")) == before
    assert all(before.values())
