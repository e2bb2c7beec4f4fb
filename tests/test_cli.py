"""The `einblick` command line: brokers, tokens, imports, the demo, and `serve` end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from einblick.brokers.models import ApiToken, Broker, StaffMember, TariffAccount
from einblick.portfolio.models import Claim, Contract, ContractStatus, Customer, Line
from tests.servers import console_env, created_token, einblick, http_get, serving, start_serve, stop


def command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def command_with_stderr(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_command(*args: str) -> tuple[str, str]:
    """Run a command that must fail cleanly; its CommandError message and what it wrote to stderr."""
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=StringIO(), stderr=err)
    return str(caught.value), err.getvalue()


def api_get(token: str, path: str = "/api/v1/customers"):
    return Client().get(path, headers={"Authorization": f"Bearer {token}"})


def api_put(token: str):
    return Client().put(
        "/api/v1/customers/K-1",
        {"kind": "company", "company_name": "Musterfirma GmbH"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


# --- brokers --------------------------------------------------------------------------------------


def test_it_creates_a_broker_with_the_default_line_catalogue(db):
    output = command("broker", "create", "makler", "--name", "Makler GmbH")

    assert "makler" in output
    broker = Broker.objects.get(slug="makler")
    assert broker.name == "Makler GmbH"
    assert {"KFZ", "HRV", "HPV", "PHV"} <= set(
        Line.objects.filter(broker=broker).values_list("code", flat=True)
    )


def test_it_refuses_a_duplicate_slug_cleanly(broker):
    message, _ = failing_command("broker", "create", broker.slug, "--name", "Noch ein Makler")

    assert broker.slug in message
    assert "exists" in message
    assert Broker.objects.filter(slug=broker.slug).count() == 1
    assert Broker.objects.get(slug=broker.slug).name == "Muster Makler GmbH"


def test_it_refuses_an_invalid_slug_cleanly(db):
    message, _ = failing_command("broker", "create", "kein slug!", "--name", "Makler")

    assert "invalid" in message
    assert not Broker.objects.exists()


def test_it_lists_brokers(broker, other_broker):
    lines = command("broker", "list").splitlines()

    assert lines == ["andere\tAndere Makler AG", "muster\tMuster Makler GmbH"]


# --- tokens ---------------------------------------------------------------------------------------


def test_it_prints_a_token_that_works_against_the_api(broker):
    output = command("token", "create", "--broker", "muster", "--name", "AMS")

    token = created_token(output)
    assert "read-write" in output
    assert api_get(token).status_code == 200
    assert api_put(token).status_code == 201
    assert ApiToken.objects.get(broker=broker).name == "AMS"


def test_it_prints_a_read_only_token_that_cannot_write(broker):
    output = command("token", "create", "--broker", "muster", "--read-only")

    token = created_token(output)
    assert "read-only" in output
    assert api_get(token).status_code == 200
    assert api_put(token).status_code == 403


def test_it_lists_tokens_but_never_the_tokens_themselves(broker):
    first = created_token(command("token", "create", "--broker", "muster", "--name", "AMS"))
    second = created_token(
        command("token", "create", "--broker", "muster", "--name", "Bericht", "--read-only")
    )

    listing = command("token", "list", "--broker", "muster")

    assert first not in listing
    assert second not in listing
    for token in ApiToken.objects.filter(broker=broker):
        assert token.key_hash not in listing
        assert token.prefix in listing
    lines = listing.splitlines()
    assert len(lines) == 2
    assert "AMS" in lines[0]
    assert "read-write" in lines[0]
    assert "active" in lines[0]
    assert "Bericht" in lines[1]
    assert "read-only" in lines[1]


def test_it_revokes_a_token_by_its_prefix(broker):
    token = created_token(command("token", "create", "--broker", "muster"))
    prefix = ApiToken.objects.get(broker=broker).prefix

    output = command("token", "revoke", "--broker", "muster", f"{prefix}…")

    assert prefix in output
    assert ApiToken.objects.get(broker=broker).revoked_at is not None
    assert api_get(token).status_code == 401
    assert "revoked" in command("token", "list", "--broker", "muster")


def test_it_refuses_to_revoke_an_unknown_prefix_or_another_brokers_token(broker, other_broker):
    command("token", "create", "--broker", "andere")
    prefix = ApiToken.objects.get(broker=other_broker).prefix

    message, _ = failing_command("token", "revoke", "--broker", "muster", prefix)
    failing_command("token", "revoke", "--broker", "muster", "ebk_nothing")

    assert "prefix" in message
    assert ApiToken.objects.get(broker=other_broker).revoked_at is None


def test_it_refuses_tokens_for_an_unknown_broker(db):
    message, _ = failing_command("token", "create", "--broker", "niemand")

    assert "niemand" in message
    assert not ApiToken.objects.exists()


# --- import ---------------------------------------------------------------------------------------


def write(tmp_path: Path, data: Any, name: str = "batch.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def summary(output: str) -> dict[str, list[int]]:
    """The summary table: section → [created, updated, unchanged, deleted]."""
    rows = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[1].replace(",", "").isdigit():
            rows[parts[0]] = [int(part.replace(",", "")) for part in parts[1:]]
    return rows


@pytest.fixture
def good_batch(sample) -> dict[str, Any]:
    return {
        "customers": {"K-1001": sample["customer"]},
        "contracts": {"V-2001": sample["contract"]},
        "claims": {"S-2024-17": sample["claim"]},
    }


@pytest.fixture
def bad_batch(good_batch, sample) -> dict[str, Any]:
    return {
        **good_batch,
        "customers": {**good_batch["customers"], "K-2": {**sample["customer"], "birth_date": "2024-02-30"}},
    }


def test_it_imports_a_file(broker, tmp_path, good_batch):
    output = command("import", write(tmp_path, good_batch), "--broker", "muster")

    assert summary(output)["customers"] == [1, 0, 0, 0]
    assert summary(output)["contracts"] == [1, 0, 0, 0]
    assert summary(output)["claims"] == [1, 0, 0, 0]
    contract = Claim.objects.get(broker=broker).contract
    assert contract is not None and contract.customer.external_id == "K-1001"


def test_it_imports_nothing_from_a_file_with_a_bad_object_in_atomic_mode(broker, tmp_path, bad_batch):
    message, stderr = failing_command("import", write(tmp_path, bad_batch), "--broker", "muster")

    assert "Nothing was imported" in message
    assert "customers/K-2/birth_date" in stderr
    assert not Customer.objects.filter(broker=broker).exists()
    assert not Contract.objects.filter(broker=broker).exists()
    assert not Claim.objects.filter(broker=broker).exists()


def test_it_imports_the_valid_objects_and_lists_the_rest_in_partial_mode(broker, tmp_path, bad_batch):
    output, stderr = command_with_stderr(
        "import", write(tmp_path, bad_batch), "--broker", "muster", "--mode", "partial"
    )

    assert summary(output)["customers"] == [1, 0, 0, 0]
    assert summary(output)["contracts"] == [1, 0, 0, 0]
    assert summary(output)["claims"] == [1, 0, 0, 0]
    assert "rejected" in output
    assert "customers/K-2/birth_date" in output + stderr
    assert list(Customer.objects.filter(broker=broker).values_list("external_id", flat=True)) == ["K-1001"]


def test_it_reports_a_re_import_as_unchanged(broker, tmp_path, good_batch):
    path = write(tmp_path, good_batch)
    command("import", path, "--broker", "muster")

    output = command("import", path, "--broker", "muster")

    assert summary(output)["customers"] == [0, 0, 1, 0]
    assert summary(output)["contracts"] == [0, 0, 1, 0]
    assert summary(output)["claims"] == [0, 0, 1, 0]


def test_it_reports_deletions_in_the_summary(broker, tmp_path, good_batch):
    command("import", write(tmp_path, good_batch), "--broker", "muster")

    output = command(
        "import", write(tmp_path, {"delete": {"customers": ["K-1001"]}}, "d.json"), "--broker", "muster"
    )

    assert summary(output)["customers"] == [0, 0, 0, 1]
    assert not Contract.objects.filter(broker=broker).exists()


def test_it_refuses_a_file_that_is_not_json_cleanly(broker, tmp_path):
    path = tmp_path / "batch.json"
    path.write_text("{not json", encoding="utf-8")

    message, _ = failing_command("import", str(path), "--broker", "muster")

    assert "Cannot read" in message


@pytest.mark.parametrize(
    "data",
    [[], {"customers": ["K-1"]}, {"delete": ["K-1"]}, {"kunden": {}}],
    ids=["a-list", "a-section-that-is-a-list", "deletions-that-are-a-list", "an-unknown-section"],
)
def test_it_refuses_a_file_that_is_not_of_the_import_shape_cleanly(broker, tmp_path, data):
    failing_command("import", write(tmp_path, data), "--broker", "muster")

    assert not Customer.objects.filter(broker=broker).exists()


def test_it_refuses_to_import_for_an_unknown_broker(db, tmp_path, good_batch):
    message, _ = failing_command("import", write(tmp_path, good_batch), "--broker", "niemand")

    assert "niemand" in message
    assert not Customer.objects.exists()


# --- demo -----------------------------------------------------------------------------------------


def demo_counts(broker: Broker) -> dict[str, int]:
    return {
        "customers": broker.customers.count(),
        "contracts": broker.contracts.count(),
        "claims": broker.claims.count(),
        "staff": broker.staff.count(),
        "tariff_accounts": broker.tariff_accounts.count(),
        "lines": broker.lines.count(),
    }


def demo_token(output: str) -> str:
    line = next(line for line in output.splitlines() if "API token:" in line)
    return line.split("API token:")[1].strip()


def test_it_creates_the_demo_idempotently(db):
    first = command("demo")
    broker = Broker.objects.get(slug="muster")
    counts = demo_counts(broker)

    second = command("demo")

    assert Broker.objects.count() == 1
    assert demo_counts(broker) == counts
    assert counts["customers"] >= 2
    assert "(0 objects created)" not in first
    assert "(0 objects created)" in second
    assert api_get(demo_token(first)).status_code == 401  # each run makes a fresh token
    assert api_get(demo_token(second)).status_code == 200


def test_it_fills_the_demo_with_every_case_the_portal_tells_apart(db):
    command("demo")
    broker = Broker.objects.get(slug="muster")
    contracts = broker.contracts.select_related("line")

    assert set(contracts.values_list("status", flat=True)) == set(ContractStatus.values)
    own = contracts.filter(status="EIGEN")
    assert {(c.application_date is not None, c.document_date is not None) for c in own} == {
        (True, True),
        (True, False),
        (False, True),
        (False, False),
    }
    offers = contracts.filter(status="ANGEBOT")
    assert {c.offer_date is not None for c in offers} == {True, False}
    assert {"HRV", "KFZ", "HPV"} <= set(contracts.values_list("line__code", flat=True))
    claims = broker.claims.all()
    assert {c.contract_id is not None for c in claims} == {True, False}
    assert sorted(StaffMember.objects.filter(broker=broker).values_list("role", flat=True)) == [
        "admin",
        "user",
    ]
    assert TariffAccount.objects.filter(broker=broker).count() >= 1
    for claim in claims.exclude(contract=None).select_related("contract"):
        assert claim.contract is not None and claim.contract.customer_id == claim.customer_id


# --- the console script ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def installation(tmp_path_factory) -> dict[str, str]:
    """A migrated installation with the broker `cli`, for commands run as the console script."""
    env = console_env(tmp_path_factory.mktemp("installation"))
    einblick(env, "migrate", "--verbosity", "0")
    einblick(env, "broker", "create", "cli", "--name", "CLI Makler")
    return env


def test_it_exits_with_status_1_and_no_traceback_on_a_duplicate_slug(installation):
    done = einblick(installation, "broker", "create", "cli", "--name", "Noch einer", check=False)

    assert done.returncode == 1
    assert "exists" in done.stderr
    assert "Traceback" not in done.stderr


def test_it_exits_with_status_1_when_an_atomic_import_fails(installation, tmp_path, bad_batch):
    done = einblick(installation, "import", write(tmp_path, bad_batch), "--broker", "cli", check=False)

    assert done.returncode == 1
    assert "customers/K-2/birth_date" in done.stderr
    assert "Nothing was imported" in done.stderr
    assert "Traceback" not in done.stderr
    again = einblick(
        installation, "import", write(tmp_path, bad_batch), "--broker", "cli", "--mode", "partial"
    )
    assert summary(again.stdout)["customers"] == [1, 0, 0, 0]  # the atomic attempt left nothing behind


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[str, dict[str, str]]]:
    """`einblick serve` with a fresh SQLite data directory; stopped whatever happens."""
    env = console_env(tmp_path / "data")
    process, base = start_serve(env, tmp_path / "serve.log")
    try:
        yield base, env
    finally:
        stop(process)


def test_it_serves_the_api_end_to_end(server):
    base, env = server

    status, _, _ = http_get(base + "/api/v1/customers")
    assert status == 401

    einblick(env, "broker", "create", "e2e", "--name", "E2E Makler")
    token = created_token(einblick(env, "token", "create", "--broker", "e2e").stdout)
    status, content_type, body = http_get(base + "/api/v1/customers", token)

    assert status == 200
    assert content_type.startswith("application/json")
    assert json.loads(body) == {"items": [], "next": None}


def test_a_page_refuses_a_huge_upload_by_its_length_before_reading_it(tmp_path):
    """Issue 15, item 2: 400 MB announced to the portal's message form is answered 413 at once, in
    German, while not one byte of the body has been sent; a chunked body is refused with 411."""
    import time

    with serving(tmp_path) as server:
        host = f"{server.host}:{server.port}"
        started = time.monotonic()
        status, _, body = server.raw(
            f"POST /portal/g_x/messages/new/ HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 400000000\r\n\r\n".encode()
        )
        assert status == 413 and time.monotonic() - started < 5
        answer = body.decode()
        assert "Zu groß" in answer and "höchstens 35 MB" in answer

        status, _, body = server.raw(
            f"POST /accounts/login/ HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nlogin\r\n0\r\n\r\n".encode()
        )
        assert status == 411 and "Länge erforderlich" in body.decode()
