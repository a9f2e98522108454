"""In-memory fakes of the identity ports: users, departments, API keys, refresh tokens,
password hashing and tokens."""

from __future__ import annotations

import builtins
import copy
import uuid
from datetime import UTC, datetime

from domain.identity.model import ApiKey, Department, RefreshToken, User
from domain.identity.ports import AccessClaims, UserFilter
from domain.identity.service import principal_of
from domain.shared.authz import Actor, Role
from domain.shared.paging import Page, PageRequest
from tests.fakes.shared import FakeUnitOfWork, Store, page_of, repository


class FakeHasher:
    async def hash(self, password: str) -> str:
        return f"hashed:{password}"

    async def verify(self, password: str, hashed: str) -> bool:
        return hashed == f"hashed:{password}"


class FakeTokens:
    def issue_access(self, user: User, now: datetime) -> tuple[str, int]:
        return f"access:{user.id}:{user.token_version}", 900

    def decode_access(self, token: str) -> AccessClaims:
        from domain.shared.errors import AuthenticationFailed

        try:
            _, uid, tv = token.split(":")
            return AccessClaims(uuid.UUID(uid), int(tv), datetime.max.replace(tzinfo=UTC))
        except ValueError:
            raise AuthenticationFailed() from None


@repository("users")
class _Users:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def get(self, user_id: uuid.UUID) -> User | None:
        u = self.uow.state.users.get(user_id)
        return copy.deepcopy(u) if u else None

    async def get_by_email(self, email: str) -> User | None:
        for u in self.uow.state.users.values():
            if u.email == email:
                return copy.deepcopy(u)
        return None

    async def get_by_name(self, name: str) -> User | None:
        named = [u for u in self.uow.state.users.values() if u.name == name]
        return copy.deepcopy(named[0]) if len(named) == 1 else None  # ambiguous: nobody

    async def add(self, user: User) -> None:
        self.uow.state.users[user.id] = user
        self.uow.seen.append(user)

    async def save(self, user: User) -> None:
        self.uow.state.users[user.id] = user
        self.uow.seen.append(user)

    async def list(self, flt: UserFilter, page: PageRequest) -> Page[User]:
        items = [u for u in self.uow.state.users.values()
                 if (flt.role is None or u.role == flt.role)
                 and (flt.department_ids is None or u.department_id in flt.department_ids)]
        return page_of(items, page, lambda u: u.email)

    async def count(self) -> int:
        return len(self.uow.state.users)


@repository("departments")
class _Departments:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def get(self, department_id: uuid.UUID) -> Department | None:
        return self.uow.state.departments.get(department_id)

    async def add(self, department: Department) -> None:
        self.uow.state.departments[department.id] = department

    async def save(self, department: Department) -> None:
        self.uow.state.departments[department.id] = department

    async def list(self, page: PageRequest) -> Page[Department]:
        return page_of(list(self.uow.state.departments.values()), page, lambda d: str(d.id))

    async def ancestors(self, department_id: uuid.UUID) -> builtins.list[uuid.UUID]:
        out, cur = [], self.uow.state.departments.get(department_id)
        while cur is not None:
            out.append(cur.id)
            cur = self.uow.state.departments.get(cur.parent_id) if cur.parent_id else None
        return out

    async def subtree(self, department_id: uuid.UUID) -> builtins.list[uuid.UUID]:
        out = [department_id]
        for d in self.uow.state.departments.values():
            if d.parent_id == department_id:
                out += await self.subtree(d.id)
        return out

    async def has_members_or_children(self, department_id: uuid.UUID) -> bool:
        return any(d.parent_id == department_id for d in self.uow.state.departments.values()) \
            or any(u.department_id == department_id for u in self.uow.state.users.values())

    async def delete(self, department_id: uuid.UUID) -> None:
        del self.uow.state.departments[department_id]


@repository("api_keys")
class _ApiKeys:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        return self.uow.state.api_keys.get(key_id)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        return next((k for k in self.uow.state.api_keys.values() if k.prefix == prefix), None)

    async def add(self, key: ApiKey) -> None:
        self.uow.state.api_keys[key.id] = key

    async def save(self, key: ApiKey) -> None:
        self.uow.state.api_keys[key.id] = key

    async def list(self, page: PageRequest) -> Page[ApiKey]:
        return page_of(list(self.uow.state.api_keys.values()), page, lambda k: str(k.id))


@repository("refresh_tokens")
class _RefreshTokens:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def get(self, token_id: uuid.UUID) -> RefreshToken | None:
        t = self.uow.state.refresh_tokens.get(token_id)
        return copy.copy(t) if t else None

    async def add(self, token: RefreshToken) -> None:
        self.uow.state.refresh_tokens[token.id] = token

    async def mark_used(self, token_id: uuid.UUID, now: datetime) -> bool:
        t = self.uow.state.refresh_tokens[token_id]
        if t.used_at is not None:
            return False
        t.used_at = now
        return True

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        for t in self.uow.state.refresh_tokens.values():
            if t.family_id == family_id and t.revoked_at is None:
                t.revoked_at = now

    async def revoke_all_for_user(self, user_id: uuid.UUID, now: datetime) -> None:
        for t in self.uow.state.refresh_tokens.values():
            if t.user_id == user_id and t.revoked_at is None:
                t.revoked_at = now




def stored_user(state: Store, role: Role, email: str | None = None,
                department_id: uuid.UUID | None = None) -> User:
    """A user already in the store (as if created earlier), events cleared."""
    user = User.register(email=email or f"{role.value}-{uuid.uuid4().hex[:6]}@example.com",
                         name=(email or role.value).split("@")[0], role=role,
                         department_id=department_id, password_hash="hashed:a-good-password")
    user.events.clear()
    state.users[user.id] = user
    return user


def actor_of(user: User) -> Actor:
    return Actor(principal_of(user), ip="198.51.100.7", request_id="req-1")
