"""Where a portal user starts a process (visibility.md §6): writing to the office, reporting a claim,
recording a contract held elsewhere, asking for an offer. The pages show an entry point only where the
grant's effective permissions allow it, and every entry answers 403 without the permission whatever the
page showed (hiding a button is not enforcement). The forms behind them come with the processes
(issue 6); until then each entry names what it is for and how to reach the office."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render

from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portal.access import portal_view
from einblick.portal.frame import ENTRY_POINTS, frame


def requires(permission: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """A portal view (grant resolved, preview read-only) that only a grant with this effective
    permission may open: 403 otherwise."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def checked(request: HttpRequest, grant: Grant, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not visibility.permissions(grant)[permission]:  # type: ignore[literal-required]
                raise PermissionDenied("This grant does not allow it.")
            return view(request, grant, *args, **kwargs)

        return portal_view(checked)

    return decorate


def _entry(request: HttpRequest, grant: Grant, title: Any, subject: str = "") -> HttpResponse:
    context = frame(
        request,
        grant,
        title=title,
        subject=subject,
        clerk=grant.clerk if grant.show_clerk else None,
    )
    return render(request, "portal/entry.html", context)


@requires("messages")
def message_new(request: HttpRequest, grant: Grant) -> HttpResponse:
    return _entry(request, grant, ENTRY_POINTS["messages"][1])


@requires("claim_report")
def claim_report(request: HttpRequest, grant: Grant) -> HttpResponse:
    return _entry(request, grant, ENTRY_POINTS["claim_report"][1])


@requires("claim_report")
def contract_claim_report(request: HttpRequest, grant: Grant, pk: int) -> HttpResponse:
    """A claim on one contract: only on a contract the grant shows (404 otherwise)."""
    contract = get_object_or_404(visibility.contracts(grant).select_related("line"), pk=pk)
    subject = f"{contract.line.label}{': ' + contract.risk if contract.risk else ''}"
    return _entry(request, grant, ENTRY_POINTS["claim_report"][1], subject)


@requires("claim_report_on_customer")
def customer_claim_report(request: HttpRequest, grant: Grant, pk: int) -> HttpResponse:
    """A claim on a customer of the grant without naming a contract (claim_report_on_customer)."""
    customer = get_object_or_404(visibility.customers(grant), pk=pk)
    return _entry(request, grant, ENTRY_POINTS["claim_report"][1], customer.display_name)


@requires("contract_capture")
def contract_capture(request: HttpRequest, grant: Grant) -> HttpResponse:
    return _entry(request, grant, ENTRY_POINTS["contract_capture"][1])


@requires("offer_creation")
def offer_request(request: HttpRequest, grant: Grant) -> HttpResponse:
    return _entry(request, grant, ENTRY_POINTS["offer_creation"][1])
