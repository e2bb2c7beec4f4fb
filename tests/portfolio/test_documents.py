"""Documents in the portfolio (domain.md §2, api-v1.md "Document"): their metadata through the import,
their files through portfolio/documents.py and the "documents" storage, which the tests keep in the
run's data directory (tests/conftest.py)."""

from __future__ import annotations

import copy
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from einblick.errors import DomainError, Invalid, TooLarge, UnsupportedType
from einblick.portfolio import documents
from einblick.portfolio.importing import BatchResult, Mode, delete_object, import_batch
from einblick.portfolio.models import Claim, Contract, Customer, Document, DocumentKeyword, DocumentKind
from einblick.portfolio.payloads import DocumentIn
from tests.samples import HOSTILE, JPEG, claim, contract, person, png

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 32


def document(customer: str = "K-1", **changes: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "contract": None,
        "claim": None,
        "title": "Versicherungsschein 2024",
        "date": "2024-01-10",
        "kind": "policy",
        "keywords": ["POLICE", "PORTAL"],
        "filename": "police-2024.pdf",
        **changes,
    }


PORTFOLIO: dict[str, Any] = {
    "customers": {"K-1": person("Muster", "Klara"), "K-2": person("Beispiel", "Bernd")},
    "contracts": {"V-1": contract("K-1", "HR-1", "HRV"), "V-2": contract("K-2", "KF-2", "KFZ")},
    "claims": {"S-1": claim("K-1", "V-1", "S-1"), "S-2": claim("K-2", None, "S-2")},
}


def run(broker, data: dict[str, Any], mode: Mode = "atomic") -> BatchResult:
    return import_batch(broker=broker, actor=None, data=copy.deepcopy(data), mode=mode)


def messages(found: BatchResult | Invalid) -> dict[tuple[Any, ...], str]:
    return {error.loc: error.msg for error in found.errors}


def keywords(broker) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for external_id, keyword in DocumentKeyword.objects.filter(broker=broker).values_list(
        "document__external_id", "keyword"
    ):
        found.setdefault(external_id, set()).add(keyword)
    return found


def storage_files() -> set[str]:
    root = Path(documents.storage().location)  # type: ignore[attr-defined]  # FileSystemStorage
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


@pytest.fixture(autouse=True)
def _empty_storage(documents_dir: Path) -> None:
    """Every test here starts with an empty documents storage (tests/conftest.py)."""


def put_file(broker, external_id: str, content: bytes = PDF, content_type: str = "application/pdf") -> Any:
    return documents.store_content(
        broker=broker,
        actor=None,
        document=Document.objects.get(broker=broker, external_id=external_id),
        stream=io.BytesIO(content),
        content_type=content_type,
        length=len(content),
    )


@pytest.fixture
def portfolio(broker):
    run(broker, PORTFOLIO)
    return broker


# --- the model and the payload ------------------------------------------------------------------------


def test_the_kinds_of_the_model_are_the_kinds_of_the_payload():
    kinds = DocumentIn.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]
    assert tuple(DocumentKind.values) == kinds


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "application/pdf"),
        (JPEG, "image/jpeg"),
        (png(), "image/png"),
        (TIFF, "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        *((HOSTILE[name], None) for name in ("an SVG", "an HTML page", "a GIF", "text")),
        (HOSTILE["a PNG signature without its header"], None),
    ],
)
def test_sniff_knows_pdf_jpeg_png_and_tiff_by_their_first_bytes(content, kind):
    assert documents.sniff(content[:16]) == kind


# --- the import ---------------------------------------------------------------------------------------


def test_documents_are_imported_with_their_keywords_and_without_a_file(portfolio):
    result = run(
        portfolio,
        {
            "documents": {
                "D-1": document(contract="V-1"),
                "D-2": document(claim="S-1", kind="claim", keywords=["SCHADEN", "SCHADEN"]),
                "D-3": document(keywords=[], filename=None),
            }
        },
    )

    assert result.created["documents"] == 3 and not result.errors
    one = Document.objects.get(broker=portfolio, external_id="D-1")
    assert one.contract is not None and one.contract.external_id == "V-1"
    assert (one.customer.external_id, one.claim) == ("K-1", None)
    assert (one.title, str(one.date), one.kind, one.filename) == (
        "Versicherungsschein 2024",
        "2024-01-10",
        "policy",
        "police-2024.pdf",
    )
    assert (one.stored, one.size, one.sha256, one.content_type, one.file_at) == ("", None, "", "", None)
    assert Document.objects.get(external_id="D-2").keywords == ["SCHADEN", "SCHADEN"]  # as sent
    assert keywords(portfolio) == {"D-1": {"POLICE", "PORTAL"}, "D-2": {"SCHADEN"}}
    assert Document.objects.get(external_id="D-3").filename == ""


