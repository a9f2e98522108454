"""In-memory fakes of the leads ports: leads and their timeline, website forms, the sales
settings, the reps' directory and the departments' turns; fakes of the customers and
pipeline services as lead use cases see them (CustomerDesk, OpportunityOpener); a rate
limiter; and LeadsWorld, an organisation to run the lead use cases in.

Lead use cases also read and write customers, tasks, the customer timeline and picklists.
Those belong to the customers feature, so they are not registered by name here (that would
replace the customers feature's own fakes in its tests): LeadsUowFactory's unit of work
carries small stand-ins of its own.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import uuid
from collections.abc import Sequence
from datetime import datetime
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
from domain.leads.forms import LeadForm
from domain.leads.intake_service import IntakeService
from domain.leads.model import OPEN_STATUSES, CustomerMatch, Lead, LeadActivity
from domain.leads.queries import LeadFilter
from domain.leads.routing import (
    Availability,
    Method,
    RepState,
    RepStatus,
    RoutingRule,
    RoutingSettings,
)
from domain.leads.scoring import DEFAULT_MODEL, ScoringModel
from domain.leads.service import LeadService
from domain.leads.settings_service import LeadSettingsService
from domain.pipeline.commands import NewOpportunity
from domain.pipeline.model import Opportunity
from domain.shared.authz import Actor, Principal, Role, Scope, Visibility, require
from domain.shared.errors import StaleVersion
from domain.shared.paging import Page, PageRequest
from tests.fakes.shared import FakeClock, FakeUnitOfWork, FakeUowFactory, Store, page_of, repository

# ---- the leads feature's own repositories --------------------------------------------------------


def _fresh(lead: Lead) -> Lead:
    """A copy as a repository hands it out: nothing pending."""
    out = copy.deepcopy(lead)
    out.events = []
    return out


@repository("leads")
class FakeLeads:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Lead] = uow.state.table("leads")
        self.loaded: dict[uuid.UUID, int] = {}

    async def get(self, lead_id: uuid.UUID, visibility: Visibility,
                  lock: bool = False) -> Lead | None:
        lead = self.rows.get(lead_id)
        if lead is None or not visibility.allows(lead.owner_id, lead.owner_department_id):
            return None
        self.loaded[lead_id] = lead.version
        return _fresh(lead)

    async def exists(self, lead_id: uuid.UUID) -> bool:
        return lead_id in self.rows

    async def add(self, lead: Lead) -> None:
        self.rows[lead.id] = lead
        self.uow.seen.append(lead)

    async def save(self, lead: Lead) -> None:
        stored = self.rows[lead.id]
        loaded = self.loaded.get(lead.id, stored.version)
        if stored.version != loaded:
            raise StaleVersion("lead", loaded, stored.version)
        self.rows[lead.id] = lead
        self.loaded[lead.id] = lead.version
        self.uow.seen.append(lead)

    async def list(self, flt: LeadFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Lead]:
        items = [_fresh(x) for x in self.rows.values()
                 if visibility.allows(x.owner_id, x.owner_department_id)
                 and flt.status in (None, x.status) and flt.owner_id in (None, x.owner_id)
                 and (not flt.open_only or x.status in OPEN_STATUSES)]
        return page_of(items, page, lambda x: x.number)

    async def next_sequence(self, hold: tuple[str | None, str | None] = (None, None)) -> int:
        counter = self.uow.state.table("lead_sequence")
        counter["next"] = counter.get("next", 0) + 1
        return int(counter["next"])

    async def find_by_contact(self, phone: str | None, email: str | None,
                              exclude: uuid.UUID | None = None
                              ) -> tuple[Lead | None, CustomerMatch | None]:
        if not (phone or email):
            return None, None
        same = sorted((x for x in self.rows.values()
                       if x.id != exclude and x.status in OPEN_STATUSES
                       and _shares_contact(x.contact, phone, email)), key=lambda x: x.number)
        return (_fresh(same[0]) if same else None,
                await self.find_customer_by_contact(phone, email))

    async def find_customer_by_contact(self, phone: str | None,
                                       email: str | None) -> CustomerMatch | None:
        wanted = {x for x in (phone, email) if x}
        for c in self.uow.state.table("customers").values():
            if wanted & {x for k in c.contacts for x in (k.mobile, k.landline, k.email) if x}:
                return CustomerMatch(c.id, c.number, c.name, c.owner_id)
        return None


def _shares_contact(contact: tuple[str | None, str | None], phone: str | None,
                    email: str | None) -> bool:
    return bool((phone and contact[0] == phone) or (email and contact[1] == email))


@repository("lead_activity")
class FakeLeadActivity:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[int, LeadActivity] = uow.state.table("lead_activity")

    async def add(self, entry: LeadActivity) -> None:
        entry_id = len(self.rows) + 1
        self.rows[entry_id] = dataclasses.replace(entry, id=entry_id)

    async def add_many(self, entries: Sequence[LeadActivity]) -> None:
        for entry in entries:
            await self.add(entry)

    async def list(self, lead_id: uuid.UUID, page: PageRequest) -> Page[LeadActivity]:
        newest_first = sorted((e for e in self.rows.values() if e.lead_id == lead_id),
                              key=lambda e: -(e.id or 0))
        return Page(newest_first[: page.limit], None)


@repository("lead_forms")
class FakeLeadForms:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[uuid.UUID, LeadForm] = uow.state.table("lead_forms")

    async def get(self, form_id: uuid.UUID) -> LeadForm | None:
        form = self.rows.get(form_id)
        return copy.deepcopy(form) if form else None

    async def get_by_key(self, key: str) -> LeadForm | None:
        return next((copy.deepcopy(f) for f in self.rows.values() if f.key == key), None)

    async def add(self, form: LeadForm) -> None:
        self.rows[form.id] = form

    async def save(self, form: LeadForm) -> None:
        self.rows[form.id] = form

    async def list(self, page: PageRequest) -> Page[LeadForm]:
        return page_of(list(self.rows.values()), page, lambda f: f.name)


@repository("sales_settings")
class FakeSalesSettings:
    """Version 0 until first saved, like the stored documents."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.docs: dict[str, Any] = uow.state.table("sales_settings")

    async def scoring(self) -> ScoringModel:
        model: ScoringModel = self.docs.get("scoring") or dataclasses.replace(DEFAULT_MODEL,
                                                                               version=0)
        return model

    async def routing(self) -> RoutingSettings:
        settings: RoutingSettings = self.docs.get("routing") or RoutingSettings()
        return settings

    async def both(self) -> tuple[ScoringModel, RoutingSettings]:
        return await self.scoring(), await self.routing()

    async def save_scoring(self, model: ScoringModel) -> ScoringModel:
        self._check("scoring model", (await self.scoring()).version, model.version)
        self.docs["scoring"] = dataclasses.replace(model, version=model.version + 1)
        return self.docs["scoring"]  # type: ignore[no-any-return]

    async def save_routing(self, settings: RoutingSettings) -> RoutingSettings:
        self._check("routing settings", (await self.routing()).version, settings.version)
        self.docs["routing"] = dataclasses.replace(settings, version=settings.version + 1)
        return self.docs["routing"]  # type: ignore[no-any-return]

    @staticmethod
    def _check(kind: str, stored: int, loaded: int) -> None:
        if stored != loaded:
            raise StaleVersion(kind, loaded, stored)


