"""Custom-field definitions, the tag catalogue and saved segments on PostgreSQL."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from adapters.db import tables as t
from adapters.db.keyset import fetch_page
from adapters.db.repositories import _Repo, columns_of
from domain.fields_and_tags.model import (
    CustomField,
    FieldType,
    Segment,
    SegmentSharing,
    Tag,
    TagCategory,
)
from domain.shared.paging import Page, PageRequest

CF, TG, SG = t.custom_fields, t.tags, t.segments


def _field(row: Row) -> CustomField:
    m = dict(row._mapping)
    m["type"], m["options"] = FieldType(m["type"]), list(m["options"])
    return CustomField(**m)


class SqlCustomFields(_Repo):
    async def list(self, entity: str) -> Sequence[CustomField]:
        rows = await self.conn.execute(select(CF).where(CF.c.entity == entity).order_by(CF.c.key))
        return [_field(r) for r in rows]

    async def get(self, field_id: uuid.UUID) -> CustomField | None:
        row = (await self.conn.execute(select(CF).where(CF.c.id == field_id))).first()
        return _field(row) if row else None

    async def add(self, custom_field: CustomField) -> None:
        values = columns_of(custom_field, CF)
        values.pop("created_at", None)
        values["type"] = custom_field.type.value
        await self.conn.execute(insert(CF).values(**values))

    async def save(self, custom_field: CustomField) -> None:
        await self.conn.execute(update(CF).where(CF.c.id == custom_field.id).values(
            label=custom_field.label, options=custom_field.options,
            required=custom_field.required, active=custom_field.active,
            version=custom_field.version))


def _tag(row: Row) -> Tag:
    m = dict(row._mapping)
    m["category"] = TagCategory(m["category"])
    return Tag(**m)


class SqlTags(_Repo):
    async def list(self) -> Sequence[Tag]:
        return [_tag(r) for r in await self.conn.execute(select(TG).order_by(TG.c.name))]

    async def get(self, tag_id: uuid.UUID) -> Tag | None:
        row = (await self.conn.execute(select(TG).where(TG.c.id == tag_id))).first()
        return _tag(row) if row else None

    async def add(self, tag: Tag) -> None:
        values = columns_of(tag, TG)
        values.pop("created_at", None)
        values["category"] = tag.category.value
        await self.conn.execute(insert(TG).values(**values))

    async def save(self, tag: Tag, old_name: str) -> None:
        await self.conn.execute(update(TG).where(TG.c.id == tag.id).values(
            name=tag.name, category=tag.category.value, colour=tag.colour, version=tag.version))
        if tag.name != old_name:
            C = t.customers
            await self.conn.execute(
                update(C).where(C.c.tags.contains([old_name])).values(
                    tags=func.array_replace(C.c.tags, old_name, tag.name),
                    version=C.c.version + 1, updated_at=func.now()))

    async def delete(self, tag: Tag) -> int:
        C = t.customers
        result = await self.conn.execute(
            update(C).where(C.c.tags.contains([tag.name])).values(
                tags=func.array_remove(C.c.tags, tag.name), version=C.c.version + 1,
                updated_at=func.now()))
        await self.conn.execute(delete(TG).where(TG.c.id == tag.id))
        return int(result.rowcount)

    async def ensure(self, names: Sequence[str]) -> None:
        if not names:
            return
        await self.conn.execute(
            pg_insert(TG).values([{"id": uuid.uuid4(), "name": n, "category": "custom",
                                   "colour": "#1677ff"} for n in dict.fromkeys(names)])
            .on_conflict_do_nothing(index_elements=["name"]))


def _segment(row: Row) -> Segment:
    m = dict(row._mapping)
    m["sharing"] = SegmentSharing(m["sharing"])
    seg = Segment(**m)
    seg.version_loaded = seg.version  # type: ignore[attr-defined]
    return seg


class SqlSegments(_Repo):
    async def get(self, segment_id: uuid.UUID) -> Segment | None:
        row = (await self.conn.execute(select(SG).where(SG.c.id == segment_id))).first()
        return _segment(row) if row else None

    async def add(self, segment: Segment) -> None:
        values = self._values(segment)
        await self.conn.execute(insert(SG).values(**values))
        segment.version_loaded = segment.version  # type: ignore[attr-defined]

    def _values(self, segment: Segment) -> dict[str, Any]:
        values = columns_of(segment, SG)
        values.pop("created_at", None), values.pop("updated_at", None)
        values["sharing"] = segment.sharing.value
        return values

    async def save(self, segment: Segment) -> None:
        await self._save_versioned(SG, segment, "segment")

    async def delete(self, segment_id: uuid.UUID) -> None:
        await self.conn.execute(delete(SG).where(SG.c.id == segment_id))

    async def list_for(self, user_id: uuid.UUID, department_ids: Sequence[uuid.UUID],
                       page: PageRequest) -> Page[Segment]:
        shared = SG.c.department_id.in_(list(department_ids)) if department_ids else literal(False)
        stmt = select(SG).where(or_(SG.c.owner_id == user_id, shared))
        return await fetch_page(self.conn, stmt, [SG.c.name, SG.c.id], page, _segment)


__all__: builtins.list[str] = ["SqlCustomFields", "SqlSegments", "SqlTags"]