def test_the_file_name_is_cleaned_for_display(portfolio):
    run(portfolio, {"documents": {"D-1": document(filename=' Police<2024>:\u202e"final".pdf ')}})

    assert Document.objects.get(external_id="D-1").filename == "Police 2024 final.pdf"


def test_sending_the_same_documents_again_changes_nothing(portfolio):
    batch = {"documents": {"D-1": document(contract="V-1"), "D-2": document()}}
    run(portfolio, batch)

    result = run(portfolio, batch)

    assert result.unchanged["documents"] == 2 and not result.changed


def test_replacing_the_metadata_keeps_the_file_and_follows_the_keywords(portfolio):
    run(portfolio, {"documents": {"D-1": document(), "D-2": document()}})
    put_file(portfolio, "D-1")
    before = Document.objects.get(external_id="D-1")

    result = run(
        portfolio,
        {
            "documents": {
                "D-1": document(title="Nachtrag", kind="endorsement", keywords=["NACHTRAG"]),
                "D-2": document(title="Nur der Titel"),
            }
        },
    )

    assert result.updated["documents"] == 2
    after = Document.objects.get(external_id="D-1")
    assert (after.title, after.kind) == ("Nachtrag", "endorsement")
    assert (after.stored, after.size, after.sha256) == (before.stored, before.size, before.sha256)
    assert keywords(portfolio) == {"D-1": {"NACHTRAG"}, "D-2": {"POLICE", "PORTAL"}}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"customer": "K-9"}, "customer", "customer K-9 does not exist"),
        ({"contract": "V-9"}, "contract", "contract V-9 does not exist"),
        ({"claim": "S-9"}, "claim", "claim S-9 does not exist"),
        ({"contract": "V-2"}, "contract", "contract V-2 belongs to another customer"),
        ({"claim": "S-2"}, "claim", "claim S-2 belongs to another customer"),
    ],
)
def test_a_document_refers_to_its_customer_and_their_contract_or_claim(portfolio, changes, field, message):
    with pytest.raises(Invalid) as refused:
        run(portfolio, {"documents": {"D-1": document(**changes)}})

    assert messages(refused.value) == {("documents", "D-1", field): message}
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "rechnung"}, "kind"),
        ({"kind": None}, "kind"),
        ({"keywords": ["POLICE", "mit Leerzeichen"]}, "keywords"),
        ({"keywords": [""]}, "keywords"),
        ({"keywords": ["X" * 65]}, "keywords"),
        ({"keywords": [f"K{i}" for i in range(51)]}, "keywords"),
        ({"keywords": "POLICE"}, "keywords"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "T" * 201}, "title"),
        ({"filename": "../etc/passwd"}, "filename"),
        ({"filename": "ordner\\police.pdf"}, "filename"),
        ({"filename": "police\n.pdf"}, "filename"),
        ({"filename": "x" * 256}, "filename"),
        ({"filename": ""}, "filename"),
        ({"date": "10.01.2024"}, "date"),
        ({"customer": "K 1"}, "customer"),
        ({"colour": "blau"}, "colour"),
    ],
)
def test_bad_metadata_is_refused_naming_the_field(portfolio, changes, field):
    with pytest.raises(Invalid) as refused:
        run(portfolio, {"documents": {"D-1": document(**changes)}})

    assert {loc[:3] for loc in messages(refused.value)} == {("documents", "D-1", field)}
    assert not Document.objects.exists()


def test_a_document_whose_customer_was_rejected_in_the_batch_says_so(portfolio):
    result = run(
        portfolio,
        {"customers": {"K-3": {"kind": "person"}}, "documents": {"D-1": document("K-3"), "D-2": document()}},
        mode="partial",
    )

    assert messages(result)[("documents", "D-1", "customer")] == "customer K-3 was rejected in this batch"
    assert list(Document.objects.values_list("external_id", flat=True)) == ["D-2"]


def test_the_import_deletes_documents_last(portfolio):
    run(portfolio, {"documents": {"D-1": document(), "D-2": document()}})

    result = run(
        portfolio, {"documents": {"D-3": document()}, "delete": {"documents": ["D-1", "D-3", "D-9"]}}
    )

    assert result.deleted["documents"] == 2
    assert set(Document.objects.values_list("external_id", flat=True)) == {"D-2"}
    assert keywords(portfolio) == {"D-2": {"POLICE", "PORTAL"}}


