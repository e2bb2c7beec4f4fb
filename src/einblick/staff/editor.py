"""The grant editor (issue 7; the seed's steps 7–10): four areas — customers (top left), sharing (top
right), users (bottom left), actions and clerk (bottom right) — each saved on its own (with HTMX in
place, with a confirmation in the area; without JavaScript by a normal form), every change judged by
the same service as the API's PUT (grants.services.replace_grant), and a live summary of what the
grant shows right now from the visibility engine."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from einblick.accounts.http import AuthenticatedRequest
from einblick.brokers.models import LOGIN_ROLES, Broker, StaffMember, TariffAccount
from einblick.errors import DomainError, texts
from einblick.grants import visibility
from einblick.grants.models import STATUS_OPTIONS, Grant, GrantView, status_meanings
from einblick.grants.payloads import GrantIn
from einblick.grants.services import as_payload, copy_grant, rename_grant, replace_grant
from einblick.office import members
from einblick.portfolio.models import Contract, Customer, Line
from einblick.staff.access import settings_view
from einblick.staff.grants import NameForm, _grant

AREAS = ("name", "customers", "sharing", "users", "actions")
FLAGS = ("primary_contact", "product_names", "messages", "claim_report", "claim_report_on_customer",
         "contract_capture", "offer_creation", "show_clerk")  # fmt: skip
SEARCH_LIMIT = 20


def _save(grant: Grant, request: AuthenticatedRequest, change: dict[str, Any]) -> list[str]:
    """Apply a change of one area through replace_grant; the refusals as messages."""
    payload = as_payload(grant)
    if grant.clerk is not None and grant.clerk.role not in LOGIN_ROLES:
        # The AMS took the clerk's login away; the editor shows no clerk, and saves none.
        payload["actions"]["clerk"] = None
    for key, value in change.items():
        if isinstance(value, dict):
            payload[key] = {**payload[key], **value}
        else:
            payload[key] = value
    try:
        replace_grant(grant=grant, actor=request.user, data=GrantIn.model_validate(payload))
    except DomainError as exc:
        return texts(exc)
    except ValueError as exc:  # pydantic: a value of the wrong shape
        return [str(exc).splitlines()[0]]
    return []


def _customers(grant: Grant, request: AuthenticatedRequest) -> list[str]:
    current = set(grant.customers.values_list("external_id", flat=True))
    if request.POST.get("add"):
        current.add(request.POST["add"][:64])
    if request.POST.get("remove"):
        current.discard(request.POST["remove"])
    return _save(grant, request, {"customers": sorted(current)})


def _sharing(grant: Grant, request: AuthenticatedRequest) -> list[str]:
    post = request.POST
    keywords = [k.strip() for k in post.get("document_keywords", "").split(",") if k.strip()]
    return _save(
        grant,
        request,
        {
            "share": {
                "claims": "claims" in post,
                "reference_addresses": "reference_addresses" in post,
                "shared_processes": "shared_processes" in post,
                "auto_contracts": "auto_contracts" in post,
                "statuses": [s for s in post.getlist("statuses") if s in STATUS_OPTIONS],
                "lines": post.getlist("lines")[:200],
                "contracts": post.getlist("contracts")[:10_000],
                "document_keywords": keywords[:100],
            }
        },
    )


def _actions(grant: Grant, request: AuthenticatedRequest) -> list[str]:
    post = request.POST
    actions: dict[str, Any] = {flag: flag in post for flag in FLAGS}
    actions["view"] = post.get("view") if post.get("view") in GrantView.values else grant.view
    actions["claim_report_on_customer"] = actions["claim_report"] and actions["claim_report_on_customer"]
    actions["tariff_account"] = post.get("tariff_account") or None
    actions["clerk"] = post.get("clerk") or None
    return _save(grant, request, {"actions": actions})


def _users(grant: Grant, request: AuthenticatedRequest) -> list[str]:
    post = request.POST
    email = post.get("email", "").strip().lower()[:254]
    try:
        if post.get("action") == "share":
            if "@" not in email or len(email) < 3:
                return [_("Please enter an e-mail address.")]
            members.share(grant=grant, actor=request.user, email=email)
        elif post.get("action") in ("resend", "remove"):
            member = grant.members.filter(email=email).first()
            if member is None:
                return [_("This address is not a user of the grant.")]
            if post["action"] == "resend":
                members.resend_invitation(member=member, actor=request.user)
            else:
                members.unshare(member=member, actor=request.user)
    except DomainError as exc:
        return texts(exc)
    return []


SAVERS = {"customers": _customers, "sharing": _sharing, "users": _users, "actions": _actions}


@settings_view
def editor(request: AuthenticatedRequest, broker: Broker, me: StaffMember, grant_id: str) -> HttpResponse:
    grant = _grant(broker, grant_id)
    htmx = request.headers.get("HX-Request") == "true"
    errors: dict[str, list[str]] = {}
    saved = ""
    if request.method == "POST" and request.POST.get("area") == "name":
        if request.POST.get("action") == "copy":
            copy = copy_grant(
                grant=grant, actor=request.user, name=_("Copy of %(name)s") % {"name": grant.name}
            )
            flash.success(request, _("The grant is copied (without its users)."))
            return redirect("staff:grant", broker_id=broker.pk, grant_id=copy.pk)
        try:
            rename_grant(grant=grant, actor=request.user, name=request.POST.get("name", ""))
        except DomainError as exc:
            errors["name"] = texts(exc)
        else:
            flash.success(request, _("Saved."))
            return redirect("staff:grant", broker_id=broker.pk, grant_id=grant.pk)
    elif request.method == "POST" and request.POST.get("area") in SAVERS:
        area = request.POST["area"]
        problems = SAVERS[area](grant, request)
        grant = _grant(broker, grant_id)
        if problems:
            errors[area] = problems
        elif not htmx:
            flash.success(request, _("Saved."))
            return redirect("staff:grant", broker_id=broker.pk, grant_id=grant.pk)
        else:
            saved = area
    return render(
        request,
        "staff/grant.html",
        _context(request, broker, grant, errors=errors, saved=saved),
        status=422 if errors and not htmx else 200,
    )


def _context(request: AuthenticatedRequest, broker: Broker, grant: Grant, **extra: Any) -> dict[str, Any]:
    grant = Grant.objects.select_related("clerk", "tariff_account").get(pk=grant.pk)
    customers = list(grant.customers.order_by("last_name", "company_name", "pk"))
    q = request.GET.get("cq", "").replace("\x00", "").strip()[:100]
    found: list[Customer] = []
    if q:
        match = Q()
        for word in q.split()[:5]:  # "Klara Muster": every word in one of the fields
            match &= (
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(company_name__icontains=word)
                | Q(external_id__iexact=word)
                | Q(emails__icontains=word)
            )
        found = list(
            Customer.objects.filter(broker=broker)
            .filter(match)
            .exclude(pk__in=[c.pk for c in customers])
            .order_by("last_name", "company_name", "pk")[:SEARCH_LIMIT]
        )
    picks = set(grant.contracts.values_list("pk", flat=True))
    contracts = list(
        Contract.objects.filter(broker=broker, customer__in=customers)
        .select_related("line", "customer")
        .order_by("customer__last_name", "line__label", "pk")[:500]
    )
    # Which of them the automatic sharing shows already (one query, through the visibility engine).
    auto = set(
        visibility.contracts(grant)
        .filter(pk__in=[c.pk for c in contracts])
        .exclude(pk__in=picks)
        .values_list("pk", flat=True)
    )
    suggestions = sorted(
        {e for c in customers for e in (c.emails or [])} - set(grant.members.values_list("email", flat=True))
    )
    return {
        "broker": broker,
        "grant": grant,
        "form": NameForm(initial={"name": grant.name}),
        "customers": customers,
        "cq": q,
        "found": found,
        "status_options": status_meanings(),
        "lines": Line.objects.filter(broker=broker).order_by("label", "code"),
        "contracts": [(c, c.pk in picks, c.pk in auto) for c in contracts],
        "members": list(grant.members.order_by("email")),
        "suggestions": suggestions,
        "views": GrantView.choices,
        "tariff_accounts": TariffAccount.objects.filter(broker=broker).order_by("name", "pk"),
        "clerks": StaffMember.objects.filter(broker=broker, role__in=LOGIN_ROLES).order_by("name", "pk"),
        "shown_contracts": visibility.contracts(grant).count(),
        "shown_claims": visibility.claims(grant).count(),
        "permissions": visibility.permissions(grant),
        **extra,
    }
