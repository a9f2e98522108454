"""In-memory fakes of the pipeline ports (pipelines, opportunities and their stage history),
the customers feature as deals see it, and a sales team to run the deal use cases with.

The deals also write to ports other features own (the customers' timeline and tasks, the
leads' directory of reps). Their fakes here are attached by DealsUowFactory to its own units of
work only, so they never replace those features' fakes in the shared registry.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from domain.contracts.service import ContractService
from domain.customers.activity import ActivityEntry, Task
from domain.customers.model import Customer, CustomerKind
from domain.identity.model import Department, User
from domain.identity.service import principal_of
from domain.pipeline.model import Opportunity, StageVisit
from domain.pipeline.queries import MoneyTotal, OpportunityFilter, StageTotals
from domain.pipeline.service import OpportunityService
from domain.pipeline.stages import Pipeline
from domain.shared.authz import Actor, Principal, Role, Visibility
from domain.shared.catalogue import render
from domain.shared.errors import HiddenRecord, StaleVersion, ValidationFailed
from domain.shared.paging import Page, PageRequest, encode_cursor
from tests.fakes.shared import FakeClock, FakeUnitOfWork, FakeUowFactory, Store, repository

T = TypeVar("T")
FAR_PAST = date(1900, 1, 1)


def sequence(state: Store, name: str) -> int:
    counters = state.table("sequences")
    counters[name] = counters.get(name, 0) + 1
    return int(counters[name])


def loaded(record: T) -> T:
    """A copy as a repository hands it out, remembering the version it was read at."""
    out = copy.deepcopy(record)
    out.version_loaded = out.version  # type: ignore[attr-defined]
    return out


def check_loaded(stored: Any, record: Any, kind: str) -> None:
    """Optimistic locking as PostgreSQL does it: a save of a stale read is refused."""
    expected = getattr(record, "version_loaded", None)
    if stored is not None and expected is not None and stored.version != expected:
        raise StaleVersion(kind, expected, stored.version)


def keyset(items: list[T], page: PageRequest) -> Page[T]:
    """Pages a list already in order; the cursor is the offset."""
    start = int(page.after()[0]) if page.cursor else 0
    chunk = items[start:start + page.limit]
    more = start + page.limit < len(items)
    return Page(chunk, encode_cursor([start + page.limit]) if more else None)


# ---- pipelines and opportunities ------------------------------------------------------------


@repository("pipelines")
class FakePipelines:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Pipeline] = uow.state.table("pipelines")

    async def get(self, pipeline_id: uuid.UUID) -> Pipeline | None:
        p = self.rows.get(pipeline_id)
        return copy.deepcopy(p) if p else None

    async def default(self) -> Pipeline | None:
        return next((copy.deepcopy(p) for p in self.rows.values() if p.is_default), None)

    async def add(self, pipeline: Pipeline) -> bool:
        if pipeline.id in self.rows or (
                pipeline.is_default and any(p.is_default for p in self.rows.values())):
            return False
        self.rows[pipeline.id] = copy.deepcopy(pipeline)
        return True

    async def save(self, pipeline: Pipeline) -> None:
        self.rows[pipeline.id] = copy.deepcopy(pipeline)

    async def list(self) -> list[Pipeline]:
        return [copy.deepcopy(p) for p in sorted(
            self.rows.values(), key=lambda p: (not p.is_default, p.name, str(p.id)))]

    async def stages_in_use(self, pipeline_id: uuid.UUID) -> set[uuid.UUID]:
        return {o.stage_id for o in self.uow.state.table("opportunities").values()
                if o.pipeline_id == pipeline_id}

    async def clear_default(self) -> None:
        for p in self.rows.values():
            if p.is_default:
                p.is_default, p.version = False, p.version + 1


def _matches(o: Opportunity, flt: OpportunityFilter, vis: Visibility) -> bool:
    if not vis.allows(o.owner_id, o.owner_department_id):
        return False
    for name in ("pipeline_id", "stage_id", "owner_id", "customer_id"):
        wanted = getattr(flt, name)
        if wanted is not None and getattr(o, name) != wanted:
            return False
    return ((flt.status is None or o.status == flt.status)
            and (flt.department_id is None or o.owner_department_id == flt.department_id)
            and (flt.close_from is None or (o.expected_close_date or FAR_PAST) >= flt.close_from)
            and (flt.close_to is None or (o.expected_close_date or date.max) < flt.close_to)
            and (flt.updated_since is None or (o.updated_at or datetime.min.replace(tzinfo=UTC))
                 > flt.updated_since))


def _in_order(items: list[Opportunity], flt: OpportunityFilter) -> list[Opportunity]:
    sentinel: dict[str, Any] = {"amount": Decimal("-1"), "expected_close_date": FAR_PAST}

    def key(o: Opportunity) -> tuple[Any, str]:
        value = getattr(o, flt.sort.field)
        return (value if value is not None else sentinel[flt.sort.field], str(o.id))

    return sorted(items, key=key, reverse=flt.sort.descending)


@repository("opportunities")
class FakeOpportunities:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Opportunity] = uow.state.table("opportunities")
        self.visits: dict[uuid.UUID, list[StageVisit]] = uow.state.table("stage_history")

    async def get(self, opportunity_id: uuid.UUID, visibility: Visibility,
                  lock: bool = False) -> Opportunity | None:
        o = self.rows.get(opportunity_id)
        if o is None or not visibility.allows(o.owner_id, o.owner_department_id):
            return None
        return loaded(o)

    async def exists(self, opportunity_id: uuid.UUID) -> bool:
        return opportunity_id in self.rows

    async def next_sequence(self) -> int:
        return sequence(self.uow.state, "opportunity")

    async def add(self, opportunity: Opportunity) -> None:
        opportunity.created_at = opportunity.created_at or opportunity.stage_entered_at
        await self.save(opportunity)

    async def save(self, opportunity: Opportunity) -> None:
        check_loaded(self.rows.get(opportunity.id), opportunity, "opportunity")
        opportunity.updated_at = opportunity.last_activity_at
        visits = self.visits.setdefault(opportunity.id, [])
        for move in opportunity.moves:
            if visits and visits[-1].left_at is None:
                visits[-1] = StageVisit(**{**visits[-1].__dict__, "left_at": move.at,
                                           "left_by": move.by})
            visits.append(StageVisit(move.to_stage_id, move.to_stage_name, move.at, move.by,
                                     move.by_label))
        opportunity.moves.clear()
        opportunity.version_loaded = opportunity.version  # type: ignore[attr-defined]
        kept = copy.deepcopy(opportunity)
        kept.events = []
        self.rows[opportunity.id] = kept
        self.uow.seen.append(opportunity)

    async def history(self, opportunity_id: uuid.UUID) -> list[StageVisit]:
        return list(self.visits.get(opportunity_id, []))

    async def list(self, flt: OpportunityFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Opportunity]:
        found = [o for o in self.rows.values() if _matches(o, flt, visibility)]
        return keyset([loaded(o) for o in _in_order(found, flt)], page)

    async def stage_totals(self, flt: OpportunityFilter,
                           visibility: Visibility) -> list[StageTotals]:
        counts: dict[uuid.UUID, int] = defaultdict(int)
        sums: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for o in self.rows.values():
            if _matches(o, flt, visibility):
                counts[o.stage_id] += 1
                sums[o.stage_id][o.currency] += o.amount or Decimal("0")
        return [StageTotals(stage_id, n, [MoneyTotal(currency, amount, Decimal("0"))
                                          for currency, amount in sorted(sums[stage_id].items())
                                          if amount])
                for stage_id, n in counts.items()]

    async def first_cards(self, flt: OpportunityFilter, visibility: Visibility,
                          stage_ids: Sequence[uuid.UUID],
                          limit: int) -> dict[uuid.UUID, Page[Opportunity]]:
        out = {}
        for stage_id in stage_ids:
            column = [o for o in self.rows.values()
                      if o.stage_id == stage_id and _matches(o, flt, visibility)]
            out[stage_id] = keyset([loaded(o) for o in _in_order(column, flt)],
                                   PageRequest(limit=limit))
        return out


# ---- what other features keep for the deals ---------------------------------------------------


class FakeTimeline:
    """The customers' activity log, as deals write to it."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.entries: list[ActivityEntry] = uow.state.table("activity").setdefault("all", [])

    async def add(self, entry: ActivityEntry) -> None:
        self.entries.append(entry)

    async def add_many(self, entries: Sequence[ActivityEntry]) -> None:
        self.entries.extend(entries)

    async def list(self, customer_id: uuid.UUID, page: PageRequest) -> Page[ActivityEntry]:
        mine = [e for e in reversed(self.entries) if e.customer_id == customer_id]
        return keyset(mine, page)


