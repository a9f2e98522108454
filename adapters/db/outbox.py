"""The outbox (a transaction's events, written with it) and the consumers' processed markers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db import tables
from adapters.db.base import SqlRepository
from adapters.db.held_writes import HeldWrites, send_held
from domain.shared.events import DomainEvent

_INSERT_EVENTS = insert(tables.outbox)
_EVENT = select(tables.outbox).where(tables.outbox.c.id == bindparam("event_id"))


def event_of(row: Any) -> DomainEvent:
    """The event an outbox row holds (any row with the outbox's columns)."""
    return DomainEvent(type=row.type, aggregate_type=row.aggregate_type,
                       aggregate_id=row.aggregate_id, payload=row.payload, id=row.id,
                       occurred_at=row.occurred_at)


async def write_events(conn: AsyncConnection, events: Sequence[DomainEvent],
                       held: HeldWrites | None = None) -> None:
    """One INSERT for all of a transaction's events: one round trip, whatever the count; with
    `held`, the unit's held writes go in the same statement (the events as one array per
    column, so an import chunk's thousands cost what a few do)."""
    rows = [{"id": e.id, "type": e.type, "aggregate_type": e.aggregate_type,
             "aggregate_id": e.aggregate_id, "payload": e.payload,
             "occurred_at": e.occurred_at} for e in events]
    if held is not None:
        statement = held.statement(rows)
        if statement is not None:
            await send_held(conn, statement)
        return
    if rows:
        await conn.execute(_INSERT_EVENTS, rows)  # executemany: compiled once, cached


class SqlOutbox(SqlRepository):
    async def add(self, event: DomainEvent) -> None:
        await write_events(self.conn, [event])

    async def add_all(self, events: Sequence[DomainEvent],
                      held: HeldWrites | None = None) -> None:
        await write_events(self.conn, events, held)

    async def get(self, event_id: uuid.UUID) -> DomainEvent | None:
        row = (await self.conn.execute(_EVENT, {"event_id": event_id})).first()
        return event_of(row) if row is not None else None


class SqlProcessedEvents(SqlRepository):
    async def mark(self, consumer: str, event_id: uuid.UUID) -> None:
        """Held to the commit with the consumer's effects: no round trip of its own. A run
        after one that committed fails on the key at its commit; two runs at once, the second
        waits on the first's uncommitted key, then fails on it."""
        await self.held.add(self.conn, tables.processed_events,
                            [{"consumer": consumer, "event_id": event_id}])
