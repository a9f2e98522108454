"""Keyset pagination over Core selects: WHERE (k1, k2) > (:v1, :v2) ORDER BY k1, k2 LIMIT n+1."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Numeric,
    Select,
    func,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db.tables.base import NEVER_SQL
from domain.shared.errors import ValidationFailed
from domain.shared.paging import TOTAL_BOUND, Page, PageRequest, Total, encode_cursor

T = TypeVar("T")


def _coerce(col: ColumnElement[Any], value: Any) -> Any:
    try:
        if isinstance(col.type, DateTime):
            return datetime.fromisoformat(value)
        if isinstance(col.type, UUID):
            return uuid.UUID(value)
        if isinstance(col.type, (Integer, BigInteger)):
            return int(value)
        if isinstance(col.type, Date):
            return date.fromisoformat(value)
        if isinstance(col.type, Numeric):
            return Decimal(value)
    except (TypeError, ValueError, InvalidOperation, OverflowError):
        raise ValidationFailed.of("cursor", "is not a cursor this API gave out") from None
    if isinstance(value, float) or (isinstance(value, int) and not -2**63 < value < 2**63):
        raise ValidationFailed.of("cursor", "is not a cursor this API gave out")
    return value


# Sentinels that sort a missing value after (or before) every real one, written into the SQL
# rather than bound: an expression index on coalesce(column, sentinel) serves the sort only when
# the query's expression is the same constant (see migrations 0022).
NEVER = literal_column(NEVER_SQL, DateTime(timezone=True))
NO_AMOUNT = literal_column("'-1'::numeric", Numeric())
NO_TEXT: ColumnElement[str] = literal_column("''::text")


def plain_value(value: Any) -> Any:
    """A sort key's value as a cursor holds it (JSON)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


async def fetch_page(
    conn: AsyncConnection, stmt: Select, keys: Sequence[ColumnElement[Any]], page: PageRequest,
    to_item: Callable[[Row], T], *, descending: bool = False,
) -> Page[T]:
    """Every key sorts the same way; the last key must be unique (usually the id). With
    `page.with_total`, the page also tells how many rows the whole list holds (bounded_count)."""
    total = await bounded_count(conn, stmt) if page.with_total else None
    after = page.after()
    if after is not None:
        if len(after) != len(keys):
            raise ValidationFailed.of("cursor", "is not a cursor this API gave out")
        values = [_coerce(c, v) for c, v in zip(keys, after, strict=True)]
        cmp = tuple_(*keys) < tuple_(*values) if descending else tuple_(*keys) > tuple_(*values)
        stmt = stmt.where(cmp)
    order = [k.desc() for k in keys] if descending else list(keys)
    rows = (await conn.execute(stmt.order_by(*order).limit(page.limit + 1))).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = None
    if more and rows:
        last = rows[-1]._mapping
        cursor = encode_cursor([plain_value(last[k.name]) for k in keys])
    return Page([to_item(r) for r in rows], cursor, total)


# The unit of work stamps its connection with the count timeout of the settings
# (CRM_COUNT_TIMEOUT_MS): the same limit as every other count a request may ask for.
COUNT_TIMEOUT_KEY = "crm.count_timeout_ms"
QUERY_CANCELED = "57014"  # SQLSTATE of a statement stopped by statement_timeout


async def bounded_count(conn: AsyncConnection, stmt: Select,
                        bound: int = TOTAL_BOUND) -> Total | None:
    """How many rows `stmt` selects, reading at most bound + 1 of them (a LIMIT inside the
    count, the select's own columns dropped so no row is built): a cost bounded whatever the
    table's size. Under the count timeout, in a savepoint, so that a filter too costly to count
    answers None ("unknown") and the page itself is still served."""
    rows = (stmt.with_only_columns(literal_column("1"), maintain_column_froms=True)
            .order_by(None).limit(bound + 1).subquery())
    counting = select(func.count()).select_from(rows)
    if not conn.in_transaction():  # each statement on its own: no setting to scope
        return Total.of_counted(int(await conn.scalar(counting) or 0), bound)
    timeout = int(conn.info.get(COUNT_TIMEOUT_KEY, 5000))
    savepoint = await conn.begin_nested()
    try:
        await conn.execute(text("SELECT set_config('statement_timeout', :limit, true)")
                           .bindparams(limit=f"{timeout}ms"))
        found = int(await conn.scalar(counting) or 0)
    except DBAPIError as e:
        await savepoint.rollback()  # the timeout setting goes with it
        if getattr(e.orig, "sqlstate", None) == QUERY_CANCELED:
            return None
        raise
    await savepoint.rollback()  # nothing was written: this also restores the timeout
    return Total.of_counted(found, bound)
