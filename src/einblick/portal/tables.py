"""The business view's contract table: filters, search, sorting and paging on the server, the same
query for the page and for the export (which shows exactly what the filter shows)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import QueryDict

from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portfolio.models import Claim, ClaimStatus, Contract, ContractStatus, Customer

PAGE_SIZE = 50
CUSTOMER_ID = re.compile(r"[0-9]{1,18}")
SORTS = {
    "number": ("number", "pk"),
    "line": ("line__label", "pk"),
    "insurer": ("insurer", "pk"),
    "customer": ("customer__last_name", "customer__company_name", "pk"),
    "status": ("status", "pk"),
    "start": ("start_date", "pk"),
    "premium": ("premium", "pk"),
}


@dataclass
class Filters:
    q: str = ""
    customer: str = ""
    line: str = ""
    status: str = ""
    insurer: str = ""
    sort: str = "customer"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_query(
        cls,
        query: QueryDict,
        *,
        sorts: dict[str, tuple[str, ...]] | None = None,
        statuses: Iterable[str] = ContractStatus.values,
        default_sort: str = "customer",
    ) -> Filters:
        sorts = SORTS if sorts is None else sorts
        sort = query.get("sort", default_sort)
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        try:
            page = max(1, min(int(query.get("page", "1")), 100_000))
        except ValueError:
            page = 1

        def text(name: str, limit: int) -> str:
            return query.get(name, "").replace("\x00", "").strip()[:limit]

        customer = query.get("customer", "")
        return cls(
            q=text("q", 100),
            customer=customer if CUSTOMER_ID.fullmatch(customer) else "",
            line=text("line", 64),
            status=query.get("status", "") if query.get("status", "") in set(statuses) else "",
            insurer=text("insurer", 200),
            sort=sort if sort in sorts else default_sort,
            descending=descending,
            page=page,
        )

    @property
    def unfiltered(self) -> bool:
        return not (self.q or self.customer or self.line or self.status or self.insurer)

    def query(self, **changes: object) -> str:
        values = {
            "q": self.q,
            "customer": self.customer,
            "line": self.line,
            "status": self.status,
            "insurer": self.insurer,
            "sort": ("-" if self.descending else "") + self.sort,
            "page": self.page,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1) or k == "sort"})

    def sort_query(self, column: str) -> str:
        descending = column == self.sort and not self.descending
        return self.query(sort=("-" if descending else "") + column, page=1)


def contracts(grant: Grant, filters: Filters) -> QuerySet[Contract]:
    rows = visibility.contracts(grant).select_related("line", "customer")
    if filters.customer:
        rows = rows.filter(customer_id=int(filters.customer))
    if filters.line:
        rows = rows.filter(line__code=filters.line)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.insurer:
        rows = rows.filter(insurer=filters.insurer)
    if filters.q:
        q = filters.q
        rows = rows.filter(
            Q(number__icontains=q)
            | Q(risk__icontains=q)
            | Q(product__icontains=q)
            | Q(insurer__icontains=q)
            | Q(customer__last_name__icontains=q)
            | Q(customer__company_name__icontains=q)
        )
    order = SORTS[filters.sort]
    if filters.descending:
        order = tuple("-" + field for field in order)
    return rows.order_by(*order)


def _ordered(rows: QuerySet, sorts: dict[str, tuple[str, ...]], filters: Filters) -> QuerySet:
    order = sorts[filters.sort]
    if filters.descending:
        order = tuple("-" + field for field in order)
    return rows.order_by(*order)


CUSTOMER_SORTS = {
    "name": ("last_name", "company_name", "first_name", "pk"),
    "city": ("city", "pk"),
    "zip": ("zip", "pk"),
}


def customers(grant: Grant, filters: Filters) -> QuerySet[Customer]:
    rows = visibility.customers(grant)
    if filters.q:
        q = filters.q
        rows = rows.filter(
            Q(last_name__icontains=q)
            | Q(first_name__icontains=q)
            | Q(company_name__icontains=q)
            | Q(city__icontains=q)
            | Q(zip__startswith=q)
        )
    return _ordered(rows, CUSTOMER_SORTS, filters)


CLAIM_SORTS = {
    "loss_date": ("loss_date", "pk"),
    "number": ("number", "pk"),
    "status": ("status", "pk"),
    "customer": ("customer__last_name", "customer__company_name", "pk"),
}


def claims(grant: Grant, filters: Filters) -> QuerySet[Claim]:
    rows = visibility.claims(grant).select_related("customer", "contract__line")
    if filters.customer:
        rows = rows.filter(customer_id=int(filters.customer))
    if filters.status in ClaimStatus.values:
        rows = rows.filter(status=filters.status)
    if filters.q:
        q = filters.q
        rows = rows.filter(Q(number__icontains=q) | Q(description__icontains=q))
    return _ordered(rows, CLAIM_SORTS, filters)
