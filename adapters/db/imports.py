"""Imports on PostgreSQL: the record, the uploaded file, staged rows, errors and seen keys."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import Text, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.bulk_copy import copy_rows
from domain.imports.model import Import, ImportStatus, Policy, Target

# A chunk's thousands of keys as one array parameter each: one statement, no per-key
# parameter to bind or IN list to render.
_SEEN_KEYS = select(tables.import_keys.c.key, tables.import_keys.c.customer_id).where(
    tables.import_keys.c.import_id == bindparam("import_id"),
    tables.import_keys.c.key == any_(bindparam("keys", type_=ARRAY(Text))))
_KEYS = func.unnest(bindparam("keys", type_=ARRAY(Text)),
                    bindparam("customer_ids", type_=ARRAY(UUID(as_uuid=True)))
                    ).table_valued("key", "customer_id").render_derived()
_REMEMBER_KEYS = pg_insert(tables.import_keys).from_select(
    ["import_id", "key", "customer_id"],
    select(bindparam("import_id", type_=UUID(as_uuid=True)), _KEYS.c.key,
           _KEYS.c.customer_id)).on_conflict_do_nothing()


def _import(row: Row) -> Import:
    m = dict(row._mapping)
    m["policy"], m["status"] = Policy(m["policy"]), ImportStatus(m["status"])
    m["target"] = Target(m["target"])
    return loaded(Import(**m))


class SqlImports(SqlRepository):
    async def get(self, import_id: uuid.UUID, lock: bool = False) -> Import | None:
        return await self._one(tables.imports, _import, tables.imports.c.id == import_id, lock=lock)

    async def take(self, import_id: uuid.UUID) -> Import | None:
        row = (await self.conn.execute(select(tables.imports).where(
            tables.imports.c.id == import_id).with_for_update(skip_locked=True))).first()
        return _import(row) if row else None

    def _values(self, imp: Import) -> dict[str, object]:
        values = columns_of(imp, tables.imports)
        values.pop("created_at", None), values.pop("updated_at", None)
        values.update(policy=imp.policy.value, status=imp.status.value,
                      target=imp.target.value)
        return values

    async def add(self, imp: Import, content: bytes) -> None:
        await self.conn.execute(insert(tables.imports).values(**self._values(imp)))
        await self.conn.execute(insert(tables.import_files).values(import_id=imp.id,
                                                                   content=content))
        loaded(imp)
        self.seen.append(imp)

    async def save(self, imp: Import) -> None:
        values = self._values(imp)
        values["updated_at"] = func.now()
        await self.conn.execute(update(tables.imports).where(
            tables.imports.c.id == imp.id).values(**values))
        self.seen.append(imp)

    async def content(self, import_id: uuid.UUID) -> bytes:
        files = tables.import_files
        return bytes(await self.conn.scalar(select(files.c.content).where(
            files.c.import_id == import_id)) or b"")

    async def stage(self, import_id: uuid.UUID,
                    rows: Sequence[tuple[int, dict[str, str]]]) -> None:
        await copy_rows(self.conn, tables.import_rows, [
            {"import_id": import_id, "row_number": n, "data": values} for n, values in rows])

    async def unstage(self, import_id: uuid.UUID) -> None:
        import_rows = tables.import_rows
        await self.conn.execute(delete(import_rows).where(import_rows.c.import_id == import_id))

    async def rows(self, import_id: uuid.UUID, after: int, limit: int
                   ) -> Sequence[tuple[int, dict[str, str]]]:
        import_rows = tables.import_rows
        result = await self.conn.execute(
            select(import_rows.c.row_number, import_rows.c.data)
            .where(import_rows.c.import_id == import_id, import_rows.c.row_number > after)
            .order_by(import_rows.c.row_number).limit(limit))
        return [(n, d) for n, d in result]

    async def add_errors(self, import_id: uuid.UUID,
                         errors: Sequence[tuple[int, str, str, str]]) -> None:
        if errors:
            await self.conn.execute(insert(tables.import_errors), [
                {"import_id": import_id, "row_number": n, "column": c, "reason": r,
                 "outcome": o} for n, c, r, o in errors])

    async def errors(self, import_id: uuid.UUID) -> AsyncIterator[tuple[int, str, str, str]]:
        import_errors = tables.import_errors
        result = await self.conn.stream(
            select(import_errors.c.row_number, import_errors.c.column, import_errors.c.reason,
                   import_errors.c.outcome)
            .where(import_errors.c.import_id == import_id).order_by(import_errors.c.row_number))
        async for n, c, r, o in result:
            yield n, c, r, o

    async def seen_keys(self, import_id: uuid.UUID, keys: Sequence[str]
                        ) -> dict[str, uuid.UUID | None]:
        if not keys:
            return {}
        result = await self.conn.execute(_SEEN_KEYS, {"import_id": import_id,
                                                      "keys": list(keys)})
        return {key: cid for key, cid in result}

    async def remember_keys(self, import_id: uuid.UUID,
                            keys: Sequence[tuple[str, uuid.UUID | None]]) -> None:
        if keys:
            await self.conn.execute(_REMEMBER_KEYS, {
                "import_id": import_id, "keys": [k for k, _ in keys],
                "customer_ids": [c for _, c in keys]})

    async def reset(self, import_id: uuid.UUID) -> None:
        import_keys, import_errors = tables.import_keys, tables.import_errors
        await self.conn.execute(delete(import_keys).where(import_keys.c.import_id == import_id))
        await self.conn.execute(delete(import_errors).where(
            import_errors.c.import_id == import_id))

    async def purge_content(self, import_id: uuid.UUID) -> None:
        import_rows, files = tables.import_rows, tables.import_files
        await self.conn.execute(delete(import_rows).where(import_rows.c.import_id == import_id))
        await self.conn.execute(delete(files).where(files.c.import_id == import_id))

    async def purge_previews(self, older_than: datetime) -> int:
        imports, import_rows, files = tables.imports, tables.import_rows, tables.import_files
        old = select(imports.c.id).where(imports.c.status == "previewed",
                                         imports.c.finished_at < older_than)
        await self.conn.execute(delete(import_rows).where(import_rows.c.import_id.in_(old)))
        await self.conn.execute(delete(files).where(files.c.import_id.in_(old)))
        result = await self.conn.execute(
            update(imports).where(imports.c.status == "previewed",
                                  imports.c.finished_at < older_than)
            .values(status="failed", error="the dry run expired; upload the file again"))
        return int(result.rowcount)

    async def stale(self, older_than: datetime) -> Sequence[uuid.UUID]:
        imports = tables.imports
        result = await self.conn.execute(select(imports.c.id).where(
            imports.c.status.in_(["pending", "running"]), imports.c.updated_at < older_than))
        return list(result.scalars())
