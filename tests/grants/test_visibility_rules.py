"""One named test per rule of visibility.md (§1–§3, §5–§7) against the engine (einblick.grants.visibility).

Portfolios are written through import_batch and grants through create_grant/replace_grant, exactly as the
AMS does; what a grant shows is read from the engine's querysets by external id.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from einblick.accounts.models import User
from einblick.brokers.models import Broker, StaffMember, TariffAccount
from einblick.errors import Invalid
from einblick.grants import visibility
from einblick.grants.models import Grant, GrantMember, MemberState
from einblick.grants.payloads import GrantIn
from einblick.grants.services import create_grant, replace_grant
from einblick.office.members import delete_grant, share, unshare
from einblick.portfolio.importing import import_batch
from einblick.portfolio.models import Claim, Contract, Customer, RiskLocation
from tests.factories import accepted
from tests.grants import reference as ref

pytestmark = pytest.mark.django_db

# --- helpers --------------------------------------------------------------------------------------


def load(broker: Broker, portfolio: ref.Portfolio, **extra: Any) -> None:
    import_batch(broker=broker, actor=None, data={**ref.import_data(portfolio), **extra})


def make_grant(broker: Broker, grant: ref.Grant, name: str = "Freischaltung") -> Grant:
    return create_grant(
        broker=broker, actor=None, data=GrantIn.model_validate(ref.grant_payload(grant, name))
    )


def ext(queryset: Any) -> set[str]:
    return set(queryset.values_list("external_id", flat=True))


def locations(grant: Grant) -> set[str]:
    return set(visibility.risk_locations(grant).values_list("label", flat=True))


def shown(grant: Grant) -> dict[str, set[str]]:
    return {
        "customers": ext(visibility.customers(grant)),
        "contracts": ext(visibility.contracts(grant)),
        "claims": ext(visibility.claims(grant)),
        "risk_locations": locations(grant),
    }


def error_locs(exc: pytest.ExceptionInfo[Invalid]) -> list[tuple[str | int, ...]]:
    return [e.loc for e in exc.value.errors]


ALL = frozenset(ref.STATUS_OPTIONS)
K1, K2, K3 = ref.Customer("K-1"), ref.Customer("K-2"), ref.Customer("K-3")

# --- §1: the status options ---------------------------------------------------------------------------

DATE_COMBOS = ("---", "--d", "-a-", "-ad", "o--", "o-d", "oa-", "oad")  # offer, application, document


def every(status: str) -> set[str]:
    return {f"{status}.{combo}" for combo in DATE_COMBOS}


def status_table_portfolio() -> ref.Portfolio:
    """One contract of every status with every combination of offer/application/document date."""
    contracts = [
        ref.Contract(
            f"{status}.{combo}",
            "K-1",
            status,
            offer_date="2024-01-02" if combo[0] == "o" else None,
            application_date="2024-02-03" if combo[1] == "a" else None,
            document_date="2024-03-04" if combo[2] == "d" else None,
        )
        for status in ref.CONTRACT_STATUSES
        for combo in DATE_COMBOS
    ]
    return ref.Portfolio.of([K1], contracts)


# Exactly which of the 72 contracts each option matches (visibility.md §1).
STATUS_TABLE = {
    "ANFRAGE": every("ANFRAGE"),
    "ANGEBOT": every("ANGEBOT"),
    "FREMD": every("FREMD"),
    "FREMDTEIL": every("FREMDTEIL"),
    "GESPERRT": every("GESPERRT"),
    "INFO": every("INFO"),
    "RUHEND": every("RUHEND"),
    "STORNO": every("STORNO"),
    "ANTRAG": {"EIGEN.-a-", "EIGEN.-ad", "EIGEN.oa-", "EIGEN.oad"},
    "POLICE": {"EIGEN.--d", "EIGEN.-ad", "EIGEN.o-d", "EIGEN.oad"},
    "EIGEN": {"EIGEN.---", "EIGEN.o--", "ANGEBOT.o--", "ANGEBOT.o-d", "ANGEBOT.oa-", "ANGEBOT.oad"},
}


@pytest.mark.parametrize("option", ref.STATUS_OPTIONS)
def test_each_status_option_matches_exactly_the_contracts_of_its_rule(broker: Broker, option: str) -> None:
    portfolio = status_table_portfolio()
    load(broker, portfolio)
    grant = make_grant(
        broker, ref.Grant(customers=frozenset({"K-1"}), auto_contracts=True, statuses=frozenset({option}))
    )
    assert ext(visibility.contracts(grant)) == STATUS_TABLE[option]
    # the reference implementation reads the table the same way
    assert {
        c for c, contract in portfolio.contracts.items() if ref.matches(option, contract)
    } == STATUS_TABLE[option]


def test_all_options_together_share_every_contract_but_eigen_ones_with_only_an_offer_date_and_angebot_without(
    broker: Broker,
) -> None:
    load(broker, status_table_portfolio())
    grant = make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), auto_contracts=True, statuses=ALL))
    assert ext(visibility.contracts(grant)) == set().union(*STATUS_TABLE.values())
    assert len(set().union(*STATUS_TABLE.values())) == 72  # every contract matches some option


def test_an_eigen_contract_with_both_dates_matches_antrag_and_police(broker: Broker) -> None:
    contract = ref.Contract("V-1", "K-1", "EIGEN", application_date="2024-01-01", document_date="2024-02-01")
    load(broker, ref.Portfolio.of([K1], [contract]))
    seen = {
        option: ext(
            visibility.contracts(
                make_grant(
                    broker,
                    ref.Grant(
                        customers=frozenset({"K-1"}), auto_contracts=True, statuses=frozenset({option})
                    ),
                )
            )
        )
        == {"V-1"}
        for option in ref.STATUS_OPTIONS
    }
    assert {option for option, yes in seen.items() if yes} == {"ANTRAG", "POLICE"}
    assert ref.matching_options(contract) == {"ANTRAG", "POLICE"}


def test_an_offer_with_an_offer_date_matches_angebot_and_eigen(broker: Broker) -> None:
    contract = ref.Contract("V-1", "K-1", "ANGEBOT", offer_date="2024-01-01")
    load(broker, ref.Portfolio.of([K1], [contract]))
    seen = {
        option
        for option in ref.STATUS_OPTIONS
        if ext(
            visibility.contracts(
                make_grant(
                    broker,
                    ref.Grant(
                        customers=frozenset({"K-1"}), auto_contracts=True, statuses=frozenset({option})
                    ),
                )
            )
        )
        == {"V-1"}
    }
    assert seen == {"ANGEBOT", "EIGEN"}
    assert ref.matching_options(contract) == {"ANGEBOT", "EIGEN"}


def test_a_contract_matching_several_ticked_options_is_shown_once(broker: Broker) -> None:
    contract = ref.Contract("V-1", "K-1", "EIGEN", application_date="2024-01-01", document_date="2024-02-01")
    load(broker, ref.Portfolio.of([K1], [contract]))
    grant = make_grant(
        broker,
        ref.Grant(
            customers=frozenset({"K-1"}), auto_contracts=True, statuses=frozenset({"ANTRAG", "POLICE"})
        ),
    )
    assert list(visibility.contracts(grant).values_list("external_id", flat=True)) == ["V-1"]


def test_no_ticked_option_shares_nothing_automatically(broker: Broker) -> None:
    load(broker, status_table_portfolio())
    grant = make_grant(
        broker, ref.Grant(customers=frozenset({"K-1"}), auto_contracts=True, statuses=frozenset())
    )
    assert ext(visibility.contracts(grant)) == set()
    assert ext(visibility.customers(grant)) == {"K-1"}


def test_automatic_sharing_off_shares_nothing_automatically_even_with_options_ticked(broker: Broker) -> None:
    load(broker, status_table_portfolio())
    grant = make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), auto_contracts=False, statuses=ALL))
    assert ext(visibility.contracts(grant)) == set()


# --- §2: line filter, hand-picked contracts, customers ---------------------------------------------------

LINES_PORTFOLIO = ref.Portfolio.of(
    [K1],
    [
        ref.Contract("V-HRV", "K-1", "FREMD", line="HRV"),
        ref.Contract("V-KFZ", "K-1", "FREMD", line="KFZ"),
        ref.Contract("V-PHV", "K-1", "FREMD", line="PHV"),
        ref.Contract("V-NEU", "K-1", "FREMD", line="DROHNE"),  # a code the import registers
        ref.Contract("V-KFZ-INFO", "K-1", "INFO", line="KFZ"),
    ],
)


def test_an_empty_line_filter_shares_contracts_of_every_line(broker: Broker) -> None:
    load(broker, LINES_PORTFOLIO)
    grant = make_grant(
        broker, ref.Grant(customers=frozenset({"K-1"}), auto_contracts=True, statuses=frozenset({"FREMD"}))
    )
    assert ext(visibility.contracts(grant)) == {"V-HRV", "V-KFZ", "V-PHV", "V-NEU"}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ({"KFZ"}, {"V-KFZ"}),
        ({"HRV", "PHV"}, {"V-HRV", "V-PHV"}),
        ({"DROHNE"}, {"V-NEU"}),
        ({"WGV"}, set()),  # a line of the catalogue that no contract has
    ],
)
def test_a_line_filter_restricts_the_automatically_shared_contracts_to_its_lines(
    broker: Broker, lines: set[str], expected: set[str]
) -> None:
    load(broker, LINES_PORTFOLIO)
    grant = make_grant(
        broker,
        ref.Grant(
            customers=frozenset({"K-1"}),
            auto_contracts=True,
            statuses=frozenset({"FREMD"}),
            lines=frozenset(lines),
        ),
    )
    assert ext(visibility.contracts(grant)) == expected


@pytest.mark.parametrize("auto_contracts", [True, False])
@pytest.mark.parametrize("statuses", [frozenset(), frozenset({"FREMD"}), ALL])
@pytest.mark.parametrize("lines", [frozenset(), frozenset({"HRV"})])
def test_hand_picked_contracts_are_shown_whatever_automatic_sharing_and_the_line_filter_say(
    broker: Broker, auto_contracts: bool, statuses: frozenset[str], lines: frozenset[str]
) -> None:
    portfolio = ref.Portfolio.of(
        [K1],
        [
            ref.Contract(
                "V-PICK", "K-1", "GESPERRT", line="KFZ"
            ),  # matches no option but GESPERRT, wrong line
            ref.Contract("V-AUTO", "K-1", "FREMD", line="HRV"),
            ref.Contract("V-OTHER", "K-1", "STORNO", line="KFZ"),
        ],
    )
    load(broker, portfolio)
    spec = ref.Grant(
        customers=frozenset({"K-1"}),
        auto_contracts=auto_contracts,
        statuses=statuses - {"GESPERRT"},
        lines=lines,
        contracts=frozenset({"V-PICK"}),
    )
    grant = make_grant(broker, spec)
    visible = ext(visibility.contracts(grant))
    assert "V-PICK" in visible
    assert ("V-AUTO" in visible) == (auto_contracts and "FREMD" in statuses)
    assert ("V-OTHER" in visible) == (auto_contracts and "STORNO" in statuses and not lines)
    assert visible == ref.visible_contracts(spec, portfolio)


def test_create_grant_refuses_a_hand_picked_contract_of_a_customer_not_in_the_grant(broker: Broker) -> None:
    load(
        broker,
        ref.Portfolio.of(
            [K1, K2], [ref.Contract("V-1", "K-1", "EIGEN"), ref.Contract("V-2", "K-2", "EIGEN")]
        ),
    )
    with pytest.raises(Invalid) as exc, translation.override("en"):  # the service speaks the active language
        make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), contracts=frozenset({"V-1", "V-2"})))
    assert error_locs(exc) == [("share", "contracts", 1)]  # sorted payload: V-1, V-2
    assert "not in this grant" in exc.value.errors[0].msg
    assert not Grant.objects.filter(broker=broker).exists()


def test_create_grant_refuses_a_hand_picked_contract_that_does_not_exist(broker: Broker) -> None:
    load(broker, ref.Portfolio.of([K1], [ref.Contract("V-1", "K-1", "EIGEN")]))
    with pytest.raises(Invalid) as exc:
        make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), contracts=frozenset({"V-9"})))
    assert error_locs(exc) == [("share", "contracts", 0)]


def test_the_grants_customers_are_always_visible_even_when_nothing_else_is(broker: Broker) -> None:
    portfolio = ref.Portfolio.of(
        [K1, K2, K3],
        [ref.Contract("V-1", "K-1", "EIGEN"), ref.Contract("V-2", "K-2", "FREMD")],
        [ref.Claim("S-1", "K-1", "V-1"), ref.Claim("S-2", "K-2")],
    )
    load(broker, portfolio)
    grant = make_grant(broker, ref.Grant(customers=frozenset({"K-1", "K-2"})))
    assert shown(grant) == {
        "customers": {"K-1", "K-2"},
        "contracts": set(),
        "claims": set(),
        "risk_locations": set(),
    }


def test_a_hand_picked_contract_that_moves_to_a_customer_outside_the_grant_is_hidden(broker: Broker) -> None:
    portfolio = ref.Portfolio.of([K1, K2], [ref.Contract("V-1", "K-1", "EIGEN")])
    load(broker, portfolio)
    grant = make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), contracts=frozenset({"V-1"})))
    assert ext(visibility.contracts(grant)) == {"V-1"}
    moved = ref.Portfolio.of([K1, K2], [ref.Contract("V-1", "K-2", "EIGEN")])
    load(broker, moved)
    assert ext(visibility.contracts(grant)) == set()


# --- §3: claims ---------------------------------------------------------------------------------------

CLAIMS_PORTFOLIO = ref.Portfolio.of(
    [K1, K2],
    [
        ref.Contract("V-SHOWN", "K-1", "FREMD"),
        ref.Contract("V-HIDDEN", "K-1", "STORNO"),
        ref.Contract("V-ELSEWHERE", "K-2", "FREMD"),
    ],
    [
        ref.Claim("S-SHOWN", "K-1", "V-SHOWN"),
        ref.Claim("S-HIDDEN", "K-1", "V-HIDDEN"),
        ref.Claim("S-CUSTOMER", "K-1", None),
        ref.Claim("S-ELSEWHERE", "K-2", "V-ELSEWHERE"),
        ref.Claim("S-ELSEWHERE-CUSTOMER", "K-2", None),
    ],
)


def test_claims_are_hidden_unless_the_grant_includes_claims(broker: Broker) -> None:
    load(broker, CLAIMS_PORTFOLIO)
    grant = make_grant(
        broker,
        ref.Grant(
            customers=frozenset({"K-1"}), auto_contracts=True, statuses=ALL, contracts=frozenset({"V-HIDDEN"})
        ),
    )
    assert ext(visibility.contracts(grant)) == {"V-SHOWN", "V-HIDDEN"}
    assert ext(visibility.claims(grant)) == set()


def test_claims_of_visible_contracts_and_of_the_customer_are_shown_when_claims_are_included(
    broker: Broker,
) -> None:
    load(broker, CLAIMS_PORTFOLIO)
    grant = make_grant(
        broker,
        ref.Grant(
            customers=frozenset({"K-1"}), claims=True, auto_contracts=True, statuses=frozenset({"FREMD"})
        ),
    )
    assert ext(visibility.claims(grant)) == {"S-SHOWN", "S-CUSTOMER"}


def test_a_claim_on_a_hidden_contract_stays_hidden_although_its_customer_is_in_the_grant(
    broker: Broker,
) -> None:
    load(broker, CLAIMS_PORTFOLIO)
    grant = make_grant(
        broker,
        ref.Grant(
            customers=frozenset({"K-1"}), claims=True, auto_contracts=True, statuses=frozenset({"FREMD"})
        ),
    )
    assert "V-HIDDEN" not in ext(visibility.contracts(grant))
    assert "S-HIDDEN" not in ext(visibility.claims(grant))


def test_a_claim_on_a_hand_picked_contract_is_shown(broker: Broker) -> None:
    load(broker, CLAIMS_PORTFOLIO)
    grant = make_grant(
        broker, ref.Grant(customers=frozenset({"K-1"}), claims=True, contracts=frozenset({"V-HIDDEN"}))
    )
    assert ext(visibility.claims(grant)) == {"S-HIDDEN", "S-CUSTOMER"}


def test_a_claim_without_contract_is_visible_when_its_customer_is_in_the_grant(broker: Broker) -> None:
    load(broker, CLAIMS_PORTFOLIO)
    grant = make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), claims=True))
    assert ext(visibility.contracts(grant)) == set()
    assert ext(visibility.claims(grant)) == {"S-CUSTOMER"}
    other = make_grant(broker, ref.Grant(customers=frozenset({"K-2"}), claims=True))
    assert ext(visibility.claims(other)) == {"S-ELSEWHERE-CUSTOMER"}


def test_a_deleted_contract_takes_its_claims_along_instead_of_turning_them_into_claims_on_the_customer(
    broker: Broker,
) -> None:
    load(broker, CLAIMS_PORTFOLIO)
    grant = make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), claims=True))
    import_batch(broker=broker, actor=None, data={"delete": {"contracts": ["V-HIDDEN"]}})
    assert ext(visibility.claims(grant)) == {"S-CUSTOMER"}
    assert not Claim.objects.filter(broker=broker, external_id="S-HIDDEN").exists()


# --- §4: risk locations --------------------------------------------------------------------------------

RISK_PORTFOLIO = ref.Portfolio.of(
    [K1],
    [
        ref.Contract("V-1", "K-1", "FREMD", risk_locations=("RL-1a", "RL-1b")),
        ref.Contract("V-2", "K-1", "STORNO", risk_locations=("RL-2",)),
    ],
)


def test_risk_locations_are_absent_without_reference_addresses(broker: Broker) -> None:
    load(broker, RISK_PORTFOLIO)
    grant = make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), auto_contracts=True, statuses=ALL))
    assert ext(visibility.contracts(grant)) == {"V-1", "V-2"}
    assert locations(grant) == set()
    assert ext(visibility.union_risk_location_contracts([grant])) == set()


def test_risk_locations_of_visible_contracts_only_are_shown_with_reference_addresses(broker: Broker) -> None:
    load(broker, RISK_PORTFOLIO)
    grant = make_grant(
        broker,
        ref.Grant(
            customers=frozenset({"K-1"}),
            reference_addresses=True,
            auto_contracts=True,
            statuses=frozenset({"FREMD"}),
        ),
    )
    assert locations(grant) == {"RL-1a", "RL-1b"}
    assert ext(visibility.union_risk_location_contracts([grant])) == {"V-1"}


# --- §5: intermediary grants ---------------------------------------------------------------------------

VM_PORTFOLIO = ref.Portfolio.of(
    [
        ref.Customer("K-1", intermediary="VM-1"),
        ref.Customer("K-2", intermediary="VM-1"),
        ref.Customer("K-3", intermediary="VM-2"),
        ref.Customer("K-4"),
    ],
    [
        ref.Contract("V-1", "K-1", "FREMD"),
        ref.Contract("V-1-STORNO", "K-1", "STORNO"),
        ref.Contract("V-2", "K-2", "FREMD", line="KFZ"),
        ref.Contract("V-3", "K-3", "FREMD"),
        # the contract's own intermediary number does not make it part of the grant: §5 asks the customer's
        ref.Contract("V-4", "K-4", "FREMD", intermediary="VM-1"),
    ],
    [
        ref.Claim("S-1", "K-1", "V-1"),
        ref.Claim("S-1-STORNO", "K-1", "V-1-STORNO"),
        ref.Claim("S-2", "K-2", None),
        ref.Claim("S-3", "K-3", None),
        ref.Claim("S-4", "K-4", "V-4"),
    ],
)


def test_an_intermediary_grant_covers_every_customer_with_a_listed_intermediary_number(
    broker: Broker,
) -> None:
    load(broker, VM_PORTFOLIO)
    grant = make_grant(broker, ref.Grant(intermediaries=frozenset({"VM-1"})))
    assert ext(visibility.customers(grant)) == {"K-1", "K-2"}
    both = make_grant(broker, ref.Grant(intermediaries=frozenset({"VM-1", "VM-2"})))
    assert ext(visibility.customers(both)) == {"K-1", "K-2", "K-3"}
    unknown = make_grant(broker, ref.Grant(intermediaries=frozenset({"VM-9"})))
    assert ext(visibility.customers(unknown)) == set()


def test_an_intermediary_grant_shows_contracts_and_claims_under_the_same_rules(broker: Broker) -> None:
    load(broker, VM_PORTFOLIO)
    spec = ref.Grant(
        intermediaries=frozenset({"VM-1"}), claims=True, auto_contracts=True, statuses=frozenset({"FREMD"})
    )
    grant = make_grant(broker, spec)
    assert shown(grant) == {
        "customers": {"K-1", "K-2"},
        "contracts": {"V-1", "V-2"},
        "claims": {"S-1", "S-2"},
        "risk_locations": set(),
    }
    filtered = make_grant(
        broker,
        ref.Grant(
            intermediaries=frozenset({"VM-1"}),
            auto_contracts=True,
            statuses=frozenset({"FREMD"}),
            lines=frozenset({"KFZ"}),
        ),
    )
    assert ext(visibility.contracts(filtered)) == {"V-2"}


def test_an_intermediary_grant_accepts_hand_picked_contracts_of_its_customers_only(broker: Broker) -> None:
    load(broker, VM_PORTFOLIO)
    grant = make_grant(
        broker,
        ref.Grant(intermediaries=frozenset({"VM-1"}), claims=True, contracts=frozenset({"V-1-STORNO"})),
    )
    assert ext(visibility.contracts(grant)) == {"V-1-STORNO"}
    assert ext(visibility.claims(grant)) == {"S-1-STORNO", "S-2"}
    with pytest.raises(Invalid) as exc:
        make_grant(broker, ref.Grant(intermediaries=frozenset({"VM-1"}), contracts=frozenset({"V-3"})))
    assert error_locs(exc) == [("share", "contracts", 0)]


def test_an_intermediary_grant_follows_a_customer_whose_intermediary_number_changes(broker: Broker) -> None:
    load(broker, VM_PORTFOLIO)
    grant = make_grant(
        broker, ref.Grant(intermediaries=frozenset({"VM-1"}), auto_contracts=True, statuses=ALL)
    )
    assert ext(visibility.contracts(grant)) == {"V-1", "V-1-STORNO", "V-2"}
    load(
        broker,
        ref.Portfolio.of(
            [ref.Customer("K-1", intermediary="VM-2"), ref.Customer("K-4", intermediary="VM-1")], []
        ),
    )
    assert ext(visibility.customers(grant)) == {"K-2", "K-4"}
    assert ext(visibility.contracts(grant)) == {"V-2", "V-4"}


def test_a_customer_who_leaves_an_intermediary_grant_takes_their_hand_picked_contracts_along(
    broker: Broker,
) -> None:
    """§2: "When a customer leaves a grant, their hand-picked contracts leave with them." A customer leaves
    an intermediary grant when their intermediary number changes; coming back does not bring back a
    contract that was hand-picked before they left."""
    load(broker, VM_PORTFOLIO)
    grant = make_grant(
        broker, ref.Grant(intermediaries=frozenset({"VM-1"}), contracts=frozenset({"V-1-STORNO"}))
    )
    assert ext(visibility.contracts(grant)) == {"V-1-STORNO"}
    load(broker, ref.Portfolio.of([ref.Customer("K-1", intermediary="VM-2")], []))
    assert ext(visibility.customers(grant)) == {"K-2"}
    assert ext(visibility.contracts(grant)) == set()
    load(broker, ref.Portfolio.of([ref.Customer("K-1", intermediary="VM-1")], []))
    assert ext(visibility.customers(grant)) == {"K-1", "K-2"}
    assert ext(visibility.contracts(grant)) == set()


# --- §6: permissions -----------------------------------------------------------------------------------

FLAGS = (
    "primary_contact",
    "messages",
    "claim_report",
    "claim_report_on_customer",
    "contract_capture",
    "offer_creation",
)
TARIFF_ACCOUNTS = {"tariff_accounts": {"TA-1": {"name": "con:center", "url": "https://tarif.example.org/"}}}


def permissions_of(broker: Broker, tariff_account: str | None = "TA-1", **flags: Any) -> dict[str, object]:
    grant = make_grant(
        broker, ref.Grant(customers=frozenset({"K-1"}), tariff_account=tariff_account, **flags)
    )
    return dict(visibility.permissions(grant).items())


@pytest.fixture
def with_customer(broker: Broker) -> Broker:
    load(broker, ref.Portfolio.of([K1], []), **TARIFF_ACCOUNTS)
    return broker


@pytest.mark.parametrize(
    ("flags", "permission"),
    [
        ({"messages": True}, "messages"),
        ({"claim_report": True}, "claim_report"),
        ({"claim_report": True, "claim_report_on_customer": True}, "claim_report_on_customer"),
        ({"contract_capture": True}, "contract_capture"),
        ({"offer_creation": True}, "offer_creation"),
    ],
)
def test_every_permission_needs_the_primary_contact(
    with_customer: Broker, flags: dict[str, Any], permission: str
) -> None:
    assert permissions_of(with_customer, primary_contact=True, **flags)[permission] is True
    assert permissions_of(with_customer, primary_contact=False, **flags)[permission] is False


def test_nothing_is_permitted_with_the_primary_contact_alone(with_customer: Broker) -> None:
    assert permissions_of(with_customer, primary_contact=True) == dict.fromkeys(ref.PERMISSIONS, False)


def test_nothing_is_permitted_without_the_primary_contact_whatever_else_is_ticked(
    with_customer: Broker,
) -> None:
    everything: dict[str, Any] = {flag: True for flag in FLAGS if flag != "primary_contact"}
    assert permissions_of(with_customer, primary_contact=False, **everything) == dict.fromkeys(
        ref.PERMISSIONS, False
    )


def test_claim_report_on_the_customer_needs_claim_report_too(with_customer: Broker) -> None:
    allowed = permissions_of(with_customer, primary_contact=True, claim_report_on_customer=True)
    assert allowed["claim_report_on_customer"] is False
    assert allowed["claim_report"] is False


def test_offer_creation_needs_a_tariff_account(with_customer: Broker) -> None:
    assert (
        permissions_of(with_customer, None, primary_contact=True, offer_creation=True)["offer_creation"]
        is False
    )
    assert (
        permissions_of(with_customer, "TA-1", primary_contact=True, offer_creation=True)["offer_creation"]
        is True
    )


def test_create_grant_refuses_an_unknown_tariff_account(with_customer: Broker) -> None:
    with pytest.raises(Invalid) as exc:
        permissions_of(with_customer, "TA-9", primary_contact=True, offer_creation=True)
    assert error_locs(exc) == [("actions", "tariff_account")]


def test_every_combination_of_action_flags_gives_the_permissions_of_the_rules(with_customer: Broker) -> None:
    for bits in range(2 ** (len(FLAGS) + 1)):
        flags: dict[str, Any] = {flag: bool(bits >> i & 1) for i, flag in enumerate(FLAGS)}
        account = "TA-1" if bits >> len(FLAGS) & 1 else None
        spec = ref.Grant(customers=frozenset({"K-1"}), tariff_account=account, **flags)
        grant = make_grant(with_customer, spec, name=f"G{bits}")
        assert dict(visibility.permissions(grant).items()) == ref.permissions(spec), (flags, account)


def test_the_union_of_permissions_allows_what_one_of_the_grants_allows(with_customer: Broker) -> None:
    a = ref.Grant(customers=frozenset({"K-1"}), primary_contact=True, messages=True)
    b = ref.Grant(
        customers=frozenset({"K-1"}),
        primary_contact=False,
        claim_report=True,
        offer_creation=True,
        tariff_account="TA-1",
    )
    c = ref.Grant(customers=frozenset({"K-1"}), primary_contact=True, offer_creation=True)
    grants = [make_grant(with_customer, g, name=f"G{i}") for i, g in enumerate((a, b, c))]
    assert dict(visibility.union_permissions(grants)) == ref.union_permissions([a, b, c])
    assert dict(visibility.union_permissions(grants)) == {
        "messages": True,
        "claim_report": False,
        "claim_report_on_customer": False,
        "contract_capture": False,
        "offer_creation": False,
    }


# --- §7: members ---------------------------------------------------------------------------------------


@pytest.fixture
def granted(broker: Broker) -> Grant:
    load(broker, ref.Portfolio.of([K1], [ref.Contract("V-1", "K-1", "FREMD")]))
    User.objects.create_user("klara.muster@example.org", "geheim-123")
    accepted(broker, "klara.muster@example.org")  # Klara has said yes to the broker before
    return make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), auto_contracts=True, statuses=ALL))


def test_an_active_member_sees_the_grant(broker: Broker, granted: Grant) -> None:
    member, created = share(grant=granted, actor=None, email="Klara.Muster@example.org")
    assert created and member.state == MemberState.ACTIVE
    assert list(visibility.active_grants(broker.pk, "klara.muster@example.org")) == [granted]
    assert list(visibility.active_grants(broker.pk, "KLARA.MUSTER@example.org")) == [granted]


def test_an_invited_member_sees_nothing(broker: Broker, granted: Grant) -> None:
    member, _ = share(grant=granted, actor=None, email="unbekannt@example.org")
    assert member.state == MemberState.INVITED
    assert list(visibility.active_grants(broker.pk, "unbekannt@example.org")) == []
    assert (
        ext(visibility.union_contracts(visibility.active_grants(broker.pk, "unbekannt@example.org"))) == set()
    )


def test_a_user_who_is_no_member_sees_no_grant(broker: Broker, granted: Grant) -> None:
    share(grant=granted, actor=None, email="klara.muster@example.org")
    assert list(visibility.active_grants(broker.pk, "someone.else@example.org")) == []


def test_a_removed_member_loses_the_grant_at_once(broker: Broker, granted: Grant) -> None:
    member, _ = share(grant=granted, actor=None, email="klara.muster@example.org")
    unshare(member=member, actor=None)
    assert list(visibility.active_grants(broker.pk, "klara.muster@example.org")) == []


def test_a_deleted_grant_is_gone_for_its_members(broker: Broker, granted: Grant) -> None:
    share(grant=granted, actor=None, email="klara.muster@example.org")
    delete_grant(grant=granted, actor=None)
    assert list(visibility.active_grants(broker.pk, "klara.muster@example.org")) == []
    assert not GrantMember.objects.exists()


def test_a_member_of_two_grants_sees_the_union_and_keeps_the_other_after_removal(
    broker: Broker, granted: Grant
) -> None:
    load(broker, ref.Portfolio.of([K2], [ref.Contract("V-2", "K-2", "STORNO")]))
    second = make_grant(
        broker, ref.Grant(customers=frozenset({"K-2"}), contracts=frozenset({"V-2"})), name="Zweite"
    )
    first_member, _ = share(grant=granted, actor=None, email="klara.muster@example.org")
    share(grant=second, actor=None, email="klara.muster@example.org")
    grants = visibility.active_grants(broker.pk, "klara.muster@example.org")
    assert ext(visibility.union_customers(grants)) == {"K-1", "K-2"}
    assert ext(visibility.union_contracts(grants)) == {"V-1", "V-2"}
    unshare(member=first_member, actor=None)
    grants = visibility.active_grants(broker.pk, "klara.muster@example.org")
    assert list(grants) == [second]
    assert ext(visibility.union_contracts(grants)) == {"V-2"}


def test_the_union_over_no_grants_shows_nothing(broker: Broker, granted: Grant) -> None:
    assert ext(visibility.union_customers([])) == set()
    assert ext(visibility.union_contracts([])) == set()
    assert ext(visibility.union_claims([])) == set()
    assert ext(visibility.union_risk_location_contracts([])) == set()
    assert dict(visibility.union_permissions([])) == dict.fromkeys(ref.PERMISSIONS, False)


# --- tenants -------------------------------------------------------------------------------------------

TWIN = ref.Portfolio.of(
    [ref.Customer("K-1", intermediary="VM-1"), ref.Customer("K-2", intermediary="VM-1"), ref.Customer("K-3")],
    [
        ref.Contract("V-1", "K-1", "FREMD", risk_locations=("RL-1",)),
        ref.Contract("V-2", "K-2", "STORNO", line="KFZ", risk_locations=("RL-2",)),
        ref.Contract("V-3", "K-3", "EIGEN", risk_locations=("RL-3",)),
    ],
    [ref.Claim("S-1", "K-1", "V-1"), ref.Claim("S-2", "K-2", None), ref.Claim("S-3", "K-3", "V-3")],
)


def test_a_grant_never_shows_rows_of_another_broker_with_the_same_external_ids(
    broker: Broker, other_broker: Broker
) -> None:
    load(broker, TWIN)
    load(other_broker, TWIN)
    specs = [
        ref.Grant(
            customers=frozenset({"K-1", "K-2", "K-3"}),
            claims=True,
            reference_addresses=True,
            auto_contracts=True,
            statuses=ALL,
        ),
        ref.Grant(
            intermediaries=frozenset({"VM-1"}),
            claims=True,
            reference_addresses=True,
            auto_contracts=True,
            statuses=ALL,
        ),
        ref.Grant(
            customers=frozenset({"K-3"}),
            claims=True,
            reference_addresses=True,
            contracts=frozenset({"V-3"}),
            lines=frozenset({"KFZ"}),
        ),
    ]
    grants = [make_grant(broker, spec, name=f"G{i}") for i, spec in enumerate(specs)]
    for spec, grant in zip(specs, grants, strict=True):
        assert shown(grant) == {
            "customers": ref.visible_customers(spec, TWIN),
            "contracts": ref.visible_contracts(spec, TWIN),
            "claims": ref.visible_claims(spec, TWIN),
            "risk_locations": ref.visible_risk_locations(spec, TWIN),
        }
        assert set(visibility.customers(grant).values_list("broker_id", flat=True)) == {broker.pk}
        assert set(visibility.contracts(grant).values_list("broker_id", flat=True)) == {broker.pk}
        assert set(visibility.claims(grant).values_list("broker_id", flat=True)) == {broker.pk}
        assert set(visibility.risk_locations(grant).values_list("broker_id", flat=True)) == {broker.pk}
    for queryset in (
        visibility.union_customers(grants),
        visibility.union_contracts(grants),
        visibility.union_claims(grants),
        visibility.union_risk_location_contracts(grants),
    ):
        assert set(queryset.values_list("broker_id", flat=True)) == {broker.pk}
    assert ext(visibility.union_customers(grants)) == {"K-1", "K-2", "K-3"}
    assert not Customer.objects.filter(broker=other_broker, grants__isnull=False).exists()
    assert not Contract.objects.filter(broker=other_broker, grants__isnull=False).exists()


def test_a_member_sees_no_grant_of_another_broker(broker: Broker, other_broker: Broker) -> None:
    load(broker, TWIN)
    User.objects.create_user("klara.muster@example.org", "geheim-123")
    accepted(broker, "klara.muster@example.org")
    grant = make_grant(broker, ref.Grant(customers=frozenset({"K-1"})))
    share(grant=grant, actor=None, email="klara.muster@example.org")
    assert list(visibility.active_grants(broker.pk, "klara.muster@example.org")) == [grant]
    assert list(visibility.active_grants(other_broker.pk, "klara.muster@example.org")) == []


def test_create_grant_finds_customers_and_contracts_in_its_own_broker_only(
    broker: Broker, other_broker: Broker
) -> None:
    load(other_broker, TWIN)
    load(broker, ref.Portfolio.of([K1], []))
    with pytest.raises(Invalid) as exc:
        make_grant(broker, ref.Grant(customers=frozenset({"K-1", "K-2"}), contracts=frozenset({"V-1"})))
    assert error_locs(exc) == [("customers", 1), ("share", "contracts", 0)]


# --- deleting things keeps grants consistent ---------------------------------------------------------------


def test_deleting_a_customer_removes_them_and_their_hand_picked_contracts_from_the_grant(
    broker: Broker,
) -> None:
    portfolio = ref.Portfolio.of(
        [K1, K2],
        [ref.Contract("V-1", "K-1", "STORNO"), ref.Contract("V-2", "K-2", "STORNO")],
        [ref.Claim("S-1", "K-1")],
    )
    load(broker, portfolio)
    grant = make_grant(
        broker,
        ref.Grant(customers=frozenset({"K-1", "K-2"}), claims=True, contracts=frozenset({"V-1", "V-2"})),
    )
    import_batch(broker=broker, actor=None, data={"delete": {"customers": ["K-1"]}})
    assert set(grant.customers.values_list("external_id", flat=True)) == {"K-2"}
    assert set(grant.contracts.values_list("external_id", flat=True)) == {"V-2"}
    assert shown(grant) == {
        "customers": {"K-2"},
        "contracts": {"V-2"},
        "claims": set(),
        "risk_locations": set(),
    }
    assert Grant.customers.through.objects.filter(grant=grant).count() == 1
    assert Grant.contracts.through.objects.filter(grant=grant).count() == 1


def test_deleting_a_hand_picked_contract_removes_it_from_the_grant(broker: Broker) -> None:
    load(
        broker,
        ref.Portfolio.of([K1], [ref.Contract("V-1", "K-1", "STORNO"), ref.Contract("V-2", "K-1", "STORNO")]),
    )
    grant = make_grant(broker, ref.Grant(customers=frozenset({"K-1"}), contracts=frozenset({"V-1", "V-2"})))
    import_batch(broker=broker, actor=None, data={"delete": {"contracts": ["V-1"]}})
    assert set(grant.contracts.values_list("external_id", flat=True)) == {"V-2"}
    assert ext(visibility.contracts(grant)) == {"V-2"}
    grant.refresh_from_db()
    assert ext(visibility.customers(grant)) == {"K-1"}


def test_deleting_the_clerk_leaves_the_grant_without_a_clerk(broker: Broker) -> None:
    load(
        broker,
        ref.Portfolio.of([K1], []),
        staff={"M-1": {"name": "Max Betreuer", "email": "max@muster-makler.example", "role": "user"}},
    )
    payload = ref.grant_payload(ref.Grant(customers=frozenset({"K-1"})))
    payload["actions"]["clerk"] = "M-1"
    payload["actions"]["show_clerk"] = True
    grant = create_grant(broker=broker, actor=None, data=GrantIn.model_validate(payload))
    assert grant.clerk is not None
    StaffMember.objects.filter(broker=broker, external_id="M-1").delete()
    grant.refresh_from_db()
    assert grant.clerk is None
    assert ext(visibility.customers(grant)) == {"K-1"}


def test_deleting_the_tariff_account_ends_offer_creation(with_customer: Broker) -> None:
    grant = make_grant(
        with_customer,
        ref.Grant(
            customers=frozenset({"K-1"}), primary_contact=True, offer_creation=True, tariff_account="TA-1"
        ),
    )
    assert visibility.permissions(grant)["offer_creation"] is True
    TariffAccount.objects.filter(broker=with_customer, external_id="TA-1").delete()
    grant.refresh_from_db()
    assert grant.tariff_account is None
    assert visibility.permissions(grant)["offer_creation"] is False


def test_deleting_a_contract_leaves_its_risk_locations_nowhere(broker: Broker) -> None:
    load(broker, RISK_PORTFOLIO)
    grant = make_grant(
        broker,
        ref.Grant(customers=frozenset({"K-1"}), reference_addresses=True, auto_contracts=True, statuses=ALL),
    )
    import_batch(broker=broker, actor=None, data={"delete": {"contracts": ["V-1"]}})
    assert locations(grant) == {"RL-2"}
    assert not RiskLocation.objects.filter(label__startswith="RL-1").exists()


# --- replacing a grant -------------------------------------------------------------------------------------


def test_replace_grant_refuses_to_remove_a_customer_while_keeping_their_hand_picked_contract(
    broker: Broker,
) -> None:
    load(
        broker,
        ref.Portfolio.of(
            [K1, K2], [ref.Contract("V-1", "K-1", "STORNO"), ref.Contract("V-2", "K-2", "STORNO")]
        ),
    )
    spec = ref.Grant(customers=frozenset({"K-1", "K-2"}), contracts=frozenset({"V-1", "V-2"}))
    grant = make_grant(broker, spec)
    with pytest.raises(Invalid) as exc:
        replace_grant(
            grant=grant,
            actor=None,
            data=GrantIn.model_validate(
                ref.grant_payload(ref.Grant(customers=frozenset({"K-2"}), contracts=spec.contracts))
            ),
        )
    assert exc.value.status == 422
    assert error_locs(exc) == [("share", "contracts", 0)]
    grant.refresh_from_db()
    assert shown(grant)["customers"] == {"K-1", "K-2"}
    assert shown(grant)["contracts"] == {"V-1", "V-2"}


def test_replace_grant_removing_a_customer_with_their_contracts_hides_both(broker: Broker) -> None:
    load(
        broker,
        ref.Portfolio.of(
            [K1, K2], [ref.Contract("V-1", "K-1", "STORNO"), ref.Contract("V-2", "K-2", "STORNO")]
        ),
    )
    grant = make_grant(
        broker, ref.Grant(customers=frozenset({"K-1", "K-2"}), contracts=frozenset({"V-1", "V-2"}))
    )
    replace_grant(
        grant=grant,
        actor=None,
        data=GrantIn.model_validate(
            ref.grant_payload(ref.Grant(customers=frozenset({"K-2"}), contracts=frozenset({"V-2"})))
        ),
    )
    grant.refresh_from_db()
    assert shown(grant)["customers"] == {"K-2"}
    assert shown(grant)["contracts"] == {"V-2"}
    assert set(grant.contracts.values_list("external_id", flat=True)) == {"V-2"}
