"""The repositories and outside services the leads feature needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.customers.commands import NewCustomer
from domain.customers.model import Customer, TierPolicy
from domain.leads.commands import CaptureLead
from domain.leads.forms import LeadForm
from domain.leads.model import CustomerMatch, Lead, LeadActivity
from domain.leads.queries import LeadFilter
from domain.leads.routing import Availability, RepState, RepStatus, RoutingSettings
from domain.leads.scoring import ScoringModel
from domain.pipeline.commands import NewOpportunity
from domain.pipeline.model import Opportunity
from domain.shared.authz import Actor, Principal, Visibility
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork


class LeadRepository(Protocol):
    async def get(self, lead_id: uuid.UUID, visibility: Visibility,
                  lock: bool = False) -> Lead | None: ...
    async def exists(self, lead_id: uuid.UUID) -> bool: ...
    async def add(self, lead: Lead) -> None: ...
    async def save(self, lead: Lead) -> None:
        """Raises StaleVersion if someone else saved it first."""
        ...
    async def list(self, flt: LeadFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Lead]: ...
    async def next_sequence(self, hold: tuple[str | None, str | None] = (None, None)) -> int:
        """The next lead number. With a phone and/or e-mail, also holds that contact until the
        transaction ends (captures of one person queue), in the same round trip."""
        ...
    async def find_by_contact(self, phone: str | None, email: str | None,
                              exclude: uuid.UUID | None = None
                              ) -> tuple[Lead | None, CustomerMatch | None]:
        """In one look: the oldest open lead with this phone or e-mail (blind index), and a
        live customer with a contact of this phone or e-mail, each if any."""
        ...
    async def find_customer_by_contact(self, phone: str | None,
                                       email: str | None) -> CustomerMatch | None:
        """A live customer with a contact of this phone or e-mail (blind index), if any."""
        ...


class LeadActivityLog(Protocol):
    async def add(self, entry: LeadActivity) -> None: ...
    async def add_many(self, entries: Sequence[LeadActivity]) -> None: ...
    async def list(self, lead_id: uuid.UUID, page: PageRequest) -> Page[LeadActivity]: ...


class LeadFormRepository(Protocol):
    async def get(self, form_id: uuid.UUID) -> LeadForm | None: ...
    async def get_by_key(self, key: str) -> LeadForm | None: ...
    async def add(self, form: LeadForm) -> None: ...
    async def save(self, form: LeadForm) -> None: ...
    async def list(self, page: PageRequest) -> Page[LeadForm]: ...


class SalesSettings(Protocol):
    """Admin-edited documents: the scoring model and the routing rules (versioned)."""

    async def scoring(self) -> ScoringModel: ...
    async def both(self) -> tuple[ScoringModel, RoutingSettings]:
        """Both documents in one round trip (every capture needs them)."""
        ...
    async def save_scoring(self, model: ScoringModel) -> ScoringModel:
        """Stores it if the stored version is still model.version; answers the new version."""
        ...
    async def routing(self) -> RoutingSettings: ...
    async def save_routing(self, settings: RoutingSettings) -> RoutingSettings: ...


class Rotation(Protocol):
    """A department's turn pointer: lock() (least-loaded, and round-robin where a department
    has no sequence of turns) holds the department until the transaction ends."""

    async def lock(self, department_id: uuid.UUID) -> uuid.UUID | None:
        """The rep served last."""
        ...
    async def advance(self, department_id: uuid.UUID, user_id: uuid.UUID) -> None: ...


class RepDirectory(Protocol):
    async def members(self, department_id: uuid.UUID, now: datetime,
                      loads: bool = True) -> list[RepState]:
        """Everyone in the department with what routing needs (away, capacity, open leads).
        Without loads, open leads are counted only for reps with a capacity (0 for the rest)."""
        ...
    async def next_turn(self, department_id: uuid.UUID, now: datetime
                        ) -> tuple[int | None, list[RepState]]:
        """The department's next round-robin turn number, handed out once and without a lock
        (two concurrent captures never take the same turn and neither waits for the other;
        None if the department has no sequence of turns), with its members as
        members(loads=False) reads them, in one look."""
        ...
    async def manager_of(self, department_id: uuid.UUID) -> uuid.UUID | None:
        """The department's own active manager, if it has one."""
        ...
    async def hold(self, user_id: uuid.UUID) -> int:
        """Locks a rep's routing settings until the transaction ends and answers their open
        leads counted after the lock: leads for a rep with a capacity are given one at a time,
        each seeing the ones before it."""
        ...
    async def any_admin(self) -> uuid.UUID | None: ...
    async def availability(self, user_id: uuid.UUID) -> Availability: ...
    async def save_availability(self, availability: Availability) -> None: ...
    async def statuses(self, department_ids: Sequence[uuid.UUID] | None,
                       user_ids: Sequence[uuid.UUID] | None,
                       page: PageRequest) -> Page[RepStatus]: ...



# ---- other features, as lead use cases use them ---------------------------------------------


class CustomerDesk(Protocol):
    """The customers feature as leads use it: who sees which records, a customer created
    inside the caller's transaction (a conversion), and the value tiers a customer edit
    re-applies."""

    @property
    def tier_policy(self) -> TierPolicy: ...
    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility: ...
    async def add(self, uow: UnitOfWork, actor: Actor, command: NewCustomer) -> Customer: ...


class OpportunityOpener(Protocol):
    """The pipeline as a conversion uses it: an opportunity opened inside the caller's
    transaction."""

    async def open_in(self, uow: UnitOfWork, actor: Actor, customer: Customer,
                      details: NewOpportunity, lead_id: uuid.UUID | None = None
                      ) -> Opportunity: ...


class FormCapture(Protocol):
    """The lead use case a website form's submission ends in."""

    async def capture_from_form(self, actor: Actor, form: LeadForm, command: CaptureLead
                                ) -> Lead: ...
