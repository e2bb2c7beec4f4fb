"""The portal: one grant (context) at a time, everything through grants/visibility.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from einblick.grants import visibility
from einblick.grants.models import Grant, GrantView
from einblick.portal import cache, tables
from einblick.portal.access import portal_view
from einblick.portal.coverage import coverage
from einblick.portal.frame import frame
from einblick.portal.http import PortalRequest
from einblick.portal.tables import PAGE_SIZE, Filters, contracts
from einblick.portfolio.models import ClaimStatus, ContractStatus

IN_PROGRESS = (ClaimStatus.REPORTED, ClaimStatus.OPEN)
CUSTOMER_COLUMNS = [("name", _("Name")), ("zip", _("Postcode")), ("city", _("City"))]
CLAIM_COLUMNS = [
    ("number", _("Claim number")),
    ("customer", _("Customer")),
    ("loss_date", _("Date of loss")),
    ("status", _("Status")),
]
COLUMNS = [
    ("customer", _("Customer")),
    ("number", _("Policy number")),
    ("line", _("Line")),
    ("insurer", _("Insurer")),
    ("status", _("Status")),
    ("start", _("Start")),
    ("premium", _("Premium")),
]
MAX_CARDS = 500


@portal_view
def dashboard(request: PortalRequest, grant: Grant) -> HttpResponse:
    if grant.view == GrantView.BUSINESS:
        return business(request, grant)
    private = cache.cached(grant, "private", (), lambda: _private(request, grant))
    context = frame(
        request,
        grant,
        cards=mark_safe(private["html"]),  # noqa: S308 - rendered by our own autoescaping template
        uncovered=private["uncovered"],
        clerk=grant.clerk if grant.show_clerk else None,
    )
    return render(request, "portal/private.html", context)


def _private(request: PortalRequest, grant: Grant) -> dict[str, Any]:
    """The private view's premiums, chart, coverage cards and claims in progress: rendered once per
    data version (portal/cache.py); the frame, the gaps hint and the clerk card are rendered live."""
    rows = list(visibility.contracts(grant).select_related("line").order_by("line__label", "pk")[:MAX_CARDS])
    claims = visibility.claims(grant).filter(status__in=IN_PROGRESS).select_related("contract__line")
    figures = coverage(rows, product_names=grant.product_names)
    html = render_to_string(
        "portal/_coverage.html",
        {"grant": grant, "coverage": figures, "claims": list(claims.order_by("-loss_date", "pk")[:20])},
        request,
    )
    return {"html": str(html), "uncovered": [group.label for group in figures.uncovered]}


def _table(
    rows: QuerySet[Any], total: int, filters: Filters, columns: list[tuple[str, Any]]
) -> dict[str, Any]:
    """One page of a business-view table, with what its head and pager link to."""
    start = (filters.page - 1) * PAGE_SIZE
    return {
        "filters": filters,
        "rows": list(rows[start : start + PAGE_SIZE]),
        "total": total,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "has_previous": filters.page > 1,
        "has_next": start + PAGE_SIZE < total,
        "columns": [(column, label, filters.sort_query(column)) for column, label in columns],
        "previous_query": filters.query(page=filters.page - 1),
        "next_query": filters.query(page=filters.page + 1),
    }


def _results(
    request: PortalRequest, grant: Grant, kind: str, filters: Filters, compute: Callable[[], dict[str, Any]]
) -> tuple[str, bool]:
    """A table's results (count, rows, pager) as HTML, rendered once per grant, data version and query
    (portal/cache.py). HTMX asks for them alone (filter, sort, page without a full reload)."""
    htmx = request.headers.get("HX-Request") == "true"

    def render_results() -> str:
        context = {"grant": grant, "htmx": htmx, **compute()}
        return str(render_to_string(f"portal/_{kind}.html", context, request))

    return cache.cached(grant, kind, (filters.query(), htmx), render_results), htmx


def _respond(
    request: PortalRequest, htmx: bool, results: str, page: str, context: dict[str, Any]
) -> HttpResponse:
    safe = mark_safe(results)  # noqa: S308 - rendered by our own autoescaping templates
    response = HttpResponse(safe) if htmx else render(request, page, {**context, "results": safe})
    response["Vary"] = "HX-Request"
    return response


CUSTOMER_CHOICES = 100  # up to this many customers, the filter is a list; beyond, the search finds them


def _contracts_summary(grant: Grant) -> dict[str, Any]:
    """One pass over the grant's contracts: the filter's options and the unfiltered total."""
    options = list(
        visibility.contracts(grant)
        .order_by()
        .values("line__code", "line__label", "insurer")
        .annotate(n=Count("pk"))
    )
    few = [
        _labelled(customer)
        for customer in visibility.customers(grant)
        .order_by()
        .values("pk", "first_name", "last_name", "company_name")[: CUSTOMER_CHOICES + 1]
    ]
    return {
        "total": sum(o["n"] for o in options),
        "lines": sorted(
            {(o["line__code"], o["line__label"]) for o in options}, key=lambda line: (line[1], line[0])
        ),
        "insurers": sorted({o["insurer"] for o in options if o["insurer"]}),
        "customers": sorted(few, key=lambda c: (c["label"].casefold(), c["pk"]))
        if len(few) <= CUSTOMER_CHOICES
        else None,
    }


def _labelled(customer: Mapping[str, Any]) -> dict[str, Any]:
    """A customer's row with the name the filter shows: the company, or "last name, first name"."""
    label = customer["company_name"] or ", ".join(
        part for part in (customer["last_name"], customer["first_name"]) if part
    )
    return {**customer, "label": str(label)}


