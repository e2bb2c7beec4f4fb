"""The business view's contract table: filters, search, sorting and paging on the server, the same
query for the page and for the export (which shows exactly what the filter shows)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import QueryDict

from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portfolio.models import Contract, ContractStatus

PAGE_SIZE = 50
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
    def from_query(cls, query: QueryDict) -> Filters:
        sort = query.get("sort", "customer")
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        try:
            page = max(1, min(int(query.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        return cls(
            q=query.get("q", "").strip()[:100],
            customer=query.get("customer", "")[:20],
            line=query.get("line", "")[:64],
            status=query.get("status", "") if query.get("status", "") in ContractStatus.values else "",
            insurer=query.get("insurer", "").strip()[:200],
            sort=sort if sort in SORTS else "customer",
            descending=descending,
            page=page,
        )

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
    if filters.customer.isdigit():
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
