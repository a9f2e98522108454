"""In-memory fakes of the ports, for unit tests of the use cases (no I/O)."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from domain.audit import AuditEntry
from domain.events import DomainEvent
from domain.identity.model import ApiKey, Department, RefreshToken, User
from domain.notifications import Notification
from domain.pagination import Page, PageRequest, encode_cursor
from domain.ports import AccessClaims, AlreadyProcessed, AuditFilter, UserFilter


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kw: float) -> None:
        self.current += timedelta(**kw)


class FakeHasher:
    async def hash(self, password: str) -> str:
        return f"hashed:{password}"

    async def verify(self, password: str, hashed: str) -> bool:
        return hashed == f"hashed:{password}"


class FakeTokens:
    def issue_access(self, user: User, now: datetime) -> tuple[str, int]:
        return f"access:{user.id}:{user.token_version}", 900

    def decode_access(self, token: str) -> AccessClaims:
        from domain.errors import AuthenticationFailed

        try:
            _, uid, tv = token.split(":")
            return AccessClaims(uuid.UUID(uid), int(tv), datetime.max.replace(tzinfo=UTC))
        except ValueError:
            raise AuthenticationFailed() from None


def _page(items: list[Any], page: PageRequest, key: Any) -> Page[Any]:
    items = sorted(items, key=key)
    after = page.after()
    if after is not None:
        items = [i for i in items if str(key(i)) > after[0]]
    chunk = items[: page.limit]
    more = len(items) > page.limit
    return Page(chunk, encode_cursor([str(key(chunk[-1]))]) if more else None)


class Store:
    """The committed state shared by every FakeUnitOfWork of one test."""

    def __init__(self) -> None:
        self.users: dict[uuid.UUID, User] = {}
        self.departments: dict[uuid.UUID, Department] = {}
        self.api_keys: dict[uuid.UUID, ApiKey] = {}
        self.refresh_tokens: dict[uuid.UUID, RefreshToken] = {}
        self.audit: list[AuditEntry] = []
        self.notifications: list[Notification] = []
        self.outbox: dict[uuid.UUID, DomainEvent] = {}
        self.processed: set[tuple[str, uuid.UUID]] = set()


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
        return _page(items, page, lambda u: u.email)

    async def count(self) -> int:
        return len(self.uow.state.users)


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
        return _page(list(self.uow.state.departments.values()), page, lambda d: str(d.id))

    async def ancestors(self, department_id: uuid.UUID) -> list[uuid.UUID]:
        out, cur = [], self.uow.state.departments.get(department_id)
        while cur is not None:
            out.append(cur.id)
            cur = self.uow.state.departments.get(cur.parent_id) if cur.parent_id else None
        return out

    async def subtree(self, department_id: uuid.UUID) -> list[uuid.UUID]:
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
        return _page(list(self.uow.state.api_keys.values()), page, lambda k: str(k.id))


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


class _Audit:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def record(self, entry: AuditEntry) -> None:
        self.uow.pending_audit.append(entry)

    async def list(self, flt: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
        items = [e for e in self.uow.state.audit if flt.action in (None, e.action)]
        return Page(items[: page.limit], None)


class _Notifications:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def add(self, notification: Notification) -> None:
        self.uow.pending_notifications.append(notification)

    async def list_for_user(self, user_id: uuid.UUID, page: PageRequest,
                            unread_only: bool = False) -> Page[Notification]:
        return Page([n for n in self.uow.state.notifications if n.user_id == user_id], None)

    async def unread_count(self, user_id: uuid.UUID) -> int:
        return sum(1 for n in self.uow.state.notifications
                   if n.user_id == user_id and n.read_at is None)

    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID,
                        now: datetime) -> bool:
        for n in self.uow.state.notifications:
            if n.id == notification_id and n.user_id == user_id:
                n.read_at = n.read_at or now
                return True
        return False


class _Outbox:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def get(self, event_id: uuid.UUID) -> DomainEvent | None:
        return self.uow.state.outbox.get(event_id)


class _Processed:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def mark(self, consumer: str, event_id: uuid.UUID) -> None:
        self.uow.pending_processed.add((consumer, event_id))


class FakeUnitOfWork:
    """Aggregates are written straight to the store (simple); the audit log, notifications,
    processed markers and outbox events only land on commit, as they would in PostgreSQL."""

    def __init__(self, state: Store) -> None:
        self.state = state
        self.seen: list[Any] = []
        self.pending_audit: list[AuditEntry] = []
        self.pending_notifications: list[Notification] = []
        self.pending_processed: set[tuple[str, uuid.UUID]] = set()
        self.committed = False
        self.users = _Users(self)
        self.departments = _Departments(self)
        self.api_keys = _ApiKeys(self)
        self.refresh_tokens = _RefreshTokens(self)
        self.audit = _Audit(self)
        self.notifications = _Notifications(self)
        self.outbox = _Outbox(self)
        self.processed = _Processed(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.pending_audit.clear()

    async def commit(self) -> None:
        if self.pending_processed & self.state.processed:
            raise AlreadyProcessed()  # the key PostgreSQL would refuse
        for agg in self.seen:
            for event in getattr(agg, "events", []):
                self.state.outbox[event.id] = event
            getattr(agg, "events", []).clear()
        self.state.audit.extend(self.pending_audit)
        self.state.notifications.extend(self.pending_notifications)
        self.state.processed |= self.pending_processed
        self.pending_audit, self.pending_notifications = [], []
        self.pending_processed = set()
        self.committed = True

    async def rollback(self) -> None:
        self.pending_audit.clear()


class FakeUowFactory:
    def __init__(self) -> None:
        self.state = Store()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.state)
