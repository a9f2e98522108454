"""What every repository shares: the unit of work's connection, the aggregates it saw (their
events go to the outbox on commit) and its held writes; optimistic versioning; dataclasses as
rows. Repositories never commit: the unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db.held_writes import HeldWrites
from domain.shared.errors import StaleVersion


def columns_of(obj: Any, table: Table) -> dict[str, Any]:
    """The dataclass fields that are also columns of the table."""
    names = set(table.c.keys())
    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name in names}


def new_rows(objs: Sequence[Any], table: Table,
             generated: tuple[str, ...] = ("id", "at")) -> list[dict[str, Any]]:
    """Rows to insert for append-only records whose id and time the database assigns."""
    rows = []
    for obj in objs:
        values = columns_of(obj, table)
        for name in generated:
            values.pop(name, None)
        rows.append(values)
    return rows


class SqlRepository:
    def __init__(self, conn: AsyncConnection, seen: list[Any],
                 held: HeldWrites | None = None) -> None:
        self.conn = conn
        self.seen = seen
        self.held = held if held is not None else HeldWrites(defer=False)

    async def _save_versioned(self, table: Table, obj: Any, kind: str) -> None:
        """Optimistic concurrency: the row must still carry the version we loaded."""
        values = columns_of(obj, table)
        values.pop("created_at", None)
        if "updated_at" in table.c:
            values["updated_at"] = func.now()
        loaded = obj.version_loaded
        result = await self.conn.execute(
            update(table).where(table.c.id == obj.id, table.c.version == loaded).values(**values)
        )
        if result.rowcount != 1:
            current = await self.conn.scalar(select(table.c.version).where(table.c.id == obj.id))
            raise StaleVersion(kind, loaded, current or 0)
        obj.version_loaded = obj.version
        self.seen.append(obj)
