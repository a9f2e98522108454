"""The one "load it or 404" rule: a record the caller may not see answers as if it did not
exist, and the attempt is told apart (HiddenRecord) so that it can be audited."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Protocol, TypeVar

from domain.shared.errors import HiddenRecord, NotFound

T = TypeVar("T")


class Existence(Protocol):
    async def exists(self, record_id: uuid.UUID) -> bool: ...


async def visible_or_404(found: Awaitable[T | None], repository: Existence, what: str,
                         record_id: uuid.UUID) -> T:
    """The record a visibility-filtered read found; HiddenRecord when it exists out of the
    caller's sight, NotFound when it does not exist at all."""
    record = await found
    if record is not None:
        return record
    if await repository.exists(record_id):
        raise HiddenRecord(what, record_id)
    raise NotFound(what, record_id)
