"""The batch import service (api-v1.md "Batch import"), called directly with a broker and no actor."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from einblick.audit.models import AuditEntry
from einblick.brokers.models import StaffMember, TariffAccount
from einblick.errors import Invalid
from einblick.portfolio.importing import BatchResult, Mode, delete_object, import_batch, put_object
from einblick.portfolio.models import (
    Claim,
    ClaimStatusChange,
    Contract,
    Customer,
    Line,
    LineGroup,
    RiskLocation,
)

PORTFOLIO_MODELS = (
    Customer,
    Contract,
    RiskLocation,
    Claim,
    ClaimStatusChange,
    Line,
    StaffMember,
    TariffAccount,
)


def run(broker, data: dict[str, Any], mode: Mode = "atomic") -> BatchResult:
    return import_batch(broker=broker, actor=None, data=copy.deepcopy(data), mode=mode)


def counts(broker) -> dict[str, int]:
    """Rows per portfolio table of one broker, plus its audit entries."""
    found = {model.__name__: model.objects.filter(broker=broker).count() for model in PORTFOLIO_MODELS}
    found["AuditEntry"] = AuditEntry.objects.filter(broker=broker).count()
    return found


def stamps(model, broker) -> dict[str, Any]:
    return dict(model.objects.filter(broker=broker).values_list("external_id", "updated_at"))


def locs(result_or_error: BatchResult | Invalid) -> set[tuple[Any, ...]]:
    return {error.loc for error in result_or_error.errors}


def messages(result_or_error: BatchResult | Invalid) -> dict[tuple[Any, ...], str]:
    return {error.loc: error.msg for error in result_or_error.errors}


def nonzero(section_counts: dict[str, int]) -> dict[str, int]:
    return {section: n for section, n in section_counts.items() if n}


@pytest.fixture
def portfolio(sample) -> dict[str, Any]:
    """A batch with one object of every kind, the claim on the contract of the customer."""
    return {
        "staff": {"U-1": {"name": "Max Betreuer", "email": "max@makler.example", "role": "admin"}},
        "lines": {"NEU": {"label": "Neue Sparte", "group": "Gewerbe", "gdv": None}},
        "tariff_accounts": {"T-1": {"name": "Vergleichsrechner", "url": "https://rechner.example/start"}},
        "customers": {"K-1001": sample["customer"]},
        "contracts": {"V-2001": sample["contract"]},
        "claims": {"S-2024-17": sample["claim"]},
    }


@pytest.fixture
def applied(broker, portfolio) -> dict[str, Any]:
    run(broker, portfolio)
    return portfolio


# --- atomic mode ----------------------------------------------------------------------------------


def test_it_applies_a_valid_atomic_batch_completely(broker, portfolio):
    result = run(broker, portfolio)

    assert nonzero(result.created) == {
        "staff": 1,
        "lines": 1,
        "tariff_accounts": 1,
        "customers": 1,
        "contracts": 1,
        "claims": 1,
    }
    assert result.errors == []
    contract = Contract.objects.get(broker=broker, external_id="V-2001")
    assert contract.customer.external_id == "K-1001"
    assert contract.line.code == "HRV"
    assert contract.premium == Decimal("12.50")
    assert contract.document_date == date(2024, 1, 10)
    claim = Claim.objects.get(broker=broker, external_id="S-2024-17")
    assert (claim.customer_id, claim.contract_id) == (contract.customer_id, contract.pk)


def test_it_rejects_an_atomic_batch_listing_every_error_and_writes_nothing(broker, sample):
    before = counts(broker)
    bad_customer = {**sample["customer"], "birth_date": "2024-02-30"}
    bad_contract = {**sample["contract"], "customer": "K-1001", "premium": "-5.00", "line": "UNBEKANNT"}
    dangling_claim = {**sample["claim"], "contract": "V-404"}
    batch = {
        "customers": {"K-1001": sample["customer"], "K-2": bad_customer},
        "contracts": {"V-2001": sample["contract"], "V-2": bad_contract},
        "claims": {"S-2024-17": sample["claim"], "S-2": dangling_claim},
        "delete": {"customers": ["not an id!"]},
    }

    with pytest.raises(Invalid) as caught:
        run(broker, batch)

    assert locs(caught.value) == {
        ("customers", "K-2", "birth_date"),
        ("contracts", "V-2", "premium"),
        ("claims", "S-2", "contract"),
        ("delete", "customers", 0),
    }
    assert "V-404" in messages(caught.value)[("claims", "S-2", "contract")]
    assert counts(broker) == before
    assert not Line.objects.filter(broker=broker, code="UNBEKANNT").exists()


def test_it_lists_a_contract_of_a_rejected_customer_as_an_error_in_atomic_mode(broker, sample):
    batch = {
        "customers": {"K-1001": {**sample["customer"], "last_name": ""}},
        "contracts": {"V-2001": sample["contract"]},
    }

    with pytest.raises(Invalid) as caught:
        run(broker, batch)

    assert locs(caught.value) == {("customers", "K-1001", "last_name"), ("contracts", "V-2001", "customer")}
    assert not Customer.objects.filter(broker=broker).exists()


# --- partial mode ---------------------------------------------------------------------------------


def test_it_applies_every_valid_object_in_partial_mode_and_lists_the_rejected_ones(broker, sample):
    batch = {
        "customers": {
            "K-1001": sample["customer"],
            "K-2": {"kind": "company", "company_name": ""},
            "K-3": {"kind": "company", "company_name": "Musterfirma GmbH"},
        },
        "contracts": {
            "V-2001": sample["contract"],
            "V-2": {**sample["contract"], "premium": "-1.00"},
            "V-3": {**sample["contract"], "customer": "K-3", "status": "NONSENSE"},
        },
        "claims": {
            "S-2024-17": sample["claim"],
            "S-2": {**sample["claim"], "customer": "K-3"},  # V-2001 belongs to K-1001
            "S-3": {**sample["claim"], "customer": "K-3", "contract": None},
        },
    }

    result = run(broker, batch, mode="partial")

    assert locs(result) == {
        ("customers", "K-2", "company_name"),
        ("contracts", "V-2", "premium"),
        ("contracts", "V-3", "status"),
        ("claims", "S-2", "contract"),
    }
    assert "another customer" in messages(result)[("claims", "S-2", "contract")]
    assert nonzero(result.created) == {"customers": 2, "contracts": 1, "claims": 2}
    assert set(Customer.objects.filter(broker=broker).values_list("external_id", flat=True)) == {
        "K-1001",
        "K-3",
    }
    assert set(Contract.objects.filter(broker=broker).values_list("external_id", flat=True)) == {"V-2001"}
    assert set(Claim.objects.filter(broker=broker).values_list("external_id", flat=True)) == {
        "S-2024-17",
        "S-3",
    }


def test_it_rejects_a_contract_whose_customer_was_rejected_in_the_same_batch(broker, sample):
    batch = {
        "customers": {"K-1001": {**sample["customer"], "birth_date": "2024-13-01"}},
        "contracts": {"V-2001": sample["contract"]},
        "claims": {"S-2024-17": {**sample["claim"], "contract": None}},
    }

    result = run(broker, batch, mode="partial")

    found = messages(result)
    assert set(found) == {
        ("customers", "K-1001", "birth_date"),
        ("contracts", "V-2001", "customer"),
        ("claims", "S-2024-17", "customer"),
    }
    assert "K-1001" in found[("contracts", "V-2001", "customer")]
    assert "rejected" in found[("contracts", "V-2001", "customer")]
    assert "rejected" in found[("claims", "S-2024-17", "customer")]
    assert counts(broker)["Contract"] == 0
    assert counts(broker)["Claim"] == 0


def test_it_says_a_missing_customer_does_not_exist_rather_than_was_rejected(broker, sample):
    result = run(broker, {"contracts": {"V-2001": sample["contract"]}}, mode="partial")

    message = messages(result)[("contracts", "V-2001", "customer")]
    assert "K-1001" in message
    assert "rejected" not in message


def test_it_keeps_an_existing_customer_usable_when_its_update_is_rejected(broker, applied, sample):
    batch = {
        "customers": {"K-1001": {**sample["customer"], "kind": "robot"}},
        "contracts": {"V-9": {**sample["contract"], "number": "NEU-1"}},
    }

    result = run(broker, batch, mode="partial")

    assert locs(result) == {("customers", "K-1001", "kind")}
    assert Customer.objects.get(broker=broker, external_id="K-1001").kind == "person"
    assert Contract.objects.get(broker=broker, external_id="V-9").customer.external_id == "K-1001"


# --- references and order -------------------------------------------------------------------------


def test_it_resolves_references_inside_one_batch(broker, sample):
    result = run(
        broker,
        {
            "customers": {"K-1001": sample["customer"]},
            "contracts": {"V-2001": sample["contract"]},
            "claims": {"S-2024-17": sample["claim"]},
        },
    )

    assert nonzero(result.created) == {"customers": 1, "contracts": 1, "claims": 1}
    claim = Claim.objects.select_related("contract__customer", "customer").get(broker=broker)
    assert claim.customer.external_id == "K-1001"
    assert claim.contract is not None and claim.contract.external_id == "V-2001"
    assert claim.contract.customer == claim.customer


def test_it_applies_sections_in_the_order_of_the_spec_whatever_the_order_of_the_keys(broker, portfolio):
    portfolio["contracts"]["V-2001"]["line"] = "NEU"
    reversed_batch = dict(reversed(list(portfolio.items())))
    assert next(iter(reversed_batch)) == "claims"

    result = run(broker, reversed_batch)

    assert nonzero(result.created) == {
        "staff": 1,
        "lines": 1,
        "tariff_accounts": 1,
        "customers": 1,
        "contracts": 1,
        "claims": 1,
    }
    line = Line.objects.get(broker=broker, code="NEU")
    assert (line.label, line.group) == ("Neue Sparte", "Gewerbe")  # from `lines`, not auto-registered
    assert Contract.objects.get(broker=broker, external_id="V-2001").line == line


def test_it_applies_deletions_after_everything_else(broker, sample):
    batch = {
        "delete": {"customers": ["K-1001"]},
        "customers": {"K-1001": sample["customer"], "K-2": {"kind": "company", "company_name": "B GmbH"}},
        "contracts": {"V-2001": sample["contract"]},
        "claims": {"S-2024-17": sample["claim"]},
    }

    result = run(broker, batch)

    assert nonzero(result.created) == {"customers": 2, "contracts": 1, "claims": 1}
    assert nonzero(result.deleted) == {"customers": 1}
    assert list(Customer.objects.filter(broker=broker).values_list("external_id", flat=True)) == ["K-2"]
    assert counts(broker)["Contract"] == 0
    assert counts(broker)["Claim"] == 0


def test_it_accepts_a_claim_on_a_contract_that_the_same_batch_deletes_and_then_deletes_it(
    broker, applied, sample
):
    batch = {
        "claims": {"S-9": {**sample["claim"], "number": "S-9"}},
        "delete": {"contracts": ["V-2001"]},
    }

    result = run(broker, batch)

    assert result.errors == []
    assert nonzero(result.created) == {"claims": 1}
    assert nonzero(result.deleted) == {"contracts": 1}
    assert not Claim.objects.filter(broker=broker).exists()


# --- re-sending and updating ----------------------------------------------------------------------


def test_it_reports_everything_unchanged_when_the_same_batch_is_sent_again(broker, applied):
    before = counts(broker)
    customer_stamps, contract_stamps, claim_stamps = (
        stamps(Customer, broker),
        stamps(Contract, broker),
        stamps(Claim, broker),
    )
    risk_locations = list(RiskLocation.objects.filter(broker=broker).values())

    result = run(broker, applied)

    assert nonzero(result.created) == {}
    assert nonzero(result.updated) == {}
    assert nonzero(result.deleted) == {}
    assert result.unchanged == {
        "staff": 1,
        "lines": 1,
        "tariff_accounts": 1,
        "customers": 1,
        "contracts": 1,
        "claims": 1,
        "documents": 0,
    }
    assert counts(broker) == before
    assert stamps(Customer, broker) == customer_stamps
    assert stamps(Contract, broker) == contract_stamps
    assert stamps(Claim, broker) == claim_stamps
    assert list(RiskLocation.objects.filter(broker=broker).values()) == risk_locations


def test_it_treats_equivalent_spellings_as_unchanged(broker, applied, sample):
    contract = {
        **sample["contract"],
        "premium": "12.5",
        "intermediary": "",
        "insurer": "  Beispiel Versicherung AG ",
    }
    customer = {**sample["customer"], "company_name": "", "intermediary": None}

    result = run(broker, {"customers": {"K-1001": customer}, "contracts": {"V-2001": contract}})

    assert nonzero(result.updated) == {}
    assert nonzero(result.unchanged) == {"customers": 1, "contracts": 1}


def test_it_reports_exactly_the_changed_object_as_updated(broker, applied, sample):
    run(broker, {"contracts": {"V-2": {**sample["contract"], "number": "HR-2"}}})
    before = stamps(Contract, broker)

    result = run(
        broker,
        {
            "customers": {"K-1001": sample["customer"]},
            "contracts": {
                "V-2001": {**sample["contract"], "premium": "13.00"},
                "V-2": {**sample["contract"], "number": "HR-2"},
            },
            "claims": {"S-2024-17": sample["claim"]},
        },
    )

    assert nonzero(result.updated) == {"contracts": 1}
    assert nonzero(result.unchanged) == {"customers": 1, "contracts": 1, "claims": 1}
    assert nonzero(result.created) == {}
    after = stamps(Contract, broker)
    assert after["V-2001"] > before["V-2001"]
    assert after["V-2"] == before["V-2"]
    assert Contract.objects.get(broker=broker, external_id="V-2001").premium == Decimal("13.00")


def test_it_replaces_risk_locations_when_they_change(broker, applied, sample):
    locations = [
        {"label": "Garage", "street": "Hofweg 2", "zip": "80331", "city": "München", "country": "DE"},
        {"label": "Keller", "street": "Musterweg 1", "zip": "80331", "city": "München", "country": "DE"},
    ]

    result = run(broker, {"contracts": {"V-2001": {**sample["contract"], "risk_locations": locations}}})

    assert nonzero(result.updated) == {"contracts": 1}
    stored = RiskLocation.objects.filter(broker=broker).order_by("position")
    assert [(r.label, r.street) for r in stored] == [("Garage", "Hofweg 2"), ("Keller", "Musterweg 1")]

    result = run(broker, {"contracts": {"V-2001": {**sample["contract"], "risk_locations": []}}})

    assert nonzero(result.updated) == {"contracts": 1}
    assert not RiskLocation.objects.filter(broker=broker).exists()


def test_it_counts_a_change_only_in_risk_locations_as_an_update(broker, applied, sample):
    before = stamps(Contract, broker)["V-2001"]
    contract = copy.deepcopy(sample["contract"])
    contract["risk_locations"][0]["zip"] = "80333"

    result = run(broker, {"contracts": {"V-2001": contract}})

    assert nonzero(result.updated) == {"contracts": 1}
    assert stamps(Contract, broker)["V-2001"] > before
    assert list(RiskLocation.objects.filter(broker=broker).values_list("zip", flat=True)) == ["80333"]

    again = run(broker, {"contracts": {"V-2001": contract}})

    assert nonzero(again.unchanged) == {"contracts": 1}
    assert nonzero(again.updated) == {}


def test_it_registers_unknown_line_codes_and_counts_them(broker, sample):
    batch = {
        "customers": {"K-1001": sample["customer"]},
        "contracts": {
            "V-1": {**sample["contract"], "line": "DROHNE"},
            "V-2": {**sample["contract"], "line": "DROHNE"},
            "V-3": {**sample["contract"], "line": "HRV"},
        },
    }
    lines_before = Line.objects.filter(broker=broker).count()

    result = run(broker, batch)

    assert result.created["lines"] == 1
    line = Line.objects.get(broker=broker, code="DROHNE")
    assert (line.label, line.group) == ("DROHNE", LineGroup.SONSTIGES)
    assert Line.objects.filter(broker=broker).count() == lines_before + 1
    assert Contract.objects.filter(broker=broker, line=line).count() == 2

    again = run(broker, batch)

    assert again.created["lines"] == 0
    assert Line.objects.filter(broker=broker).count() == lines_before + 1


# --- claim status history -------------------------------------------------------------------------


def history(broker, external_id: str) -> list[str]:
    claim = Claim.objects.get(broker=broker, external_id=external_id)
    return list(claim.status_changes.order_by("changed_at", "id").values_list("status", flat=True))


def test_it_records_the_status_of_a_new_claim(broker, applied):
    assert history(broker, "S-2024-17") == ["open"]


def test_it_records_a_status_change_of_a_claim(broker, applied, sample):
    result = run(broker, {"claims": {"S-2024-17": {**sample["claim"], "status": "settled"}}})

    assert nonzero(result.updated) == {"claims": 1}
    assert history(broker, "S-2024-17") == ["open", "settled"]


def test_it_records_nothing_when_a_claim_changes_but_not_its_status(broker, applied, sample):
    result = run(broker, {"claims": {"S-2024-17": {**sample["claim"], "amount_paid": "100.00"}}})

    assert nonzero(result.updated) == {"claims": 1}
    assert history(broker, "S-2024-17") == ["open"]

    run(broker, {"claims": {"S-2024-17": {**sample["claim"], "amount_paid": "100.00"}}})

    assert history(broker, "S-2024-17") == ["open"]


# --- deletions ------------------------------------------------------------------------------------


def test_it_deletes_a_customer_with_their_contracts_risk_locations_and_claims(broker, applied, sample):
    run(
        broker,
        {
            "customers": {"K-2": {"kind": "company", "company_name": "Bleibt GmbH"}},
            "contracts": {"V-2": {**sample["contract"], "customer": "K-2"}},
            "claims": {"S-0": {**sample["claim"], "contract": None}},
        },
    )

    result = run(broker, {"delete": {"customers": ["K-1001"]}})

    assert nonzero(result.deleted) == {"customers": 1}
    assert list(Customer.objects.filter(broker=broker).values_list("external_id", flat=True)) == ["K-2"]
    assert list(Contract.objects.filter(broker=broker).values_list("external_id", flat=True)) == ["V-2"]
    assert not Claim.objects.filter(broker=broker).exists()
    assert not ClaimStatusChange.objects.filter(broker=broker).exists()
    assert list(
        RiskLocation.objects.filter(broker=broker).values_list("contract__external_id", flat=True)
    ) == ["V-2"]


def test_it_deletes_a_contract_with_its_claims_but_keeps_claims_on_the_customer(broker, applied, sample):
    run(broker, {"claims": {"S-0": {**sample["claim"], "contract": None}}})

    result = run(broker, {"delete": {"contracts": ["V-2001"]}})

    assert nonzero(result.deleted) == {"contracts": 1}
    assert list(Claim.objects.filter(broker=broker).values_list("external_id", flat=True)) == ["S-0"]
    assert not RiskLocation.objects.filter(broker=broker).exists()


def test_it_ignores_the_deletion_of_something_missing(broker, applied):
    before = counts(broker)

    result = run(broker, {"delete": {"customers": ["K-404"], "contracts": ["V-404"], "claims": ["S-404"]}})

    assert result.errors == []
    assert nonzero(result.deleted) == {}
    assert counts(broker) == before


# --- moving a contract to another customer ---------------------------------------------------------


@pytest.fixture
def two_customers(broker, applied, sample) -> None:
    run(broker, {"customers": {"K-1002": {"kind": "company", "company_name": "Musterfirma GmbH"}}})


def owner(broker, contract: str) -> str:
    return Contract.objects.get(broker=broker, external_id=contract).customer.external_id


def test_it_moves_the_claims_of_a_contract_along_when_it_changes_customer(broker, two_customers, sample):
    result = run(broker, {"contracts": {"V-2001": {**sample["contract"], "customer": "K-1002"}}})

    assert result.errors == []
    assert nonzero(result.updated) == {"contracts": 1}  # moved claims count with the contract
    assert owner(broker, "V-2001") == "K-1002"
    claim = Claim.objects.get(broker=broker, external_id="S-2024-17")
    assert claim.customer.external_id == "K-1002"
    assert history(broker, "S-2024-17") == ["open"]


def test_it_moves_a_contract_together_with_its_claims(broker, two_customers, sample):
    result = run(
        broker,
        {
            "contracts": {"V-2001": {**sample["contract"], "customer": "K-1002"}},
            "claims": {"S-2024-17": {**sample["claim"], "customer": "K-1002"}},
        },
    )

    assert result.errors == []
    assert result.updated["contracts"] == 1
    assert result.updated["claims"] + result.unchanged["claims"] == 1
    assert owner(broker, "V-2001") == "K-1002"
    assert Claim.objects.get(broker=broker, external_id="S-2024-17").customer.external_id == "K-1002"

    again = run(
        broker,
        {
            "contracts": {"V-2001": {**sample["contract"], "customer": "K-1002"}},
            "claims": {"S-2024-17": {**sample["claim"], "customer": "K-1002"}},
        },
    )

    assert nonzero(again.updated) == {}
    assert nonzero(again.unchanged) == {"contracts": 1, "claims": 1}


@pytest.mark.parametrize("change", [{}, {"amount_paid": "10.00"}], ids=["as-before", "changed"])
def test_it_rejects_a_claim_sent_with_the_old_customer_on_a_moved_contract(
    broker, two_customers, sample, change
):
    batch = {
        "contracts": {"V-2001": {**sample["contract"], "customer": "K-1002"}},
        "claims": {"S-2024-17": {**sample["claim"], **change}},  # still of K-1001
    }

    with pytest.raises(Invalid) as caught:
        run(broker, batch)

    assert locs(caught.value) == {("claims", "S-2024-17", "contract")}
    assert owner(broker, "V-2001") == "K-1001"

    result = run(broker, batch, mode="partial")

    assert "another customer" in messages(result)[("claims", "S-2024-17", "contract")]
    claim = Claim.objects.get(broker=broker, external_id="S-2024-17")
    assert claim.customer.external_id == "K-1002"  # moved along with its contract
    assert claim.amount_paid is None  # the rejected claim's own change is not applied


def test_it_moves_a_contract_without_claims_freely(broker, two_customers, sample):
    run(broker, {"delete": {"claims": ["S-2024-17"]}})

    result = run(broker, {"contracts": {"V-2001": {**sample["contract"], "customer": "K-1002"}}})

    assert nonzero(result.updated) == {"contracts": 1}
    assert owner(broker, "V-2001") == "K-1002"


@pytest.mark.parametrize(
    "claim_sent_along",
    [{"loss_date": "2024-02-30"}, {"contract": "V-404"}],
    ids=["claim-broken", "claim-on-a-missing-contract"],
)
def test_it_keeps_a_claim_with_the_customer_of_its_contract_when_the_claim_sent_along_is_rejected(
    broker, two_customers, sample, claim_sent_along
):
    batch = {
        "contracts": {"V-2001": {**sample["contract"], "customer": "K-1002"}},
        "claims": {"S-2024-17": {**sample["claim"], "customer": "K-1002", **claim_sent_along}},
    }

    result = run(broker, batch, mode="partial")

    assert {loc[:2] for loc in locs(result)} == {("claims", "S-2024-17")}
    claim = Claim.objects.select_related("contract").get(broker=broker, external_id="S-2024-17")
    assert claim.contract is not None and claim.contract.customer_id == claim.customer_id
    assert owner(broker, "V-2001") == "K-1002"


def test_it_changes_nothing_on_re_sending_a_batch_in_which_a_claim_leaves_a_moving_contract(
    broker, two_customers, sample
):
    batch = {
        "contracts": {"V-2001": {**sample["contract"], "customer": "K-1002"}},
        "claims": {"S-2024-17": {**sample["claim"], "contract": None}},
    }
    run(broker, batch, mode="partial")
    before = (stamps(Contract, broker), stamps(Claim, broker))

    again = run(broker, batch, mode="partial")

    assert nonzero(again.updated) == {}
    assert nonzero(again.unchanged) == {"contracts": 1, "claims": 1}
    assert (stamps(Contract, broker), stamps(Claim, broker)) == before
    claim = Claim.objects.get(broker=broker, external_id="S-2024-17")
    assert (claim.customer.external_id, claim.contract_id) == ("K-1001", None)


# --- tenants and audit ----------------------------------------------------------------------------


def test_it_keeps_the_same_external_ids_of_two_brokers_apart(broker, other_broker, portfolio, sample):
    first = run(broker, portfolio)
    second = run(other_broker, portfolio)

    assert nonzero(second.created) == nonzero(first.created)
    assert nonzero(second.unchanged) == {}

    changed = run(broker, {"contracts": {"V-2001": {**sample["contract"], "premium": "99.00"}}})
    run(broker, {"delete": {"claims": ["S-2024-17"]}})

    assert nonzero(changed.updated) == {"contracts": 1}
    assert Contract.objects.get(broker=other_broker, external_id="V-2001").premium == Decimal("12.50")
    assert Claim.objects.filter(broker=other_broker, external_id="S-2024-17").exists()
    assert history(other_broker, "S-2024-17") == ["open"]


def test_it_does_not_resolve_references_to_another_brokers_objects(broker, other_broker, sample):
    run(
        other_broker,
        {"customers": {"K-1001": sample["customer"]}, "contracts": {"V-2001": sample["contract"]}},
    )

    result = run(
        broker,
        {"contracts": {"V-2001": sample["contract"]}, "claims": {"S-2024-17": sample["claim"]}},
        mode="partial",
    )

    assert locs(result) == {("contracts", "V-2001", "customer"), ("claims", "S-2024-17", "customer")}
    assert counts(broker)["Contract"] == 0


def test_it_writes_an_audit_entry_for_a_changing_import(broker, portfolio):
    before = AuditEntry.objects.filter(broker=broker).count()

    run(broker, portfolio)

    assert AuditEntry.objects.filter(broker=broker).count() == before + 1
    entry = AuditEntry.objects.filter(broker=broker).latest("id")
    assert entry.action == "portfolio.import"
    assert entry.actor_label == "system"
    assert entry.data["created"]["customers"] == 1
    assert entry.data["created"]["claims"] == 1


def test_it_writes_no_audit_entry_for_an_unchanged_or_refused_import(broker, applied, sample):
    before = AuditEntry.objects.filter(broker=broker).count()

    run(broker, applied)
    with pytest.raises(Invalid):
        run(broker, {"customers": {"K-9": {"kind": "person"}}})

    assert AuditEntry.objects.filter(broker=broker).count() == before


# --- single objects (PUT and DELETE) --------------------------------------------------------------


def test_it_puts_one_object_as_created_updated_or_unchanged(broker, sample):
    def put(data: dict[str, Any]) -> str:
        return put_object(broker=broker, actor=None, section="customers", external_id="K-1001", data=data)

    assert put(sample["customer"]) == "created"
    assert put(sample["customer"]) == "unchanged"
    assert put({**sample["customer"], "phone": "+49 89 0"}) == "updated"
    assert Customer.objects.get(broker=broker, external_id="K-1001").phone == "+49 89 0"


def test_it_reports_errors_of_one_object_relative_to_the_object(broker, sample):
    with pytest.raises(Invalid) as caught:
        put_object(
            broker=broker,
            actor=None,
            section="contracts",
            external_id="V-2001",
            data={**sample["contract"], "premium": "-1.00"},
        )

    assert locs(caught.value) == {("premium",)}
    assert not Contract.objects.filter(broker=broker).exists()


def test_it_deletes_one_object_and_says_whether_there_was_one(broker, applied):
    assert delete_object(broker=broker, actor=None, section="contracts", external_id="V-2001") is True
    assert delete_object(broker=broker, actor=None, section="contracts", external_id="V-2001") is False
    assert not Claim.objects.filter(broker=broker).exists()
