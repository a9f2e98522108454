"""Follow-up lapses on PostgreSQL: the stale leads and opportunities the discipline scan
finds, and the lapses it raised (each once per record, time and level)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from adapters.db import tables
from adapters.db.base import SqlRepository
from adapters.db.filters import one_of
from adapters.db.leads import OPEN
from domain.discipline.model import FollowUpLapse, LapseLevel, StaleRecord


def _not_raised(record_type: str, id_col: Any, since: Any, level: LapseLevel) -> Any:
    lapses = tables.followup_lapses
    return ~exists(select(literal(1)).where(
        lapses.c.record_type == record_type, lapses.c.record_id == id_col,
        lapses.c.since == since, lapses.c.level == level.value))


class SqlLapses(SqlRepository):
    async def stale_leads(self, now: datetime, days: int, level: LapseLevel,
                          limit: int) -> list[StaleRecord]:
        await self.held.flush(self.conn)
        leads = tables.leads
        cutoff = now - timedelta(days=days * level.factor)
        rows = await self.conn.execute(
            select(leads.c.id, leads.c.number, leads.c.name, leads.c.company, leads.c.owner_id,
                   leads.c.owner_department_id, leads.c.touched_at)
            .where(one_of(leads.c.status, OPEN), leads.c.touched_at < cutoff,
                   _not_raised("lead", leads.c.id, leads.c.touched_at, level))
            .order_by(leads.c.touched_at).limit(limit))
        return [StaleRecord("lead", r.id, " ".join(x for x in (r.number, r.company, r.name)
                                                   if x),
                            r.owner_id, r.owner_department_id, r.touched_at, days)
                for r in rows]

    async def stale_opportunities(self, now: datetime, level: LapseLevel,
                                  limit: int) -> list[StaleRecord]:
        opportunities, pipelines = tables.opportunities, tables.pipelines
        customers = tables.customers
        # A follow-up with the customer counts for its open deals too.
        touched = func.greatest(opportunities.c.last_activity_at,
                                func.coalesce(customers.c.last_followup_at,
                                              opportunities.c.last_activity_at))
        limit_days = pipelines.c.stale_days * level.factor
        rows = await self.conn.execute(
            select(opportunities.c.id, opportunities.c.number, opportunities.c.name,
                   opportunities.c.owner_id, opportunities.c.owner_department_id,
                   touched.label("since"), pipelines.c.stale_days)
            .select_from(
                opportunities.join(pipelines, pipelines.c.id == opportunities.c.pipeline_id)
                .join(customers, customers.c.id == opportunities.c.customer_id))
            .where(opportunities.c.status == "open",
                   touched < literal(now) - func.make_interval(0, 0, 0, limit_days),
                   _not_raised("opportunity", opportunities.c.id, touched, level))
            .order_by(touched).limit(limit))
        return [StaleRecord("opportunity", r.id, f"{r.number} {r.name}", r.owner_id,
                            r.owner_department_id, r.since, r.stale_days) for r in rows]

    async def record(self, lapse: FollowUpLapse) -> bool:
        result = await self.conn.execute(pg_insert(tables.followup_lapses).values(
            record_type=lapse.record_type, record_id=lapse.record_id, since=lapse.since,
            level=lapse.level.value, recipient_id=lapse.recipient_id).on_conflict_do_nothing())
        if result.rowcount != 1:
            return False
        self.seen.append(lapse)  # its event goes to the outbox on commit
        return True