def test_documents_follow_their_contract_and_claim_to_another_customer(portfolio):
    run(
        portfolio,
        {
            "documents": {
                "D-1": document(contract="V-1"),
                "D-2": document(claim="S-1"),
                "D-3": document(),
                "D-4": document("K-2", claim="S-2"),
            }
        },
    )

    run(
        portfolio,
        {
            "contracts": {"V-1": contract("K-2", "HR-1", "HRV")},
            "claims": {"S-2": claim("K-1", None, "S-2")},
        },
    )

    owners = dict(Document.objects.values_list("external_id", "customer__external_id"))
    assert owners == {"D-1": "K-2", "D-2": "K-2", "D-3": "K-1", "D-4": "K-1"}
    assert Claim.objects.get(external_id="S-1").customer.external_id == "K-2"
    # They lost their fingerprint: the AMS did not send them so, and sending them as before is judged
    # afresh (D-4's claim is K-1's now).
    moved = Document.objects.filter(external_id__in=["D-1", "D-2", "D-4"])
    assert set(moved.values_list("sync_hash", flat=True)) == {""}
    with pytest.raises(Invalid) as refused:
        run(portfolio, {"documents": {"D-4": document("K-2", claim="S-2")}})
    assert messages(refused.value) == {("documents", "D-4", "claim"): "claim S-2 belongs to another customer"}


def test_a_chunk_of_documents_costs_a_constant_number_of_queries(portfolio):
    def batch(n: int, title: str) -> dict[str, Any]:
        return {
            "documents": {
                f"D-{i}": document(contract="V-1" if i % 2 else None, claim="S-1" if i % 3 == 0 else None)
                | {"title": title, "keywords": [f"K{i}", "PORTAL"]}
                for i in range(n)
            }
        }

    counted = []
    for n in (5, 50):
        with CaptureQueriesContext(connection) as first:
            run(portfolio, batch(n, f"Erst {n}"))
        with CaptureQueriesContext(connection) as again:
            run(
                portfolio,
                {"documents": {k: v | {"keywords": ["NEU"]} for k, v in batch(n, "x")["documents"].items()}},
            )
        counted.append((len(first), len(again)))
        Document.objects.all().delete()

    assert counted[0] == counted[1]


def test_deleting_what_a_document_hangs_on_deletes_the_document(portfolio):
    run(portfolio, {"documents": {"D-1": document(contract="V-1"), "D-2": document(claim="S-1")}})

    delete_object(broker=portfolio, actor=None, section="contracts", external_id="V-1")

    assert not Document.objects.exists()
    assert not DocumentKeyword.objects.exists()


# --- the files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (png(), "image/png"), (TIFF, "image/tiff")],
)
def test_a_file_is_stored_under_a_random_name_with_its_size_and_sha256(portfolio, content, content_type):
    run(portfolio, {"documents": {"D-1": document()}})

    stored = put_file(portfolio, "D-1", content, content_type)

    row = Document.objects.get(external_id="D-1")
    assert (stored.size, stored.sha256, stored.content_type) == (
        len(content),
        hashlib.sha256(content).hexdigest(),
        content_type,
    )
    assert (row.size, row.sha256, row.content_type) == (len(content), stored.sha256, content_type)
    assert row.file_at is not None
    assert row.stored in storage_files() and "police" not in row.stored and "D-1" not in row.stored
    with documents.open_content(row) as handle:
        assert handle.read() == content


@pytest.mark.parametrize(
    ("content", "content_type", "error"),
    [
        (PDF, "text/html", UnsupportedType),
        (PDF, None, UnsupportedType),
        (PDF, "application/octet-stream", UnsupportedType),
        (b"", "application/pdf", Invalid),
        (HOSTILE["an HTML page"], "application/pdf", Invalid),
        (HOSTILE["an SVG"], "image/png", Invalid),
        (HOSTILE["a PNG signature without its header"], "image/png", Invalid),
        (JPEG, "image/png", Invalid),
        (PDF, "image/tiff", Invalid),
    ],
)
def test_a_file_of_another_type_than_it_says_is_refused_and_nothing_is_stored(
    portfolio, content, content_type, error
):
    run(portfolio, {"documents": {"D-1": document()}})
    before = storage_files()

    with pytest.raises(error):
        put_file(portfolio, "D-1", content, content_type)

    assert storage_files() == before
    assert Document.objects.get(external_id="D-1").stored == ""


