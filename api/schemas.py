"""Shared response shapes: problems and lists."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from domain.shared.commands import UNSET
from domain.shared.errors import ValidationFailed
from domain.shared.paging import Page

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
        raise ValidationFailed.of(name, "cannot be emptied")
    return value


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["/problems/validation"])
    title: str = Field(examples=["Validation failed"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["email: is not a valid e-mail address"])
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


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route declares, for the OpenAPI document."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"model": Problem, "content": {"application/problem+json": {}}}
    return out


AUTHED = (401, 403, 422)
