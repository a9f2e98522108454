"""Picklists (industries, regions, sources...) on PostgreSQL: the values a field accepts and
every way a user may write one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from adapters.db import tables
from adapters.db.base import SqlRepository


class SqlPicklists(SqlRepository):
    async def values(self, name: str) -> set[str]:
        picklists = tables.picklists
        return set((await self.conn.execute(
            select(picklists.c.value).where(picklists.c.list == name, picklists.c.active)
        )).scalars())

    async def labels(self, name: str) -> dict[str, str]:
        picklists = tables.picklists
        out: dict[str, str] = {}
        rows = await self.conn.execute(select(picklists.c.value, picklists.c.label).where(
            picklists.c.list == name, picklists.c.active))
        for value, label in rows:
            # "制造业 Manufacturing": the whole label, either language's half, each word
            for alias in (label, *label.split(" ", 1), *label.split(), value):
                out.setdefault(alias, value)
                out.setdefault(alias.lower(), value)
        return out

    async def add(self, name: str, value: str, label: str) -> None:
        await self.conn.execute(pg_insert(tables.picklists).values(
            list=name, value=value, label=label).on_conflict_do_update(
            index_elements=["list", "value"], set_={"label": label, "active": True}))
