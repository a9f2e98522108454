"""The routing state on PostgreSQL: each department's turn (round-robin's sequence, the
least-loaded turn pointer) and the rep directory (who is in a department, away, at capacity,
how many open leads each holds)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Text, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository
from adapters.db.filters import one_of
from adapters.db.keyset import fetch_page
from adapters.db.leads import open_leads_of
from domain.leads.routing import Availability, RepState, RepStatus
from domain.shared.paging import Page, PageRequest

_UPSERT_TURN = pg_insert(tables.lead_rotation).values(department_id=bindparam("dept"))
# An upsert that touches the row takes its lock in the same round trip; the lock is held
# until the capture commits, so the next capture waits and sees this turn.
_TAKE_TURN = _UPSERT_TURN.on_conflict_do_update(
    index_elements=[tables.lead_rotation.c.department_id],
    set_={"department_id": _UPSERT_TURN.excluded.department_id},
).returning(tables.lead_rotation.c.last_user_id)


class SqlRotation(SqlRepository):
    async def lock(self, department_id: uuid.UUID) -> uuid.UUID | None:
        await self.held.flush(self.conn)
        return await self.conn.scalar(_TAKE_TURN, {"dept": department_id})

    async def advance(self, department_id: uuid.UUID, user_id: uuid.UUID) -> None:
        # Written with the commit (HeldWrites): the row stays locked until then anyway.
        rotation = tables.lead_rotation
        await self.held.later(self.conn, update(rotation).where(
            rotation.c.department_id == department_id).values(
            last_user_id=user_id, turns=rotation.c.turns + 1, updated_at=func.now()))


def _availability(m: Any, user_id: uuid.UUID) -> Availability:
    if m["a_version"] is None:
        return Availability(user_id=user_id, version=0)
    return Availability(user_id=user_id, away=m["away"], away_until=m["away_until"],
                        capacity=m["capacity"], in_rotation=m["in_rotation"],
                        version=m["a_version"])


_AVAILABILITY_COLUMNS = (
    tables.rep_availability.c.away, tables.rep_availability.c.away_until,
    tables.rep_availability.c.capacity, tables.rep_availability.c.in_rotation,
    tables.rep_availability.c.version.label("a_version"))
_MEMBER_COLUMNS = (tables.users.c.id, tables.users.c.role, tables.users.c.is_active,
                   *_AVAILABILITY_COLUMNS)
_WITH_AVAILABILITY = tables.users.outerjoin(
    tables.rep_availability, tables.rep_availability.c.user_id == tables.users.c.id)
_IN_DEPARTMENT = tables.users.c.department_id == bindparam("department_id")
# Round-robin looks at a rep's open leads only to keep them under a capacity: reps without one
# are not counted (a count reads every open lead of the rep, a cost that grows with them).
_CAPPED_LOAD = case((tables.rep_availability.c.capacity.is_not(None),
                     open_leads_of(tables.users.c.id)), else_=0)

_MEMBERS = {
    loads: select(*_MEMBER_COLUMNS,
                  (open_leads_of(tables.users.c.id) if loads else _CAPPED_LOAD)
                  .label("open_leads")).select_from(_WITH_AVAILABILITY).where(_IN_DEPARTMENT)
    for loads in (True, False)}

# Each department's sequence of round-robin turns (created with the department, migration 0017):
# the name is a parameter, so one statement serves every department; NULL if there is none.
# The draw is a CTE (evaluated once: nextval is volatile), joined to the department's members,
# so a turn and who could take it come in one round trip.
_DRAW = select(func.nextval(func.to_regclass(bindparam("name", type_=Text))).label("ticket")
               ).cte("draw")
_NEXT_TURN = select(_DRAW.c.ticket, *_MEMBER_COLUMNS, _CAPPED_LOAD.label("open_leads")
                    ).select_from(_DRAW.outerjoin(_WITH_AVAILABILITY, _IN_DEPARTMENT))

_HOLD = select(tables.rep_availability.c.user_id).where(
    tables.rep_availability.c.user_id == bindparam("user_id")).with_for_update()
_OPEN_LEADS = select(open_leads_of(bindparam("user_id", type_=tables.leads.c.owner_id.type)))


def _rep_state(r: Row, now: datetime) -> RepState:
    a = _availability(r._mapping, r.id)
    return RepState(user_id=r.id, active=r.is_active, is_rep=r.role == "sales_rep",
                    away=a.is_away(now), capacity=a.capacity, in_rotation=a.in_rotation,
                    open_leads=r.open_leads)


class SqlReps(SqlRepository):
    async def hold(self, user_id: uuid.UUID) -> int:
        await self.held.flush(self.conn)
        await self.conn.execute(_HOLD, {"user_id": user_id})
        # A statement of its own: its snapshot is taken after the lock was granted, so it
        # counts the lead of the capture that held the lock before.
        return int(await self.conn.scalar(_OPEN_LEADS, {"user_id": user_id}) or 0)

    async def members(self, department_id: uuid.UUID, now: datetime,
                      loads: bool = True) -> list[RepState]:
        await self.held.flush(self.conn)
        rows = await self.conn.execute(_MEMBERS[loads], {"department_id": department_id})
        return [_rep_state(r, now) for r in rows]

    async def next_turn(self, department_id: uuid.UUID, now: datetime
                        ) -> tuple[int | None, list[RepState]]:
        await self.held.flush(self.conn)
        rows = (await self.conn.execute(_NEXT_TURN, {
            "name": f"lead_turn_{department_id.hex}", "department_id": department_id})).all()
        return rows[0].ticket, [_rep_state(r, now) for r in rows if r.id is not None]

    async def manager_of(self, department_id: uuid.UUID) -> uuid.UUID | None:
        users = tables.users
        return await self.conn.scalar(
            select(users.c.id).where(users.c.department_id == department_id,
                                     users.c.role == "manager", users.c.is_active)
            .order_by(users.c.created_at, users.c.id).limit(1))

    async def any_admin(self) -> uuid.UUID | None:
        users = tables.users
        return await self.conn.scalar(
            select(users.c.id).where(users.c.role == "admin", users.c.is_active)
            .order_by(users.c.created_at, users.c.id).limit(1))

    async def availability(self, user_id: uuid.UUID) -> Availability:
        row = (await self.conn.execute(select(*_AVAILABILITY_COLUMNS).where(
            tables.rep_availability.c.user_id == user_id))).first()
        return _availability(row._mapping, user_id) if row else Availability(user_id, version=0)

    async def save_availability(self, availability: Availability) -> None:
        availabilities = tables.rep_availability
        values = {"away": availability.away, "away_until": availability.away_until,
                  "capacity": availability.capacity, "in_rotation": availability.in_rotation,
                  "version": availability.version}
        stmt = pg_insert(availabilities).values(user_id=availability.user_id, **values)
        await self.conn.execute(stmt.on_conflict_do_update(
            index_elements=[availabilities.c.user_id], set_={**values, "updated_at": func.now()}))

    async def statuses(self, department_ids: Any, user_ids: Any,
                       page: PageRequest) -> Page[RepStatus]:
        await self.held.flush(self.conn)
        users, availabilities = tables.users, tables.rep_availability
        stmt = (select(users.c.id, users.c.name, users.c.email, users.c.role,
                       users.c.department_id, users.c.is_active, *_AVAILABILITY_COLUMNS,
                       open_leads_of(users.c.id).label("open_leads"))
                .select_from(users.outerjoin(availabilities,
                                             availabilities.c.user_id == users.c.id)))
        if user_ids is not None:
            stmt = stmt.where(users.c.id.in_(list(user_ids)))
        else:
            stmt = stmt.where(one_of(users.c.role, ["sales_rep", "manager"]))
        if department_ids is not None:
            stmt = stmt.where(users.c.department_id.in_(list(department_ids)))

        def status(r: Row) -> RepStatus:
            return RepStatus(user_id=r.id, name=r.name, email=r.email, role=r.role,
                             department_id=r.department_id, is_active=r.is_active,
                             availability=_availability(r._mapping, r.id),
                             open_leads=r.open_leads)

        return await fetch_page(self.conn, stmt, [users.c.email], page, status)
