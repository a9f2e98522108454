"""LeadsWorld, an organisation to run the lead use cases in, with its unit of work and fakes
of the customers and pipeline services as lead use cases see them (CustomerDesk,
OpportunityOpener) and a rate limiter. The leads repositories its unit of work builds are the
ones tests/fakes/leads.py registers (the package loads every module first).

Lead use cases also read and write customers, tasks, the customer timeline and picklists.
Those belong to the customers feature, so they are not registered by name here (that would
replace the customers feature's own fakes in its tests): LeadsUowFactory's unit of work
carries small stand-ins of its own.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from domain.customers.activity import ActivityEntry, Task
from domain.customers.commands import NewCustomer
from domain.customers.model import Customer, Size, Source, TierPolicy
from domain.customers.ports import TaskFilter
from domain.customers.queries import CustomerFilter
from domain.identity.model import Department, User
from domain.identity.service import principal_of
from domain.leads.commands import CaptureLead
from domain.leads.intake_service import IntakeService
from domain.leads.model import Lead, LeadActivity
from domain.leads.routing import Method, RoutingRule, RoutingSettings
from domain.leads.service import LeadService
from domain.leads.settings_service import LeadSettingsService
from domain.pipeline.commands import NewOpportunity
from domain.pipeline.model import Opportunity
from domain.shared.authz import Actor, Principal, Role, Scope, Visibility, require
from domain.shared.catalogue import render
from domain.shared.paging import Page, PageRequest
from tests.fakes.shared import FakeClock, FakeUnitOfWork, FakeUowFactory, Store, page_of

# ---- stand-ins for the customers feature's repositories, for lead use cases only -------------


class _Customers:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Customer] = uow.state.table("customers")

    async def get(self, customer_id: uuid.UUID, visibility: Visibility,
                  include_deleted: bool = False, lock: bool = False) -> Customer | None:
        c = self.rows.get(customer_id)
        if c is None or not visibility.allows(c.owner_id, c.owner_department_id):
            return None
        return copy.deepcopy(c)

    async def exists(self, customer_id: uuid.UUID) -> bool:
        return customer_id in self.rows

    async def add(self, customer: Customer) -> None:
        self.rows[customer.id] = customer
        self.uow.seen.append(customer)

    async def save(self, customer: Customer) -> None:
        self.rows[customer.id] = customer
        self.uow.seen.append(customer)

    async def list(self, flt: CustomerFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Customer]:
        items = [c for c in self.rows.values()
                 if visibility.allows(c.owner_id, c.owner_department_id)
                 and (flt.q is None or flt.q.lower() in c.name.lower())]
        return page_of(items, page, lambda c: c.number)


class _Tasks:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[uuid.UUID, Task] = uow.state.table("tasks")

    async def get(self, task_id: uuid.UUID) -> Task | None:
        return copy.deepcopy(self.rows.get(task_id))

    async def add(self, task: Task) -> None:
        self.rows[task.id] = task

    async def save(self, task: Task) -> None:
        self.rows[task.id] = task

    async def list(self, flt: TaskFilter, page: PageRequest) -> Page[Task]:
        items = [copy.deepcopy(t) for t in self.rows.values()
                 if flt.related_id in (None, t.related_id) and flt.status in (None, t.status)]
        return page_of(items, page, lambda t: str(t.id))


class _Activity:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: list[ActivityEntry] = uow.state.table("customer_activity").setdefault(
            "entries", [])

    async def add(self, entry: ActivityEntry) -> None:
        self.rows.append(entry)

    async def add_many(self, entries: Sequence[ActivityEntry]) -> None:
        self.rows.extend(entries)


class _Picklists:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.lists: dict[str, set[str]] = uow.state.table("picklists")

    async def values(self, name: str) -> set[str]:
        return set(self.lists.get(name, set()))


class LeadsUnitOfWork(FakeUnitOfWork):
    def __init__(self, state: Store) -> None:
        super().__init__(state)
        self.customers = _Customers(self)
        self.tasks = _Tasks(self)
        self.activity = _Activity(self)
        self.picklists = _Picklists(self)


class LeadsUowFactory(FakeUowFactory):
    def __call__(self) -> LeadsUnitOfWork:
        return LeadsUnitOfWork(self.state)


# ---- the other features' services as lead use cases see them -------------------------------------


class FakeCustomerDesk:
    """Who sees what as customers decide it (reps their own, managers their team's subtree,
    the other roles and integrations everything), and customers created in the caller's
    unit of work."""

    tier_policy = TierPolicy()

    def __init__(self) -> None:
        self.created: list[NewCustomer] = []

    async def visibility(self, uow: Any, p: Principal) -> Visibility:
        if p.kind != "user" or p.role not in (Role.MANAGER, Role.SALES_REP):
            return Visibility(everything=True)
        if p.role == Role.MANAGER and p.department_id is not None:
            return Visibility(owner_id=p.id,
                              department_ids=tuple(await uow.departments.subtree(p.department_id)))
        return Visibility(owner_id=p.id)

    async def add(self, uow: Any, actor: Actor, command: NewCustomer) -> Customer:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        self.created.append(command)
        owner = await uow.users.get(command.owner_id or p.user_id)
        customer = Customer.create(
            number=f"C{len(uow.state.table('customers')) + 1:06d}", name=command.name,
            kind=command.kind, owner_id=owner.id, owner_department_id=owner.department_id,
            tier_policy=self.tier_policy, created_by=p.id, industry=command.industry,
            region=command.region, size=command.size, source=command.source,
            key_needs=command.key_needs, contacts=list(command.contacts),
            first_contact_date=command.first_contact_date)
        await uow.customers.add(customer)
        return customer


class FakeOpportunityOpener:
    """Opens an opportunity in a one-stage pipeline and keeps what it was asked."""

    def __init__(self) -> None:
        self.opened: list[tuple[Customer, NewOpportunity, uuid.UUID | None]] = []

    async def open_in(self, uow: Any, actor: Actor, customer: Customer, details: NewOpportunity,
                      lead_id: uuid.UUID | None = None) -> Opportunity:
        require(actor, Scope.OPPORTUNITIES_WRITE)
        self.opened.append((customer, details, lead_id))
        owner = await uow.users.get(details.owner_id or customer.owner_id)
        return Opportunity(
            id=uuid.uuid4(), number=f"O{len(self.opened):06d}",
            name=details.name or customer.name, customer_id=customer.id,
            pipeline_id=uuid.uuid4(), stage_id=uuid.uuid4(), owner_id=owner.id,
            owner_department_id=owner.department_id, amount=details.amount,
            currency=details.currency or "CNY", lead_id=lead_id)


class FakeLimiter:
    """Counts hits per key; past the limit, asks the caller to wait out the window."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}

    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        self.hits[key] = self.hits.get(key, 0) + 1
        return window_seconds if self.hits[key] > limit else 0


