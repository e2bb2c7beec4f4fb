"""Grants, their members, and what a grant or a user sees (api-v1.md "Grants")."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Status

from einblick.api import schemas
from einblick.api.common import ERRORS, Cursor, Limit, actor_of, broker_of, page, render_json
from einblick.api.http import ApiRequest
from einblick.errors import FieldError, Invalid, explain_pattern
from einblick.grants import visibility
from einblick.grants.models import Grant, GrantMember
from einblick.grants.payloads import GrantIn, MemberIn
from einblick.grants.services import create_grant, replace_grant
from einblick.office import members
from einblick.portfolio.models import Contract, Document, RiskLocation
from einblick.text import EMAIL_PATTERN

router = Router(tags=["grants"])
# The per-user view ORs one expression per grant; SQLite refuses expressions deeper than 1,000.
MAX_UNION = 200
GrantId = Path(
    ...,
    pattern=explain_pattern(r"^[A-Za-z0-9_-]{1,24}$", "not a grant id"),
    description="The grant's opaque id",
)
MemberEmail = Path(..., max_length=254, pattern=EMAIL_PATTERN, description="The member's e-mail address")


def _grants(request: ApiRequest) -> QuerySet[Grant]:
    return (
        Grant.objects.filter(broker=broker_of(request))
        .select_related("tariff_account", "clerk")
        .prefetch_related("customers", "contracts", "members")
    )


def _grant(request: ApiRequest, grant_id: str) -> Grant:
    """The grant with everything grant_out() shows."""
    return get_object_or_404(_grants(request), pk=grant_id)


def _lean(request: ApiRequest, grant_id: str) -> Grant:
    """The grant alone, for calls that do not show it."""
    return get_object_or_404(Grant.objects.select_related("broker"), broker=broker_of(request), pk=grant_id)


def _member(request: ApiRequest, grant_id: str, email: str) -> GrantMember:
    # With its grant: a DELETE of the grant meanwhile must not leave the member's grant to be loaded
    # later, when it is gone (schemathesis found that 500 with parallel requests).
    return get_object_or_404(
        GrantMember.objects.select_related("grant__broker"),
        grant__broker=broker_of(request),
        grant_id=grant_id,
        email=email.lower(),
    )


@router.post("/grants", response={201: schemas.GrantOut, **ERRORS})
def post_grant(request: ApiRequest, body: GrantIn) -> Status:
    grant = create_grant(broker=broker_of(request), actor=actor_of(request), data=body)
    return Status(201, schemas.grant_out(_grant(request, grant.pk)))


@router.get("/grants", response={200: schemas.GrantPage, **ERRORS})
def list_grants(request: ApiRequest, limit: int = Limit, cursor: str | None = Cursor) -> dict[str, Any]:
    return page(_grants(request), "id", limit, cursor, schemas.grant_out)


@router.get("/grants/{id}", response={200: schemas.GrantOut, **ERRORS})
def get_grant(request: ApiRequest, id: str = GrantId) -> dict[str, Any]:
    return schemas.grant_out(_grant(request, id))


@router.put("/grants/{id}", response={200: schemas.GrantOut, **ERRORS})
def put_grant(request: ApiRequest, body: GrantIn, id: str = GrantId) -> dict[str, Any]:
    replace_grant(grant=_lean(request, id), actor=actor_of(request), data=body)
    return schemas.grant_out(_grant(request, id))


@router.delete("/grants/{id}", response={204: None, **ERRORS})
def remove_grant(request: ApiRequest, id: str = GrantId) -> Status:
    members.delete_grant(grant=_lean(request, id), actor=actor_of(request))
    return Status(204, None)


@router.get("/grants/{id}/members", response={200: list[schemas.MemberOut], **ERRORS})
def list_members(request: ApiRequest, id: str = GrantId) -> list[dict[str, Any]]:
    return [schemas.member_out(member) for member in _lean(request, id).members.all()]


@router.post("/grants/{id}/members", response={200: schemas.MemberOut, 201: schemas.MemberOut, **ERRORS})
def post_member(request: ApiRequest, body: MemberIn, id: str = GrantId) -> Status:
    member, created = members.share(grant=_lean(request, id), actor=actor_of(request), email=body.email)
    return Status(201 if created else 200, schemas.member_out(member))


@router.post("/grants/{id}/members/{path:email}/resend", response={202: schemas.MemberOut, **ERRORS})
def resend_member(request: ApiRequest, id: str = GrantId, email: str = MemberEmail) -> Status:
    member = members.resend_invitation(member=_member(request, id, email), actor=actor_of(request))
    return Status(202, schemas.member_out(member))


@router.delete("/grants/{id}/members/{path:email}", response={204: None, **ERRORS})
def delete_member(request: ApiRequest, id: str = GrantId, email: str = MemberEmail) -> Status:
    members.unshare(member=_member(request, id, email), actor=actor_of(request))
    return Status(204, None)


def _view(
    customers: QuerySet[Any],
    contracts: QuerySet[Contract],
    claims: QuerySet[Any],
    documents: QuerySet[Document],
    located: QuerySet[Contract] | None,
    permissions: visibility.Permissions,
    clerk: Any,
) -> HttpResponse:
    """The shape of api-v1.md's view; `located`: the contracts whose risk locations are visible
    (they are absent, not blanked, from every other contract). Contracts are read as plain rows and
    rendered straight to JSON: a large grant shows tens of thousands of them."""
    rows = list(contracts.order_by("external_id").values("pk", *schemas.CONTRACT_VALUES))
    locations: dict[int, list[dict[str, Any]]] = {}
    if located is not None:
        locations = {pk: [] for pk in located.values_list("pk", flat=True)}
        shown = RiskLocation.objects.filter(contract_id__in=located.values("pk")).order_by(
            "contract_id", "position"
        )
        for contract_id, *address in shown.values_list("contract_id", *schemas.LOCATION_VALUES):
            locations[contract_id].append(schemas.location_row_out(address))
    body = {
        "customers": [schemas.view_customer_out(c) for c in customers.order_by("external_id")],
        "contracts": [schemas.contract_row_out(row, locations.get(row["pk"])) for row in rows],
        "claims": [
            schemas.claim_out(k)
            for k in claims.select_related("customer", "contract").order_by("external_id")
        ],
        "documents": [
            schemas.document_out(d)
            for d in documents.select_related("customer", "contract", "claim").order_by("external_id")
        ],
        "permissions": permissions,
        "clerk": schemas.clerk_out(clerk) if clerk is not None else None,
    }
    return HttpResponse(render_json(body), content_type="application/json; charset=utf-8")


@router.get("/grants/{id}/view", response={200: schemas.ViewOut, **ERRORS})
def grant_view(request: ApiRequest, id: str = GrantId) -> HttpResponse:
    """Freischaltungseinsicht: exactly what the grant shows."""
    grant = get_object_or_404(Grant.objects.select_related("clerk"), broker=broker_of(request), pk=id)
    return _view(
        visibility.customers(grant),
        visibility.contracts(grant),
        visibility.claims(grant),
        visibility.documents(grant),
        visibility.contracts(grant) if grant.reference_addresses else None,
        visibility.permissions(grant),
        grant.clerk if grant.show_clerk else None,
    )


@router.get("/users/{path:email}/view", response={200: schemas.ViewOut, **ERRORS}, tags=["grants"])
def user_view(request: ApiRequest, email: str = MemberEmail) -> HttpResponse:
    """The union over the user's active grants of this broker; 404 when there are none."""
    grants = list(
        visibility.active_grants(broker_of(request).pk, email).select_related("clerk").order_by("id")
    )
    if not grants:
        raise Http404
    if len(grants) > MAX_UNION:
        raise Invalid(
            f"The user is a member of {len(grants)} grants; the combined view covers at most {MAX_UNION}.",
            [FieldError(("path", "email"), "use /grants/{id}/view for each grant")],
        )
    shown_clerks = [grant.clerk for grant in grants if grant.show_clerk and grant.clerk is not None]
    located = visibility.union_risk_location_contracts(grants)
    return _view(
        visibility.union_customers(grants),
        visibility.union_contracts(grants),
        visibility.union_claims(grants),
        visibility.union_documents(grants),
        located if any(grant.reference_addresses for grant in grants) else None,
        visibility.union_permissions(grants),
        shown_clerks[0] if shown_clerks else None,
    )
