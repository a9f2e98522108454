"""In-memory fakes of the customers ports: customers with their contacts, follow-ups, tasks,
the timeline and the industry and region lists.

Records are stored as copies and read back as copies, so a use case that changes a record
without saving it changes nothing; a save of a record read at an older version is refused as
PostgreSQL's version check refuses it.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from domain.customers.activity import ActivityEntry, FollowUp, Task
from domain.customers.model import Customer, normalised_name
from domain.customers.ports import FollowUpFilter, TaskFilter
from domain.customers.queries import CustomerFilter
from domain.customers.values import PicklistEntry
from domain.shared.authz import Visibility
from domain.shared.errors import StaleVersion
from domain.shared.paging import Page, PageRequest, encode_cursor
from tests.fakes.shared import FakeUnitOfWork, repository

R = TypeVar("R")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stored(record: R) -> R:
    """A copy to keep: its events stay with the original (they reach the outbox on commit)."""
    twin = copy.deepcopy(record)
    if hasattr(twin, "events"):
        twin.events = []  # type: ignore[attr-defined]
    return twin


def loaded(record: R) -> R:
    twin = stored(record)
    twin.version_loaded = twin.version  # type: ignore[attr-defined]
    return twin


def keep(uow: FakeUnitOfWork, rows: dict[uuid.UUID, Any], record: Any) -> None:
    """Store a copy of an added or saved record; the caller's copy now counts as read at its
    version, and the unit of work sees it (its events reach the outbox on commit)."""
    rows[record.id] = stored(record)
    record.version_loaded = record.version
    uow.seen.append(record)


def check_fresh(record: Any, current: Any, what: str) -> None:
    seen = getattr(record, "version_loaded", None)
    if current is not None and seen is not None and seen != current.version:
        raise StaleVersion(what, seen, current.version)


def offset_page(items: list[R], page: PageRequest) -> Page[R]:
    """Items already in order; the cursor is the offset of the next page."""
    start = int(page.after()[0]) if page.cursor else 0
    chunk = items[start:start + page.limit]
    more = start + page.limit < len(items)
    return Page(chunk, encode_cursor([start + page.limit]) if more else None)


def phones_of(c: Customer) -> set[str]:
    return {n for x in c.contacts for n in (x.mobile, x.landline) if n}


def matches(c: Customer, f: CustomerFilter) -> bool:
    """The customer filter language, on the fields the fake keeps."""
    checks: list[Callable[[], bool]] = [
        lambda: f.industry is None or c.industry == f.industry,
        lambda: f.region is None or c.region == f.region,
        lambda: f.kind is None or c.kind == f.kind,
        lambda: f.grade is None or c.grade == f.grade,
        lambda: f.tier is None or c.tier == f.tier,
        lambda: f.owner_id is None or c.owner_id == f.owner_id,
        lambda: f.department_id is None or c.owner_department_id == f.department_id,
        lambda: all(t in c.tags for t in f.tags_all),
        lambda: not f.tags_any or any(t in c.tags for t in f.tags_any),
        lambda: f.last_followup_before is None or c.last_followup_at is None
        or c.last_followup_at < f.last_followup_before,
        lambda: f.last_followup_after is None or (c.last_followup_at is not None
                                                  and c.last_followup_at >= f.last_followup_after),
        lambda: f.annual_purchase_min is None or (c.annual_purchase is not None
                                                  and c.annual_purchase >= f.annual_purchase_min),
        lambda: f.annual_purchase_max is None or (c.annual_purchase is not None
                                                  and c.annual_purchase <= f.annual_purchase_max),
        lambda: all(c.custom.get(k) in v for k, v in f.custom.items()),
        lambda: not f.q or f.q.lower() in " ".join(
            [c.name, c.number, *(x.name for x in c.contacts)]).lower(),
        lambda: not f.phone or f.phone in phones_of(c),
        lambda: not f.email or any(x.email == f.email for x in c.contacts),
    ]
    return all(check() for check in checks)


@repository("customers")
class FakeCustomers:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Customer] = uow.state.table("customers")

    def _visible(self, vis: Visibility) -> list[Customer]:
        return [c for c in self.rows.values() if vis.allows(c.owner_id, c.owner_department_id)]

    def _live(self, flt: CustomerFilter, vis: Visibility) -> list[Customer]:
        return [c for c in self._visible(vis) if c.deleted_at is None and matches(c, flt)]

    async def get(self, customer_id: uuid.UUID, visibility: Visibility,
                  include_deleted: bool = False, lock: bool = False) -> Customer | None:
        c = self.rows.get(customer_id)
        if c is None or (c.deleted_at is not None and not include_deleted):
            return None
        return loaded(c) if visibility.allows(c.owner_id, c.owner_department_id) else None

    async def exists(self, customer_id: uuid.UUID) -> bool:
        c = self.rows.get(customer_id)
        return c is not None and c.deleted_at is None

    async def add(self, customer: Customer) -> None:
        assert customer.id not in self.rows
        customer.created_at = customer.updated_at = datetime.now(UTC)
        keep(self.uow, self.rows, customer)

    async def add_many(self, customers: Sequence[Customer]) -> None:
        for c in customers:
            c.created_at = c.updated_at = datetime.now(UTC)
            self.rows[c.id] = stored(c)
        self.uow.seen.extend(customers)

    async def save(self, customer: Customer) -> None:
        check_fresh(customer, self.rows.get(customer.id), "customer")
        customer.updated_at = datetime.now(UTC)
        keep(self.uow, self.rows, customer)

    async def list(self, flt: CustomerFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Customer]:
        if flt.updated_since is not None:
            found = sorted((c for c in self._visible(visibility)
                            if c.updated_at and c.updated_at > flt.updated_since
                            and matches(c, flt)), key=lambda c: (c.updated_at, str(c.id)))
        else:
            found = [c for c in self._visible(visibility)
                     if (c.deleted_at is not None) == flt.deleted and matches(c, flt)]
            field = flt.sort.field

            def key(c: Customer) -> tuple[Any, str]:
                value = getattr(c, field)
                return (EPOCH if value is None and field.endswith("_at") else value, str(c.id))

            found.sort(key=key, reverse=flt.sort.descending)
        return offset_page([loaded(c) for c in found], page)

    async def list_documents(self, flt: CustomerFilter, visibility: Visibility,
                             page: PageRequest, fields: frozenset[str] | None) -> Page[str]:
        result = await self.list(flt, visibility, page)

        def document(c: Customer) -> str:
            doc = {"id": str(c.id), "name": c.name, "owner_id": str(c.owner_id),
                   "deleted": c.deleted_at is not None}
            return json.dumps({k: v for k, v in doc.items() if fields is None or k in fields})

        return Page([document(c) for c in result.items], result.next_cursor)

    async def next_sequence(self) -> int:
        return (await self.next_sequences(1))[0]

    async def next_sequences(self, n: int) -> Sequence[int]:
        counter = self.uow.state.table("sequences")
        first = counter.get("customer", 0) + 1
        counter["customer"] = first + n - 1
        return list(range(first, first + n))

    async def count(self, flt: CustomerFilter, visibility: Visibility) -> int:
        return len(self._live(flt, visibility))

    async def retag(self, flt: CustomerFilter, visibility: Visibility, add: Sequence[str],
                    remove: Sequence[str]) -> list[uuid.UUID]:
        changed = []
        for c in self._live(flt, visibility):
            tags = [t for t in c.tags if t not in remove]
            for tag in add:
                if tag not in tags:
                    tags.append(tag)
            if tags != c.tags:
                c.tags, c.version = tags, c.version + 1
                changed.append(c.id)
        return changed

    async def with_phones(self, phones: Sequence[str]) -> Sequence[Customer]:
        return [loaded(c) for c in self.rows.values()
                if c.deleted_at is None and phones_of(c) & set(phones)]

    async def duplicates_of(self, customer: Customer, visibility: Visibility
                            ) -> Sequence[tuple[Customer, list[str]]]:
        emails = {x.email for x in customer.contacts if x.email}
        out = []
        for c in self._live(CustomerFilter(), visibility):
            if c.id == customer.id:
                continue
            reasons = []
            if phones_of(c) & phones_of(customer):
                reasons.append("same phone")
            if emails & {x.email for x in c.contacts if x.email}:
                reasons.append("same email")
            if normalised_name(c.name) == normalised_name(customer.name):
                reasons.append("same name")
            if reasons:
                out.append((loaded(c), reasons))
        return out

    def match_keys(self, customer: Customer) -> list[str]:
        return [*(f"phone:{n}" for n in sorted(phones_of(customer))),
                f"name:{normalised_name(customer.name)}"]

    async def find_by_keys(self, keys: Sequence[str]
                           ) -> dict[str, list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]]:
        out: dict[str, list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]] = {}
        for c in self.rows.values():
            if c.deleted_at is None:
                for key in set(self.match_keys(c)) & set(keys):
                    out.setdefault(key, []).append((c.id, c.owner_id, c.owner_department_id))
        return out

    async def fold_into(self, survivor_id: uuid.UUID, loser_ids: Sequence[uuid.UUID]) -> None:
        for f in self.uow.state.table("followups").values():
            if f.customer_id in loser_ids:
                f.customer_id = survivor_id
        for task in self.uow.state.table("tasks").values():
            if task.related_id in loser_ids:
                task.related_id = survivor_id
        timeline = self.uow.state.table("activity")
        for n, entry in list(timeline.items()):
            if entry.customer_id in loser_ids:
                timeline[n] = dataclasses.replace(entry, customer_id=survivor_id)


@repository("followups")
class FakeFollowUps:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, FollowUp] = uow.state.table("followups")

    def _visible(self, f: FollowUp, vis: Visibility) -> bool:
        c = self.uow.state.table("customers").get(f.customer_id)
        return (c is not None and c.deleted_at is None
                and vis.allows(c.owner_id, c.owner_department_id))

    async def get(self, followup_id: uuid.UUID, visibility: Visibility) -> FollowUp | None:
        f = self.rows.get(followup_id)
        return loaded(f) if f is not None and self._visible(f, visibility) else None

    async def add(self, followup: FollowUp) -> None:
        followup.created_at = followup.updated_at = datetime.now(UTC)
        keep(self.uow, self.rows, followup)

    async def save(self, followup: FollowUp) -> None:
        check_fresh(followup, self.rows.get(followup.id), "follow-up")
        keep(self.uow, self.rows, followup)

    async def list(self, flt: FollowUpFilter, visibility: Visibility,
                   page: PageRequest) -> Page[FollowUp]:
        found = [f for f in self.rows.values() if self._visible(f, visibility)
                 and flt.customer_id in (None, f.customer_id)
                 and flt.owner_id in (None, f.owner_id)
                 and (flt.since is None or f.occurred_at >= flt.since)
                 and (flt.until is None or f.occurred_at < flt.until)]
        found.sort(key=lambda f: (f.occurred_at, str(f.id)), reverse=True)
        return offset_page([loaded(f) for f in found], page)


@repository("tasks")
class FakeTasks:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Task] = uow.state.table("tasks")

    async def get(self, task_id: uuid.UUID) -> Task | None:
        task = self.rows.get(task_id)
        return loaded(task) if task is not None else None

    async def add(self, task: Task) -> None:
        task.created_at = task.updated_at = datetime.now(UTC)
        keep(self.uow, self.rows, task)

    async def save(self, task: Task) -> None:
        check_fresh(task, self.rows.get(task.id), "task")
        keep(self.uow, self.rows, task)

    async def list(self, flt: TaskFilter, page: PageRequest) -> Page[Task]:
        users = self.uow.state.users

        def department(user_id: uuid.UUID) -> uuid.UUID | None:
            user = users.get(user_id)
            return user.department_id if user else None

        found = [t for t in self.rows.values()
                 if (flt.assignees is None or t.assignee_id in flt.assignees)
                 and (flt.assignee_departments is None
                      or department(t.assignee_id) in flt.assignee_departments)
                 and flt.status in (None, t.status.value)
                 and (flt.due_before is None or (t.due_at is not None
                                                 and t.due_at < flt.due_before))
                 and flt.related_id in (None, t.related_id)]
        found.sort(key=lambda t: (t.due_at is None, t.due_at or EPOCH, str(t.id)))
        return offset_page([loaded(t) for t in found], page)


@repository("activity")
class FakeActivity:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[int, ActivityEntry] = uow.state.table("activity")

    async def add(self, entry: ActivityEntry) -> None:
        await self.add_many([entry])

    async def add_many(self, entries: Sequence[ActivityEntry]) -> None:
        for entry in entries:
            n = len(self.rows) + 1
            self.rows[n] = dataclasses.replace(entry, id=n, at=datetime.now(UTC))

    async def list(self, customer_id: uuid.UUID, page: PageRequest) -> Page[ActivityEntry]:
        found = [e for n, e in sorted(self.rows.items(), reverse=True)
                 if e.customer_id == customer_id]
        return offset_page(found, page)


@repository("picklists")
class FakePicklists:
    """Starts with the values the first migration seeds that the tests use."""

    SEEDED = {"industry": {"manufacturing": "制造业 Manufacturing",
                           "software": "软件与信息技术 Software & IT"},
              "region": {"east": "华东 East China", "north": "华北 North China"}}

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[str, dict[str, str]] = uow.state.table("picklists")
        if not self.rows:
            self.rows.update(copy.deepcopy(self.SEEDED))

    async def values(self, name: str) -> set[str]:
        return set(self.rows.get(name, {}))

    async def labels(self, name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for value, label in self.rows.get(name, {}).items():
            for alias in (label, *label.split(), value):
                out.setdefault(alias, value)
                out.setdefault(alias.lower(), value)
        return out

    async def entries(self, name: str) -> list[PicklistEntry]:
        return [PicklistEntry(value, {}, label) for value, label in self.rows.get(name, {}).items()]

    async def add(self, name: str, entry: PicklistEntry) -> None:
        self.rows.setdefault(name, {})[entry.value] = entry.fallback
