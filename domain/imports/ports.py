"""The repositories and outside services the imports feature needs."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from typing import Protocol

from domain.customers.model import TierPolicy
from domain.imports.model import Import
from domain.leads.commands import CaptureLead
from domain.leads.model import Lead
from domain.shared.authz import Actor, Principal, Visibility
from domain.shared.ports import UnitOfWork


class ImportRepository(Protocol):
    async def get(self, import_id: uuid.UUID, lock: bool = False) -> Import | None: ...
    async def take(self, import_id: uuid.UUID) -> Import | None:
        """The import, locked for a stretch of its work; None when it does not exist or
        another job holds it (that job goes on with the work and queues what remains)."""
        ...
    async def add(self, imp: Import, content: bytes) -> None: ...
    async def save(self, imp: Import) -> None: ...
    async def content(self, import_id: uuid.UUID) -> bytes: ...
    async def stage(self, import_id: uuid.UUID,
                    rows: Sequence[tuple[int, dict[str, str]]]) -> None:
        """Adds rows of the file to those staged."""
        ...
    async def unstage(self, import_id: uuid.UUID) -> None:
        """Forgets the rows staged (by a dry run, or a stretch of staging before)."""
        ...
    async def rows(self, import_id: uuid.UUID, after: int, limit: int
                   ) -> Sequence[tuple[int, dict[str, str]]]:
        """Staged rows with a row number above `after`, in order."""
        ...
    async def add_errors(self, import_id: uuid.UUID,
                         errors: Sequence[tuple[int, str, str, str]]) -> None: ...
    def errors(self, import_id: uuid.UUID) -> AsyncIterator[tuple[int, str, str, str]]: ...
    async def seen_keys(self, import_id: uuid.UUID, keys: Sequence[str]
                        ) -> dict[str, uuid.UUID | None]:
        """Keys met in earlier rows of this file, with the customer they led to."""
        ...
    async def remember_keys(self, import_id: uuid.UUID,
                            keys: Sequence[tuple[str, uuid.UUID | None]]) -> None: ...
    async def reset(self, import_id: uuid.UUID) -> None:
        """Forgets the keys and errors of an earlier (dry) run."""
        ...
    async def stale(self, older_than: datetime) -> Sequence[uuid.UUID]:
        """Imports still pending or running whose last progress is older than this."""
        ...
    async def purge_content(self, import_id: uuid.UUID) -> None:
        """Drops the uploaded file and its staged rows (personal data in clear)."""
        ...
    async def purge_previews(self, older_than: datetime) -> int:
        """Dry runs finished before this lose their file and are marked failed (expired)."""
        ...


class TableReader(Protocol):
    def __call__(self, content: bytes, fmt: str, encoding: str | None
                 ) -> tuple[builtins.list[str], Iterator[tuple[int, dict[str, str]]],
                            str | None]:
        """(headers, (row number, {header: value}) per non-blank row, encoding used)."""
        ...


# ---- the other features an import writes through ---------------------------------------------


class CustomerRules(Protocol):
    """What the customers feature decides for a row that becomes or changes a customer."""

    @property
    def tier_policy(self) -> TierPolicy: ...

    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility:
        """The customers the importing user sees: a duplicate of one it does not see is
        skipped, never merged into."""
        ...


class LeadCapture(Protocol):
    """The leads feature's capture use case, run inside the chunk's transaction, so that an
    imported lead gets the API's validation flags, duplicate check, scoring and routing."""

    async def capture_in(self, uow: UnitOfWork, actor: Actor, command: CaptureLead
                         ) -> Lead: ...
