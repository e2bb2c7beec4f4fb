"""The shapes the AMS sends (api-v1.md "Portfolio"), validated with pydantic.

The API, the batch import and the command line all validate through these models, so one object is
judged the same way whichever door it comes through. Rules that need the database (references, a
claim's contract belonging to its customer) live in the import service.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from einblick.brokers.models import EXTERNAL_ID_PATTERN
from einblick.errors import explain_pattern
from einblick.text import EMAIL_PATTERN, INVISIBLE, is_email

ExternalId = Annotated[
    str,
    StringConstraints(
        pattern=explain_pattern(EXTERNAL_ID_PATTERN, "must be 1–64 characters of A-Z a-z 0-9 . _ : -")
    ),
]
READ_ONLY_FIELDS = frozenset(
    {"external_id", "code", "created_at", "updated_at", "source", "size", "sha256", "content_type"}
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
_MONEY = re.compile(MONEY_PATTERN)
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
    """A decimal string as api-v1.md says ("12.50"), exactly MONEY_PATTERN (no sign, no blanks), or a
    whole number of euros; no other number: the OpenAPI document and the server agree on every value."""
    if value is None or isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float) and value.is_integer():  # 285.0 is an integer to JSON Schema
        amount = Decimal(int(value))
    elif not isinstance(value, str):
        raise ValueError('must be a decimal string such as "12.50", or whole euros')
    elif value.startswith("-"):
        raise ValueError("must not be negative")
    elif not _MONEY.fullmatch(value):
        raise ValueError('must be a decimal string with at most two places, such as "12.50"')
    else:
        amount = Decimal(value)
    if amount is None:
        return None
    if amount < 0:
        raise ValueError("must not be negative")
    if amount >= Decimal("1e10") or amount != amount.quantize(_CENT):  # large first: quantize fails on it
        raise ValueError("must have at most ten digits before and two after the point")
    return amount.quantize(_CENT)


Date = Annotated[date | None, BeforeValidator(_date)]
Money = Annotated[
    Decimal | None,
    BeforeValidator(_money),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": MONEY_PATTERN},
                {"type": "integer", "minimum": 0, "maximum": 9_999_999_999},
                {"type": "null"},
            ],
            "description": 'euros: a decimal string with at most two places ("12.50"), or whole euros',
        }
    ),
]


_NO_NUL = explain_pattern(
    r"^[^\x00]*$", "must not contain NUL characters"
)  # PostgreSQL cannot store NUL characters in text
_Empty = "text"  # marks optional text: null becomes "" (see Part)
Text50 = Annotated[str | None, _Empty, StringConstraints(max_length=50, pattern=_NO_NUL)]
Text64 = Annotated[str | None, _Empty, StringConstraints(max_length=64, pattern=_NO_NUL)]
Text100 = Annotated[str | None, _Empty, StringConstraints(max_length=100, pattern=_NO_NUL)]
Text200 = Annotated[str | None, _Empty, StringConstraints(max_length=200, pattern=_NO_NUL)]
Text500 = Annotated[str | None, _Empty, StringConstraints(max_length=500, pattern=_NO_NUL)]
LongText = Annotated[str | None, _Empty, StringConstraints(max_length=10_000, pattern=_NO_NUL)]


# A name holds at least one visible character: blanks (str.strip's, which are more than \s of the
# regular expressions), control, bidi and invisible characters are taken out of it (see Part), so a
# name of nothing else would be stored empty. The pattern says so in the OpenAPI document too.
# Characters that show nothing: blanks, controls, bidi and format characters, fillers, variation
# selectors and tags (names made of them alone look empty).
_BLANKS = (
    r"\x01-\x20\x7f-\xa0\xad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200f"
    r"\u2028-\u202f\u205f-\u206f\u2800\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    r"\U000e0000-\U000e0fff"
)
_VISIBLE = rf"[^\x00{_BLANKS}]"
# Blanks first, then a visible character, then anything but NUL: one way to match, so that regular
# expression engines that backtrack stay linear (issue 15 review).
VISIBLE_PATTERN = explain_pattern(rf"^[{_BLANKS}]*{_VISIBLE}[^\x00]*$", "must not be blank")
Name = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=200,
        pattern=VISIBLE_PATTERN,
    ),
]


def _email(value: str) -> str:
    if not is_email(value):
        raise ValueError("not a valid e-mail address")
    return value


explain_pattern(EMAIL_PATTERN, "not a valid e-mail address")
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN), AfterValidator(_email)]
Country = Annotated[
    str | None,
    _Empty,
    StringConstraints(
        pattern=explain_pattern(r"^([A-Z]{2})?$", "a country code of two capital letters, such as DE")
    ),
]
Zip = Annotated[str | None, _Empty, StringConstraints(max_length=16, pattern=_NO_NUL)]


class Part(BaseModel):
    """Unknown fields are refused: they are usually typos. Empty text is stored as "" (null is
    accepted for it), and blanks around it, bidi controls and invisible characters are taken out of
    every text (einblick.text); one pass per object rather than one per field keeps the import fast."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _empty_text(self) -> Any:
        for name in _text_fields(type(self)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, "")
        tidy_text(self)
        return self


