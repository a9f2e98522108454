"""Fakes the bulk feature (imports and exports) shares: the job queue, and stand-ins for
the features an import or export goes through (customers, their custom fields, picklists,
tags, timeline, and who sees which customers).

The stand-ins of other features' repositories are set on each unit of work by
`BulkUowFactory` rather than registered, so that they never take the place of those
features' own fakes.
"""

from __future__ import annotations

import builtins
import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.audit.model import AuditEntry
from domain.audit.ports import AuditFilter
from domain.customers.activity import ActivityEntry
from domain.customers.model import Customer, CustomerKind, TierPolicy, normalised_name
from domain.customers.queries import CustomerFilter
from domain.fields_and_tags.model import CustomField, FieldType
from domain.shared.authz import Principal, Role, Visibility
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import JobName, QueueUnavailable, UnitOfWork
from tests.fakes.shared import FakeClock, FakeUnitOfWork, FakeUowFactory, page_of


class FakeQueue:
    """Remembers what was queued (each job id once, as arq does); `down` refuses all."""

    def __init__(self) -> None:
        self.jobs: dict[str, tuple[JobName, tuple[Any, ...]]] = {}
        self.down = False

    async def enqueue(self, job: JobName, *args: Any, job_id: str) -> None:
        if self.down:
            raise QueueUnavailable()
        self.jobs.setdefault(job_id, (job, args))

    async def enqueue_many(self, job: JobName,
                           jobs: Sequence[tuple[tuple[Any, ...], str]]) -> None:
        for args, job_id in jobs:
            await self.enqueue(job, *args, job_id=job_id)

    async def enqueue_absent(self, job: JobName,
                             jobs: Sequence[tuple[tuple[Any, ...], str]]) -> list[str]:
        absent = [job_id for _, job_id in jobs if job_id not in self.jobs]
        await self.enqueue_many(job, jobs)
        return absent


INDUSTRIES = {"manufacturing": "manufacturing", "制造业": "manufacturing",
              "retail": "retail", "零售": "retail"}
REGIONS = {"east": "east", "华东": "east", "north": "north", "华北": "north"}


# a customer carrying a duplicate key: (id, owner_id, owner_department_id)
Holder = tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]


