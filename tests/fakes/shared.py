"""The in-memory unit of work the use-case tests run on, with the repositories every feature
uses (audit, inbox, outbox, processed markers).

A feature's fake repositories live in `tests/fakes/<feature>.py` and register themselves with
`@repository("name")`: the unit of work builds one the first time a use case asks for
`uow.name`, as the real one does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from domain.audit.model import AuditEntry
from domain.audit.ports import AuditFilter
from domain.identity.model import ApiKey, Department, RefreshToken, User
from domain.notifications.model import Notification
from domain.shared.events import DomainEvent
from domain.shared.paging import Page, PageRequest, encode_cursor
from domain.shared.ports import AlreadyProcessed


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kw: float) -> None:
        self.current += timedelta(**kw)


def page_of(items: list[Any], page: PageRequest, key: Any) -> Page[Any]:
    items = sorted(items, key=key)
    after = page.after()
    if after is not None:
        items = [i for i in items if str(key(i)) > after[0]]
    chunk = items[: page.limit]
    more = len(items) > page.limit
    return Page(chunk, encode_cursor([str(key(chunk[-1]))]) if more else None)


Factory = Callable[["FakeUnitOfWork"], Any]
REPOSITORIES: dict[str, Factory] = {}


def repository(name: str) -> Callable[[type], type]:
    """Registers a fake repository class as `uow.<name>`."""

    def register(cls: type) -> type:
        REPOSITORIES[name] = cls
        return cls

    return register


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
        self.rows: dict[str, dict[Any, Any]] = {}

    def table(self, name: str) -> dict[Any, Any]:
        """A feature's committed records by id (created on first use)."""
        return self.rows.setdefault(name, {})


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
                            unread_only: bool = False, updated_since: datetime | None = None
                            ) -> Page[Notification]:
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

    async def mark_all_read(self, user_id: uuid.UUID, now: datetime) -> int:
        unread = [n for n in self.uow.state.notifications
                  if n.user_id == user_id and n.read_at is None]
        for n in unread:
            n.read_at = now
        return len(unread)

    async def resolve_step(self, kinds: Sequence[str], contract_id: uuid.UUID, step: int,
                           now: datetime) -> int:
        waiting = [n for n in self.uow.state.notifications
                   if n.read_at is None and n.kind in kinds
                   and n.data.get("contract_id") == str(contract_id)
                   and str(n.data.get("step")) == str(step)]
        for n in waiting:
            n.read_at = now
        return len(waiting)


class _Outbox:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def get(self, event_id: uuid.UUID) -> DomainEvent | None:
        return self.uow.state.outbox.get(event_id)

    async def add_all(self, events: Sequence[DomainEvent]) -> None:
        self.uow.pending_events.extend(events)


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
        self.pending_events: list[DomainEvent] = []
        self.committed = False
        self.audit = _Audit(self)
        self.notifications = _Notifications(self)
        self.outbox = _Outbox(self)
        self.processed = _Processed(self)

    def __getattr__(self, name: str) -> Any:
        # Built on first use and kept for the unit of work, like the real repositories.
        factory = REPOSITORIES.get(name)
        if factory is None:
            raise AttributeError(name)
        repo = factory(self)
        setattr(self, name, repo)
        return repo

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.pending_audit.clear()
        self.pending_events.clear()

    async def commit(self) -> None:
        if self.pending_processed & self.state.processed:
            raise AlreadyProcessed()  # the key PostgreSQL would refuse
        for agg in self.seen:
            for event in getattr(agg, "events", []):
                self.state.outbox[event.id] = event
            getattr(agg, "events", []).clear()
        for event in self.pending_events:
            self.state.outbox[event.id] = event
        self.pending_events = []
        self.state.audit.extend(self.pending_audit)
        self.state.notifications.extend(self.pending_notifications)
        self.state.processed |= self.pending_processed
        self.pending_audit, self.pending_notifications = [], []
        self.pending_processed = set()
        self.committed = True

    async def rollback(self) -> None:
        self.pending_audit.clear()
        self.pending_events.clear()


class FakeUowFactory:
    def __init__(self) -> None:
        self.state = Store()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.state)