def tidy_text(model: BaseModel) -> None:
    """Blanks around every text, bidi controls and invisible characters in it, taken out after the
    field's rules were checked on the text as it was sent: a limit of 200 characters in the OpenAPI
    document is a limit on what the client sends (issue 15: schemathesis sent 201 characters that
    fitted once stripped, and was right that they should have been refused)."""
    for name, value in model.__dict__.items():
        if type(value) is str:
            tidy = _tidy(value)
            if tidy is not value:
                object.__setattr__(model, name, tidy)
        elif type(value) is list and value and type(value[0]) is str:
            object.__setattr__(model, name, [_tidy(item) for item in value])


def _tidy(value: str) -> str:
    tidy = value.strip()
    return INVISIBLE.sub("", tidy).strip() if INVISIBLE.search(tidy) else tidy


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
    gdv: Annotated[str, StringConstraints(pattern=explain_pattern(r"^[0-9]{3}$", "three digits"))] | None = (
        None
    )


_NOT_IN_URL = r"\x00-\x20\x7f-\xa0\[\]\u061c\u1680\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff"
_URL_CHAR = f"[^{_NOT_IN_URL}]"


class TariffAccountIn(Payload):
    name: Name
    # No blanks, control or invisible characters (named one by one: "\s" means other characters in
    # the document's regular expressions than in the server's), no brackets: an IPv6 literal is no
    # tariff calculator, and "http://[x" breaks URL parsers.
    url: Annotated[
        str,
        StringConstraints(
            max_length=2000,
            pattern=explain_pattern(
                rf"^https?://[^/$.?#{_NOT_IN_URL}]{_URL_CHAR}*$", "an http or https URL without blanks"
            ),
        ),
    ]


# A document's keyword is one of the AMS's codes (POLICE, RECHNUNG, PORTAL): the characters of an
# external id, compared exactly as sent (visibility.md §4).
Keyword = Annotated[str, StringConstraints(pattern=EXTERNAL_ID_PATTERN)]
# The AMS's name of the file: no path separators and no control characters; cleaned for display
# (text.clean_file_name), never used as the name on disk.
FILENAME_PATTERN = explain_pattern(
    r"^[^/\\\x00-\x1f\x7f-\x9f]{1,255}$", "a file name without folders or control characters"
)


class DocumentIn(Payload):
    """A document's metadata; its file goes to PUT /documents/{id}/content."""

    customer: ExternalId
    contract: ExternalId | None = None
    claim: ExternalId | None = None
    title: Name
    date: Date = None
    kind: Literal["policy", "endorsement", "invoice", "letter", "claim", "other"]
    keywords: Annotated[list[Keyword], Field(max_length=50)] = []
    filename: Annotated[str, StringConstraints(max_length=255, pattern=FILENAME_PATTERN)] | None = None
