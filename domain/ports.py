"""Ports: what the core needs from the outside world, as Protocols. Adapters implement them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from domain.audit import AuditEntry
from domain.customers.activity import ActivityEntry, FollowUp, Task
from domain.customers.model import Customer
from domain.customers.queries import CustomerFilter, Visibility
from domain.events import DomainEvent
from domain.identity.model import ApiKey, Department, RefreshToken, Role, User
from domain.notifications import Notification
from domain.pagination import Page, PageRequest


class Clock(Protocol):
    def now(self) -> datetime: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, password: str, hashed: str) -> bool: ...


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    token_version: int
    expires_at: datetime


class TokenIssuer(Protocol):
    def issue_access(self, user: User, now: datetime) -> tuple[str, int]:
        """The token and its lifetime in seconds."""
        ...

    def decode_access(self, token: str) -> AccessClaims:
        """Raises AuthenticationFailed for a bad, forged or expired token."""
        ...


class JobName(StrEnum):
    HANDLE_EVENT = "handle_event"


class JobQueue(Protocol):
    async def enqueue(self, job: JobName, *args: Any, job_id: str) -> None:
        """Raises QueueUnavailable when the queue cannot be reached."""
        ...


class QueueUnavailable(Exception):
    pass


@dataclass(frozen=True)
class UserFilter:
    role: Role | None = None
    department_ids: Sequence[uuid.UUID] | None = None
    is_active: bool | None = None
    q: str | None = None


@dataclass(frozen=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class UserRepository(Protocol):
    async def get(self, user_id: uuid.UUID) -> User | None: ...
    async def get_by_email(self, email: str) -> User | None: ...
    async def add(self, user: User) -> None: ...
    async def save(self, user: User) -> None:
        """Persists a changed user; raises StaleVersion if someone else saved it first."""
        ...
    async def list(self, flt: UserFilter, page: PageRequest) -> Page[User]: ...
    async def count(self) -> int: ...


class DepartmentRepository(Protocol):
    async def get(self, department_id: uuid.UUID) -> Department | None: ...
    async def add(self, department: Department) -> None: ...
    async def save(self, department: Department) -> None: ...
    async def list(self, page: PageRequest) -> Page[Department]: ...
    async def ancestors(self, department_id: uuid.UUID) -> Sequence[uuid.UUID]:
        """The department itself and every department above it."""
        ...
    async def subtree(self, department_id: uuid.UUID) -> Sequence[uuid.UUID]:
        """The department itself and every department below it."""
        ...
    async def has_members_or_children(self, department_id: uuid.UUID) -> bool: ...
    async def delete(self, department_id: uuid.UUID) -> None: ...


class ApiKeyRepository(Protocol):
    async def get(self, key_id: uuid.UUID) -> ApiKey | None: ...
    async def get_by_prefix(self, prefix: str) -> ApiKey | None: ...
    async def add(self, key: ApiKey) -> None: ...
    async def save(self, key: ApiKey) -> None: ...
    async def list(self, page: PageRequest) -> Page[ApiKey]: ...


class RefreshTokenRepository(Protocol):
    async def get(self, token_id: uuid.UUID) -> RefreshToken | None: ...
    async def add(self, token: RefreshToken) -> None: ...
    async def mark_used(self, token_id: uuid.UUID, now: datetime) -> bool:
        """True when this call marked it; False when it was already used (a replay)."""
        ...
    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None: ...
    async def revoke_all_for_user(self, user_id: uuid.UUID, now: datetime) -> None: ...


class AuditLog(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...
    async def list(self, flt: AuditFilter, page: PageRequest) -> Page[AuditEntry]: ...


class NotificationRepository(Protocol):
    async def add(self, notification: Notification) -> None: ...
    async def list_for_user(self, user_id: uuid.UUID, page: PageRequest,
                            unread_only: bool = False) -> Page[Notification]: ...
    async def unread_count(self, user_id: uuid.UUID) -> int: ...
    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID,
                        now: datetime) -> bool: ...


class Outbox(Protocol):
    async def get(self, event_id: uuid.UUID) -> DomainEvent | None: ...


class ProcessedEvents(Protocol):
    async def mark(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Records that `consumer` handled the event; False when it already had."""
        ...


class CustomerRepository(Protocol):
    async def get(self, customer_id: uuid.UUID, visibility: Visibility,
                  include_deleted: bool = False, lock: bool = False) -> Customer | None: ...
    async def exists(self, customer_id: uuid.UUID) -> bool: ...
    async def add(self, customer: Customer) -> None: ...
    async def save(self, customer: Customer) -> None: ...
    async def list(self, flt: CustomerFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Customer]: ...
    async def next_sequence(self) -> int: ...


class FollowUpRepository(Protocol):
    async def get(self, followup_id: uuid.UUID, visibility: Visibility) -> FollowUp | None: ...
    async def add(self, followup: FollowUp) -> None: ...
    async def save(self, followup: FollowUp) -> None: ...
    async def list(self, flt: FollowUpFilter, visibility: Visibility,
                   page: PageRequest) -> Page[FollowUp]: ...


class TaskRepository(Protocol):
    async def get(self, task_id: uuid.UUID) -> Task | None: ...
    async def add(self, task: Task) -> None: ...
    async def save(self, task: Task) -> None: ...
    async def list(self, flt: TaskFilter, page: PageRequest) -> Page[Task]: ...


class ActivityLog(Protocol):
    async def add(self, entry: ActivityEntry) -> None: ...
    async def list(self, customer_id: uuid.UUID, page: PageRequest) -> Page[ActivityEntry]: ...


class Picklists(Protocol):
    async def values(self, name: str) -> set[str]: ...
    async def add(self, name: str, value: str, label: str) -> None: ...


@dataclass(frozen=True)
class FollowUpFilter:
    customer_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class TaskFilter:
    """None = no restriction; assignees and assignee_departments narrow the list."""

    assignees: Sequence[uuid.UUID] | None = None
    assignee_departments: Sequence[uuid.UUID] | None = None
    status: str | None = None
    due_before: datetime | None = None
    related_id: uuid.UUID | None = None


class UnitOfWork(Protocol):
    """One transaction. Events of the aggregates it saw go to the outbox on commit."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def departments(self) -> DepartmentRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def notifications(self) -> NotificationRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def processed(self) -> ProcessedEvents: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def followups(self) -> FollowUpRepository: ...
    @property
    def tasks(self) -> TaskRepository: ...
    @property
    def activity(self) -> ActivityLog: ...
    @property
    def picklists(self) -> Picklists: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class IdempotencyStore(Protocol):
    """Remembers the first response to a (caller, Idempotency-Key) pair."""

    async def begin(self, caller: str, key: str, fingerprint: str) -> IdempotencyOutcome: ...
    async def complete(self, caller: str, key: str, status: int, headers: list[tuple[str, str]],
                       body: bytes) -> None: ...
    async def abandon(self, caller: str, key: str) -> None: ...


@dataclass(frozen=True)
class IdempotencyOutcome:
    """state: 'new' (go ahead), 'in_flight', 'mismatch' or 'replay' (with the stored response)."""

    state: str
    status: int = 0
    headers: list[tuple[str, str]] | None = None
    body: bytes = b""


class FieldCipher(Protocol):
    """Encryption at rest for personal data, and the keyed blind index for exact lookups."""

    def encrypt(self, plaintext: str) -> str: ...
    def decrypt(self, token: str) -> str: ...
    def blind_index(self, kind: str, normalised: str) -> str: ...


class HealthCheck(Protocol):
    async def __call__(self) -> dict[str, bool]: ...
