"""Exports on PostgreSQL: the record and the file's chunks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row

from adapters.db import tables as t
from adapters.db.repositories import _Repo, columns_of
from domain.exports.model import Export, ExportFormat, ExportStatus

EX = t.exports


def _export(row: Row) -> Export:
    m = dict(row._mapping)
    m["format"], m["status"] = ExportFormat(m["format"]), ExportStatus(m["status"])
    return Export(**m)


class SqlExports(_Repo):
    async def get(self, export_id: uuid.UUID, lock: bool = False) -> Export | None:
        stmt = select(EX).where(EX.c.id == export_id)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        return _export(row) if row else None

    def _values(self, export: Export) -> dict[str, object]:
        values = columns_of(export, EX)
        values.pop("created_at", None), values.pop("updated_at", None)
        values.update(format=export.format.value, status=export.status.value)
        return values

    async def add(self, export: Export) -> None:
        await self.conn.execute(insert(EX).values(**self._values(export)))

    async def save(self, export: Export) -> None:
        values = self._values(export)
        values["updated_at"] = func.now()
        await self.conn.execute(update(EX).where(EX.c.id == export.id).values(**values))

    async def add_chunk(self, export_id: uuid.UUID, seq: int, data: bytes) -> None:
        await self.conn.execute(insert(t.export_chunks).values(export_id=export_id, seq=seq,
                                                               data=data))

    async def chunk(self, export_id: uuid.UUID, seq: int) -> bytes | None:
        ch = t.export_chunks
        data = await self.conn.scalar(select(ch.c.data).where(ch.c.export_id == export_id,
                                                              ch.c.seq == seq))
        return bytes(data) if data is not None else None

    async def expire(self, finished_before: datetime) -> int:
        old = select(EX.c.id).where(EX.c.status == "done", EX.c.finished_at < finished_before)
        await self.conn.execute(delete(t.export_chunks).where(t.export_chunks.c.export_id.in_(old)))
        result = await self.conn.execute(
            update(EX).where(EX.c.status == "done", EX.c.finished_at < finished_before)
            .values(status="expired", chunks=0))
        return int(result.rowcount)

    async def stale(self, older_than: datetime) -> Sequence[uuid.UUID]:
        result = await self.conn.execute(select(EX.c.id).where(
            EX.c.status.in_(["pending", "running"]), EX.c.updated_at < older_than))
        return list(result.scalars())