def business(request: PortalRequest, grant: Grant) -> HttpResponse:
    filters = Filters.from_query(request.GET)
    summary = cache.cached(grant, "contracts-summary", (), lambda: _contracts_summary(grant))

    def page() -> dict[str, Any]:
        rows = contracts(grant, filters)
        total = summary["total"] if filters.unfiltered else rows.count()
        return _table(rows, total, filters, COLUMNS)

    results, htmx = _results(request, grant, "contracts", filters, page)
    chosen = None
    if summary["customers"] is None and filters.customer:  # filtered from a customer's page
        row = (
            visibility.customers(grant)
            .filter(pk=int(filters.customer))
            .values("pk", "first_name", "last_name", "company_name")
            .first()
        )
        chosen = _labelled(row) if row is not None else None
    context = frame(
        request,
        grant,
        filters=filters,
        customers=summary["customers"],
        chosen_customer=chosen,
        without_customer=filters.query(customer="", page=1),
        lines=summary["lines"],
        insurers=summary["insurers"],
        statuses=ContractStatus.choices,
    )
    return _respond(request, htmx, results, "portal/business.html", context)


def _listing(request: PortalRequest, grant: Grant, kind: str) -> HttpResponse:
    """The business view's customer and claim tables: search, sort and paging like the contracts."""
    statuses: list[str] = []
    if kind == "customers":
        sorts, default, columns = tables.CUSTOMER_SORTS, "name", CUSTOMER_COLUMNS
    else:
        sorts, default, columns = tables.CLAIM_SORTS, "loss_date", CLAIM_COLUMNS
        statuses = list(ClaimStatus.values)
    filters = Filters.from_query(request.GET, sorts=sorts, statuses=statuses, default_sort=default)

    def page() -> dict[str, Any]:
        rows = tables.customers(grant, filters) if kind == "customers" else tables.claims(grant, filters)
        return _table(rows, rows.count(), filters, columns)

    results, htmx = _results(request, grant, kind, filters, page)
    context = frame(
        request,
        grant,
        kind=kind,
        filters=filters,
        statuses=ClaimStatus.choices if kind == "claims" else [],
    )
    return _respond(request, htmx, results, "portal/listing.html", context)


