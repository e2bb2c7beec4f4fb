"""The private view's figures: coverage grouped by line group, premiums per month and year, and the
share of each group (for the chart). Pure functions over contracts the visibility engine returned."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.text import slugify

from einblick.portfolio.models import Contract, ContractStatus, LineGroup, PaymentInterval

# Contracts that are in force for the customer and count towards the premiums.
IN_FORCE = {ContractStatus.EIGEN, ContractStatus.FREMD, ContractStatus.FREMDTEIL}
PER_MONTH = {
    PaymentInterval.MONTHLY: Decimal(1),
    PaymentInterval.QUARTERLY: Decimal(1) / 3,
    PaymentInterval.HALF_YEARLY: Decimal(1) / 6,
    PaymentInterval.YEARLY: Decimal(1) / 12,
}
CENT = Decimal("0.01")


def monthly_premium(contract: Contract) -> Decimal | None:
    """The premium per month, or None when there is none to show (no premium, a single payment)."""
    if contract.premium is None or contract.payment_interval not in PER_MONTH:
        return None
    return (contract.premium * PER_MONTH[PaymentInterval(contract.payment_interval)]).quantize(CENT)


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
    monthly: Decimal = Decimal(0)
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
        monthly = monthly_premium(contract)
        in_force = contract.status in IN_FORCE
        group = groups[contract.line.group]
        group.cards.append(Card(contract=contract, title=title, monthly=monthly, in_force=in_force))
        if in_force and monthly is not None:
            group.monthly += monthly
    total = sum((g.monthly for g in groups.values()), Decimal(0))
    for group in groups.values():
        group.share = round(100 * group.monthly / total) if total else 0
    return Coverage(
        groups=[g for g in groups.values() if g.cards],
        uncovered=[g for g in groups.values() if not g.cards],
        monthly=total,
        yearly=(total * 12).quantize(CENT),
    )
