"""What every repository shares: the unit of work's connection, the aggregates it saw (their
events go to the outbox on commit) and its held writes; optimistic versioning; dataclasses as
rows. Repositories never commit: the unit of work does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db.held_writes import HeldWrites
from domain.shared.errors import StaleVersion

T = TypeVar("T")


def loaded(obj: T) -> T:
    """An aggregate as read or written: the version its next save must still find."""
    aggregate: Any = obj
    aggregate.version_loaded = aggregate.version
    return obj


_SHARED_NAMES: dict[tuple[type, str], tuple[str, ...]] = {}


def _shared_names(kind: type, table: Table) -> tuple[str, ...]:
    names = _SHARED_NAMES.get((kind, table.name))
    if names is None:
        columns = set(table.c.keys())
        names = _SHARED_NAMES[kind, table.name] = tuple(
            f.name for f in fields(kind) if f.name in columns)
    return names


def columns_of(obj: Any, table: Table) -> dict[str, Any]:
    """The dataclass fields that are also columns of the table. (Which those are is worked out
    once per class and table: an import chunk maps thousands of records a second.)"""
    return {name: getattr(obj, name) for name in _shared_names(type(obj), table)}


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

    async def _one(self, table: Table, record: Callable[[Row[Any]], T],
                   *where: ColumnElement[bool], lock: bool = False) -> T | None:
        """The record the conditions pick (one row at most), locked FOR UPDATE when asked."""
        stmt = select(table).where(*where)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        return record(row) if row else None

    async def _insert_stamped(self, table: Table, obj: Any, values: dict[str, Any]) -> None:
        """A new aggregate's row: the database's created_at and updated_at go back onto it."""
        row = (await self.conn.execute(insert(table).values(**values).returning(
            table.c.created_at, table.c.updated_at))).one()
        obj.created_at, obj.updated_at = row.created_at, row.updated_at
        loaded(obj)

    async def _update_versioned(self, table: Table, obj: Any, kind: str,
                                values: dict[str, Any]) -> datetime | None:
        """Optimistic concurrency: writes `values` (and a fresh updated_at where the table has
        one) only over the version we loaded, else StaleVersion; answers the new updated_at.
        """
        loaded_version = obj.version_loaded
        stamped = "updated_at" in table.c
        if stamped:
            values = {**values, "updated_at": func.now()}
        row = (await self.conn.execute(
            update(table).where(table.c.id == obj.id, table.c.version == loaded_version)
            .values(**values).returning(table.c.updated_at if stamped else table.c.id)
        )).first()
        if row is None:
            current = await self.conn.scalar(select(table.c.version).where(table.c.id == obj.id))
            raise StaleVersion(kind, loaded_version, current or 0)
        return row[0] if stamped else None

    async def _save_versioned(self, table: Table, obj: Any, kind: str) -> None:
        """Saves the dataclass's columns over the version we loaded."""
        values = columns_of(obj, table)
        values.pop("created_at", None)
        await self._update_versioned(table, obj, kind, values)
        loaded(obj)
        self.seen.append(obj)
