"""Admin-edited documents in `sales_settings`, versioned: the lead scoring model, the routing
rules and the contracts' approval policy."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

from sqlalchemy import Text, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db import tables
from adapters.db.base import SqlRepository
from adapters.db.filters import one_of
from domain.leads.routing import RoutingSettings
from domain.leads.scoring import DEFAULT_MODEL, ScoringModel, model_from_doc, model_to_doc
from domain.shared.errors import StaleVersion

SCORING, ROUTING = "lead_scoring", "lead_routing"


async def read_setting(conn: AsyncConnection, key: str) -> tuple[dict[str, Any] | None, int]:
    """A document and its version; (None, 0) when it was never saved."""
    settings = tables.sales_settings
    row = (await conn.execute(select(settings.c.doc, settings.c.version).where(
        settings.c.key == key))).first()
    return (dict(row.doc), row.version) if row else (None, 0)


async def write_setting(conn: AsyncConnection, key: str, doc: dict[str, Any], loaded: int
                        ) -> int:
    """Saves a document over the version `loaded` (0: none yet); returns the new version.
    Raises StaleVersion when another save came first."""
    settings = tables.sales_settings
    if loaded == 0:
        result = await conn.execute(
            pg_insert(settings).values(key=key, doc=doc, version=1).on_conflict_do_nothing())
    else:
        result = await conn.execute(
            update(settings).where(settings.c.key == key, settings.c.version == loaded)
            .values(doc=doc, version=settings.c.version + 1, updated_at=func.now()))
    if result.rowcount != 1:
        _, current = await read_setting(conn, key)
        raise StaleVersion(key.replace("_", " "), loaded, current)
    return loaded + 1


# The documents as text: what was parsed once is looked up by it (every capture reads both).
_BOTH_SETTINGS = select(
    tables.sales_settings.c.key, tables.sales_settings.c.doc.cast(Text).label("doc"),
    tables.sales_settings.c.version).where(one_of(tables.sales_settings.c.key,
                                                  [SCORING, ROUTING]))


@functools.lru_cache(maxsize=32)
def _scoring_of(doc: str, version: int) -> ScoringModel:
    return model_from_doc(json.loads(doc), version)  # frozen: shared by every capture


@functools.lru_cache(maxsize=32)
def _routing_of(doc: str | None, version: int) -> RoutingSettings:
    return RoutingSettings.from_doc(json.loads(doc) if doc else None, version)


class SqlSalesSettings(SqlRepository):
    async def scoring(self) -> ScoringModel:
        doc, version = await read_setting(self.conn, SCORING)
        if doc is None:
            return dataclasses.replace(DEFAULT_MODEL, version=0)
        return model_from_doc(doc, version)

    async def save_scoring(self, model: ScoringModel) -> ScoringModel:
        version = await write_setting(self.conn, SCORING, model_to_doc(model), model.version)
        return dataclasses.replace(model, version=version)

    async def routing(self) -> RoutingSettings:
        doc, version = await read_setting(self.conn, ROUTING)
        return RoutingSettings.from_doc(doc, version)

    async def both(self) -> tuple[ScoringModel, RoutingSettings]:
        rows = {r.key: r for r in await self.conn.execute(_BOTH_SETTINGS)}
        scoring = rows.get(SCORING)
        routing = rows.get(ROUTING)
        return (_scoring_of(scoring.doc, scoring.version) if scoring
                else dataclasses.replace(DEFAULT_MODEL, version=0),
                _routing_of(routing.doc if routing else None, routing.version if routing else 0))

    async def save_routing(self, settings: RoutingSettings) -> RoutingSettings:
        version = await write_setting(self.conn, ROUTING, settings.to_doc(), settings.version)
        return dataclasses.replace(settings, version=version)
