"""Custom-field definitions, the tag catalogue and saved segments on PostgreSQL."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.keyset import fetch_page
from domain.fields_and_tags.model import (
    CustomField,
    FieldType,
    ListSettings,
    Segment,
    SegmentSharing,
    Tag,
    TagCategory,
)
from domain.shared.errors import StaleVersion
from domain.shared.paging import Page, PageRequest


def _field(row: Row) -> CustomField:
    m = dict(row._mapping)
    m["type"], m["options"] = FieldType(m["type"]), list(m["options"])
    return CustomField(**m)


class SqlCustomFields(SqlRepository):
    async def list(self, entity: str) -> Sequence[CustomField]:
        custom_fields = tables.custom_fields
        rows = await self.conn.execute(select(custom_fields).where(
            custom_fields.c.entity == entity).order_by(custom_fields.c.key))
        return [_field(r) for r in rows]

    async def get(self, field_id: uuid.UUID) -> CustomField | None:
        return await self._one(tables.custom_fields, _field, tables.custom_fields.c.id == field_id)

    async def add(self, custom_field: CustomField) -> None:
        values = columns_of(custom_field, tables.custom_fields)
        values.pop("created_at", None)
        values["type"] = custom_field.type.value
        await self.conn.execute(insert(tables.custom_fields).values(**values))

    async def save(self, custom_field: CustomField) -> None:
        await self.conn.execute(update(tables.custom_fields).where(
            tables.custom_fields.c.id == custom_field.id).values(
            label=custom_field.label, options=custom_field.options,
            required=custom_field.required, active=custom_field.active,
            version=custom_field.version))


def _tag(row: Row) -> Tag:
    m = dict(row._mapping)
    m["category"] = TagCategory(m["category"])
    return Tag(**m)


class SqlTags(SqlRepository):
    async def list(self) -> Sequence[Tag]:
        return [_tag(r) for r in await self.conn.execute(
            select(tables.tags).order_by(tables.tags.c.name))]

    async def get(self, tag_id: uuid.UUID) -> Tag | None:
        return await self._one(tables.tags, _tag, tables.tags.c.id == tag_id)

    async def add(self, tag: Tag) -> None:
        values = columns_of(tag, tables.tags)
        values.pop("created_at", None)
        values["category"] = tag.category.value
        await self.conn.execute(insert(tables.tags).values(**values))

    async def save(self, tag: Tag, old_name: str) -> Sequence[uuid.UUID]:
        await self.conn.execute(update(tables.tags).where(tables.tags.c.id == tag.id).values(
            name=tag.name, category=tag.category.value, colour=tag.colour, version=tag.version))
        if tag.name == old_name:
            return []
        customers = tables.customers
        result = await self.conn.execute(
            update(customers).where(customers.c.tags.contains([old_name])).values(
                tags=func.array_replace(customers.c.tags, old_name, tag.name),
                version=customers.c.version + 1, updated_at=func.now())
            .returning(customers.c.id))
        return list(result.scalars())

    async def delete(self, tag: Tag) -> Sequence[uuid.UUID]:
        customers = tables.customers
        result = await self.conn.execute(
            update(customers).where(customers.c.tags.contains([tag.name])).values(
                tags=func.array_remove(customers.c.tags, tag.name),
                version=customers.c.version + 1, updated_at=func.now())
            .returning(customers.c.id))
        await self.conn.execute(delete(tables.tags).where(tables.tags.c.id == tag.id))
        return list(result.scalars())

    async def ensure(self, names: Sequence[str]) -> None:
        if not names:
            return
        await self.conn.execute(
            pg_insert(tables.tags).values([{"id": uuid.uuid4(), "name": n, "category": "custom",
                                            "colour": "#1677ff"} for n in dict.fromkeys(names)])
            .on_conflict_do_nothing(index_elements=["name"]))


def _segment(row: Row) -> Segment:
    m = dict(row._mapping)
    m["sharing"] = SegmentSharing(m["sharing"])
    m["columns"] = list(m["columns"])
    return loaded(Segment(**m))


class SqlSegments(SqlRepository):
    async def get(self, segment_id: uuid.UUID) -> Segment | None:
        return await self._one(tables.segments, _segment, tables.segments.c.id == segment_id)

    async def add(self, segment: Segment) -> None:
        values = self._values(segment)
        await self.conn.execute(insert(tables.segments).values(**values))
        loaded(segment)

    def _values(self, segment: Segment) -> dict[str, Any]:
        values = columns_of(segment, tables.segments)
        values.pop("created_at", None), values.pop("updated_at", None)
        values["sharing"] = segment.sharing.value
        return values

    async def save(self, segment: Segment) -> None:
        await self._save_versioned(tables.segments, segment, "segment")

    async def delete(self, segment_id: uuid.UUID) -> None:
        await self.conn.execute(delete(tables.segments).where(
            tables.segments.c.id == segment_id))

    async def list_for(self, user_id: uuid.UUID, department_ids: Sequence[uuid.UUID],
                       page: PageRequest, object: str | None = None) -> Page[Segment]:
        segments = tables.segments
        shared = (segments.c.department_id.in_(list(department_ids)) if department_ids
                  else literal(False))
        stmt = select(segments).where(or_(segments.c.owner_id == user_id, shared))
        if object is not None:
            stmt = stmt.where(segments.c.object == object)
        return await fetch_page(self.conn, stmt, [segments.c.name, segments.c.id], page,
                                _segment)


class SqlListSettings(SqlRepository):
    async def get(self, user_id: uuid.UUID, object: str) -> ListSettings | None:
        settings = tables.list_settings
        row = (await self.conn.execute(select(settings).where(
            settings.c.user_id == user_id, settings.c.object == object))).first()
        if row is None:
            return None
        m = row._mapping
        return ListSettings(user_id=m["user_id"], object=m["object"], columns=list(m["columns"]),
                            sort=m["sort"], version=m["version"], updated_at=m["updated_at"])

    async def save(self, settings: ListSettings) -> None:
        table = tables.list_settings
        values = {"columns": settings.columns, "sort": settings.sort,
                  "version": settings.version + 1, "updated_at": func.now()}
        stmt: Any
        if settings.version == 0:  # none stored yet: a concurrent first save loses
            stmt = pg_insert(table).values(user_id=settings.user_id, object=settings.object,
                                           **values).on_conflict_do_nothing()
        else:
            stmt = update(table).where(
                table.c.user_id == settings.user_id, table.c.object == settings.object,
                table.c.version == settings.version).values(**values)
        if (await self.conn.execute(stmt)).rowcount != 1:
            current = await self.get(settings.user_id, settings.object)
            raise StaleVersion("list settings", settings.version,
                               current.version if current else 0)


__all__: builtins.list[str] = ["SqlCustomFields", "SqlListSettings", "SqlSegments", "SqlTags"]
