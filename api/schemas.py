"""Shared response shapes: problems and lists."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

T = TypeVar("T")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


class Input(BaseModel):
    """Every request body: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL stores no NUL character in text or JSON: refuse it here, naming the field,
        # rather than fail in the database.
        if _has_nul(value):
            raise ValueError("must not contain NUL characters")
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


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route declares, for the OpenAPI document."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"model": Problem, "content": {"application/problem+json": {}}}
    return out


AUTHED = (401, 403, 422)
