"""The one "load it or 404" rule: a record the caller may not see answers as if it did not
exist, and the attempt is told apart (HiddenRecord) so that it can be audited. Records
without owners (settings, templates, keys) answer 404 when they are missing, and imports
and exports when they are someone else's."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Protocol, TypeVar

from domain.shared.authz import Principal, Role
from domain.shared.errors import HiddenRecord, NotFound

T = TypeVar("T")


class Existence(Protocol):
    async def exists(self, record_id: uuid.UUID) -> bool: ...


class Created(Protocol):
    @property
    def created_by(self) -> uuid.UUID | None: ...


C = TypeVar("C", bound=Created)


async def found_or_404(found: Awaitable[T | None], what: str, record_id: object) -> T:
    """The record a plain read found, or NotFound."""
    record = await found
    if record is None:
        raise NotFound(what, record_id)
    return record


async def own_or_404(found: Awaitable[C | None], p: Principal, what: str,
                     record_id: uuid.UUID) -> C:
    """A record only the user who made it and admins may see (an import, an export)."""
    record = await found
    if record is None or (record.created_by != p.id and p.role != Role.ADMIN):
        raise NotFound(what, record_id)
    return record


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
