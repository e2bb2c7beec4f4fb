"""The shapes the AMS sends (api-v1.md "Portfolio"), validated with pydantic.

The API, the batch import and the command line all validate through these models, so one object is
judged the same way whichever door it comes through. Rules that need the database (references, a
claim's contract belonging to its customer) live in the import service.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from einblick.brokers.models import EXTERNAL_ID_PATTERN
from einblick.text import INVISIBLE, is_email

ExternalId = Annotated[str, StringConstraints(pattern=EXTERNAL_ID_PATTERN)]
READ_ONLY_FIELDS = frozenset({"external_id", "code", "created_at", "updated_at", "source"})

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
_CENT = Decimal("0.01")


def _date(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar date") from None


def _money(value: Any) -> Any:
    if value is None or isinstance(value, Decimal):
        amount = value
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('must be a decimal string such as "12.50"')
    else:
        text = str(value).strip()
        if text.startswith("-"):
            raise ValueError("must not be negative")
        if not _MONEY.match(text):
            raise ValueError('must be a decimal string with at most two places, such as "12.50"')
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError('must be a decimal string such as "12.50"') from None
    if amount is None:
        return None
    if amount < 0:
        raise ValueError("must not be negative")
    if amount != amount.quantize(_CENT) or amount >= Decimal("1e10"):
        raise ValueError("must have at most ten digits before and two after the point")
    return amount.quantize(_CENT)


Date = Annotated[date | None, BeforeValidator(_date)]
Money = Annotated[Decimal | None, BeforeValidator(_money)]


_NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL characters in text
_Empty = "text"  # marks optional text: null becomes "" (see Part)
Text50 = Annotated[
    str | None, _Empty, StringConstraints(max_length=50, strip_whitespace=True, pattern=_NO_NUL)
]
Text64 = Annotated[
    str | None, _Empty, StringConstraints(max_length=64, strip_whitespace=True, pattern=_NO_NUL)
]
Text100 = Annotated[
    str | None, _Empty, StringConstraints(max_length=100, strip_whitespace=True, pattern=_NO_NUL)
]
Text200 = Annotated[
    str | None, _Empty, StringConstraints(max_length=200, strip_whitespace=True, pattern=_NO_NUL)
]
Text500 = Annotated[
    str | None, _Empty, StringConstraints(max_length=500, strip_whitespace=True, pattern=_NO_NUL)
]
LongText = Annotated[
    str | None, _Empty, StringConstraints(max_length=10_000, strip_whitespace=True, pattern=_NO_NUL)
]


Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True, pattern=_NO_NUL)]
EMAIL_PATTERN = r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"


def _email(value: str) -> str:
    if not is_email(value):
        raise ValueError("not a valid e-mail address")
    return value


Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN), AfterValidator(_email)]
Country = Annotated[str | None, _Empty, StringConstraints(pattern=r"^([A-Z]{2})?$")]
Zip = Annotated[str | None, _Empty, StringConstraints(max_length=16, strip_whitespace=True, pattern=_NO_NUL)]


class Part(BaseModel):
    """Unknown fields are refused: they are usually typos. Empty text is stored as "" (null is
    accepted for it), and bidi controls and invisible characters are taken out of every text
    (einblick.text); one check per object rather than one per field keeps the import fast."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _empty_text(self) -> Any:
        for name in _text_fields(type(self)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, "")
        for name, value in self.__dict__.items():
            if type(value) is str and INVISIBLE.search(value):
                object.__setattr__(self, name, INVISIBLE.sub("", value).strip())
        return self


@functools.cache
def _text_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name, info in model.model_fields.items() if _Empty in info.metadata)


class Payload(Part):
    """A whole object as PUT. The read-only fields of a GET answer are ignored, so what a GET
    returns can be sent back as it is."""

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict) and not READ_ONLY_FIELDS.isdisjoint(data):
            return {key: value for key, value in data.items() if key not in READ_ONLY_FIELDS}
        return data


class AddressIn(Part):
    street: Text200 = ""
    zip: Zip = ""
    city: Text200 = ""
    country: Country = ""


class CustomerIn(Payload):
    kind: Literal["person", "company"]
    salutation: Text50 = ""
    first_name: Text200 = ""
    last_name: Text200 = ""
    company_name: Text200 = ""
    birth_date: Date = None
    emails: Annotated[list[Email], Field(max_length=20)] = []
    phone: Text64 = ""
    intermediary: Text64 = ""
    address: AddressIn | None = None


class RiskLocationIn(AddressIn):
    label: Text200 = ""


class ContractIn(Payload):
    customer: ExternalId
    number: Text100 = ""
    line: ExternalId
    insurer: Text200 = ""
    product: Text200 = ""
    risk: Text500 = ""
    status: Literal[
        "ANFRAGE", "ANGEBOT", "EIGEN", "FREMD", "FREMDTEIL", "GESPERRT", "INFO", "RUHEND", "STORNO"
    ]
    offer_date: Date = None
    application_date: Date = None
    document_date: Date = None
    start_date: Date = None
    end_date: Date = None
    premium: Money = None
    payment_interval: Literal["monthly", "quarterly", "half_yearly", "yearly", "single"] | None = None
    intermediary: Text64 = ""
    risk_locations: Annotated[list[RiskLocationIn], Field(max_length=100)] = []


class ClaimIn(Payload):
    customer: ExternalId
    contract: ExternalId | None = None
    number: Text100 = ""
    loss_date: Date = None
    status: Literal["reported", "open", "settled", "closed", "rejected"]
    description: LongText = ""
    amount_reserved: Money = None
    amount_paid: Money = None


class StaffIn(Payload):
    name: Name
    email: Email
    phone: Text64 = ""
    role: Literal["admin", "user", "none"] = "user"


class LineIn(Payload):
    label: Name
    group: Literal[
        "Wohnen", "Mobilität", "Haftung", "Gesundheit", "Vorsorge", "Recht", "Gewerbe", "Sonstiges"
    ] = "Sonstiges"
    gdv: Annotated[str, StringConstraints(pattern=r"^\d{3}$")] | None = None


class TariffAccountIn(Payload):
    name: Name
    url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[^\s/$.?#\x00][^\s\x00]*$")]