class FakeTasks:
    """The customers' to-dos, as the contract sweep adds renewal reminders."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Task] = uow.state.table("tasks")

    async def get(self, task_id: uuid.UUID) -> Task | None:
        return copy.deepcopy(self.rows.get(task_id))

    async def add(self, task: Task) -> None:
        self.rows[task.id] = task
        self.uow.seen.append(task)

    async def save(self, task: Task) -> None:
        await self.add(task)


class FakeReps:
    """The leads' directory of people: a department's manager, an admin of last resort."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def _first(self, keep: Callable[[User], bool]) -> uuid.UUID | None:
        users = sorted((u for u in self.uow.state.users.values() if u.is_active and keep(u)),
                       key=lambda u: (u.created_at or datetime.min.replace(tzinfo=UTC),
                                      str(u.id)))
        return users[0].id if users else None

    async def manager_of(self, department_id: uuid.UUID) -> uuid.UUID | None:
        return self._first(lambda u: u.role == Role.MANAGER and u.department_id == department_id)

    async def any_admin(self) -> uuid.UUID | None:
        return self._first(lambda u: u.role == Role.ADMIN)


class DealsUnitOfWork(FakeUnitOfWork):
    def __init__(self, state: Store) -> None:
        super().__init__(state)
        self.activity = FakeTimeline(self)
        self.tasks = FakeTasks(self)
        self.reps = FakeReps(self)


