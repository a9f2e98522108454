"""What every lead use case shares: its ports, who sees which lead, the lead's timeline, the
audit snapshot, the picklists a lead's industry and region come from, and the rule tasks
that follow a lead's status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from domain.audit.model import AuditEntry
from domain.customers.activity import TaskOrigin, TaskStatus
from domain.customers.personal import mask_email, mask_phone
from domain.customers.ports import TaskFilter
from domain.leads.assignment import LeadRouter
from domain.leads.model import DUPLICATE_CODES, CustomerMatch, Lead, LeadActivity, LeadStatus
from domain.leads.ports import CustomerDesk, OpportunityOpener
from domain.leads.validation import FlagCode, LeadFlag
from domain.shared.authz import Actor, Principal, Scope, Visibility
from domain.shared.errors import ValidationFailed
from domain.shared.lookup import ContactLookup
from domain.shared.paging import PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.shared.text import Label, Text, text
from domain.shared.visibility import visible_or_404

# The note on the task every new lead's owner gets: done once the lead is contacted.
FIRST_CONTACT = "first_contact"
PICKLIST_MEMORY = timedelta(minutes=1)
EVERYTHING = Visibility(everything=True)
OUT_OF_SIGHT = {
    FlagCode.EXISTING_CUSTOMER: text("lead.flag.existing_customer_hidden"),
    FlagCode.DUPLICATE_LEAD: text("lead.flag.duplicate_lead_hidden"),
}


def lead_snapshot(lead: Lead) -> dict[str, Any]:
    """The lead as the audit log keeps it: personal data masked."""
    return {
        "status": lead.status, "name": lead.name, "company": lead.company,
        "title": lead.title, "phone": mask_phone(lead.phone) if lead.phone else None,
        "email": mask_email(lead.email) if lead.email else None, "industry": lead.industry,
        "region": lead.region, "company_size": lead.company_size,
        "budget": str(lead.budget) if lead.budget is not None else None,
        "currency": lead.currency, "source": lead.source, "campaign": lead.campaign,
        "engagement": lead.engagement, "score": lead.score, "grade": lead.grade,
        "flags": sorted(f.code.value for f in lead.flags), "owner_id": lead.owner_id,
        "disqualify_reason": lead.disqualify_reason, "customer_id": lead.customer_id,
        "opportunity_id": lead.opportunity_id,
    }


async def flag_duplicates(uow: UnitOfWork, lead: Lead, exclude: uuid.UUID | None = None
                          ) -> tuple[Lead | None, CustomerMatch | None]:
    """The open lead and the customer with the same phone or e-mail (blind index), each if
    any; the lead is flagged with them."""
    phone, email = lead.contact
    original, customer = (await uow.leads.find_by_contact(phone, email, exclude=exclude)
                          if phone or email else (None, None))
    lead.set_duplicates(
        open_lead=(original.id, original.number) if original else None,
        customer=(customer.id, f"{customer.number} {customer.name}") if customer else None)
    return original, customer


@dataclass
class LeadUseCases:
    """The ports and helpers of the lead use cases (LeadService gathers them)."""

    uow: UnitOfWorkFactory
    clock: Clock
    customers: CustomerDesk
    opportunities: OpportunityOpener
    # Finding leads by phone or e-mail: narrowed, counted and audited.
    lookup: ContactLookup = field(default_factory=ContactLookup)
    _picklists: dict[str, tuple[datetime, frozenset[str]]] = field(
        default_factory=dict, init=False, repr=False)
    router: LeadRouter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.router = LeadRouter(self.clock)

    # ---- who sees what ----------------------------------------------------------------------

    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility:
        """Like customers: a rep sees their own, a manager the team's, the others all."""
        return await self.customers.visibility(uow, p)

    async def seen_by(self, uow: UnitOfWork, p: Principal, leads: Sequence[Lead]
                      ) -> list[Lead]:
        """The leads as `p` may be shown them: a duplicate flag naming a customer or a lead
        out of p's sight says only that one exists, owned by someone else (no number, name
        or id). The stored lead keeps the whole flag for those who may see its record."""
        vis: Visibility | None = None
        sight: dict[tuple[FlagCode, uuid.UUID], bool] = {}
        shown = []
        for lead in leads:
            hidden = set()
            for flag in lead.flags:
                if flag.code not in DUPLICATE_CODES or flag.ref_id is None:
                    continue
                key = (flag.code, flag.ref_id)
                if key not in sight:
                    vis = vis or await self.visibility(uow, p)
                    sight[key] = await self._sees(uow, p, vis, *key)
                if not sight[key]:
                    hidden.add(flag.code)
            if not hidden:
                shown.append(lead)
                continue
            shown.append(replace(
                lead, flags=[LeadFlag(f.code, OUT_OF_SIGHT[f.code]) if f.code in hidden else f
                             for f in lead.flags],
                customer_id=None if FlagCode.EXISTING_CUSTOMER in hidden else lead.customer_id,
                duplicate_of_id=None if FlagCode.DUPLICATE_LEAD in hidden
                else lead.duplicate_of_id))
        return shown

    @staticmethod
    async def _sees(uow: UnitOfWork, p: Principal, vis: Visibility, code: FlagCode,
                    ref_id: uuid.UUID) -> bool:
        if code == FlagCode.EXISTING_CUSTOMER:
            return (p.has(Scope.CUSTOMERS_READ)
                    and await uow.customers.get(ref_id, vis) is not None)
        return p.has(Scope.LEADS_READ) and await uow.leads.get(ref_id, vis) is not None

    async def _load(self, uow: UnitOfWork, p: Principal, lead_id: uuid.UUID,
                    lock: bool = False) -> Lead:
        vis = await self.visibility(uow, p)
        return await visible_or_404(uow.leads.get(lead_id, vis, lock=lock), uow.leads, "lead",
                                    lead_id)

    # ---- timeline ---------------------------------------------------------------------------

    @staticmethod
    def _entry(actor: Actor, lead_id: uuid.UUID, kind: str, summary: Text,
               **data: Any) -> LeadActivity:
        p = actor.principal
        return LeadActivity(lead_id=lead_id, kind=kind, summary=summary,
                            actor_id=p.id if p else None, actor_label=actor.shown_name,
                            data=data)

    async def _note(self, uow: UnitOfWork, actor: Actor, lead: Lead, kind: str, summary: Text,
                    **data: Any) -> None:
        await uow.lead_activity.add(self._entry(actor, lead.id, kind, summary, **data))

    # ---- picklists --------------------------------------------------------------------------

    async def _picklist_has(self, uow: UnitOfWork, name: str, value: str) -> bool:
        """Known values are remembered for a minute (every capture checks two lists); a value
        not remembered is looked up again, so one added a moment ago is accepted at once."""
        now = self.clock.now()
        known = self._picklists.get(name)
        if known is not None and value in known[1] and now - known[0] < PICKLIST_MEMORY:
            return True
        values = await uow.picklists.values(name)
        self._picklists[name] = (now, frozenset(values))
        return value in values

    async def _unlisted(self, uow: UnitOfWork, **values: str | None) -> dict[str, str]:
        """Of these picklist values (industry, region), the ones not in their list."""
        unlisted: dict[str, str] = {}
        for name, value in values.items():
            if value and not await self._picklist_has(uow, name, value):
                unlisted[name] = value
        return unlisted

    async def _refuse_unlisted(self, uow: UnitOfWork, **values: str | None) -> None:
        unlisted = await self._unlisted(uow, **values)
        if unlisted:
            name, value = next(iter(unlisted.items()))
            raise ValidationFailed.of(name, "lead.not_in_list", value=value,
                                      list=Label("lead_field", name))

    # ---- the tasks routing gave the owner ---------------------------------------------------

    async def _close_rule_tasks(self, uow: UnitOfWork, actor: Actor, lead: Lead) -> None:
        """The first-contact task is done once the lead is contacted, moot once it is closed."""
        if lead.status == LeadStatus.NEW:
            return
        done = lead.is_open
        tasks = await uow.tasks.list(TaskFilter(related_id=lead.id, status="open"),
                                     PageRequest(limit=200))
        for task in tasks.items:
            if task.origin != TaskOrigin.RULE or (done and task.notes != FIRST_CONTACT):
                continue
            was = task.status
            task.move(TaskStatus.DONE if done else TaskStatus.CANCELLED, self.clock.now())
            task.version += 1
            await uow.tasks.save(task)
            await uow.audit.record(AuditEntry.of(actor, "task.updated", "task", task.id, {
                "status": [was.value, task.status.value]}))
