"""Follow-ups (visits, calls, messages with a customer) on PostgreSQL; seen through their
customer's visibility."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.filters import matching, visible, within
from adapters.db.keyset import fetch_page
from domain.customers.activity import FollowUp, FollowUpMethod, FollowUpStatus, GeoCheckIn
from domain.customers.ports import FollowUpFilter
from domain.shared.authz import Visibility
from domain.shared.paging import Page, PageRequest


def _followup(row: Row) -> FollowUp:
    m = row._mapping
    check_in = (GeoCheckIn(m["latitude"], m["longitude"], m["accuracy_m"])
                if m["latitude"] is not None else None)
    f = FollowUp(id=m["id"], customer_id=m["customer_id"], owner_id=m["owner_id"],
                 method=FollowUpMethod(m["method"]), occurred_at=m["occurred_at"],
                 summary=m["summary"], feedback=m["feedback"], next_action=m["next_action"],
                 next_followup_at=m["next_followup_at"], status=FollowUpStatus(m["status"]),
                 check_in=check_in, version=m["version"], created_at=m["created_at"],
                 updated_at=m["updated_at"])
    loaded(f)
    return f


def _followup_row(f: FollowUp) -> dict[str, Any]:
    values = columns_of(f, tables.followups)
    values.pop("created_at", None), values.pop("updated_at", None)
    values.update(method=f.method.value, status=f.status.value,
                  latitude=f.check_in.latitude if f.check_in else None,
                  longitude=f.check_in.longitude if f.check_in else None,
                  accuracy_m=f.check_in.accuracy_m if f.check_in else None)
    values.pop("check_in", None)
    return values


class SqlFollowUps(SqlRepository):
    def _visible_join(self, vis: Visibility) -> Any:
        followups, customers = tables.followups, tables.customers
        return select(followups).join(customers, customers.c.id == followups.c.customer_id).where(
            visible(vis), customers.c.deleted_at.is_(None))

    async def get(self, followup_id: uuid.UUID, visibility: Visibility) -> FollowUp | None:
        row = (await self.conn.execute(self._visible_join(visibility).where(
            tables.followups.c.id == followup_id))).first()
        return _followup(row) if row else None

    async def add(self, followup: FollowUp) -> None:
        await self.conn.execute(insert(tables.followups).values(**_followup_row(followup)))
        loaded(followup)
        self.seen.append(followup)

    async def save(self, followup: FollowUp) -> None:
        await self._save_versioned(tables.followups, followup, "follow-up")

    async def list(self, flt: FollowUpFilter, visibility: Visibility,
                   page: PageRequest) -> Page[FollowUp]:
        followups = tables.followups
        stmt = self._visible_join(visibility).where(*matching(
            (followups.c.customer_id, flt.customer_id), (followups.c.owner_id, flt.owner_id),
        ), *within(followups.c.occurred_at, flt.since, flt.until))
        if flt.updated_since is not None:
            return await fetch_page(
                self.conn, stmt.where(followups.c.updated_at > flt.updated_since),
                [followups.c.updated_at, followups.c.id], page, _followup)
        return await fetch_page(self.conn, stmt, [followups.c.occurred_at, followups.c.id], page,
                                _followup, descending=True)
