"""A record's timeline on PostgreSQL: append-only lines (a customer's, a lead's), held to the
commit with the unit's other writes and read newest first. One class serves every timeline:
each is a table, the column naming its record, and the dataclass of its lines."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, Table, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db.base import SqlRepository, new_rows
from adapters.db.held_writes import HeldWrites
from adapters.db.keyset import fetch_page
from domain.shared.catalogue import render
from domain.shared.paging import Page, PageRequest
from domain.shared.text import Text

Entry = TypeVar("Entry")

# What a line keeps of its words (the domain cuts plain ones to the same length).
SUMMARY_CHARS = 500


class SqlTimeline(SqlRepository, Generic[Entry]):
    def __init__(self, conn: AsyncConnection, seen: list[Any], held: HeldWrites | None, *,
                 table: Table, key: Column[uuid.UUID], entry: Callable[..., Entry]) -> None:
        super().__init__(conn, seen, held)
        self._table = table
        self._key = key
        self._entry = entry

    async def add(self, entry: Entry) -> None:
        await self.add_many([entry])

    async def add_many(self, entries: Sequence[Entry]) -> None:
        if entries:
            rows = new_rows(entries, self._table)
            for row in rows:
                summary = row["summary"]
                row["summary_text"] = None
                if isinstance(summary, Text):
                    row["summary_text"] = summary.to_json()
                    row["summary"] = render(summary, "en")[:SUMMARY_CHARS]
            await self.held.add(self.conn, self._table, rows)

    async def list(self, record_id: uuid.UUID, page: PageRequest) -> Page[Entry]:
        await self.held.flush(self.conn)
        return await fetch_page(
            self.conn, select(self._table).where(self._key == record_id), [self._table.c.id],
            page, self._row_entry, descending=True)

    def _row_entry(self, row: Row) -> Entry:
        values = dict(row._mapping)
        stored = values.pop("summary_text", None)
        if stored:
            values["summary"] = Text.from_json(stored)
        return self._entry(**values)
