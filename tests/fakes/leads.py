"""In-memory fakes of the leads ports: leads and their timeline, website forms, the sales
settings, the reps' directory and the departments' turns, each registered with the unit of
work by name. The organisation the lead use cases run in: tests/fakes/leads_world.py."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.identity.model import User
from domain.leads.forms import LeadForm
from domain.leads.model import OPEN_STATUSES, CustomerMatch, Lead, LeadActivity
from domain.leads.queries import LeadFilter
from domain.leads.routing import Availability, RepState, RepStatus, RoutingSettings
from domain.leads.scoring import DEFAULT_MODEL, ScoringModel
from domain.shared.authz import Role, Visibility
from domain.shared.errors import StaleVersion
from domain.shared.paging import Page, PageRequest
from tests.fakes.shared import FakeUnitOfWork, page_of, repository

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