@repository("rotation")
class FakeRotation:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.last: dict[uuid.UUID, uuid.UUID] = uow.state.table("rotation")

    async def lock(self, department_id: uuid.UUID) -> uuid.UUID | None:
        return self.last.get(department_id)

    async def advance(self, department_id: uuid.UUID, user_id: uuid.UUID) -> None:
        self.last[department_id] = user_id


@repository("reps")
class FakeReps:
    """Reps are the users of the identity fakes, with the availability saved here; every
    department has a sequence of round-robin turns."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.state = uow.state
        self.saved: dict[uuid.UUID, Availability] = uow.state.table("rep_availability")
        self.turns: dict[uuid.UUID, itertools.count[int]] = uow.state.table("lead_turns")

    def _open_leads(self, user_id: uuid.UUID) -> int:
        return sum(1 for x in self.state.table("leads").values()
                   if x.owner_id == user_id and x.status in OPEN_STATUSES)

    def _users(self) -> list[User]:
        return sorted(self.state.users.values(), key=lambda u: u.email)

    async def members(self, department_id: uuid.UUID, now: datetime,
                      loads: bool = True) -> list[RepState]:
        out = []
        for u in self._users():
            if u.department_id != department_id:
                continue
            a = await self.availability(u.id)
            counted = loads or a.capacity is not None
            out.append(RepState(user_id=u.id, active=u.is_active, is_rep=u.role == Role.SALES_REP,
                                away=a.is_away(now), capacity=a.capacity,
                                in_rotation=a.in_rotation,
                                open_leads=self._open_leads(u.id) if counted else 0))
        return out

    async def next_turn(self, department_id: uuid.UUID, now: datetime
                        ) -> tuple[int | None, list[RepState]]:
        ticket = next(self.turns.setdefault(department_id, itertools.count(1)))
        return ticket, await self.members(department_id, now, loads=False)

    async def manager_of(self, department_id: uuid.UUID) -> uuid.UUID | None:
        return next((u.id for u in self._users() if u.department_id == department_id
                     and u.role == Role.MANAGER and u.is_active), None)

    async def hold(self, user_id: uuid.UUID) -> int:
        return self._open_leads(user_id)

    async def any_admin(self) -> uuid.UUID | None:
        return next((u.id for u in self._users() if u.role == Role.ADMIN and u.is_active), None)

    async def availability(self, user_id: uuid.UUID) -> Availability:
        saved = self.saved.get(user_id)
        return copy.copy(saved) if saved else Availability(user_id, version=0)

    async def save_availability(self, availability: Availability) -> None:
        self.saved[availability.user_id] = availability

    async def statuses(self, department_ids: Sequence[uuid.UUID] | None,
                       user_ids: Sequence[uuid.UUID] | None,
                       page: PageRequest) -> Page[RepStatus]:
        items = [RepStatus(user_id=u.id, name=u.name, email=u.email, role=u.role.value,
                           department_id=u.department_id, is_active=u.is_active,
                           availability=await self.availability(u.id),
                           open_leads=self._open_leads(u.id))
                 for u in self._users()
                 if (u.id in user_ids if user_ids is not None
                     else u.role in (Role.SALES_REP, Role.MANAGER))
                 and (department_ids is None or u.department_id in department_ids)]
        return page_of(items, page, lambda r: r.email)


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
        return [e for e in self.state.table("lead_activity").values() if e.lead_id == lead_id]

    def audit(self, action: str) -> list[Any]:
        return [e for e in self.state.audit if e.action == action]

    def events(self, event_type: str) -> list[Any]:
        return [e for e in self.state.outbox.values() if e.type == event_type]
