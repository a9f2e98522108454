"""Writes held until the unit of work commits, then sent in one statement with its outbox
events."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Table, Text, bindparam, cast, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db import tables
from domain.shared.ports import AlreadyProcessed


class HeldWrites:
    """Writes that nothing reads back in their own transaction, held until the unit of work
    commits and then sent together with its outbox events in one statement. These are the
    rows of the append-only logs (the audit log, the timelines of customers and leads), new
    tasks, and a department's least-loaded turn pointer.

    A use case pays one round trip for all of them instead of one each. A lead capture that
    holds a lock until it commits (a least-loaded department, a rep with a capacity) holds it
    for that many round trips less.

    A repository that reads or changes what may be held calls `flush` first (a task read, a
    merge moving timelines). Past LIMIT rows (an import's chunk) rows are written as they come,
    and an autocommit unit holds nothing."""

    LIMIT = 200

    def __init__(self, defer: bool = True) -> None:
        self.defer = defer
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self.count = 0
        self.statements: list[Any] = []

    async def add(self, conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
        """New rows for `table`: held, or (many, or in an autocommit unit) written at once, after
        what is held, in one executemany."""
        if self.defer and self.count + len(rows) <= self.LIMIT:
            self.rows.setdefault(table, []).extend(rows)
            self.count += len(rows)
            return
        await self.flush(conn)
        if rows:
            await send_rows(conn, table, rows)

    async def later(self, conn: AsyncConnection, statement: Any) -> None:
        """An UPDATE whose values are bound in it (it becomes a WITH of the final statement)."""
        self.statements.append(statement)
        if not self.defer:
            await self.flush(conn)

    @property
    def pending(self) -> bool:
        return bool(self.rows or self.statements)

    def statement(self, events: list[dict[str, Any]] | None = None
                  ) -> tuple[Any, dict[str, Any]] | None:
        """One statement with every held write (each a WITH) and its parameters, ending with
        the INSERT of `events` (outbox rows) or a bare SELECT; None when there is nothing to
        write."""
        if not self.pending and not events:
            return None
        held, self.rows, self.count = self.rows, {}, 0
        writes, self.statements = self.statements, []
        params: dict[str, Any] = {}
        for table, rows in held.items():
            by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                by_shape.setdefault(tuple(row), []).append(row)
            for columns, same in by_shape.items():
                writes.append(_many_rows(table, columns, len(writes), same, params))
        stmt = (_many_rows(tables.outbox, tuple(events[0]), -1, events, params) if events
                else select(literal(1)))
        for i, write in enumerate(writes):
            stmt = stmt.add_cte(write.cte(f"held_{i}"))
        return stmt, params

    async def flush(self, conn: AsyncConnection) -> None:
        held = self.statement()
        if held is not None:
            await send_held(conn, held)


async def send_held(conn: AsyncConnection, statement: tuple[Any, dict[str, Any]]) -> None:
    """Runs a statement of held writes; a 'processed' marker another run committed first
    becomes AlreadyProcessed (see SqlProcessedEvents)."""
    try:
        await conn.execute(*statement)
    except IntegrityError as e:
        cause = getattr(e.orig, "__cause__", None)
        if getattr(cause, "constraint_name", None) == "pk_processed_events":
            raise AlreadyProcessed() from e
        raise


async def send_rows(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many rows of one table in one statement per shape of row (an import chunk's audit
    entries and timeline: thousands of rows, one array per column)."""
    if any(isinstance(column.type, ARRAY) for column in table.c):
        await conn.execute(insert(table), rows)  # see _many_rows: an executemany
        return
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_shape.setdefault(tuple(row), []).append(row)
    for columns, same in by_shape.items():
        params: dict[str, Any] = {}
        statement = _many_rows(table, columns, 0, same, params)
        await conn.execute(statement, params)


def _is_json(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, JSON)


# Built once per table, columns and place in the statement, so that SQLAlchemy caches the
# compiled statement: a multi-row VALUES insert has no cache key, and would be compiled anew
# for every unit of work.
_MANY_ROWS: dict[tuple[str, tuple[str, ...], int], Any] = {}


def _many_rows(table: Table, columns: tuple[str, ...], slot: int,
               rows: list[dict[str, Any]], params: dict[str, Any]) -> Any:
    """INSERT … SELECT FROM unnest(an array per column): any number of rows, in their order,
    in one statement whose parameters go into `params`. (An array column would be flattened by
    unnest: such a table's rows go in as a plain multi-row insert. A JSON value goes in as its
    text, cast back in SQL: a list, as an array's element, would be taken for a dimension.)"""
    if any(isinstance(table.c[c].type, ARRAY) for c in columns):
        return insert(table).values(rows)
    prefix = f"h{slot}_" if slot >= 0 else "e_"
    stmt = _MANY_ROWS.get((table.name, columns, slot))
    if stmt is None:
        source = func.unnest(*(bindparam(prefix + c, type_=ARRAY(
            Text if _is_json(table, c) else table.c[c].type)) for c in columns)
        ).table_valued(*columns).render_derived()
        stmt = insert(table).from_select(list(columns), select(*(
            cast(source.c[c], table.c[c].type) if _is_json(table, c) else source.c[c]
            for c in columns)))
        _MANY_ROWS[(table.name, columns, slot)] = stmt
    for c in columns:
        # json.dumps is what the dialect serializes JSON with (None too: JSON's null).
        params[prefix + c] = ([json.dumps(row[c]) for row in rows] if _is_json(table, c)
                              else [row[c] for row in rows])
    return stmt
