"""The claim report: a draft filled step by step (the loss, the line's questions, payment, files), resumable,
then one submission: a claim with status `reported` the user sees at once, a CLAIM_REPORT process with the
answers, the photos and a PDF of the report; every refusal writes nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from einblick.grants.models import Grant
from einblick.portfolio.models import Claim, Contract, Customer
from einblick.processes.claims import valid_iban
from einblick.processes.models import ClaimDraft, Process, ProcessType
from tests.factories import load, make_grant, member_client
from tests.pages import text
from tests.samples import JPEG, contract, person

CLERK = {"name": "Max Betreuer", "email": "max@makler.example", "phone": None, "role": "user"}
REPORT: dict[str, Any] = {
    "primary_contact": True,
    "claim_report": True,
    "claim_report_on_customer": True,
    "clerk": "U-1",
}
IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def grant(broker, settings, tmp_path) -> Grant:
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    load(
        broker,
        staff={"U-1": CLERK},
        customers={"K-1": person("Muster", "Klara"), "K-2": person("Nachbar", "Nora")},
        contracts={
            "V-1": contract("K-1", "KF-1", "KFZ", risk="VW Golf, M-AB 123"),
            "V-2": contract("K-1", "HR-1", "HRV", risk="Wohnung Musterweg 1"),
            "V-3": contract("K-1", "PH-1", "PHV", risk="Privathaftpflicht"),
            "V-9": contract("K-2", "HR-9", "HRV"),
        },
    )
    return make_grant(broker, "Familie Muster", ["K-1"], {"claims": True, "statuses": ["POLICE"]}, **REPORT)


def pk(external_id: str) -> int:
    return Contract.objects.get(external_id=external_id).pk


def begin(client, grant: Grant, contract_id: str) -> str:
    """From the contract's page to a new draft: the draft's first step URL."""
    start = f"/portal/{grant.pk}/contracts/{pk(contract_id)}/claim/"
    assert f'value="{pk(contract_id)}" selected' in text(client.get(start))
    response = client.post(start, {"contract": pk(contract_id)})
    assert response.status_code == 302
    return response["Location"]


def next_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:3000]
    return response["Location"]


LOSS = {
    "loss_date": "2026-11-20",
    "loss_time": "17:30",
    "place": "Kreuzung Hauptstraße",
    "description": "Auffahrunfall an der Ampel.",
}


def test_a_motor_claim_with_two_photos_is_reported_seen_at_once_and_sent_with_a_pdf(grant, api):
    client = member_client(grant, "klara@example.org")
    assert "Schäden in Bearbeitung" not in text(client.get(f"/portal/{grant.pk}/"))  # warm cache, no claim
    url = begin(client, grant, "V-1")
    assert url.endswith("/loss/")
    url = next_of(client.post(url, LOSS))
    assert url.endswith("/details/")
    assert 'name="registration"' in text(client.get(url))  # the motor questions
    url = next_of(
        client.post(
            url,
            {
                "vehicle": "VW Golf",
                "registration": "M-AB 123",
                "other_party": "B-XY 9, Beispiel AG",
                "police": "on",
                "police_station": "PI 21, 4711",
            },
        )
    )
    assert url.endswith("/payment/")
    url = next_of(
        client.post(
            url, {"amount": "2.450,50", "iban": IBAN.replace(" ", ""), "account_holder": "Klara Muster"}
        )
    )
    assert url.endswith("/files/")
    photos = [SimpleUploadedFile("vorne.jpg", JPEG), SimpleUploadedFile("hinten.jpg", JPEG)]
    url = next_of(client.post(url, {"attachments": photos}))
    assert url.endswith("/review/")
    review = text(client.get(url))
    for shown in ("Kreuzung Hauptstraße", "M-AB 123", "2.450,50 €", IBAN, "vorne.jpg", "hinten.jpg", "Ja"):
        assert shown in review, shown
    thread = next_of(client.post(url, {"action": "submit"}))

    claim = Claim.objects.get(external_id__startswith="portal:")
    assert claim.contract is not None
    assert (claim.status, claim.contract.external_id, str(claim.loss_date)) == (
        "reported",
        "V-1",
        "2026-11-20",
    )
    assert claim.status_changes.get().status == "reported"
    dashboard = text(client.get(f"/portal/{grant.pk}/"))
    assert "Schäden in Bearbeitung" in dashboard and "gemeldet" in dashboard
    assert client.get(f"/portal/{grant.pk}/claims/{claim.pk}/").status_code == 200
    process = Process.objects.get()
    assert thread == f"/portal/{grant.pk}/messages/{process.pk}/"
    assert process.contract is not None
    assert (process.type, process.contract.external_id, process.payload["kind"]) == (
        ProcessType.CLAIM_REPORT,
        "V-1",
        "motor",
    )
    assert process.payload["registration"] == "M-AB 123" and process.payload["claim"] == claim.external_id
    names = [a["name"] for a in api.get(f"/processes/{process.pk}").json()["messages"][0]["attachments"]]
    assert names == ["vorne.jpg", "hinten.jpg", "schadenmeldung.pdf"]
    report = (
        api.get(f"/processes/{process.pk}")
        .json()["messages"][0]["attachments"][2]["url"]
        .removeprefix("/api/v1")
    )
    pdf = b"".join(api.get(report).streaming_content)
    words = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert (
        "Schadenmeldung" in words
        and "Kreuzung Hauptstraße" in words
        and "M-AB 123" in words
        and "2.450,50 €" in words
    )
    assert not ClaimDraft.objects.exists()
    assert [p["id"] for p in api.get("/processes", state="new").json()["items"]] == [process.pk]


def test_property_and_liability_ask_their_questions_and_a_customer_claim_none(grant):
    client = member_client(grant, "klara@example.org")
    url = next_of(client.post(begin(client, grant, "V-2"), LOSS))
    assert 'name="items"' in text(client.get(url)) and 'name="cause"' in text(client.get(url))
    url = next_of(client.post(begin(client, grant, "V-3"), LOSS))
    assert 'name="injured_party"' in text(client.get(url))
    customer = Customer.objects.get(external_id="K-1")
    start = f"/portal/{grant.pk}/customers/{customer.pk}/claim/"
    url = next_of(client.post(start, {"customer": customer.pk}))
    assert next_of(client.post(url, LOSS)).endswith("/payment/")  # no line, no line questions


def test_a_draft_is_saved_at_every_step_and_resumed_by_its_author_only(broker, grant):
    client = member_client(grant, "klara@example.org")
    url = begin(client, grant, "V-2")
    client.post(url, LOSS)
    draft = ClaimDraft.objects.get()
    assert draft.data["place"] == "Kreuzung Hauptstraße"
    start = text(client.get(f"/portal/{grant.pk}/claims/report/"))
    assert f"/claims/report/{draft.pk}/loss/" in start and "Wohnung Musterweg 1" in start
    assert 'value="Kreuzung Hauptstraße"' in text(client.get(url))
    otto = member_client(grant, "otto@example.org")
    assert otto.get(url).status_code == 404
    assert otto.post(url, LOSS).status_code == 404
    assert draft.pk not in text(otto.get(f"/portal/{grant.pk}/claims/report/"))
    other = make_grant(broker, "Andere", ["K-1"], **REPORT)
    member_client(other, "klara@example.org")
    assert client.get(url.replace(grant.pk, other.pk)).status_code == 404


TOMORROW = "tomorrow"


@pytest.mark.parametrize(
    ("step", "data", "field"),
    [
        ("loss", {**LOSS, "loss_date": TOMORROW}, "loss_date"),
        ("loss", {**LOSS, "description": ""}, "description"),
        ("loss", {**LOSS, "loss_time": "25:99"}, "loss_time"),
        ("payment", {"amount": "viel", "iban": ""}, "amount"),
        ("payment", {"amount": "-3", "iban": ""}, "amount"),
        ("payment", {"amount": "NaN", "iban": ""}, "amount"),
        ("payment", {"amount": "sNaN", "iban": ""}, "amount"),
        ("payment", {"amount": "Infinity", "iban": ""}, "amount"),
        ("payment", {"amount": "", "iban": "DE89 3704 0044 0532 0130 01"}, "iban"),
        ("payment", {"amount": "", "iban": "<script>"}, "iban"),
        ("files", {"attachments": [SimpleUploadedFile("foto.jpg", b"%PDF-1.4 x")]}, "attachments"),
    ],
)
def test_bad_answers_are_refused_in_place(grant, settings, step, data, field):
    if data.get("loss_date") == TOMORROW:  # the date of the run, not of the collection (midnight)
        data = {**data, "loss_date": (timezone.localdate() + timedelta(days=1)).isoformat()}
    client = member_client(grant, "klara@example.org")
    url = begin(client, grant, "V-2").replace("/loss/", f"/{step}/")
    response = client.post(url, data)
    assert response.status_code == 200
    assert re.search(rf'<div class="field invalid">\s*<label for="id_{field}"', response.content.decode())
    assert ClaimDraft.objects.get().data.get(field) in (None, "")
    assert (
        not list(Path(settings.UPLOAD_ROOT).rglob("*.*"))
        and not Claim.objects.filter(external_id__startswith="portal:").exists()
    )


def test_the_review_refuses_an_incomplete_report_and_discarding_removes_the_files(
    grant, settings, django_capture_on_commit_callbacks
):
    client = member_client(grant, "klara@example.org")
    url = begin(client, grant, "V-2")
    files = url.replace("/loss/", "/files/")
    next_of(client.post(files, {"attachments": [SimpleUploadedFile("a.jpg", JPEG)]}))
    stored = [p for p in Path(settings.UPLOAD_ROOT).rglob("*") if p.is_file()]
    assert len(stored) == 1
    review = url.replace("/loss/", "/review/")
    assert next_of(client.post(review, {"action": "submit"})).endswith("/loss/")
    assert (
        not Claim.objects.filter(external_id__startswith="portal:").exists() and not Process.objects.exists()
    )
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the deletion committed
        assert next_of(client.post(review, {"action": "discard"})) == f"/portal/{grant.pk}/claims/report/"
    assert not ClaimDraft.objects.exists() and not stored[0].exists()


def test_a_report_sent_twice_is_one_claim(grant):
    client = member_client(grant, "klara@example.org")
    url = begin(client, grant, "V-2")
    client.post(url, LOSS)
    review = url.replace("/loss/", "/review/")
    next_of(client.post(review, {"action": "submit"}))
    assert client.post(review, {"action": "submit"}).status_code == 404  # the draft is gone
    assert (
        Claim.objects.filter(external_id__startswith="portal:").count() == 1 and Process.objects.count() == 1
    )


def test_permissions_and_visibility(api, grant, broker_admin):
    client = member_client(grant, "klara@example.org")
    assert (
        client.get(f"/portal/{grant.pk}/contracts/{pk('V-9')}/claim/").status_code == 404
    )  # not her contract
    assert client.post(f"/portal/{grant.pk}/claims/report/", {"contract": pk("V-9")}).status_code == 200
    assert not ClaimDraft.objects.exists()
    nora = Customer.objects.get(external_id="K-2")
    assert client.get(f"/portal/{grant.pk}/customers/{nora.pk}/claim/").status_code == 404
    url = begin(client, grant, "V-2")
    for missing in ("claim_report", "primary_contact"):
        body = {
            "name": "Familie Muster",
            "customers": ["K-1"],
            "share": {"claims": True, "statuses": ["POLICE"]},
            "actions": {**REPORT, missing: False, "clerk": "U-1"},
        }
        assert api.put(f"/grants/{grant.pk}", body).status_code == 200
        assert client.get(f"/portal/{grant.pk}/claims/report/").status_code == 403
        assert client.post(url, LOSS).status_code == 403
    only_contracts = {
        "name": "Familie Muster",
        "customers": ["K-1"],
        "share": {"claims": True, "statuses": ["POLICE"]},
        "actions": {**REPORT, "claim_report_on_customer": False, "clerk": "U-1"},
    }
    assert api.put(f"/grants/{grant.pk}", only_contracts).status_code == 200
    klara = Customer.objects.get(external_id="K-1")
    assert client.get(f"/portal/{grant.pk}/customers/{klara.pk}/claim/").status_code == 403
    assert client.post(url, LOSS).status_code == 302  # on a contract it still goes on
    office = broker_admin.client
    office.get(f"/staff/grants/{grant.pk}/preview/")
    assert office.get(f"/portal/{grant.pk}/claims/report/").status_code == 200
    assert office.post(f"/portal/{grant.pk}/claims/report/", {"contract": pk("V-2")}).status_code == 403
    assert office.get(url).status_code == 404  # drafts are their author's


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        (IBAN, True),
        ("GB82WEST12345698765432", True),
        ("DE89370400440532013001", False),
        ("DE8937040044053201300", False),
        ("XX", False),
    ],
)
def test_iban_check_digits(iban, valid):
    assert valid_iban(iban) is valid


def test_a_status_change_from_the_ams_reaches_the_reporter(
    grant, api, smtp, django_capture_on_commit_callbacks
):
    client = member_client(grant, "klara@example.org")
    url = begin(client, grant, "V-2")
    client.post(url, LOSS)
    thread = next_of(client.post(url.replace("/loss/", "/review/"), {"action": "submit"}))
    claim = Claim.objects.get(external_id__startswith="portal:")
    body = {
        "customer": "K-1", "contract": "V-2", "number": "S-77", "loss_date": "2026-11-20", "status": "open",
        "description": "Übernommen", "amount_reserved": "500.00", "amount_paid": None,
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert api.put(f"/claims/{claim.external_id}", body).status_code == 200
        assert api.put("/claims/S-OTHER", {**body, "status": "closed"}).status_code in (
            200,
            201,
        )  # not from the portal
    assert "Neue Antwort" in text(client.get(f"/portal/{grant.pk}/messages/"))
    assert "Der Status Ihres Schadens ist jetzt: offen." in text(client.get(thread))
    mails = smtp.wait(1)
    assert [m["To"] for m in mails] == ["klara@example.org"]
    assert "offen" not in mails[0].get_body(preferencelist=("plain",)).get_content()


def test_unicode_digits_and_foreign_ids_never_crash(grant):
    client = member_client(grant, "klara@example.org")
    start = f"/portal/{grant.pk}/claims/report/"
    for value in ("²", "١٢", "9" * 30, "-1", " 1"):
        assert client.post(start, {"contract": value}).status_code == 200
        assert client.post(start, {"customer": value}).status_code == 200
    url = begin(client, grant, "V-2").replace("/loss/", "/files/")
    assert client.post(url, {"remove": "²"}).status_code in (200, 302)  # no id: nothing removed
    assert client.get(f"/portal/{grant.pk}/contracts/capture/?customer=²").status_code in (200, 403)
    assert not Claim.objects.filter(external_id__startswith="portal:").exists()


def test_removing_a_file_of_the_draft_deletes_it_after_commit(
    grant, settings, django_capture_on_commit_callbacks
):
    client = member_client(grant, "klara@example.org")
    url = begin(client, grant, "V-2").replace("/loss/", "/files/")
    next_of(client.post(url, {"attachments": [SimpleUploadedFile("a.jpg", JPEG)]}))
    item = ClaimDraft.objects.get().files.get()
    path = Path(settings.UPLOAD_ROOT) / item.stored[:2] / item.stored
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"remove": str(item.pk)}).status_code == 302
    assert not path.exists() and not ClaimDraft.objects.get().files.exists()


def test_submitted_files_survive_the_draft(grant, settings, django_capture_on_commit_callbacks):
    client = member_client(grant, "klara@example.org")
    url = begin(client, grant, "V-2")
    client.post(url, LOSS)
    next_of(
        client.post(url.replace("/loss/", "/files/"), {"attachments": [SimpleUploadedFile("a.jpg", JPEG)]})
    )
    with django_capture_on_commit_callbacks(execute=True):
        next_of(client.post(url.replace("/loss/", "/review/"), {"action": "submit"}))
    stored = list(Process.objects.get().messages.get().attachments.values_list("stored", flat=True))
    assert len(stored) == 2  # the photo and the PDF
    assert all((Path(settings.UPLOAD_ROOT) / s[:2] / s).exists() for s in stored)


def test_bidi_controls_cannot_reorder_a_report_pdf():
    """The PDF prints in WinAnsiEncoding, which has no bidi controls: a U+202E in a description is a
    visible "?" and the text after it keeps its order (issue 15, item 5). Scripts beyond Latin are
    issue 22's."""
    from einblick.processes import pdf

    document = pdf.report("Schaden", [("Beschreibung", "Rechnung\u202efdp.exe")])

    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(document)).pages)
    assert "Rechnung?fdp.exe" in text
    assert "\u202e" not in text