# ---- an organisation to run lead use cases in ----------------------------------------------------

INDUSTRIES = {"manufacturing", "software", "retail"}
REGIONS = {"east", "north", "south"}
PHONE = "13912345678"


def inquiry(**over: Any) -> CaptureLead:
    """A complete, high-grade inquiry from a manufacturer in the east (score 78)."""
    fields: dict[str, Any] = {
        "name": "王小明", "company": "苏州精工自动化设备有限公司", "title": "采购经理",
        "phone": PHONE, "email": "wang.xm@example.com", "industry": "manufacturing",
        "region": "east", "company_size": Size.LARGE, "budget": Decimal("500000.00"),
        "message": "想了解二期产线的报价", "source": Source.WEBSITE}
    fields.update(over)
    return CaptureLead(**fields)


class LeadsWorld:
    """Sales East (a manager, reps) and North (a manager, a rep), under a head office with an
    admin; an executive, a finance user; the industry and region picklists; the services."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.uow = LeadsUowFactory()
        self.customer_desk = FakeCustomerDesk()
        self.opportunity_opener = FakeOpportunityOpener()
        self.limiter = FakeLimiter()
        self.leads = LeadService(self.uow, self.clock, self.customer_desk,
                                 self.opportunity_opener)
        self.settings = LeadSettingsService(self.uow)
        self.intake = IntakeService(self.uow, self.limiter, self.leads)
        self.state.table("picklists").update({"industry": set(INDUSTRIES),
                                              "region": set(REGIONS)})
        self.departments: dict[str, Department] = {}
        self.users: dict[str, User] = {}
        head = self.department("head", None)
        self.department("east", head.id)
        self.department("north", head.id)
        self.user("admin", Role.ADMIN, "head")
        self.user("executive", Role.EXECUTIVE, "head")
        self.user("finance", Role.FINANCE, "head")
        self.user("east_manager", Role.MANAGER, "east")
        self.user("north_manager", Role.MANAGER, "north")
        self.user("rep", Role.SALES_REP, "east")
        self.user("rep2", Role.SALES_REP, "east")
        self.user("north_rep", Role.SALES_REP, "north")

    @property
    def state(self) -> Store:
        return self.uow.state

    def department(self, key: str, parent: uuid.UUID | None) -> Department:
        dept = Department.create(key.title(), parent)
        self.state.departments[dept.id] = dept
        self.departments[key] = dept
        return dept

    def user(self, key: str, role: Role, department: str | None) -> User:
        user = User(id=uuid.uuid4(), email=f"{key}@example.com", name=key, role=role,
                    department_id=self.departments[department].id if department else None,
                    password_hash="-")
        self.state.users[user.id] = user
        self.users[key] = user
        return user

    def rule(self, department: str, method: Method = Method.ROUND_ROBIN, **over: Any
             ) -> RoutingRule:
        fields: dict[str, Any] = {"id": uuid.uuid4(), "name": f"{department} rule",
                                  "department_id": self.departments[department].id,
                                  "regions": (department,), "method": method}
        fields.update(over)
        return RoutingRule(**fields)

    async def route(self, *rules: RoutingRule, queue: str | None = None) -> RoutingSettings:
        current = await self.settings.routing(self.actor("admin"))
        return await self.settings.set_routing(self.actor("admin"), RoutingSettings(
            rules=rules, queue_user_id=self.users[queue].id if queue else None),
            current.version)

    async def capture(self, who: str | Actor, **over: Any) -> Lead:
        actor = self.actor(who) if isinstance(who, str) else who
        return await self.leads.capture(actor, inquiry(**over))

    def actor(self, key: str) -> Actor:
        return Actor(principal_of(self.users[key]), ip="198.51.100.7")

    def integration(self, *scopes: Scope) -> Actor:
        return Actor(Principal(kind="api_key", id=uuid.uuid4(), label="api-key:website sync",
                               scopes=frozenset(scopes or {Scope.LEADS_WRITE, Scope.LEADS_READ})))

    def lead(self, lead_id: uuid.UUID) -> Lead:
        """The lead as committed."""
        lead: Lead = self.state.table("leads")[lead_id]
        return lead

    @property
    def tasks(self) -> list[Task]:
        return list(self.state.table("tasks").values())

    @property
    def customers(self) -> list[Customer]:
        return list(self.state.table("customers").values())

    def timeline(self, lead_id: uuid.UUID) -> list[LeadActivity]:
        """The lead's timeline with each line's words in English, as a reader sees it."""
        return [dataclasses.replace(e, summary=render(e.summary))
                for e in self.state.table("lead_activity").values() if e.lead_id == lead_id]

    def audit(self, action: str) -> list[Any]:
        return [e for e in self.state.audit if e.action == action]

    def events(self, event_type: str) -> list[Any]:
        return [e for e in self.state.outbox.values() if e.type == event_type]