def test_a_body_over_the_limit_is_refused_while_reading_when_no_length_said_so(portfolio, settings):
    settings.DOCUMENT_MAX_BYTES = 200_000
    run(portfolio, {"documents": {"D-1": document()}})
    before = storage_files()

    with pytest.raises(TooLarge):
        documents.store_content(
            broker=portfolio,
            actor=None,
            document=Document.objects.get(external_id="D-1"),
            stream=io.BytesIO(PDF + b"\x00" * 200_000),
            content_type="application/pdf",
            length=None,
        )

    assert storage_files() == before  # the part written so far is gone
    assert Document.objects.get(external_id="D-1").stored == ""


def test_a_length_over_the_limit_is_refused_before_reading(portfolio, settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    run(portfolio, {"documents": {"D-1": document()}})
    stream = io.BytesIO(PDF)

    with pytest.raises(TooLarge):
        documents.store_content(
            broker=portfolio,
            actor=None,
            document=Document.objects.get(external_id="D-1"),
            stream=stream,
            content_type="application/pdf",
            length=1001,
        )

    assert stream.tell() == 0


def test_a_body_shorter_than_its_length_is_refused_and_nothing_is_stored(portfolio):
    run(portfolio, {"documents": {"D-1": document()}})

    with pytest.raises(DomainError) as refused:
        documents.store_content(
            broker=portfolio,
            actor=None,
            document=Document.objects.get(external_id="D-1"),
            stream=io.BytesIO(PDF),
            content_type="application/pdf",
            length=len(PDF) + 10,
        )

    assert refused.value.status == 400
    assert storage_files() == set()


def test_a_document_deleted_while_its_file_arrived_leaves_no_file(portfolio):
    run(portfolio, {"documents": {"D-1": document()}})
    row = Document.objects.get(external_id="D-1")
    Document.objects.filter(pk=row.pk).delete()

    with pytest.raises(Document.DoesNotExist):
        documents.store_content(
            broker=portfolio,
            actor=None,
            document=row,
            stream=io.BytesIO(PDF),
            content_type="application/pdf",
            length=len(PDF),
        )

    assert storage_files() == set()


def test_a_new_file_replaces_the_old_one_after_the_commit(portfolio, django_capture_on_commit_callbacks):
    run(portfolio, {"documents": {"D-1": document()}})
    with django_capture_on_commit_callbacks(execute=True):
        put_file(portfolio, "D-1", PDF)
    first = Document.objects.get(external_id="D-1").stored

    with django_capture_on_commit_callbacks(execute=False) as pending:
        put_file(portfolio, "D-1", JPEG, "image/jpeg")
        second = Document.objects.get(external_id="D-1").stored
        assert storage_files() == {first, second}  # not before the commit
    for callback in pending:
        callback()

    assert storage_files() == {second}
    assert Document.objects.get(external_id="D-1").content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("section", "external_id", "gone"),
    [
        ("customers", "K-1", {"D-1", "D-2", "D-3"}),
        ("contracts", "V-1", {"D-1", "D-2"}),  # the claim S-1 is on V-1
        ("claims", "S-1", {"D-2"}),
        ("documents", "D-3", {"D-3"}),
    ],
)
def test_deleting_a_customer_contract_claim_or_document_removes_the_files_after_the_commit(
    portfolio, django_capture_on_commit_callbacks, section, external_id, gone
):
    run(
        portfolio,
        {
            "documents": {
                "D-1": document(contract="V-1"),
                "D-2": document(claim="S-1"),
                "D-3": document(),
                "D-4": document("K-2"),
            }
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        for key in ("D-1", "D-2", "D-3", "D-4"):
            put_file(portfolio, key)
    names = dict(Document.objects.values_list("external_id", "stored"))

    with django_capture_on_commit_callbacks(execute=False) as pending:
        delete_object(broker=portfolio, actor=None, section=section, external_id=external_id)
        assert storage_files() == set(names.values())  # still there until the commit
    for callback in pending:
        callback()

    assert storage_files() == {names[key] for key in names if key not in gone}


def test_a_deletion_that_rolls_back_keeps_the_files(portfolio, django_capture_on_commit_callbacks):
    run(portfolio, {"documents": {"D-1": document()}})
    with django_capture_on_commit_callbacks(execute=True):
        put_file(portfolio, "D-1")
    name = Document.objects.get(external_id="D-1").stored

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        Customer.objects.filter(broker=portfolio).delete()
        transaction.set_rollback(True)

    assert callbacks == []
    assert storage_files() == {name}
    assert Contract.objects.filter(broker=portfolio).count() == 2
