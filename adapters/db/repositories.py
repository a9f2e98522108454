"""Repositories over one AsyncConnection. They never commit: the unit of work does."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db import tables as t
from adapters.db.keyset import fetch_page
from domain.audit.model import AuditEntry
from domain.audit.ports import AuditFilter
from domain.identity.model import ApiKey, Department, RefreshToken, Role, Scope, User
from domain.identity.ports import UserFilter
from domain.notifications.notification import Notification
from domain.shared.errors import StaleVersion
from domain.shared.events import DomainEvent
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import AlreadyProcessed


def columns_of(obj: Any, table: Table) -> dict[str, Any]:
    """The dataclass fields that are also columns of the table."""
    names = set(table.c.keys())
    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name in names}


def new_rows(objs: Sequence[Any], table: Table,
             generated: tuple[str, ...] = ("id", "at")) -> list[dict[str, Any]]:
    """Rows to insert for append-only records whose id and time the database assigns."""
    rows = []
    for obj in objs:
        values = columns_of(obj, table)
        for name in generated:
            values.pop(name, None)
        rows.append(values)
    return rows


class HeldWrites:
    """Writes that nothing reads back in their own transaction, held until the unit of work
    commits and then sent together with its outbox events in one statement. These are the
    rows of the append-only logs (the audit log, the timelines of customers and leads), new
    tasks, and a department's least-loaded turn pointer.

    A use case pays one round trip for all of them instead of one each. A lead capture that
    holds a lock until it commits (a least-loaded department, a rep with a capacity) holds it
    for that many round trips less.

    A repository that reads or changes what may be held calls `flush` first (a task read, a
    merge moving timelines). Past LIMIT rows (an import's chunk) rows are written as they come,
    and an autocommit unit holds nothing."""

    LIMIT = 200

    def __init__(self, defer: bool = True) -> None:
        self.defer = defer
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self.count = 0
        self.statements: list[Any] = []

    async def add(self, conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
        """New rows for `table`: held, or (many, or in an autocommit unit) written at once, after
        what is held, in one executemany."""
        if self.defer and self.count + len(rows) <= self.LIMIT:
            self.rows.setdefault(table, []).extend(rows)
            self.count += len(rows)
            return
        await self.flush(conn)
        if rows:
            await conn.execute(insert(table), rows)

    async def later(self, conn: AsyncConnection, statement: Any) -> None:
        """An UPDATE whose values are bound in it (it becomes a WITH of the final statement)."""
        self.statements.append(statement)
        if not self.defer:
            await self.flush(conn)

    @property
    def pending(self) -> bool:
        return bool(self.rows or self.statements)

    def statement(self, events: list[dict[str, Any]] | None = None
                  ) -> tuple[Any, dict[str, Any]] | None:
        """One statement with every held write (each a WITH) and its parameters, ending with
        the INSERT of `events` (outbox rows) or a bare SELECT; None when there is nothing to
        write."""
        if not self.pending and not events:
            return None
        held, self.rows, self.count = self.rows, {}, 0
        writes, self.statements = self.statements, []
        params: dict[str, Any] = {}
        for table, rows in held.items():
            by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                by_shape.setdefault(tuple(row), []).append(row)
            for columns, same in by_shape.items():
                writes.append(_many_rows(table, columns, len(writes), same, params))
        stmt = (_many_rows(t.outbox, tuple(events[0]), -1, events, params) if events
                else select(literal(1)))
        for i, write in enumerate(writes):
            stmt = stmt.add_cte(write.cte(f"held_{i}"))
        return stmt, params

    async def flush(self, conn: AsyncConnection) -> None:
        held = self.statement()
        if held is not None:
            await send_held(conn, held)


async def send_held(conn: AsyncConnection, statement: tuple[Any, dict[str, Any]]) -> None:
    """Runs a statement of held writes; a 'processed' marker another run committed first
    becomes AlreadyProcessed (see SqlProcessedEvents)."""
    try:
        await conn.execute(*statement)
    except IntegrityError as e:
        cause = getattr(e.orig, "__cause__", None)
        if getattr(cause, "constraint_name", None) == "pk_processed_events":
            raise AlreadyProcessed() from e
        raise


def _is_json(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, JSON)


# Built once per table, columns and place in the statement, so that SQLAlchemy caches the
# compiled statement: a multi-row VALUES insert has no cache key, and a capture's held writes
# were compiled anew on every capture.
_MANY_ROWS: dict[tuple[str, tuple[str, ...], int], Any] = {}


def _many_rows(table: Table, columns: tuple[str, ...], slot: int,
               rows: list[dict[str, Any]], params: dict[str, Any]) -> Any:
    """INSERT … SELECT FROM unnest(an array per column): any number of rows, in their order,
    in one statement whose parameters go into `params`. (An array column would be flattened by
    unnest: such a table's rows go in as a plain multi-row insert. A JSON value goes in as its
    text, cast back in SQL: a list, as an array's element, would be taken for a dimension.)"""
    if any(isinstance(table.c[c].type, ARRAY) for c in columns):
        return insert(table).values(rows)
    prefix = f"h{slot}_" if slot >= 0 else "e_"
    stmt = _MANY_ROWS.get((table.name, columns, slot))
    if stmt is None:
        source = func.unnest(*(bindparam(prefix + c, type_=ARRAY(
            Text if _is_json(table, c) else table.c[c].type)) for c in columns)
        ).table_valued(*columns).render_derived()
        stmt = insert(table).from_select(list(columns), select(*(
            cast(source.c[c], table.c[c].type) if _is_json(table, c) else source.c[c]
            for c in columns)))
        _MANY_ROWS[(table.name, columns, slot)] = stmt
    for c in columns:
        # json.dumps is what the dialect serializes JSON with (None too: JSON's null).
        params[prefix + c] = ([json.dumps(row[c]) for row in rows] if _is_json(table, c)
                              else [row[c] for row in rows])
    return stmt


class _Repo:
    def __init__(self, conn: AsyncConnection, seen: list[Any],
                 held: HeldWrites | None = None) -> None:
        self.conn = conn
        self.seen = seen
        self.held = held if held is not None else HeldWrites(defer=False)

    async def _save_versioned(self, table: Table, obj: Any, kind: str) -> None:
        """Optimistic concurrency: the row must still carry the version we loaded."""
        values = columns_of(obj, table)
        values.pop("created_at", None)
        if "updated_at" in table.c:
            values["updated_at"] = func.now()
        loaded = obj.version_loaded
        result = await self.conn.execute(
            update(table).where(table.c.id == obj.id, table.c.version == loaded).values(**values)
        )
        if result.rowcount != 1:
            current = await self.conn.scalar(select(table.c.version).where(table.c.id == obj.id))
            raise StaleVersion(kind, loaded, current or 0)
        obj.version_loaded = obj.version
        self.seen.append(obj)


def _loaded(obj: Any) -> Any:
    obj.version_loaded = obj.version
    return obj


def _user(row: Row) -> User:
    m = dict(row._mapping)
    m["role"] = Role(m["role"])
    return _loaded(User(**m))


_USER_BY_ID = select(t.users).where(t.users.c.id == bindparam("user_id"))


def _department_walk(down: bool) -> Any:
    d = t.departments
    base = select(d.c.id, d.c.parent_id).where(d.c.id == bindparam("start")).cte(
        "tree", recursive=True)
    step = select(d.c.id, d.c.parent_id).join(
        base, (d.c.parent_id == base.c.id) if down else (d.c.id == base.c.parent_id))
    return select(base.union(step).c.id)


_SUBTREE = _department_walk(down=True)
_ANCESTORS = _department_walk(down=False)


class SqlUsers(_Repo):
    async def get(self, user_id: uuid.UUID) -> User | None:
        # Built once: this runs on every authenticated request.
        row = (await self.conn.execute(_USER_BY_ID, {"user_id": user_id})).first()
        return _user(row) if row else None

    async def get_by_email(self, email: str) -> User | None:
        row = (await self.conn.execute(select(t.users).where(t.users.c.email == email))).first()
        return _user(row) if row else None

    async def get_by_name(self, name: str) -> User | None:
        rows = (await self.conn.execute(
            select(t.users).where(t.users.c.name == name).limit(2))).all()
        return _user(rows[0]) if len(rows) == 1 else None  # ambiguous names match nobody

    async def add(self, user: User) -> None:
        values = columns_of(user, t.users)
        values.pop("created_at"), values.pop("updated_at")
        await self.conn.execute(insert(t.users).values(**values))
        _loaded(user)
        self.seen.append(user)

    async def save(self, user: User) -> None:
        await self._save_versioned(t.users, user, "user")

    async def list(self, flt: UserFilter, page: PageRequest) -> Page[User]:
        stmt = select(t.users)
        if flt.role is not None:
            stmt = stmt.where(t.users.c.role == flt.role.value)
        if flt.department_ids is not None:
            stmt = stmt.where(t.users.c.department_id.in_(flt.department_ids))
        if flt.is_active is not None:
            stmt = stmt.where(t.users.c.is_active == flt.is_active)
        if flt.q:
            like = "%" + flt.q.replace("%", r"\%").replace("_", r"\_") + "%"
            stmt = stmt.where(or_(t.users.c.email.ilike(like), t.users.c.name.ilike(like)))
        return await fetch_page(self.conn, stmt, [t.users.c.email], page, _user)

    async def count(self) -> int:
        return int(await self.conn.scalar(select(func.count()).select_from(t.users)) or 0)


def _department(row: Row) -> Department:
    return _loaded(Department(**dict(row._mapping)))


class SqlDepartments(_Repo):
    async def get(self, department_id: uuid.UUID) -> Department | None:
        row = (await self.conn.execute(
            select(t.departments).where(t.departments.c.id == department_id))).first()
        return _department(row) if row else None

    async def add(self, department: Department) -> None:
        values = columns_of(department, t.departments)
        values.pop("created_at"), values.pop("updated_at")
        await self.conn.execute(insert(t.departments).values(**values))
        _loaded(department)

    async def save(self, department: Department) -> None:
        await self._save_versioned(t.departments, department, "department")

    async def list(self, page: PageRequest) -> Page[Department]:
        return await fetch_page(self.conn, select(t.departments), [t.departments.c.id], page,
                                _department)

    async def _walk(self, start: uuid.UUID, down: bool) -> Sequence[uuid.UUID]:
        # Built once: a manager's visibility walks its subtree on every request.
        stmt = _SUBTREE if down else _ANCESTORS
        return list((await self.conn.execute(stmt, {"start": start})).scalars())

    async def ancestors(self, department_id: uuid.UUID) -> Sequence[uuid.UUID]:
        return await self._walk(department_id, down=False)

    async def subtree(self, department_id: uuid.UUID) -> Sequence[uuid.UUID]:
        return await self._walk(department_id, down=True)

    async def has_members_or_children(self, department_id: uuid.UUID) -> bool:
        child = select(literal(1)).where(t.departments.c.parent_id == department_id).exists()
        member = select(literal(1)).where(t.users.c.department_id == department_id).exists()
        return bool(await self.conn.scalar(select(or_(child, member))))

    async def delete(self, department_id: uuid.UUID) -> None:
        await self.conn.execute(delete(t.departments).where(t.departments.c.id == department_id))


def _api_key(row: Row) -> ApiKey:
    m = dict(row._mapping)
    m["scopes"] = frozenset(Scope(s) for s in m["scopes"] if s in Scope.__members__.values())
    return _loaded(ApiKey(**m))


class SqlApiKeys(_Repo):
    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        row = (await self.conn.execute(select(t.api_keys).where(t.api_keys.c.id == key_id))).first()
        return _api_key(row) if row else None

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        row = (await self.conn.execute(
            select(t.api_keys).where(t.api_keys.c.prefix == prefix))).first()
        return _api_key(row) if row else None

    async def add(self, key: ApiKey) -> None:
        values = columns_of(key, t.api_keys)
        values.pop("created_at")
        values["scopes"] = sorted(s.value for s in key.scopes)
        await self.conn.execute(insert(t.api_keys).values(**values))
        _loaded(key)

    async def save(self, key: ApiKey) -> None:
        await self.conn.execute(update(t.api_keys).where(t.api_keys.c.id == key.id).values(
            revoked_at=key.revoked_at, name=key.name, version=key.version))

    async def list(self, page: PageRequest) -> Page[ApiKey]:
        return await fetch_page(self.conn, select(t.api_keys),
                                [t.api_keys.c.created_at, t.api_keys.c.id], page, _api_key)


class SqlRefreshTokens(_Repo):
    async def get(self, token_id: uuid.UUID) -> RefreshToken | None:
        row = (await self.conn.execute(
            select(t.refresh_tokens).where(t.refresh_tokens.c.id == token_id))).first()
        if row is None:
            return None
        m = dict(row._mapping)
        m.pop("created_at")
        return RefreshToken(**m)

    async def add(self, token: RefreshToken) -> None:
        values = columns_of(token, t.refresh_tokens)
        await self.conn.execute(insert(t.refresh_tokens).values(**values))

    async def mark_used(self, token_id: uuid.UUID, now: datetime) -> bool:
        # The WHERE makes this a compare-and-set: of two racing refreshes only one wins.
        result = await self.conn.execute(
            update(t.refresh_tokens)
            .where(t.refresh_tokens.c.id == token_id, t.refresh_tokens.c.used_at.is_(None))
            .values(used_at=now))
        return result.rowcount == 1

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute(
            update(t.refresh_tokens)
            .where(t.refresh_tokens.c.family_id == family_id,
                   t.refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now))

    async def revoke_all_for_user(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute(
            update(t.refresh_tokens)
            .where(t.refresh_tokens.c.user_id == user_id, t.refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now))


def _audit(row: Row) -> AuditEntry:
    return AuditEntry(**dict(row._mapping))


class SqlAuditLog(_Repo):
    async def record(self, entry: AuditEntry) -> None:
        await self.record_many([entry])

    async def record_many(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            await self.held.add(self.conn, t.audit_log, new_rows(entries, t.audit_log))

    async def list(self, flt: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
        await self.held.flush(self.conn)
        a = t.audit_log
        stmt = select(a)
        if flt.actor_id is not None:
            stmt = stmt.where(a.c.actor_id == flt.actor_id)
        if flt.target_type is not None:
            stmt = stmt.where(a.c.target_type == flt.target_type)
        if flt.target_id is not None:
            stmt = stmt.where(a.c.target_id == flt.target_id)
        if flt.action is not None:
            stmt = stmt.where(a.c.action == flt.action)
        if flt.since is not None:
            stmt = stmt.where(a.c.at >= flt.since)
        if flt.until is not None:
            stmt = stmt.where(a.c.at < flt.until)
        return await fetch_page(self.conn, stmt, [a.c.id], page, _audit, descending=True)


def _notification(row: Row) -> Notification:
    return Notification(**dict(row._mapping))


class SqlNotifications(_Repo):
    """A new notification is held to the commit (HeldWrites: one statement with its deliveries
    and the unit's other writes); every read flushes first."""

    async def add(self, notification: Notification) -> None:
        values = columns_of(notification, t.notifications)
        values.pop("created_at")
        await self.held.add(self.conn, t.notifications, [values])

    async def list_for_user(self, user_id: uuid.UUID, page: PageRequest,
                            unread_only: bool = False) -> Page[Notification]:
        await self.held.flush(self.conn)
        n = t.notifications
        stmt = select(n).where(n.c.user_id == user_id)
        if unread_only:
            stmt = stmt.where(n.c.read_at.is_(None))
        return await fetch_page(self.conn, stmt, [n.c.created_at, n.c.id], page, _notification,
                                descending=True)

    async def unread_count(self, user_id: uuid.UUID) -> int:
        await self.held.flush(self.conn)
        n = t.notifications
        return int(await self.conn.scalar(
            select(func.count()).where(n.c.user_id == user_id, n.c.read_at.is_(None))) or 0)

    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID,
                        now: datetime) -> bool:
        await self.held.flush(self.conn)
        n = t.notifications
        result = await self.conn.execute(
            update(n).where(n.c.id == notification_id, n.c.user_id == user_id)
            .values(read_at=func.coalesce(n.c.read_at, now)))
        return result.rowcount == 1


_INSERT_EVENTS = insert(t.outbox)
_EVENT = select(t.outbox).where(t.outbox.c.id == bindparam("event_id"))


class SqlOutbox(_Repo):
    async def add(self, event: DomainEvent) -> None:
        await self.add_all([event])

    async def add_all(self, events: Sequence[DomainEvent],
                      held: HeldWrites | None = None) -> None:
        """One INSERT for all of a transaction's events: one round trip, whatever the count;
        with `held`, the unit's held writes go in the same statement."""
        rows = [{"id": e.id, "type": e.type, "aggregate_type": e.aggregate_type,
                 "aggregate_id": e.aggregate_id, "payload": e.payload,
                 "occurred_at": e.occurred_at} for e in events]
        if held is not None and held.pending and held.count + len(rows) <= held.LIMIT:
            statement = held.statement(rows)
            assert statement is not None
            await send_held(self.conn, statement)
            return
        if held is not None:
            await held.flush(self.conn)  # many events (an import's chunk): their own statement
        if rows:
            await self.conn.execute(_INSERT_EVENTS, rows)  # executemany: compiled once, cached

    async def get(self, event_id: uuid.UUID) -> DomainEvent | None:
        row = (await self.conn.execute(_EVENT, {"event_id": event_id})).first()
        return event_of(row) if row is not None else None


def event_of(row: Any) -> DomainEvent:
    """The event an outbox row holds (any row with the outbox's columns)."""
    return DomainEvent(type=row.type, aggregate_type=row.aggregate_type,
                       aggregate_id=row.aggregate_id, payload=row.payload, id=row.id,
                       occurred_at=row.occurred_at)


class SqlProcessedEvents(_Repo):
    async def mark(self, consumer: str, event_id: uuid.UUID) -> None:
        """Held to the commit with the consumer's effects: no round trip of its own. A run
        after one that committed fails on the key at its commit; two runs at once, the second
        waits on the first's uncommitted key, then fails on it."""
        await self.held.add(self.conn, t.processed_events,
                            [{"consumer": consumer, "event_id": event_id}])
