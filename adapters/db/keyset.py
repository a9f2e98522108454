"""Keyset pagination over Core selects: WHERE (k1, k2) > (:v1, :v2) ORDER BY k1, k2 LIMIT n+1."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import BigInteger, ColumnElement, Date, DateTime, Integer, Numeric, Select, tuple_
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.shared.errors import ValidationFailed
from domain.shared.paging import Page, PageRequest, encode_cursor

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
    """Every key sorts the same way; the last key must be unique (usually the id)."""
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
    return Page([to_item(r) for r in rows], cursor)
