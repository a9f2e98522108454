"""Rows in bulk through PostgreSQL's COPY, inside the unit of work's transaction.

An executemany runs its INSERT once per row: each row pays the executor's start, its
statement-level triggers and its index insertions one at a time. COPY takes the rows in one
stream and writes them in batches; for an import chunk of 2,000 customers (two gram GIN
indexes, a facets index, ten btrees) it is three to four times faster than the executemany,
and twice as fast as one INSERT … SELECT FROM unnest.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, text
from sqlalchemy.ext.asyncio import AsyncConnection


async def copy_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
                    ) -> None:
    """Inserts rows of one shape (the first row's keys are the columns) with COPY. Columns
    left out take their defaults; JSON values go as their text, as SQLAlchemy's own codec
    for the connection expects them."""
    if not rows:
        return
    columns = list(rows[0])
    values_of = operator.itemgetter(*columns)  # C speed: a chunk has ~30 × 2,000 values
    records: list[Any] = [values_of(row) for row in rows]
    if len(columns) == 1:
        records = [(value,) for value in records]
    json_places = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    if json_places:
        # ensure_ascii off: Chinese text as UTF-8, not six-character escapes to parse again
        for n, record in enumerate(records):
            patched = list(record)
            for i in json_places:
                if patched[i] is not None:
                    patched[i] = json.dumps(patched[i], ensure_ascii=False)
            records[n] = tuple(patched)
    # The driver's connection is used as is, so the unit of work's transaction must have been
    # begun on it: a statement through SQLAlchemy begins it (and is a no-op if it was).
    await conn.execute(text("SELECT 1"))
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(table.name, records=records, columns=columns)
