"""The private view's figures: coverage grouped by line group, premiums per month and year, and the
share of each group (for the chart). Pure functions over contracts the visibility engine returned."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.text import slugify

from einblick.portfolio.models import Contract, ContractStatus, LineGroup, PaymentInterval

# Contracts that are in force for the customer and count towards the premiums.
IN_FORCE = {ContractStatus.EIGEN, ContractStatus.FREMD, ContractStatus.FREMDTEIL}
PAYMENTS_PER_YEAR = {
    PaymentInterval.MONTHLY: 12,
    PaymentInterval.QUARTERLY: 4,
    PaymentInterval.HALF_YEARLY: 2,
    PaymentInterval.YEARLY: 1,
}
CENT = Decimal("0.01")


def yearly_premium(contract: Contract) -> Decimal | None:
    """The premium per year (exact), or None when there is none to show (none, a single payment)."""
    if contract.premium is None or contract.payment_interval not in PAYMENTS_PER_YEAR:
        return None
    return contract.premium * PAYMENTS_PER_YEAR[PaymentInterval(contract.payment_interval)]


def monthly_premium(contract: Contract) -> Decimal | None:
    yearly = yearly_premium(contract)
    return None if yearly is None else (yearly / 12).quantize(CENT)


@dataclass
class Card:
    contract: Contract
    title: str
    monthly: Decimal | None
    in_force: bool


@dataclass
class Group:
    key: str
    label: str
    cards: list[Card] = field(default_factory=list)
    yearly: Decimal = Decimal(0)
    in_force: bool = False
    share: int = 0  # per cent of the total monthly premium, for the chart

    @property
    def icon(self) -> str:
        return slugify(self.key.replace("ä", "a")) + ".svg"


@dataclass
class Bar:
    label: str
    share: int
    y: int
    width: int


@dataclass
class Coverage:
    groups: list[Group]
    uncovered: list[Group]
    monthly: Decimal
    yearly: Decimal

    ROW = 28
    BAR_MAX = 220

    @property
    def bars(self) -> list[Bar]:
        """The chart's geometry (server-rendered SVG): one bar per group with coverage."""
        return [
            Bar(label=g.label, share=g.share, y=i * self.ROW, width=max(1, g.share * self.BAR_MAX // 100))
            for i, g in enumerate(self.groups)
        ]

    @property
    def chart_height(self) -> int:
        return max(1, len(self.groups)) * self.ROW


def coverage(contracts: list[Contract], *, product_names: bool) -> Coverage:
    groups = {key: Group(key=key, label=str(label)) for key, label in LineGroup.choices}
    for contract in contracts:
        title = (contract.product if product_names else contract.risk) or contract.line.label
        yearly = yearly_premium(contract)
        in_force = contract.status in IN_FORCE
        group = groups[contract.line.group]
        group.cards.append(
            Card(contract=contract, title=title, monthly=monthly_premium(contract), in_force=in_force)
        )
        group.in_force = group.in_force or in_force
        if in_force and yearly is not None:
            group.yearly += yearly
    total = sum((g.yearly for g in groups.values()), Decimal(0))
    for group in groups.values():
        group.share = round(100 * group.yearly / total) if total else 0
    return Coverage(
        groups=[g for g in groups.values() if g.cards],
        uncovered=[g for g in groups.values() if not g.in_force],  # an offer or a cancelled one is no cover
        monthly=(total / 12).quantize(CENT),
        yearly=total.quantize(CENT),
    )
