"""Picklists (industries, regions, sources...) on PostgreSQL: the values a field accepts and
every way a user may write one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from adapters.db import tables
from adapters.db.base import SqlRepository
from domain.customers.values import PicklistEntry


class SqlPicklists(SqlRepository):
    async def values(self, name: str) -> set[str]:
        picklists = tables.picklists
        return set((await self.conn.execute(
            select(picklists.c.value).where(picklists.c.list == name, picklists.c.active)
        )).scalars())

    async def labels(self, name: str) -> dict[str, str]:
        picklists = tables.picklists
        out: dict[str, str] = {}
        rows = await self.conn.execute(select(
            picklists.c.value, picklists.c.label, picklists.c.labels).where(
            picklists.c.list == name, picklists.c.active))
        for value, label, labels in rows:
            # "制造业 Manufacturing": the whole label, either language's half, each word;
            # and the words of each language
            for alias in (label, *label.split(" ", 1), *label.split(), *labels.values(), value):
                out.setdefault(alias, value)
                out.setdefault(alias.lower(), value)
        return out

    async def entries(self, name: str) -> list[PicklistEntry]:
        picklists = tables.picklists
        rows = await self.conn.execute(select(
            picklists.c.value, picklists.c.label, picklists.c.labels).where(
            picklists.c.list == name, picklists.c.active).order_by(picklists.c.value))
        return [PicklistEntry(value, dict(labels), label) for value, label, labels in rows]

    async def add(self, name: str, entry: PicklistEntry) -> None:
        words = {"label": entry.fallback, "labels": entry.labels, "active": True}
        await self.conn.execute(pg_insert(tables.picklists).values(
            list=name, value=entry.value, **words).on_conflict_do_update(
            index_elements=["list", "value"], set_=words))
