"""Shared response shapes: problems and lists."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from domain.shared.commands import UNSET
from domain.shared.errors import ValidationFailed
from domain.shared.paging import TOTAL_BOUND, Page

T = TypeVar("T")


# Searched by the regular expression engine, not character by character in Python: a body
# of a megabyte of text is walked in milliseconds rather than seconds of the event loop.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_text(value: Any, where: str = "") -> str | None:
    """The first place holding text PostgreSQL cannot store (NUL, a lone surrogate). A path is
    spelled out only for containers and for the one string found: not for every value."""
    if isinstance(value, str):
        return (where or "body") if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for k, v in items:
        if isinstance(k, str) and _UNSTORABLE.search(k):
            return where or "body"
        if isinstance(v, str):
            if _UNSTORABLE.search(v):
                return f"{where}.{k}".strip(".")
        elif isinstance(v, (dict, list)):
            found = _unstorable_text(v, f"{where}.{k}".strip("."))
            if found:
                return found
    return None


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_time_text(value: Any) -> Any:
    """Pydantic's lax mode reads a number as a Unix time (`0` is 1970); the contract offers
    ISO 8601 text only, in bodies and query strings alike."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE_TIME.match(value)):
        return value
    raise PydanticCustomError("date_time_text", "must be an ISO 8601 date-time such as "
                              "2026-01-31T09:00:00+08:00")


def _date_text(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise PydanticCustomError("date_text", "must be an ISO 8601 date such as 2026-01-31")


# Patterns of text the domain checks (after trimming spaces)
NOT_BLANK = r"\S"  # somewhere a character that is not a space
CURRENCY = r"^[A-Za-z]{3}$"  # ISO 4217, upper-cased by the domain
KEY = r"^[a-z][a-z0-9_]{0,49}$"  # custom field and stage keys
TAG = r"^\s*[^\s,][^,]*$"  # a tag's name: no comma


def _decimal_text(value: Any) -> Any:
    if isinstance(value, Decimal | str):
        return value
    raise PydanticCustomError("decimal_text", "must be a decimal string such as \"12.50\", "
                              "never a JSON number (it would be a float)")


def decimal_text(pattern: str) -> tuple[Any, ...]:
    """The metadata of a decimal read as text only, of the form `pattern` (the domain's own
    digits, places and bounds)."""
    return (BeforeValidator(_decimal_text),
            WithJsonSchema({"type": "string", "pattern": pattern}, mode="validation"))


# The types of every date, time and truth value the API reads: text for dates and times,
# JSON true/false for booleans (never 0, 1 or "yes").
DateTime = Annotated[datetime, BeforeValidator(_date_time_text)]
Date = Annotated[date, BeforeValidator(_date_text)]
Bool = StrictBool


def without_null(schema: dict[str, Any]) -> None:
    """A parameter or field that may be left out, shown without a null it cannot take."""
    options = schema.pop("anyOf", None)
    if options is not None:
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    schema.pop("default", None)


def omittable(**constraints: Any) -> Any:
    """A field of a partial update that may be left out but not sent as null (it cannot be
    emptied): None stands for "left out" here, the contract shows no null."""
    return Field(None, json_schema_extra=without_null, **constraints)


class Input(BaseModel):
    """Every request body: unknown fields are rejected, not ignored; text must be storable."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        where = _unstorable_text(data)
        if where is not None:
            raise PydanticCustomError("unstorable", "contains a NUL or an unpaired surrogate "
                                      f"character ({where})")
        return data


def sent(body: BaseModel, name: str, *, required: bool = False) -> Any:
    """What a partial update holds for `name`: its value (null included) when the client sent
    the field, UNSET when it left it out. `required`: null is refused, the field cannot be
    emptied."""
    if name not in body.model_fields_set:
        return UNSET
    value = getattr(body, name)
    if value is None and required:
        raise ValidationFailed.of(name, "api.cannot_be_emptied")
    return value


class FieldError(BaseModel):
    field: str
    code: str = Field(description="The same in every language; act on this, not the message",
                      examples=["invalid_email"])
    message: str = Field(description="In the caller's language",
                         examples=["不是有效的电子邮箱地址"])


class Problem(BaseModel):
    """RFC 9457 problem details. `title`, `detail` and each message are in the caller's
    language (the saved one, else Accept-Language, else the organisation's); `type`, `code`
    and each error's `code` are the same in every language."""

    type: str = Field(examples=["/problems/validation"])
    title: str = Field(examples=["Validation failed"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["email: is not a valid e-mail address"])
    code: str | None = Field(None, description="What went wrong, the same in every language",
                             examples=["not_found"])
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ListOf(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last page")

    @classmethod
    def page(cls, result: Page[Any], shape: Callable[[Any], T]) -> Self:
        """One page of a list, each record in its response shape: `ListOf[X].page(page, X.of)`."""
        return cls(items=[shape(record) for record in result.items],
                   next_cursor=result.next_cursor)


class CountedListOf(ListOf[T], Generic[T]):
    """A list a person works through on a screen: on `?with_total=true` it also says how many
    records match the filters, exactly up to a bound and "at least the bound" beyond it."""

    total: int | None = Field(None, description=(
        "How many records match, when asked (`with_total=true`); null when not asked or when "
        f"counting took longer than allowed. Exact up to {TOTAL_BOUND}; beyond that it is "
        f"{TOTAL_BOUND} and `total_is_lower_bound` is true (show \"{TOTAL_BOUND:,}+\")."))
    total_is_lower_bound: bool | None = Field(
        None, description="True when more records match than `total` says")

    @classmethod
    def page(cls, result: Page[Any], shape: Callable[[Any], T]) -> Self:
        out = super().page(result, shape)
        if result.total is not None:
            out.total, out.total_is_lower_bound = result.total.count, result.total.lower_bound
        return out


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route declares, for the OpenAPI document."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"model": Problem, "content": {"application/problem+json": {}}}
    return out


AUTHED = (401, 403, 422)
