"""The repositories and outside services the audit feature needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.audit.model import AuditEntry, Month
from domain.shared.errors import ValidationFailed
from domain.shared.paging import Page, PageRequest


@dataclass(frozen=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        # A record is a type and an id: an id alone would match across types, and no index
        # serves it.
        if self.target_id is not None and self.target_type is None:
            raise ValidationFailed.of("target_type", "is required with target_id")
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise ValidationFailed.of("until", "must be after since")


class AuditLog(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...
    async def record_many(self, entries: Sequence[AuditEntry]) -> None: ...
    async def list(self, flt: AuditFilter, page: PageRequest) -> Page[AuditEntry]: ...


class AuditPartitions(Protocol):
    """The audit log's monthly partitions and its catch-all for entries outside them."""

    async def months(self) -> list[Month]: ...
    async def create(self, month: Month) -> None: ...
    async def drop(self, month: Month) -> None: ...
    async def purge_catch_all(self, before: datetime) -> int: ...