class CustomersStandIn:
    """The customer repository as the bulk use cases use it. Duplicate keys are the phone
    numbers and the normalised name (the real one blind-indexes the phones)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Customer] = uow.state.table("customers")

    def _visible(self, flt: CustomerFilter, vis: Visibility) -> builtins.list[Customer]:
        return [c for c in self.rows.values()
                if c.deleted_at is None and vis.allows(c.owner_id, c.owner_department_id)
                and flt.industry in (None, c.industry) and flt.region in (None, c.region)
                and (not flt.tags_any or set(flt.tags_any) & set(c.tags))]

    async def get(self, customer_id: uuid.UUID, visibility: Visibility, *,
                  include_deleted: bool = False, lock: bool = False) -> Customer | None:
        found = self.rows.get(customer_id)
        if found is None or not visibility.allows(found.owner_id, found.owner_department_id):
            return None
        return copy.deepcopy(found)

    async def exists(self, customer_id: uuid.UUID) -> bool:
        return customer_id in self.rows

    async def save(self, customer: Customer) -> None:
        self.rows[customer.id] = copy.deepcopy(customer)
        self.uow.seen.append(customer)

    async def list(self, flt: CustomerFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Customer]:
        return page_of(self._visible(flt, visibility), page, lambda c: c.number)

    async def count(self, flt: CustomerFilter, visibility: Visibility) -> int:
        return len(self._visible(flt, visibility))

    async def next_sequences(self, n: int) -> builtins.list[int]:
        start = len(self.rows) + 1
        return builtins.list(range(start, start + n))

    async def add_many(self, customers: Sequence[Customer]) -> None:
        for c in customers:
            self.rows[c.id] = copy.deepcopy(c)
        self.uow.seen.extend(customers)  # their created events reach the outbox on commit

    def match_keys(self, customer: Customer) -> builtins.list[str]:
        keys = [f"phone:{n}" for x in customer.contacts for n in (x.mobile, x.landline) if n]
        return [*dict.fromkeys(keys), f"name:{normalised_name(customer.name)}"]

    async def find_by_keys(self, keys: Sequence[str]) -> dict[str, builtins.list[Holder]]:
        out: dict[str, builtins.list[Holder]] = {}
        for c in self.rows.values():
            if c.deleted_at is None:
                for k in set(self.match_keys(c)) & set(keys):
                    out.setdefault(k, []).append((c.id, c.owner_id, c.owner_department_id))
        return out


class CustomFieldsStandIn:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[uuid.UUID, CustomField] = uow.state.table("custom_fields")

    async def list(self, entity: str) -> list[CustomField]:
        return [f for f in self.rows.values() if f.entity == entity]


class PicklistsStandIn:
    async def labels(self, name: str) -> dict[str, str]:
        return dict(INDUSTRIES if name == "industry" else REGIONS)


class TagsStandIn:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.names: dict[str, bool] = uow.state.table("tags")

    async def ensure(self, names: Sequence[str]) -> None:
        for n in names:
            self.names[n] = True


class ActivityStandIn:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.entries: dict[int, ActivityEntry] = uow.state.table("activity")

    async def add_many(self, entries: Sequence[ActivityEntry]) -> None:
        for e in entries:
            self.entries[len(self.entries)] = e


class AuditStandIn:
    """The audit log with the bulk write an import makes (lands on commit, as the log does)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def record(self, entry: AuditEntry) -> None:
        self.uow.pending_audit.append(entry)

    async def record_many(self, entries: Sequence[AuditEntry]) -> None:
        self.uow.pending_audit.extend(entries)

    async def list(self, flt: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
        items = [e for e in self.uow.state.audit if flt.action in (None, e.action)]
        return Page(items[: page.limit], None)


class BulkUowFactory(FakeUowFactory):
    """Units of work whose records are stamped by `clock` (as the database stamps them)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def __call__(self) -> FakeUnitOfWork:
        uow = super().__call__()
        uow.clock = self.clock  # type: ignore[attr-defined]
        uow.customers = CustomersStandIn(uow)  # type: ignore[attr-defined]
        uow.custom_fields = CustomFieldsStandIn(uow)  # type: ignore[attr-defined]
        uow.picklists = PicklistsStandIn()  # type: ignore[attr-defined]
        uow.tags = TagsStandIn(uow)  # type: ignore[attr-defined]
        uow.activity = ActivityStandIn(uow)  # type: ignore[attr-defined]
        uow.audit = AuditStandIn(uow)  # type: ignore[assignment]
        return uow


def custom_field(uow: BulkUowFactory, key: str, label: str, type: FieldType = FieldType.TEXT,
                 required: bool = False) -> CustomField:
    definition = CustomField.define(entity="customer", key=key, label=label, type=type,
                                    required=required)
    uow.state.table("custom_fields")[definition.id] = definition
    return definition


def stored_customer(uow: BulkUowFactory, name: str, owner: Principal, *,
                    mobile: str | None = None, industry: str | None = None,
                    id_card_number: str | None = None, email: str | None = None,
                    tags: Sequence[str] = ()) -> Customer:
    """A customer already in the CRM (as if created earlier)."""
    rows = uow.state.table("customers")
    kind = CustomerKind.PERSON if id_card_number else CustomerKind.COMPANY
    contacts = [{"name": "张三", "title": "采购经理", "mobile": mobile, "email": email}] \
        if mobile or email else []
    c = Customer.create(number=f"C20261100{len(rows) + 1:04d}", name=name, kind=kind,
                        owner_id=owner.id, owner_department_id=owner.department_id,
                        tier_policy=TierPolicy(), created_by=owner.id, industry=industry,
                        id_card_number=id_card_number, contacts=contacts, tags=list(tags))
    c.events.clear()
    rows[c.id] = c
    return c


SEE_ALL = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.FINANCE, Role.LEGAL, Role.SERVICE_AGENT})


@dataclass
class FakeCustomerRules:
    """Who sees which customers, as the customers feature decides it: everything for the
    roles that see all and for integrations, a manager its department subtree, a rep its own."""

    tier_policy: TierPolicy = field(default_factory=TierPolicy)

    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility:
        if p.kind != "user" or p.role in SEE_ALL:
            return Visibility(everything=True)
        if p.role == Role.MANAGER and p.department_id is not None:
            return Visibility(owner_id=p.id,
                              department_ids=tuple(await uow.departments.subtree(p.department_id)))
        return Visibility(owner_id=p.id)