@portal_view
def customer_list(request: PortalRequest, grant: Grant) -> HttpResponse:
    return _listing(request, grant, "customers")


@portal_view
def claim_list(request: PortalRequest, grant: Grant) -> HttpResponse:
    if not grant.claims:
        raise Http404
    return _listing(request, grant, "claims")


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_HEADER = [
    _("Customer"),
    _("Policy number"),
    _("Line"),
    _("Insurer"),
    _("Product"),
    _("Risk"),
    _("Status"),
    _("Start"),
    _("End"),
    _("Premium"),
    _("Payment interval"),
]


def _export_rows(grant: Grant, request: PortalRequest) -> Iterator[list[Any]]:
    """Exactly what the business view's filter shows, every page of it, in the table's order."""
    for c in contracts(grant, Filters.from_query(request.GET)).iterator(chunk_size=2000):
        yield [
            c.customer.display_name,
            c.number,
            c.line.label,
            c.insurer,
            c.product,
            c.risk,
            c.get_status_display(),
            c.start_date,
            c.end_date,
            c.premium,
            c.get_payment_interval_display() if c.payment_interval else "",
        ]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is written with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _filename(extension: str) -> str:
    return f'attachment; filename="vertraege-{timezone.localdate():%Y-%m-%d}.{extension}"'


@portal_view
def contracts_csv(request: PortalRequest, grant: Grant) -> StreamingHttpResponse:
    """Semicolon-separated with a byte order mark, German dates and decimal commas: what Excel in a
    German locale opens as it is."""
    writer = csv.writer(_Echo(), delimiter=";")

    def german(value: Any) -> str:
        if isinstance(value, date):
            return f"{value:%d.%m.%Y}"
        if isinstance(value, Decimal):
            return f"{value:.2f}".replace(".", ",")
        return "" if value is None else str(_inert(value))

    def lines() -> Iterator[str]:
        yield "\ufeff"
        yield writer.writerow([str(label) for label in EXPORT_HEADER])
        for row in _export_rows(grant, request):
            yield writer.writerow([german(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _filename("csv")
    return response


def _text_cell(sheet: Any, value: Any) -> Any:
    """Strings as string cells, always: openpyxl would store "=…" as a live formula."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


@portal_view
def contracts_xlsx(request: PortalRequest, grant: Grant) -> HttpResponse:
    """The same rows as a real spreadsheet: dates as dates, premiums as numbers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Contracts"))[:31])
    sheet.append([str(label) for label in EXPORT_HEADER])
    for row in _export_rows(grant, request):
        sheet.append([_text_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = _filename("xlsx")
    return response


@portal_view
def contract_detail(request: PortalRequest, grant: Grant, pk: int) -> HttpResponse:
    contract = get_object_or_404(visibility.contracts(grant).select_related("line", "customer"), pk=pk)
    locations = list(visibility.risk_locations(grant).filter(contract=contract).order_by("pk"))
    claims = list(visibility.claims(grant).filter(contract=contract).order_by("-loss_date", "pk"))
    context = frame(request, grant, contract=contract, locations=locations, claims=claims)
    return render(request, "portal/contract.html", context)


@portal_view
def claim_detail(request: PortalRequest, grant: Grant, pk: int) -> HttpResponse:
    claim = get_object_or_404(visibility.claims(grant).select_related("contract__line", "customer"), pk=pk)
    timeline = list(claim.status_changes.order_by("changed_at", "pk"))
    return render(request, "portal/claim.html", frame(request, grant, claim=claim, timeline=timeline))


@portal_view
def customer_detail(request: PortalRequest, grant: Grant, pk: int) -> HttpResponse:
    customer = get_object_or_404(visibility.customers(grant), pk=pk)
    rows = list(
        visibility.contracts(grant)
        .filter(customer=customer)
        .select_related("line")
        .order_by("line__label", "pk")[:200]
    )
    return render(request, "portal/customer.html", frame(request, grant, customer=customer, contracts=rows))
