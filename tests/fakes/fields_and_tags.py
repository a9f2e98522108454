"""In-memory fakes of the fields and tags ports: custom field definitions, the tag catalogue
(whose renames and deletions reach the customers that bear a tag) and saved segments. As in
PostgreSQL, a segment's save checks the version it was read at; a field's or a tag's does
not."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

from domain.customers.model import Customer
from domain.fields_and_tags.model import (
    CustomField,
    ListSettings,
    Segment,
    SegmentSharing,
    Tag,
    TagCategory,
)
from domain.shared.errors import StaleVersion
from domain.shared.paging import Page, PageRequest
from tests.fakes.customers import check_fresh, loaded, offset_page, stored
from tests.fakes.shared import FakeUnitOfWork, repository


@repository("custom_fields")
class FakeCustomFields:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[uuid.UUID, CustomField] = uow.state.table("custom_fields")

    async def list(self, entity: str) -> Sequence[CustomField]:
        return [stored(f) for f in self.rows.values() if f.entity == entity]

    async def get(self, field_id: uuid.UUID) -> CustomField | None:
        f = self.rows.get(field_id)
        return stored(f) if f is not None else None

    async def add(self, custom_field: CustomField) -> None:
        self.rows[custom_field.id] = stored(custom_field)

    async def save(self, custom_field: CustomField) -> None:
        self.rows[custom_field.id] = stored(custom_field)


@repository("tags")
class FakeTags:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[uuid.UUID, Tag] = uow.state.table("tags")
        self.customers: dict[uuid.UUID, Customer] = uow.state.table("customers")

    async def list(self) -> Sequence[Tag]:
        return sorted((stored(t) for t in self.rows.values()), key=lambda t: t.name)

    async def get(self, tag_id: uuid.UUID) -> Tag | None:
        tag = self.rows.get(tag_id)
        return stored(tag) if tag is not None else None

    async def add(self, tag: Tag) -> None:
        self.rows[tag.id] = stored(tag)

    async def save(self, tag: Tag, old_name: str) -> list[uuid.UUID]:
        self.rows[tag.id] = stored(tag)
        renamed = []
        if tag.name != old_name:
            for c in self.customers.values():
                if old_name in c.tags:
                    c.tags = [tag.name if t == old_name else t for t in c.tags]
                    c.version += 1
                    renamed.append(c.id)
        return renamed

    async def delete(self, tag: Tag) -> list[uuid.UUID]:
        del self.rows[tag.id]
        bearers = [c for c in self.customers.values() if tag.name in c.tags]
        for c in bearers:
            c.tags = [t for t in c.tags if t != tag.name]
            c.version += 1
        return [c.id for c in bearers]

    async def ensure(self, names: Sequence[str]) -> None:
        known = {t.name for t in self.rows.values()}
        for name in names:
            if name not in known:
                tag = Tag.create(name, TagCategory.CUSTOM)
                self.rows[tag.id] = tag
                known.add(name)


@repository("segments")
class FakeSegments:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[uuid.UUID, Segment] = uow.state.table("segments")

    async def get(self, segment_id: uuid.UUID) -> Segment | None:
        seg = self.rows.get(segment_id)
        return loaded(seg) if seg is not None else None

    async def add(self, segment: Segment) -> None:
        self.rows[segment.id] = stored(segment)

    async def save(self, segment: Segment) -> None:
        check_fresh(segment, self.rows.get(segment.id), "segment")
        self.rows[segment.id] = stored(segment)
        segment.version_loaded = segment.version  # type: ignore[attr-defined]

    async def delete(self, segment_id: uuid.UUID) -> None:
        self.rows.pop(segment_id, None)

    async def list_for(self, user_id: uuid.UUID, department_ids: Sequence[uuid.UUID],
                       page: PageRequest, object: str | None = None) -> Page[Segment]:
        found = [s for s in self.rows.values() if (s.owner_id == user_id or (
            s.sharing == SegmentSharing.DEPARTMENT and s.department_id in department_ids))
            and object in (None, s.object)]
        found.sort(key=lambda s: (s.name, str(s.id)))
        return offset_page([loaded(s) for s in found], page)


@repository("list_settings")
class FakeListSettings:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[tuple[uuid.UUID, str], ListSettings] = uow.state.table("list_settings")

    async def get(self, user_id: uuid.UUID, object: str) -> ListSettings | None:
        found = self.rows.get((user_id, object))
        return replace(found, columns=list(found.columns)) if found else None

    async def save(self, settings: ListSettings) -> None:
        current = self.rows.get((settings.user_id, settings.object))
        if (current.version if current else 0) != settings.version:
            raise StaleVersion("list settings", settings.version,
                               current.version if current else 0)
        self.rows[(settings.user_id, settings.object)] = replace(
            settings, columns=list(settings.columns), version=settings.version + 1)
