"""Imports on PostgreSQL: the record, the uploaded file, staged rows, errors and seen keys."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from itertools import islice

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from adapters.db import tables as t
from adapters.db.repositories import _Repo, columns_of
from domain.imports.model import Import, ImportStatus, Policy, Target

IM = t.imports
import_rows = t.import_rows
STAGE_BATCH = 2000


def _import(row: Row) -> Import:
    m = dict(row._mapping)
    m["policy"], m["status"] = Policy(m["policy"]), ImportStatus(m["status"])
    m["target"] = Target(m["target"])
    imp = Import(**m)
    imp.version_loaded = imp.version  # type: ignore[attr-defined]
    return imp


class SqlImports(_Repo):
    async def get(self, import_id: uuid.UUID, lock: bool = False) -> Import | None:
        stmt = select(IM).where(IM.c.id == import_id)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        return _import(row) if row else None

    def _values(self, imp: Import) -> dict[str, object]:
        values = columns_of(imp, IM)
        values.pop("created_at", None), values.pop("updated_at", None)
        values.update(policy=imp.policy.value, status=imp.status.value,
                      target=imp.target.value)
        return values

    async def add(self, imp: Import, content: bytes) -> None:
        await self.conn.execute(insert(IM).values(**self._values(imp)))
        await self.conn.execute(insert(t.import_files).values(import_id=imp.id, content=content))
        imp.version_loaded = imp.version  # type: ignore[attr-defined]

    async def save(self, imp: Import) -> None:
        values = self._values(imp)
        values["updated_at"] = func.now()
        await self.conn.execute(update(IM).where(IM.c.id == imp.id).values(**values))

    async def content(self, import_id: uuid.UUID) -> bytes:
        return bytes(await self.conn.scalar(select(t.import_files.c.content).where(
            t.import_files.c.import_id == import_id)) or b"")

    async def stage(self, import_id: uuid.UUID,
                    rows: Iterable[tuple[int, dict[str, str]]]) -> int:
        await self.conn.execute(delete(import_rows).where(import_rows.c.import_id == import_id))
        total = 0
        it = iter(rows)
        while batch := list(islice(it, STAGE_BATCH)):
            await self.conn.execute(insert(import_rows), [
                {"import_id": import_id, "row_number": n, "data": values}
                for n, values in batch])
            total += len(batch)
        return total

    async def rows(self, import_id: uuid.UUID, after: int, limit: int
                   ) -> Sequence[tuple[int, dict[str, str]]]:
        r = import_rows
        result = await self.conn.execute(
            select(r.c.row_number, r.c.data).where(r.c.import_id == import_id,
                                                   r.c.row_number > after)
            .order_by(r.c.row_number).limit(limit))
        return [(n, d) for n, d in result]

    async def add_errors(self, import_id: uuid.UUID,
                         errors: Sequence[tuple[int, str, str, str]]) -> None:
        if errors:
            await self.conn.execute(insert(t.import_errors), [
                {"import_id": import_id, "row_number": n, "column": c, "reason": r,
                 "outcome": o} for n, c, r, o in errors])

    async def errors(self, import_id: uuid.UUID) -> AsyncIterator[tuple[int, str, str, str]]:
        e = t.import_errors
        result = await self.conn.stream(
            select(e.c.row_number, e.c.column, e.c.reason, e.c.outcome)
            .where(e.c.import_id == import_id).order_by(e.c.row_number))
        async for n, c, r, o in result:
            yield n, c, r, o

    async def seen_keys(self, import_id: uuid.UUID, keys: Sequence[str]
                        ) -> dict[str, uuid.UUID | None]:
        if not keys:
            return {}
        k = t.import_keys
        result = await self.conn.execute(select(k.c.key, k.c.customer_id).where(
            k.c.import_id == import_id, k.c.key.in_(list(keys))))
        return {key: cid for key, cid in result}

    async def remember_keys(self, import_id: uuid.UUID,
                            keys: Sequence[tuple[str, uuid.UUID | None]]) -> None:
        if keys:
            await self.conn.execute(pg_insert(t.import_keys).on_conflict_do_nothing(), [
                {"import_id": import_id, "key": k, "customer_id": c} for k, c in keys])

    async def reset(self, import_id: uuid.UUID) -> None:
        await self.conn.execute(delete(t.import_keys).where(t.import_keys.c.import_id == import_id))
        await self.conn.execute(delete(t.import_errors).where(
            t.import_errors.c.import_id == import_id))

    async def purge_content(self, import_id: uuid.UUID) -> None:
        await self.conn.execute(delete(import_rows).where(import_rows.c.import_id == import_id))
        await self.conn.execute(delete(t.import_files).where(
            t.import_files.c.import_id == import_id))

    async def purge_previews(self, older_than: datetime) -> int:
        old = select(IM.c.id).where(IM.c.status == "previewed", IM.c.finished_at < older_than)
        await self.conn.execute(delete(import_rows).where(import_rows.c.import_id.in_(old)))
        await self.conn.execute(delete(t.import_files).where(t.import_files.c.import_id.in_(old)))
        result = await self.conn.execute(
            update(IM).where(IM.c.status == "previewed", IM.c.finished_at < older_than)
            .values(status="failed", error="the dry run expired; upload the file again"))
        return int(result.rowcount)

    async def stale(self, older_than: datetime) -> Sequence[uuid.UUID]:
        result = await self.conn.execute(select(IM.c.id).where(
            IM.c.status.in_(["pending", "running"]), IM.c.updated_at < older_than))
        return list(result.scalars())
