"""The repositories and outside services the exports feature needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from domain.customers.queries import CustomerFilter
from domain.exports.model import Export
from domain.shared.authz import Actor, Principal, Visibility
from domain.shared.ports import UnitOfWork


class ExportRepository(Protocol):
    async def get(self, export_id: uuid.UUID, lock: bool = False) -> Export | None: ...
    async def add(self, export: Export) -> None: ...
    async def save(self, export: Export) -> None: ...
    async def add_chunk(self, export_id: uuid.UUID, seq: int, data: bytes) -> None: ...
    async def chunk(self, export_id: uuid.UUID, seq: int) -> bytes | None: ...
    async def stale(self, older_than: datetime) -> Sequence[uuid.UUID]: ...
    async def active_for(self, user_id: uuid.UUID) -> int:
        """How many of the user's exports are pending or running, counted under a lock on the
        user's exports that the transaction holds: two requests at once cannot both pass."""
        ...
    async def expire(self, finished_before: datetime) -> int:
        """Deletes the files of exports finished before this; they answer 'expired'."""
        ...


class SheetTally(Protocol):
    """Reads back an XLSX written so far, chunk by chunk in order, to write its end."""

    def feed(self, written: bytes) -> None: ...
    def tail(self) -> bytes:
        """The bytes that close the workbook after everything fed."""
        ...


class SheetEncoder(Protocol):
    def csv(self, rows: Sequence[Sequence[Any]]) -> bytes: ...

    # An XLSX is written in pieces that concatenate into one workbook, so that it is resumed
    # between them like a CSV: the head (with the header row), rows, then the tail.
    def xlsx_head(self, header: Sequence[Any]) -> bytes: ...
    def xlsx_rows(self, rows: Sequence[Sequence[Any]], first_row: int) -> bytes:
        """Rows of the sheet, the first of them at row number first_row (1 is the header)."""
        ...
    def xlsx_tally(self) -> SheetTally: ...


# ---- the other features an export reads through ----------------------------------------------


class CustomerVisibility(Protocol):
    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility:
        """The customers the exporting user sees: the file holds those and no others."""
        ...


class SegmentFilters(Protocol):
    async def segment_filter(self, actor: Actor, segment_id: uuid.UUID) -> CustomerFilter:
        """The filter of a saved segment the caller may use (NotFound otherwise)."""
        ...
