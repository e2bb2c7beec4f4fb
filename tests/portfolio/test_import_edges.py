"""Edges of the import found in review."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from einblick.brokers.models import Broker
from einblick.portfolio.importing import import_batch, put_object
from einblick.portfolio.importing.sync import fingerprint
from einblick.portfolio.models import Contract, Customer, Line


def test_it_refingerprints_an_object_it_found_unchanged_field_by_field(broker, sample):
    put_object(broker=broker, actor=None, section="customers", external_id="K-1001", data=sample["customer"])
    Customer.objects.filter(external_id="K-1001").update(sync_hash="")

    result = import_batch(broker=broker, actor=None, data={"customers": {"K-1001": sample["customer"]}})

    assert result.unchanged["customers"] == 1
    assert Customer.objects.get(external_id="K-1001").sync_hash == fingerprint(sample["customer"])


def test_it_does_not_register_a_line_that_the_same_batch_had_rejected(broker, sample):
    batch = {
        "lines": {"NEU": {"label": "Neu", "group": "Unbekannt"}},
        "customers": {"K-1001": sample["customer"]},
        "contracts": {"V-1": {**sample["contract"], "line": "NEU"}},
    }

    result = import_batch(broker=broker, actor=None, data=batch, mode="partial")

    assert {error.loc[:3] for error in result.errors} == {
        ("lines", "NEU", "group"),
        ("contracts", "V-1", "line"),
    }
    assert "line NEU was rejected in this batch" in [error.msg for error in result.errors]
    assert result.created["lines"] == 0
    assert not Line.objects.filter(broker=broker, code="NEU").exists()


def test_it_lets_a_broker_with_a_portfolio_be_deleted(broker, sample):
    import_batch(
        broker=broker,
        actor=None,
        data={"customers": {"K-1001": sample["customer"]}, "contracts": {"V-2001": sample["contract"]}},
    )

    broker.delete()

    assert not Broker.objects.filter(slug="muster").exists()
    assert not Contract.objects.exists()


def test_it_refuses_an_import_file_with_an_integer_larger_than_64_bits_cleanly(broker, tmp_path, sample):
    path = tmp_path / "batch.json"
    path.write_text(
        '{"customers": {"K-1": {"kind": "person", "last_name": "M", "phone": 123456789012345678901234}}}'
    )

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import", str(path), "--broker", broker.slug)
    assert not Customer.objects.exists()
