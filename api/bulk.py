"""The answer of a bulk change: how each record fared, with the status and message it would
have had as a change on its own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import BaseModel, Field

from api.schemas import Input
from domain.shared.bulk import MAX_BULK, Outcome
from domain.shared.errors import (
    Conflict,
    DomainError,
    HiddenRecord,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)


def _status(error: DomainError) -> int:
    """As the error handlers answer the same error for one record (api/errors.py)."""
    if isinstance(error, ValidationFailed):
        return 422
    if isinstance(error, (HiddenRecord, NotFound)):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, StaleVersion):
        return 412
    if isinstance(error, (Conflict, InvalidTransition)):
        return 409
    return 400


class BulkIds(Input):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK,
                                 description="The records picked on the list")


class BulkItemOut(BaseModel):
    id: uuid.UUID
    ok: bool
    status: int = Field(description="What the change alone would have answered (200: done)")
    error: str | None = None
    field: str | None = Field(None, description="The field a refusal names, if any")


class BulkOut(BaseModel):
    succeeded: int
    failed: int
    items: list[BulkItemOut]

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> BulkOut:
        items = []
        for o in outcomes:
            if o.error is None:
                items.append(BulkItemOut(id=o.id, ok=True, status=200))
                continue
            problems = o.error.problems if isinstance(o.error, ValidationFailed) else []
            items.append(BulkItemOut(id=o.id, ok=False, status=_status(o.error),
                                     error=o.error.detail,
                                     field=problems[0].field if problems else None))
        done = sum(1 for i in items if i.ok)
        return cls(succeeded=done, failed=len(items) - done, items=items)
