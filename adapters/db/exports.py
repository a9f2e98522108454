"""Exports on PostgreSQL: the record and the file's chunks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of
from domain.exports.model import Export, ExportFormat, ExportStatus


def _export(row: Row) -> Export:
    m = dict(row._mapping)
    m["format"], m["status"] = ExportFormat(m["format"]), ExportStatus(m["status"])
    return Export(**m)


class SqlExports(SqlRepository):
    async def get(self, export_id: uuid.UUID, lock: bool = False) -> Export | None:
        return await self._one(tables.exports, _export, tables.exports.c.id == export_id, lock=lock)

    def _values(self, export: Export) -> dict[str, object]:
        values = columns_of(export, tables.exports)
        values.pop("created_at", None), values.pop("updated_at", None)
        values.update(format=export.format.value, status=export.status.value)
        return values

    async def add(self, export: Export) -> None:
        await self.conn.execute(insert(tables.exports).values(**self._values(export)))
        self.seen.append(export)

    async def save(self, export: Export) -> None:
        values = self._values(export)
        values["updated_at"] = func.now()
        await self.conn.execute(update(tables.exports).where(
            tables.exports.c.id == export.id).values(**values))

    async def add_chunk(self, export_id: uuid.UUID, seq: int, data: bytes) -> None:
        await self.conn.execute(insert(tables.export_chunks).values(
            export_id=export_id, seq=seq, data=data))

    async def chunk(self, export_id: uuid.UUID, seq: int) -> bytes | None:
        chunks = tables.export_chunks
        data = await self.conn.scalar(select(chunks.c.data).where(
            chunks.c.export_id == export_id, chunks.c.seq == seq))
        return bytes(data) if data is not None else None

    async def expire(self, finished_before: datetime) -> int:
        exports, chunks = tables.exports, tables.export_chunks
        old = select(exports.c.id).where(exports.c.status == "done",
                                         exports.c.finished_at < finished_before)
        await self.conn.execute(delete(chunks).where(chunks.c.export_id.in_(old)))
        result = await self.conn.execute(
            update(exports).where(exports.c.status == "done",
                                  exports.c.finished_at < finished_before)
            .values(status="expired", chunks=0))
        return int(result.rowcount)

    async def active_for(self, user_id: uuid.UUID) -> int:
        exports = tables.exports
        await self.conn.execute(select(func.pg_advisory_xact_lock(
            func.hashtextextended(literal("exports:") + str(user_id), 0))))
        return int(await self.conn.scalar(select(func.count()).select_from(exports).where(
            exports.c.created_by == user_id,
            exports.c.status.in_([ExportStatus.PENDING.value, ExportStatus.RUNNING.value])))
                   or 0)

    async def stale(self, older_than: datetime) -> Sequence[uuid.UUID]:
        exports = tables.exports
        result = await self.conn.execute(select(exports.c.id).where(
            exports.c.status.in_(["pending", "running"]), exports.c.updated_at < older_than))
        return list(result.scalars())