class DealsUowFactory(FakeUowFactory):
    def __call__(self) -> DealsUnitOfWork:
        return DealsUnitOfWork(self.state)


SEE_ALL = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.FINANCE, Role.LEGAL,
                     Role.SERVICE_AGENT})


class FakeCustomers:
    """The customers feature as deals and contracts use it: the owner rule of sales records,
    the customer a record names, and the grade a paid contract closes."""

    def __init__(self) -> None:
        self.records: dict[uuid.UUID, Customer] = {}
        self.closed: list[uuid.UUID] = []

    async def visibility(self, uow: FakeUnitOfWork, p: Principal) -> Visibility:
        if p.kind != "user" or p.role in SEE_ALL:
            return Visibility(everything=True)
        if p.role == Role.MANAGER and p.department_id is not None:
            return Visibility(owner_id=p.id,
                              department_ids=tuple(await uow.departments.subtree(
                                  p.department_id)))
        return Visibility(owner_id=p.id)

    async def referenced(self, uow: FakeUnitOfWork, p: Principal, customer_id: uuid.UUID
                         ) -> Customer:
        c = self.records.get(customer_id)
        if c is None:
            raise ValidationFailed.of("customer_id", "no such customer")
        if not (await self.visibility(uow, p)).allows(c.owner_id, c.owner_department_id):
            raise HiddenRecord("customer", customer_id)
        return c

    async def close_deal(self, uow: FakeUnitOfWork, actor: Actor,
                         customer_id: uuid.UUID) -> None:
        self.closed.append(customer_id)


# ---- a sales team ---------------------------------------------------------------------------

STAFF = {  # who: (role, department)
    "admin": (Role.ADMIN, "hq"), "executive": (Role.EXECUTIVE, "hq"),
    "finance": (Role.FINANCE, "hq"), "finance2": (Role.FINANCE, "hq"),
    "legal": (Role.LEGAL, "hq"), "service_agent": (Role.SERVICE_AGENT, "hq"),
    "manager": (Role.MANAGER, "east"), "rep": (Role.SALES_REP, "east"),
    "rep2": (Role.SALES_REP, "east"),
    "north_manager": (Role.MANAGER, "north"), "north_rep": (Role.SALES_REP, "north"),
}
START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@dataclass
class SalesTeam:
    """HQ (admin, executive, two finance, legal, a service agent) above East (a manager and
    two reps) and North (a manager and a rep), with a clock and customers to sell to."""

    uow: DealsUowFactory = field(default_factory=DealsUowFactory)
    clock: FakeClock = field(default_factory=lambda: FakeClock(START))
    customers: FakeCustomers = field(default_factory=FakeCustomers)
    users: dict[str, User] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)

    def __post_init__(self) -> None:
        state = self.uow.state
        hq = Department(uuid.uuid4(), "HQ", None)
        self.departments = {"hq": hq, "east": Department(uuid.uuid4(), "East", hq.id),
                            "north": Department(uuid.uuid4(), "North", hq.id)}
        state.departments.update({d.id: d for d in self.departments.values()})
        ticks = itertools.count()
        for who, (role, dept) in STAFF.items():
            user = User(id=uuid.uuid4(), email=f"{who}@example.com", name=who, role=role,
                        department_id=self.departments[dept].id, password_hash="x",
                        created_at=START.replace(second=next(ticks)))
            self.users[who] = user
            state.users[user.id] = user

    def deals(self) -> OpportunityService:
        return OpportunityService(self.uow, self.clock, self.customers, "en")

    def contracts(self) -> ContractService:
        return ContractService(self.uow, self.clock, self.customers, self.deals())

    def who(self, user_id: uuid.UUID | None) -> str:
        return next(name for name, u in self.users.items() if u.id == user_id)

    def actor(self, who: str) -> Actor:
        return Actor(principal_of(self.users[who]), ip="198.51.100.7")

    def customer(self, who: str = "rep", name: str = "上海明远精密机械制造有限公司") -> Customer:
        owner = self.users[who]
        c = Customer(id=uuid.uuid4(), number=f"C{len(self.customers.records) + 1:06d}",
                     name=name, kind=CustomerKind.COMPANY, owner_id=owner.id,
                     owner_department_id=owner.department_id)
        self.customers.records[c.id] = c
        return c

    @property
    def state(self) -> Store:
        return self.uow.state

    def audit_actions(self, target_id: uuid.UUID | None = None) -> list[str]:
        return [e.action for e in self.state.audit
                if target_id is None or str(e.target_id) == str(target_id)]

    def events(self, kind: str | None = None) -> list[Any]:
        return [e for e in self.state.outbox.values() if kind is None or e.type == kind]

    def timeline(self, customer_id: uuid.UUID) -> list[ActivityEntry]:
        """The customer's timeline with each line's words in English, as a reader sees it."""
        return [dataclasses.replace(e, summary=render(e.summary))
                for e in self.state.table("activity").get("all", [])
                if e.customer_id == customer_id]
