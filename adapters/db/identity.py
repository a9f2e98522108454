"""Users, departments, API keys and refresh tokens on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal, or_, select, update
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.keyset import fetch_page
from domain.identity.model import ApiKey, Department, RefreshToken, User
from domain.identity.ports import UserFilter
from domain.shared.authz import Role, Scope
from domain.shared.paging import Page, PageRequest


def _user(row: Row) -> User:
    m = dict(row._mapping)
    m["role"] = Role(m["role"])
    return loaded(User(**m))


# With the language the user chose (kept with their notification preferences): what the server
# writes for them is in that language.
_USER_BY_ID = select(
    tables.users,
    select(tables.notification_preferences.c.locale)
    .where(tables.notification_preferences.c.user_id == tables.users.c.id)
    .scalar_subquery().label("locale"),
).where(tables.users.c.id == bindparam("user_id"))


def _department_walk(down: bool) -> Any:
    departments = tables.departments
    base = select(departments.c.id, departments.c.parent_id).where(
        departments.c.id == bindparam("start")).cte("tree", recursive=True)
    step = select(departments.c.id, departments.c.parent_id).join(
        base, (departments.c.parent_id == base.c.id) if down
        else (departments.c.id == base.c.parent_id))
    return select(base.union(step).c.id)


_SUBTREE = _department_walk(down=True)
_ANCESTORS = _department_walk(down=False)


class SqlUsers(SqlRepository):
    async def get(self, user_id: uuid.UUID) -> User | None:
        # Built once: this runs on every authenticated request.
        row = (await self.conn.execute(_USER_BY_ID, {"user_id": user_id})).first()
        return _user(row) if row else None

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(tables.users, _user, tables.users.c.email == email)

    async def get_by_name(self, name: str) -> User | None:
        rows = (await self.conn.execute(
            select(tables.users).where(tables.users.c.name == name).limit(2))).all()
        return _user(rows[0]) if len(rows) == 1 else None  # ambiguous names match nobody

    async def add(self, user: User) -> None:
        values = columns_of(user, tables.users)
        values.pop("created_at"), values.pop("updated_at")
        await self.conn.execute(insert(tables.users).values(**values))
        loaded(user)
        self.seen.append(user)

    async def save(self, user: User) -> None:
        await self._save_versioned(tables.users, user, "user")

    async def list(self, flt: UserFilter, page: PageRequest) -> Page[User]:
        users = tables.users
        stmt = select(users)
        if flt.role is not None:
            stmt = stmt.where(users.c.role == flt.role.value)
        if flt.department_ids is not None:
            stmt = stmt.where(users.c.department_id.in_(flt.department_ids))
        if flt.is_active is not None:
            stmt = stmt.where(users.c.is_active == flt.is_active)
        if flt.q:
            like = "%" + flt.q.replace("%", r"\%").replace("_", r"\_") + "%"
            stmt = stmt.where(or_(users.c.email.ilike(like), users.c.name.ilike(like)))
        return await fetch_page(self.conn, stmt, [users.c.email], page, _user)

    async def count(self) -> int:
        return int(await self.conn.scalar(select(func.count()).select_from(tables.users)) or 0)


def _department(row: Row) -> Department:
    return loaded(Department(**dict(row._mapping)))


class SqlDepartments(SqlRepository):
    async def get(self, department_id: uuid.UUID) -> Department | None:
        return await self._one(tables.departments, _department,
                               tables.departments.c.id == department_id)

    async def add(self, department: Department) -> None:
        values = columns_of(department, tables.departments)
        values.pop("created_at"), values.pop("updated_at")
        await self.conn.execute(insert(tables.departments).values(**values))
        loaded(department)

    async def save(self, department: Department) -> None:
        await self._save_versioned(tables.departments, department, "department")

    async def list(self, page: PageRequest) -> Page[Department]:
        return await fetch_page(self.conn, select(tables.departments),
                                [tables.departments.c.id], page, _department)

    async def _walk(self, start: uuid.UUID, down: bool) -> Sequence[uuid.UUID]:
        # Built once: a manager's visibility walks its subtree on every request.
        stmt = _SUBTREE if down else _ANCESTORS
        return list((await self.conn.execute(stmt, {"start": start})).scalars())

    async def ancestors(self, department_id: uuid.UUID) -> Sequence[uuid.UUID]:
        return await self._walk(department_id, down=False)

    async def subtree(self, department_id: uuid.UUID) -> Sequence[uuid.UUID]:
        return await self._walk(department_id, down=True)

    async def has_members_or_children(self, department_id: uuid.UUID) -> bool:
        child = select(literal(1)).where(
            tables.departments.c.parent_id == department_id).exists()
        member = select(literal(1)).where(tables.users.c.department_id == department_id).exists()
        return bool(await self.conn.scalar(select(or_(child, member))))

    async def delete(self, department_id: uuid.UUID) -> None:
        await self.conn.execute(delete(tables.departments).where(
            tables.departments.c.id == department_id))


def _api_key(row: Row) -> ApiKey:
    m = dict(row._mapping)
    m["scopes"] = frozenset(Scope(s) for s in m["scopes"] if s in Scope.__members__.values())
    return loaded(ApiKey(**m))


class SqlApiKeys(SqlRepository):
    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self._one(tables.api_keys, _api_key, tables.api_keys.c.id == key_id)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        return await self._one(tables.api_keys, _api_key, tables.api_keys.c.prefix == prefix)

    async def add(self, key: ApiKey) -> None:
        values = columns_of(key, tables.api_keys)
        values.pop("created_at")
        values["scopes"] = sorted(s.value for s in key.scopes)
        await self.conn.execute(insert(tables.api_keys).values(**values))
        loaded(key)

    async def save(self, key: ApiKey) -> None:
        await self.conn.execute(update(tables.api_keys).where(tables.api_keys.c.id == key.id)
                                .values(revoked_at=key.revoked_at, name=key.name,
                                        version=key.version))

    async def list(self, page: PageRequest) -> Page[ApiKey]:
        api_keys = tables.api_keys
        return await fetch_page(self.conn, select(api_keys),
                                [api_keys.c.created_at, api_keys.c.id], page, _api_key)


class SqlRefreshTokens(SqlRepository):
    async def get(self, token_id: uuid.UUID) -> RefreshToken | None:
        row = (await self.conn.execute(select(tables.refresh_tokens).where(
            tables.refresh_tokens.c.id == token_id))).first()
        if row is None:
            return None
        m = dict(row._mapping)
        m.pop("created_at")
        return RefreshToken(**m)

    async def add(self, token: RefreshToken) -> None:
        values = columns_of(token, tables.refresh_tokens)
        await self.conn.execute(insert(tables.refresh_tokens).values(**values))

    async def mark_used(self, token_id: uuid.UUID, now: datetime) -> bool:
        # The WHERE makes this a compare-and-set: of two racing refreshes only one wins.
        tokens = tables.refresh_tokens
        result = await self.conn.execute(
            update(tokens).where(tokens.c.id == token_id, tokens.c.used_at.is_(None))
            .values(used_at=now))
        return result.rowcount == 1

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        tokens = tables.refresh_tokens
        await self.conn.execute(
            update(tokens).where(tokens.c.family_id == family_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now))

    async def revoke_all_for_user(self, user_id: uuid.UUID, now: datetime) -> None:
        tokens = tables.refresh_tokens
        await self.conn.execute(
            update(tokens).where(tokens.c.user_id == user_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now))
