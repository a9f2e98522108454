"""The audit log on PostgreSQL: entries are held to the commit, append-only."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, new_rows
from adapters.db.filters import matching, within
from adapters.db.keyset import fetch_page
from domain.audit.model import AuditEntry
from domain.audit.ports import AuditFilter
from domain.shared.paging import Page, PageRequest


def _audit(row: Row) -> AuditEntry:
    return AuditEntry(**dict(row._mapping))


class SqlAuditLog(SqlRepository):
    async def record(self, entry: AuditEntry) -> None:
        await self.record_many([entry])

    async def record_many(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            await self.held.add(self.conn, tables.audit_log,
                                new_rows(entries, tables.audit_log))

    async def list(self, flt: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
        await self.held.flush(self.conn)
        audit_log = tables.audit_log
        stmt = select(audit_log).where(*matching(
            (audit_log.c.actor_id, flt.actor_id), (audit_log.c.target_type, flt.target_type),
            (audit_log.c.target_id, flt.target_id), (audit_log.c.action, flt.action),
        ), *within(audit_log.c.at, flt.since, flt.until))
        # By time, not by id alone: a time range then bounds the scan of the filter's index
        # (the id breaks ties within one transaction's entries).
        return await fetch_page(self.conn, stmt, [audit_log.c.at, audit_log.c.id], page,
                                _audit, descending=True)
