"""The repositories and outside services the customers feature needs."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.customers.activity import ActivityEntry, FollowUp, Task
from domain.customers.model import Customer
from domain.customers.queries import CustomerFilter
from domain.customers.values import PicklistEntry
from domain.shared.authz import Visibility
from domain.shared.paging import Page, PageRequest


class CustomerRepository(Protocol):
    async def get(self, customer_id: uuid.UUID, visibility: Visibility,
                  include_deleted: bool = False, lock: bool = False) -> Customer | None: ...
    async def exists(self, customer_id: uuid.UUID) -> bool: ...
    async def add(self, customer: Customer) -> None: ...
    async def save(self, customer: Customer) -> None: ...
    async def list(self, flt: CustomerFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Customer]: ...
    async def list_documents(self, flt: CustomerFilter, visibility: Visibility,
                             page: PageRequest, fields: frozenset[str] | None
                             ) -> Page[str]:
        """The same page as `list`, each customer already as its JSON document (masked; a
        tombstone for a deleted one; only `fields` when given): what the list endpoint sends."""
        ...
    async def next_sequence(self) -> int: ...
    async def count(self, flt: CustomerFilter, visibility: Visibility) -> int: ...
    async def retag(self, flt: CustomerFilter, visibility: Visibility, add: Sequence[str],
                    remove: Sequence[str]) -> Sequence[uuid.UUID]:
        """Adds and removes tags on every customer found; answers those whose tags changed."""
        ...
    async def with_phones(self, phones: Sequence[str]) -> Sequence[Customer]:
        """Live customers one of whose contacts has one of these (normalised) numbers."""
        ...
    async def duplicates_of(self, customer: Customer, visibility: Visibility
                            ) -> Sequence[tuple[Customer, builtins.list[str]]]: ...
    async def next_sequences(self, n: int) -> Sequence[int]: ...
    async def add_many(self, customers: Sequence[Customer]) -> None:
        """Bulk insert for imports; each customer's events go to the outbox on commit, as
        `add`'s do."""
        ...
    def match_keys(self, customer: Customer) -> builtins.list[str]:
        """Duplicate-detection keys: one per contact phone (blind index) and the name."""
        ...
    async def find_by_keys(self, keys: Sequence[str]
                           ) -> dict[str, builtins.list[tuple[uuid.UUID, uuid.UUID,
                                                              uuid.UUID | None]]]:
        """key → live customers carrying it: (id, owner_id, owner_department_id)."""
        ...
    async def fold_into(self, survivor_id: uuid.UUID, loser_ids: Sequence[uuid.UUID]) -> None:
        """Moves follow-ups, tasks, timeline, opportunities and leads to the survivor."""
        ...


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
    async def add_many(self, entries: Sequence[ActivityEntry]) -> None: ...
    async def list(self, customer_id: uuid.UUID, page: PageRequest) -> Page[ActivityEntry]: ...


class Picklists(Protocol):
    async def values(self, name: str) -> set[str]: ...
    async def labels(self, name: str) -> dict[str, str]:
        """Every way a value is written (value, label, each word of the label) → the value."""
        ...
    async def entries(self, name: str) -> list[PicklistEntry]:
        """The active values with their words per language."""
        ...
    async def add(self, name: str, entry: PicklistEntry) -> None:
        """Adds the value, or gives it new words (and makes it active again)."""
        ...


@dataclass(frozen=True)
class FollowUpFilter:
    customer_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Delta sync: changed after this, oldest change first. A follow-up is never deleted; one
    # whose customer went to the recycle bin leaves with the customer's tombstone.
    updated_since: datetime | None = None


@dataclass(frozen=True)
class TaskFilter:
    """None = no restriction; assignees and assignee_departments narrow the list."""

    assignees: Sequence[uuid.UUID] | None = None
    assignee_departments: Sequence[uuid.UUID] | None = None
    status: str | None = None
    due_before: datetime | None = None
    related_id: uuid.UUID | None = None
    # Delta sync: changed after this, oldest change first (tasks are never deleted).
    updated_since: datetime | None = None

