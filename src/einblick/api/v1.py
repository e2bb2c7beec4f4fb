"""The HTTP API v1 (api-v1.md): the NinjaAPI object, its error bodies and the portfolio routes."""

from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import orjson
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Path, Query, Router, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from pydantic import BaseModel

from einblick.api import grants, processes, schemas
from einblick.api.auth import TokenAuth
from einblick.api.common import ERRORS, Cursor, Limit, actor_of, broker_of, page
from einblick.api.http import ApiRequest
from einblick.brokers.models import EXTERNAL_ID_PATTERN, Broker
from einblick.errors import Conflict, DomainError, FieldError, Invalid, clean_message, is_unique_violation
from einblick.office import admins
from einblick.portfolio import documents, payloads
from einblick.portfolio.importing import delete_object, put_object
from einblick.portfolio.models import Claim, Contract, Document


class _Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class _Api(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Every operation also documents what the HTTP server answers before Einblick sees the request
        (issue 15: schemathesis finds no undocumented status)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"].setdefault("414", _URI_TOO_LONG)
        return schema


_URI_TOO_LONG = {
    "description": "The request line (method, path and query) is longer than 4 KiB. Answered by the HTTP "
    "server (gunicorn) or the reverse proxy, before the API, and not as JSON."
}

api = _Api(
    renderer=_Renderer(),
    title="Einblick API",
    version="1",
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    description="The contract between Einblick and the broker's back office (AMS).",
)


# --- error bodies: {"detail": "...", "errors": [{"loc": [...], "msg": "..."}]} -----------------


def _error(
    request: ApiRequest, status: int, detail: str, errors: list[dict[str, Any]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(ValidationError)
def _validation_error(request: ApiRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        if len(loc) > 1 and loc[0] == "body" and loc[1] == "body":
            loc = ["body", *loc[2:]]
        errors.append({"loc": loc, "msg": clean_message(error.get("msg", "invalid"))})
    return _error(request, 422, "The request is invalid.", errors)


@api.exception_handler(DomainError)
def _domain_error(request: ApiRequest, exc: DomainError) -> HttpResponse:
    if request.resolver_match and request.resolver_match.url_name == "import_batch":
        errors = [schemas.import_error_item(error) for error in exc.errors]
    else:
        errors = [schemas.error_item(error) for error in exc.errors]
    return _error(request, exc.status, exc.message, errors)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: ApiRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, "A valid API token is required (Authorization: Bearer <token>).")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request: ApiRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, exc.message)


@api.exception_handler(Http404)
def _not_found(request: ApiRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found.")


@api.exception_handler(IntegrityError)
def _conflict(request: ApiRequest, exc: IntegrityError) -> HttpResponse:
    # Validation runs before every write, so a unique violation is a concurrent write of the same
    # objects. Anything else is a gap in validation: a bug, and a 500.
    if not is_unique_violation(exc):
        raise exc
    return _error(request, 409, "Another request changed the same objects at the same time; please retry.")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: ApiRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, "The request body is too large.")


# --- lists: ?limit=&cursor= → {"items": [...], "next": cursor | null} ----------------------------


# --- the portfolio: one set of routes per entity -------------------------------------------------


ExternalId = Path(..., pattern=EXTERNAL_ID_PATTERN, description="The AMS's key: 1–64 of A-Z a-z 0-9 . _ : -")


def _register(
    router: Router,
    *,
    path: str,
    section: str,
    payload: type[BaseModel],
    out_schema: type[schemas.Schema],
    out: Callable[[Any], dict[str, Any]],
    queryset: Callable[[Broker], QuerySet[Any]],
    deletable: bool = True,
) -> None:
    """GET one, PUT (create 201 / replace 200) and DELETE (204) for an entity keyed by external id."""
    tag = [path]

    def read(request: ApiRequest, external_id: str = ExternalId) -> dict[str, Any]:
        obj = queryset(broker_of(request)).filter(external_id=external_id).first()
        if obj is None:
            raise Http404
        return out(obj)

    def put(request: ApiRequest, body: payload, external_id: str = ExternalId) -> Status:  # type: ignore[valid-type]
        outcome = _put(request, section, external_id, body)
        return Status(201 if outcome == "created" else 200, read(request, external_id))

    def delete(request: ApiRequest, external_id: str = ExternalId) -> Status:
        # Staff go through the office, which keeps the broker an administrator who can log in.
        remove = admins.delete_staff if section == "staff" else partial(delete_object, section=section)
        if not remove(broker=broker_of(request), actor=actor_of(request), external_id=external_id):
            raise Http404
        return Status(204, None)

    name = section.rstrip("s") if section != "staff" else "staff_member"
    for function, verb in ((read, "get"), (put, "put"), (delete, "delete")):
        function.__name__ = f"{verb}_{name}"
    router.get(f"/{path}/{{external_id}}", response={200: out_schema, **ERRORS}, tags=tag)(read)
    router.put(f"/{path}/{{external_id}}", response={200: out_schema, 201: out_schema, **ERRORS}, tags=tag)(
        put
    )
    if deletable:
        router.delete(f"/{path}/{{external_id}}", response={204: None, **ERRORS}, tags=tag)(delete)


def _put(request: ApiRequest, section: str, key: str, body: BaseModel) -> str:
    """put_object (for staff the office's put_staff, which keeps the broker an administrator who can
    log in), with its errors located in the request body."""
    try:
        if isinstance(body, payloads.StaffIn):
            return admins.put_staff(
                broker=broker_of(request), actor=actor_of(request), external_id=key, data=body
            )
        return put_object(
            broker=broker_of(request), actor=actor_of(request), section=section, external_id=key, data=body
        )
    except (Invalid, Conflict) as exc:
        raise type(exc)(
            exc.message, [FieldError(("body", *error.loc), error.msg) for error in exc.errors]
        ) from None


def _contracts(broker: Broker) -> QuerySet[Contract]:
    return broker.contracts.select_related("customer", "line").prefetch_related("risk_locations")


def _claims(broker: Broker) -> QuerySet[Claim]:
    return broker.claims.select_related("customer", "contract")


def _documents(broker: Broker) -> QuerySet[Document]:
    return broker.documents.select_related("customer", "contract", "claim")


portfolio = Router()
# section, request body, answer schema, answer, queryset; the path is the section with hyphens
for section, payload, out_schema, out, queryset in (
    (
        "customers",
        payloads.CustomerIn,
        schemas.CustomerOut,
        schemas.customer_out,
        lambda b: b.customers.all(),
    ),
    ("contracts", payloads.ContractIn, schemas.ContractOut, schemas.contract_out, _contracts),
    ("claims", payloads.ClaimIn, schemas.ClaimOut, schemas.claim_out, _claims),
    ("documents", payloads.DocumentIn, schemas.DocumentOut, schemas.document_out, _documents),
    ("staff", payloads.StaffIn, schemas.StaffOut, schemas.staff_out, lambda b: b.staff.all()),
    (
        "tariff_accounts",
        payloads.TariffAccountIn,
        schemas.TariffAccountOut,
        schemas.tariff_account_out,
        lambda b: b.tariff_accounts.all(),
    ),
):
    _register(
        portfolio,
        path=section.replace("_", "-"),
        section=section,
        payload=payload,
        out_schema=out_schema,
        out=out,
        queryset=queryset,
    )
FilterId = Query(None, pattern=EXTERNAL_ID_PATTERN, description="an external id")
LineCode = Path(..., pattern=EXTERNAL_ID_PATTERN, description="The line's code, e.g. KFZ")


@portfolio.get("/lines/{code}", response={200: schemas.LineOut, **ERRORS}, tags=["lines"])
def get_line(request: ApiRequest, code: str = LineCode) -> dict[str, Any]:
    return schemas.line_out(get_object_or_404(broker_of(request).lines, code=code))


@portfolio.put(
    "/lines/{code}", response={200: schemas.LineOut, 201: schemas.LineOut, **ERRORS}, tags=["lines"]
)
def put_line(request: ApiRequest, body: payloads.LineIn, code: str = LineCode) -> Status:
    outcome = _put(request, "lines", code, body)
    return Status(201 if outcome == "created" else 200, get_line(request, code))


@portfolio.get("/customers", response={200: schemas.CustomerPage, **ERRORS}, tags=["customers"])
def list_customers(request: ApiRequest, limit: int = Limit, cursor: str | None = Cursor) -> dict[str, Any]:
    return page(broker_of(request).customers.all(), "external_id", limit, cursor, schemas.customer_out)


@portfolio.get("/contracts", response={200: schemas.ContractPage, **ERRORS}, tags=["contracts"])
def list_contracts(
    request: ApiRequest, customer: str | None = FilterId, limit: int = Limit, cursor: str | None = Cursor
) -> dict[str, Any]:
    contracts = _contracts(broker_of(request))
    if customer is not None:
        contracts = contracts.filter(customer__external_id=customer)
    return page(contracts, "external_id", limit, cursor, schemas.contract_out)


@portfolio.get("/claims", response={200: schemas.ClaimPage, **ERRORS}, tags=["claims"])
def list_claims(
    request: ApiRequest,
    customer: str | None = FilterId,
    contract: str | None = FilterId,
    limit: int = Limit,
    cursor: str | None = Cursor,
) -> dict[str, Any]:
    claims = _claims(broker_of(request))
    if customer is not None:
        claims = claims.filter(customer__external_id=customer)
    if contract is not None:
        claims = claims.filter(contract__external_id=contract)
    return page(claims, "external_id", limit, cursor, schemas.claim_out)


@portfolio.get("/documents", response={200: schemas.DocumentPage, **ERRORS}, tags=["documents"])
def list_documents(
    request: ApiRequest,
    customer: str | None = FilterId,
    contract: str | None = FilterId,
    claim: str | None = FilterId,
    keyword: str | None = Query(None, pattern=EXTERNAL_ID_PATTERN, description="one keyword, exactly"),
    limit: int = Limit,
    cursor: str | None = Cursor,
) -> dict[str, Any]:
    found = _documents(broker_of(request))
    if customer is not None:
        found = found.filter(customer__external_id=customer)
    if contract is not None:
        found = found.filter(contract__external_id=contract)
    if claim is not None:
        found = found.filter(claim__external_id=claim)
    if keyword is not None:
        found = found.filter(keyword_rows__keyword=keyword)
    return page(found, "external_id", limit, cursor, schemas.document_out)


_CONTENT_TYPES = {
    kind: {"schema": {"type": "string", "format": "binary", "minLength": 1}} for kind in documents.ACCEPTED
}


@portfolio.put(
    "/documents/{external_id}/content",
    response={200: schemas.DocumentContentOut, **ERRORS, 411: schemas.ErrorBody, 415: schemas.ErrorBody},
    tags=["documents"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file's bytes as they are, at most 100 MiB, with their Content-Length; "
            "checked by content: a body that is not of its Content-Type is refused.",
            "content": _CONTENT_TYPES,
        }
    },
)
def put_document_content(request: ApiRequest, external_id: str = ExternalId) -> dict[str, Any]:
    """The document's file, replacing the one it had; read from the request as it arrives."""
    document = get_object_or_404(broker_of(request).documents, external_id=external_id)
    length = request.META.get("CONTENT_LENGTH")
    try:
        stored = documents.store_content(
            broker=broker_of(request),
            actor=actor_of(request),
            document=document,
            stream=request,
            content_type=request.content_type or None,
            length=int(length) if length else None,
        )
    except Document.DoesNotExist:  # deleted while the body arrived
        raise Http404 from None
    return {"size": stored.size, "sha256": stored.sha256, "content_type": stored.content_type}


@portfolio.get(
    "/documents/{external_id}/content",
    response={200: None, **ERRORS},
    tags=["documents"],
    openapi_extra={
        # 200 as a number, as the router keys its own answers: a string "200" would be a second key
        "responses": {200: {"description": "the file, as a download", "content": _CONTENT_TYPES}}
    },
)
def get_document_content(request: ApiRequest, external_id: str = ExternalId) -> FileResponse:
    """The document's file as an attachment; 404 until it has arrived."""
    document = get_object_or_404(broker_of(request).documents, external_id=external_id)
    try:
        handle = documents.open_content(document)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=documents.download_name(document),
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@portfolio.get("/staff", response={200: schemas.StaffPage, **ERRORS}, tags=["staff"])
def list_staff(request: ApiRequest, limit: int = Limit, cursor: str | None = Cursor) -> dict[str, Any]:
    return page(broker_of(request).staff.all(), "external_id", limit, cursor, schemas.staff_out)


@portfolio.get(
    "/tariff-accounts", response={200: schemas.TariffAccountPage, **ERRORS}, tags=["tariff-accounts"]
)
def list_tariff_accounts(
    request: ApiRequest, limit: int = Limit, cursor: str | None = Cursor
) -> dict[str, Any]:
    accounts = broker_of(request).tariff_accounts.all()
    return page(accounts, "external_id", limit, cursor, schemas.tariff_account_out)


@portfolio.get("/lines", response={200: schemas.LinePage, **ERRORS}, tags=["lines"])
def list_lines(request: ApiRequest, limit: int = Limit, cursor: str | None = Cursor) -> dict[str, Any]:
    return page(broker_of(request).lines.all(), "code", limit, cursor, schemas.line_out)


# --- the batch import ----------------------------------------------------------------------------


_IMPORT_SCHEMA = schemas.ImportBatch.model_json_schema(ref_template="#/components/schemas/{model}")
_IMPORT_SCHEMA.pop("$defs", None)


@portfolio.post(
    "/import",
    response={200: schemas.ImportResultOut, **ERRORS},
    tags=["import"],
    url_name="import_batch",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _IMPORT_SCHEMA}}}
    },
)
def import_(request: ApiRequest, mode: Literal["atomic", "partial"] = "atomic") -> dict[str, Any]:
    try:
        # read(), not .body: the body may be larger than DATA_UPLOAD_MAX_MEMORY_SIZE, which holds for
        # every other request; the middleware has checked it against IMPORT_MAX_BYTES already.
        data = orjson.loads(request.read())
    except orjson.JSONDecodeError as exc:
        raise HttpError(400, f"The body is not valid JSON: {exc}") from None
    result = admins.import_keeping_an_admin(
        broker=broker_of(request), actor=actor_of(request), data=data, mode=mode
    )
    return schemas.import_result_out(result)


api.add_router("/", portfolio)
api.add_router("/", grants.router)
api.add_router("/", processes.router)
