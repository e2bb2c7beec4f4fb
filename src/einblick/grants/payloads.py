"""The grant as the AMS sends it (api-v1.md "Grants"). Rules that need the database are in services."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from einblick.portfolio.payloads import VISIBLE_PATTERN, Email, ExternalId, Name, tidy_text

# The eleven status options of automatic sharing (visibility.md §1), in the editor's order.
StatusOption = Literal[
    "ANFRAGE",
    "ANGEBOT",
    "FREMD",
    "FREMDTEIL",
    "GESPERRT",
    "INFO",
    "RUHEND",
    "STORNO",
    "ANTRAG",
    "POLICE",
    "EIGEN",
]
# An intermediary number or a document keyword: something visible (a blank one, tidied to "", would
# match every customer without a number; issue 15 review).
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=VISIBLE_PATTERN)]


class _Part(BaseModel):
    # strict: "yes" or 1 is no boolean; a grant decides what people see.
    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="after")
    def _tidy(self) -> Any:
        tidy_text(self)
        return self


class ShareIn(_Part):
    claims: bool = False
    reference_addresses: bool = False
    auto_contracts: bool = False
    statuses: Annotated[list[StatusOption], Field(max_length=11)] = []
    lines: Annotated[list[ExternalId], Field(max_length=200)] = []
    contracts: Annotated[list[ExternalId], Field(max_length=10_000)] = []
    shared_processes: bool = False
    document_keywords: Annotated[list[Code], Field(max_length=100)] = []


class ActionsIn(_Part):
    view: Literal["private", "business"] = "private"
    primary_contact: bool = False
    product_names: bool = False
    messages: bool = False
    claim_report: bool = False
    claim_report_on_customer: bool = False
    contract_capture: bool = False
    offer_creation: bool = False
    tariff_account: ExternalId | None = None
    clerk: ExternalId | None = None
    show_clerk: bool = False


class GrantIn(_Part):
    """A GET answer can be sent back as it is: its read-only fields are ignored."""

    name: Name
    customers: Annotated[list[ExternalId], Field(max_length=10_000)] = []
    intermediaries: Annotated[list[Code], Field(max_length=1_000)] = []
    profile: None = None  # grant profiles come later
    share: ShareIn = ShareIn()
    actions: ActionsIn = ActionsIn()

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in {"id", "members", "created_at", "updated_at"}}
        return data


class MemberIn(_Part):
    email: Email
