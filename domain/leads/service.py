"""Lead use cases: capture (validate, score, de-duplicate, assign), work, convert; settings."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.audit.model import Actor, AuditEntry, field_diff
from domain.customers.activity import ActivityEntry, Task, TaskOrigin, TaskStatus
from domain.customers.model import Contact, Customer, CustomerKind, Source, normalised_name
from domain.customers.personal import mask_email, mask_phone
from domain.customers.ports import TaskFilter
from domain.customers.queries import CustomerFilter, Visibility
from domain.customers.service import CustomerService, masked_snapshot
from domain.identity.model import Principal, Scope
from domain.identity.service import check_version, require
from domain.leads.forms import LeadForm
from domain.leads.model import (
    CustomerMatch,
    Lead,
    LeadActivity,
    LeadStatus,
    lead_number,
    matchable_contact,
)
from domain.leads.queries import LeadFilter
from domain.leads.routing import (
    AssignedBy,
    Assignment,
    Method,
    RepState,
    RoutingRule,
    RoutingSettings,
    in_turn,
    pick,
    why_skipped,
)
from domain.leads.scoring import ScoringModel
from domain.leads.validation import is_landline
from domain.pipeline.service import OpportunityService
from domain.shared.errors import HiddenRecord, NotFound, PermissionDenied, ValidationFailed
from domain.shared.ownership import active_user, check_owner, is_team_lead, manager_above
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory

FIRST_CONTACT = "first_contact"
PICKLIST_MEMORY = timedelta(minutes=1)
EVERYTHING = Visibility(everything=True)


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


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    customer_id: uuid.UUID
    opportunity_id: uuid.UUID | None
    customer_created: bool
    converted_now: bool  # False when the lead had been converted before (an idempotent replay)


@dataclass
class LeadService:
    uow: UnitOfWorkFactory
    clock: Clock
    customers: CustomerService
    opportunities: OpportunityService
    _picklists: dict[str, tuple[datetime, frozenset[str]]] = field(
        default_factory=dict, init=False, repr=False)

    # ---- who sees what ----------------------------------------------------------------------

    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility:
        """Like customers: a rep sees their own, a manager the team's, the others all."""
        return await self.customers.visibility(uow, p)

    async def _load(self, uow: UnitOfWork, vis: Visibility, lead_id: uuid.UUID,
                    lock: bool = False) -> Lead:
        lead = await uow.leads.get(lead_id, vis, lock=lock)
        if lead is not None:
            return lead
        if await uow.leads.exists(lead_id):
            raise HiddenRecord("lead", lead_id)
        raise NotFound("lead", lead_id)

    @staticmethod
    def _entry(actor: Actor, lead_id: uuid.UUID, kind: str, summary: str,
               **data: Any) -> LeadActivity:
        p = actor.principal
        return LeadActivity(lead_id=lead_id, kind=kind, summary=summary[:500],
                            actor_id=p.id if p else None, actor_label=actor.label, data=data)

    async def _note(self, uow: UnitOfWork, actor: Actor, lead: Lead, kind: str, summary: str,
                    **data: Any) -> None:
        await uow.lead_activity.add(self._entry(actor, lead.id, kind, summary, **data))

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

    async def _check_picklists(self, uow: UnitOfWork, data: dict[str, Any],
                               lenient: bool) -> None:
        for name in ("industry", "region"):
            value = data.get(name)
            if value and not await self._picklist_has(uow, name, value):
                if not lenient:
                    raise ValidationFailed.of(name, f"{value!r} is not in the {name} list")
                data[name] = None  # a public form's free text; kept in the attribution
                data.setdefault("attribution", {})[f"form_{name}"] = str(value)[:200]

    # ---- capture ----------------------------------------------------------------------------

    async def capture(self, actor: Actor, data: dict[str, Any]) -> Lead:
        """A lead from a signed-in user or an integration (leads:write)."""
        p = require(actor, Scope.LEADS_WRITE)
        async with self.uow() as uow:
            lead = await self._capture(uow, actor, p, dict(data), form=None)
            await uow.commit()
            return lead

    async def capture_from_form(self, actor: Actor, form: LeadForm, data: dict[str, Any]
                                ) -> Lead:
        """A public website form's submission (the form acts as the principal)."""
        p = require(actor, Scope.LEADS_WRITE)
        async with self.uow() as uow:
            lead = await self._capture(uow, actor, p, dict(data), form=form)
            await uow.commit()
            return lead

    async def capture_in(self, uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> Lead:
        """A lead captured inside the caller's transaction (an import's chunk of rows)."""
        p = require(actor, Scope.LEADS_WRITE)
        return await self._capture(uow, actor, p, dict(data), form=None)

    async def _capture(self, uow: UnitOfWork, actor: Actor, p: Principal,
                       data: dict[str, Any], form: LeadForm | None) -> Lead:
        now = self.clock.now()
        owner_ref = data.pop("owner_id", None)
        auto = bool(data.pop("auto_assign", False)) or p.kind != "user"
        source = data.pop("source", None) or (
            form.source if form else Source.API if p.kind == "api_key" else Source.OTHER)
        if form is not None:
            data["campaign"] = data.get("campaign") or form.campaign
        await self._check_picklists(uow, data, lenient=form is not None)
        # A simultaneous capture of the same person waits here until this one commits, so
        # the duplicate check below sees it.
        contact = matchable_contact(data.get("phone"), data.get("email"))
        lead = Lead.capture(number=lead_number(now, await uow.leads.next_sequence(contact)),
                            source=Source(source), now=now, created_by=p.id,
                            form_id=form.id if form else None, **data)
        original, customer = await self._duplicates(uow, lead)
        scoring, routing = await uow.sales_settings.both()
        lead.rescore(scoring)
        lead.set_aside_if_spam()
        if original is not None:
            await self._engage(uow, actor, original, lead, scoring)
        if customer is not None:
            await uow.activity.add(ActivityEntry(
                customer_id=customer.id, kind="lead",
                summary=f"New inquiry {lead.number} via {lead.source.value}"[:500],
                actor_id=p.id, actor_label=actor.label, ref_type="lead", ref_id=lead.id))

        # Routing may lock until the commit (least-loaded: the department; a rep with a
        # capacity: the rep): only what needs the owner comes after it, in few round trips.
        owner, dept, assignment = await self._first_owner(
            uow, actor, p, lead, routing, owner_ref, auto, original, customer)
        lead.assign(owner, dept, assignment, now)
        await uow.leads.add(lead)
        if lead.is_open:
            await uow.tasks.add(Task.create(
                title=f"First contact within {routing.first_contact_hours} hours: {lead.label}"
                [:200], assignee_id=owner, created_by=None,
                due_at=now + timedelta(hours=routing.first_contact_hours),
                related_type="lead", related_id=lead.id, origin=TaskOrigin.RULE,
                notes=FIRST_CONTACT))
        flags = ", ".join(f"{f.code.value} ({f.reason})" for f in lead.flags)
        await uow.lead_activity.add_all([
            self._entry(actor, lead.id, "created", f"Captured from {lead.source.value}"
                        + (f"; flagged: {flags}" if flags else ""),
                        score=lead.score, grade=lead.grade.value),
            self._entry(actor, lead.id, "assigned", assignment.reason, owner_id=str(owner),
                        by=assignment.by.value)])
        await uow.audit.record(AuditEntry.of(actor, "lead.created", "lead", lead.id,
                                             field_diff(None, lead_snapshot(lead))))
        return lead

    async def _find_duplicates(self, uow: UnitOfWork, lead: Lead,
                               exclude: uuid.UUID | None = None
                               ) -> tuple[Lead | None, CustomerMatch | None]:
        """Same phone or e-mail (blind index) as an open lead or an existing customer."""
        phone, email = lead.contact
        if not (phone or email):
            return None, None
        return await uow.leads.find_by_contact(phone, email, exclude=exclude)

    async def _duplicates(self, uow: UnitOfWork, lead: Lead,
                          exclude: uuid.UUID | None = None
                          ) -> tuple[Lead | None, CustomerMatch | None]:
        """Finds the duplicates and flags the lead with them."""
        original, customer = await self._find_duplicates(uow, lead, exclude)
        lead.set_duplicates(
            open_lead=(original.id, original.number) if original else None,
            customer=(customer.id, f"{customer.number} {customer.name}") if customer else None)
        return original, customer

    async def _engage(self, uow: UnitOfWork, actor: Actor, original: Lead, new: Lead,
                      scoring: ScoringModel) -> None:
        """The person behind an open lead inquired again: that lead gains an interaction."""
        locked = await uow.leads.get(original.id, EVERYTHING, lock=True)
        if locked is None or not locked.is_open:
            return
        before = lead_snapshot(locked)
        locked.engage()
        locked.rescore(scoring)
        await uow.leads.save(locked)
        await uow.audit.record(AuditEntry.of(actor, "lead.updated", "lead", locked.id,
                                             field_diff(before, lead_snapshot(locked))))
        await self._note(uow, actor, locked, "duplicate",
                         f"Inquired again as {new.number} via {new.source.value}",
                         duplicate_id=str(new.id))

    async def _first_owner(self, uow: UnitOfWork, actor: Actor, p: Principal, lead: Lead,
                           routing: RoutingSettings, owner_ref: uuid.UUID | None, auto: bool,
                           original: Lead | None, customer: CustomerMatch | None
                           ) -> tuple[uuid.UUID, uuid.UUID | None, Assignment]:
        if owner_ref is not None:
            owner, dept = await check_owner(uow, p, owner_ref, "leads")
            return owner, dept, Assignment(AssignedBy.MANUAL, f"named at capture by {actor.label}",
                                           assigned_by_user=p.user_id)
        if customer is not None and (o := await active_user(uow, customer.owner_id)):
            return o[0], o[1], Assignment(
                AssignedBy.CUSTOMER_OWNER,
                f"already the customer {customer.number} {customer.name}; kept with its owner")
        if original is not None and original.owner_id and (
                o := await active_user(uow, original.owner_id)):
            return o[0], o[1], Assignment(
                AssignedBy.DUPLICATE_OWNER,
                f"same person as open lead {original.number}; kept with its owner")
        if lead.status == LeadStatus.DISQUALIFIED:
            return await self._fallback(uow, routing, None, "set aside as spam")
        if not auto and p.user_id is not None:
            return p.user_id, p.department_id, Assignment(
                AssignedBy.CREATOR, f"entered by {actor.label}")
        return await self._route(uow, lead, routing)

    async def _route(self, uow: UnitOfWork, lead: Lead, routing: RoutingSettings
                     ) -> tuple[uuid.UUID, uuid.UUID | None, Assignment]:
        """Territory rule → a rep of its department (round-robin or least-loaded), else the
        department's manager, else the queue.

        Round-robin draws the department's next turn number, which no other capture can draw,
        and holds nothing until commit: simultaneous captures do not wait for each other (a
        capture that fails after drawing leaves its rep's turn unused). Least-loaded must see
        the leads of every capture before it, so the department stays locked until the
        capture commits and captures take turns one after the other.
        """
        rule = routing.match(lead.region, lead.industry)
        if rule is None:
            return await self._fallback(
                uow, routing, None, f"no routing rule matches region {lead.region or '-'}, "
                f"industry {lead.industry or '-'}")
        ticket, members = (await uow.reps.next_turn(rule.department_id, self.clock.now())
                           if rule.method == Method.ROUND_ROBIN else (None, []))
        if ticket is not None:
            members, rep_id = await self._by_ticket(uow, rule, ticket, members)
        else:
            last = await uow.rotation.lock(rule.department_id)
            members = await uow.reps.members(rule.department_id, self.clock.now(),
                                             loads=rule.method == Method.LEAST_LOADED)
            rep = pick(members, last, rule.method)
            rep_id = rep.user_id if rep else None
            if rep_id is not None:
                await uow.rotation.advance(rule.department_id, rep_id)
        if rep_id is not None:
            how = (AssignedBy.ROUND_ROBIN if rule.method == Method.ROUND_ROBIN
                   else AssignedBy.LEAST_LOADED)
            return rep_id, rule.department_id, self._by_rule(
                rule, how, f"rule {rule.name}: {rule.method.value.replace('_', '-')}")
        skipped = Counter(why_skipped(m) for m in members if m.is_rep or m.in_rotation)
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items())) or "no reps"
        manager = await uow.reps.manager_of(rule.department_id)
        if manager is not None:
            return manager, rule.department_id, self._by_rule(
                rule, AssignedBy.DEPARTMENT_MANAGER,
                f"rule {rule.name}: no rep could take it ({why}); parked with the manager")
        return await self._fallback(uow, routing, rule,
                                    f"rule {rule.name}: no rep and no manager ({why})")

    async def _by_ticket(self, uow: UnitOfWork, rule: RoutingRule, ticket: int,
                         members: list[RepState]) -> tuple[list[RepState], uuid.UUID | None]:
        """The rep the ticket names. A capacity is checked under the rep's lock, counting the
        leads of the captures before; a rep found full is left out and a new ticket drawn, so
        what overflows goes round the others too. Each round leaves out one more rep."""
        for _ in range(len(members)):
            rep = in_turn(members, ticket)
            if rep is None:
                break
            if rep.capacity is None or await uow.reps.hold(rep.user_id) < rep.capacity:
                return members, rep.user_id
            drawn, members = await uow.reps.next_turn(rule.department_id, self.clock.now())
            ticket = drawn or 0
        return members, None

    @staticmethod
    def _by_rule(rule: RoutingRule, by: AssignedBy, reason: str) -> Assignment:
        return Assignment(by, reason, rule_id=rule.id, rule_name=rule.name,
                          department_id=rule.department_id)

    async def _fallback(self, uow: UnitOfWork, routing: RoutingSettings,
                        rule: RoutingRule | None, reason: str
                        ) -> tuple[uuid.UUID, uuid.UUID | None, Assignment]:
        """Never unowned: the queue, else a manager further up, else an administrator."""
        extra: dict[str, Any] = {"rule_id": rule.id, "rule_name": rule.name,
                 "department_id": rule.department_id} if rule else {}
        if routing.queue_user_id and (q := await active_user(uow, routing.queue_user_id)):
            return q[0], q[1], Assignment(AssignedBy.QUEUE, f"{reason}; sent to the lead queue",
                                          **extra)
        if rule is not None:
            dept = await uow.departments.get(rule.department_id)
            manager = await manager_above(uow, dept.parent_id if dept else None)
            if manager is not None and (m := await active_user(uow, manager)):
                return m[0], m[1], Assignment(AssignedBy.DEPARTMENT_MANAGER,
                                              f"{reason}; parked with the manager above", **extra)
        admin = await uow.reps.any_admin()
        if admin is None or (a := await active_user(uow, admin)) is None:
            raise ValidationFailed.of("owner_id", "no one can own the lead: configure a lead "
                                      "queue in the routing settings")
        return a[0], a[1], Assignment(AssignedBy.ADMIN_FALLBACK,
                                      f"{reason}; no lead queue configured, given to an "
                                      "administrator", **extra)

    # ---- reading ----------------------------------------------------------------------------

    async def get(self, actor: Actor, lead_id: uuid.UUID) -> Lead:
        p = require(actor, Scope.LEADS_READ)
        async with self.uow() as uow:
            return await self._load(uow, await self.visibility(uow, p), lead_id)

    async def list(self, actor: Actor, flt: LeadFilter, page: PageRequest) -> Page[Lead]:
        p = require(actor, Scope.LEADS_READ)
        async with self.uow() as uow:
            return await uow.leads.list(flt, await self.visibility(uow, p), page)

    async def reveal(self, actor: Actor, lead_id: uuid.UUID) -> Lead:
        """Cleartext phone and e-mail, for those who may see them, always audited."""
        p = require(actor, Scope.LEADS_READ)
        async with self.uow() as uow:
            lead = await self._load(uow, await self.visibility(uow, p), lead_id)
            require(actor, Scope.PII_REVEAL)
            fields = [f for f in ("phone", "email") if getattr(lead, f)]
            await uow.audit.record(AuditEntry.of(actor, "lead.revealed", "lead", lead.id,
                                                 {"revealed": fields}))
            await uow.commit()
            return lead

    async def timeline(self, actor: Actor, lead_id: uuid.UUID, page: PageRequest
                       ) -> Page[LeadActivity]:
        p = require(actor, Scope.LEADS_READ)
        async with self.uow() as uow:
            await self._load(uow, await self.visibility(uow, p), lead_id)
            return await uow.lead_activity.list(lead_id, page)

    # ---- working the lead -------------------------------------------------------------------

    async def update(self, actor: Actor, lead_id: uuid.UUID, changes: dict[str, Any],
                     expected_version: int | None) -> Lead:
        p = require(actor, Scope.LEADS_WRITE)
        changes = dict(changes)
        async with self.uow() as uow:
            lead = await self._load(uow, await self.visibility(uow, p), lead_id, lock=True)
            check_version("lead", lead.version, expected_version)
            before = lead_snapshot(lead)
            status = changes.pop("status", None)
            reason = changes.pop("disqualify_reason", None)
            if reason is not None and status != LeadStatus.DISQUALIFIED:
                raise ValidationFailed.of("disqualify_reason", "goes with status disqualified")
            await self._check_picklists(uow, changes, lenient=False)
            if changes:
                lead.update(changes)
                if {"phone", "email"} & set(changes):
                    await self._duplicates(uow, lead, exclude=lead.id)
                lead.rescore(await uow.sales_settings.scoring())
            if status is not None and LeadStatus(status) != lead.status:
                lead.move(LeadStatus(status), self.clock.now(), reason=reason)
                await self._close_rule_tasks(uow, actor, lead)
                await self._note(uow, actor, lead, "status_changed",
                                 f"{before['status'].value} → {lead.status.value}"
                                 + (f": {lead.disqualify_reason}"
                                    if lead.status == LeadStatus.DISQUALIFIED else ""))
            elif changes:
                await self._note(uow, actor, lead, "edited", "Edited: " + ", ".join(
                    sorted(changes)))
            await uow.leads.save(lead)
            await uow.audit.record(AuditEntry.of(actor, "lead.updated", "lead", lead.id,
                                                 field_diff(before, lead_snapshot(lead))))
            await uow.commit()
            return lead

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

    async def log_followup(self, actor: Actor, lead_id: uuid.UUID, data: dict[str, Any]
                           ) -> Lead:
        p = require(actor, Scope.LEADS_WRITE)
        async with self.uow() as uow:
            lead = await self._load(uow, await self.visibility(uow, p), lead_id, lock=True)
            before = lead_snapshot(lead)
            occurred = data.get("occurred_at") or self.clock.now()
            lead.record_followup(occurred, data.get("next_followup_at"))
            await self._close_rule_tasks(uow, actor, lead)
            await uow.leads.save(lead)
            summary = (data.get("summary") or "").strip()
            await self._note(uow, actor, lead, "followup",
                             f"{data['method']}: {summary}" if summary else data["method"],
                             method=str(data["method"]), occurred_at=occurred.isoformat())
            diff = field_diff(before, lead_snapshot(lead))
            diff["followup"] = [None, str(data["method"])]
            await uow.audit.record(AuditEntry.of(actor, "lead.followup_logged", "lead",
                                                 lead.id, diff))
            await uow.commit()
            return lead

    async def assign(self, actor: Actor, lead_id: uuid.UUID, owner_ref: uuid.UUID | None
                     ) -> Lead:
        """A manager's override (owner named), or the routing rules run again (no owner)."""
        p = require(actor, Scope.LEADS_WRITE)
        if not is_team_lead(p):
            raise PermissionDenied("Only managers and admins reassign leads")
        async with self.uow() as uow:
            lead = await self._load(uow, await self.visibility(uow, p), lead_id, lock=True)
            previous = lead.owner_id
            if owner_ref is not None:
                owner, dept = await check_owner(uow, p, owner_ref, "leads")
                assignment = Assignment(AssignedBy.MANUAL, f"reassigned by {actor.label}",
                                        assigned_by_user=p.user_id)
            else:
                owner, dept, assignment = await self._route(
                    uow, lead, await uow.sales_settings.routing())
            lead.assign(owner, dept, assignment, self.clock.now())
            await uow.leads.save(lead)
            tasks = await uow.tasks.list(TaskFilter(related_id=lead.id, status="open"),
                                         PageRequest(limit=200))
            for task in tasks.items:  # the open to-dos follow the lead
                if task.assignee_id == previous and task.origin == TaskOrigin.RULE:
                    task.update({"assignee_id": owner}, self.clock.now())
                    await uow.tasks.save(task)
                    await uow.audit.record(AuditEntry.of(actor, "task.updated", "task", task.id, {
                        "assignee_id": [str(previous), str(owner)]}))
            await self._note(uow, actor, lead, "assigned", assignment.reason,
                             owner_id=str(owner), by=assignment.by.value)
            await uow.audit.record(AuditEntry.of(actor, "lead.reassigned", "lead", lead.id, {
                "owner_id": [str(previous) if previous else None, str(owner)],
                "by": [None, assignment.by.value]}))
            await uow.commit()
            return lead

    # ---- conversion -------------------------------------------------------------------------

    async def convert(self, actor: Actor, lead_id: uuid.UUID, data: dict[str, Any]
                      ) -> Conversion:
        """Customer (created, or the matching one linked) with its contact, and an opportunity
        in the default pipeline, in one transaction. Converting again answers the first result.
        """
        p = require(actor, Scope.LEADS_WRITE)
        async with self.uow() as uow:
            # The row lock makes a concurrent second conversion wait, then see the first.
            lead = await self._load(uow, await self.visibility(uow, p), lead_id, lock=True)
            if lead.status == LeadStatus.CONVERTED:
                assert lead.customer_id is not None
                return Conversion(lead, lead.customer_id, lead.opportunity_id, False, False)
            require(actor, Scope.CUSTOMERS_WRITE)
            opportunity_data = data.get("opportunity")
            if data.get("create_opportunity", True):
                require(actor, Scope.OPPORTUNITIES_WRITE)
            before = lead_snapshot(lead)
            customer, created = await self._customer_for(uow, actor, p, lead, data)
            opportunity = None
            if data.get("create_opportunity", True):
                opp = dict(opportunity_data or {})
                opp.setdefault("name", f"{customer.name} ({lead.number})")
                if lead.budget is not None and "amount" not in opp:
                    opp["amount"] = lead.budget
                    opp.setdefault("currency", lead.currency)
                opp.setdefault("owner_id", lead.owner_id)
                opportunity = await self.opportunities.open_in(uow, actor, customer, opp,
                                                               lead_id=lead.id)
            lead.convert(customer.id, opportunity.id if opportunity else None,
                         self.clock.now(), p.user_id)
            await self._close_rule_tasks(uow, actor, lead)
            await uow.leads.save(lead)
            await self._note(uow, actor, lead, "converted",
                             f"Converted into customer {customer.number}"
                             + (f" and opportunity {opportunity.number}" if opportunity else ""),
                             customer_id=str(customer.id),
                             opportunity_id=str(opportunity.id) if opportunity else None)
            await uow.activity.add(ActivityEntry(
                customer_id=customer.id, kind="lead_converted",
                summary=f"Lead {lead.number} converted", actor_id=p.id,
                actor_label=actor.label, ref_type="lead", ref_id=lead.id))
            await uow.audit.record(AuditEntry.of(actor, "lead.converted", "lead", lead.id,
                                                 field_diff(before, lead_snapshot(lead))))
            await uow.commit()
            return Conversion(lead, customer.id, opportunity.id if opportunity else None,
                              created, True)

    def _contact(self, lead: Lead, index: int) -> Contact | None:
        phone = lead.phone if lead.phone and lead.phone_valid else None
        email = lead.email if lead.email and lead.email_valid else None
        if not (lead.name or phone or email):
            return None
        return Contact.create(
            index, name=lead.name or lead.company or "—", title=lead.title,
            mobile=phone if phone and not is_landline(phone) else None,
            landline=phone if phone and is_landline(phone) else None, email=email)

    async def _customer_for(self, uow: UnitOfWork, actor: Actor, p: Principal, lead: Lead,
                            data: dict[str, Any]) -> tuple[Customer, bool]:
        """The customer named, the one matched at capture, one with the same phone, e-mail or
        legal name, or a new one made from the lead."""
        named = data.get("customer_id")
        if named is not None:
            customer = await uow.customers.get(named, await self.customers.visibility(uow, p),
                                               lock=True)
            if customer is None:
                raise ValidationFailed.of("customer_id", "no such customer")
        else:
            customer = await self._matching_customer(uow, lead)
        if customer is not None:
            await self._add_contact(uow, actor, customer, lead)
            return customer, False
        overrides = data.get("customer") or {}
        name = overrides.get("name") or lead.company or lead.name
        if not name:
            raise ValidationFailed.of("customer.name", "the lead has no company or name; "
                                      "name the customer")
        kind = overrides.get("kind") or (CustomerKind.COMPANY if lead.company
                                         else CustomerKind.PERSON)
        contact = self._contact(lead, 0)
        customer = await self.customers.add_customer(uow, actor, {
            "name": name, "kind": kind, "industry": lead.industry, "region": lead.region,
            "size": lead.company_size, "source": lead.source, "owner_id": lead.owner_id,
            "key_needs": lead.message, "contacts": [contact] if contact else [],
            "first_contact_date": (lead.last_followup_at.date()
                                   if lead.last_followup_at else None)})
        return customer, True

    async def _matching_customer(self, uow: UnitOfWork, lead: Lead) -> Customer | None:
        if lead.customer_id is not None:
            found = await uow.customers.get(lead.customer_id, EVERYTHING, lock=True)
            if found is not None:
                return found
        match = await uow.leads.find_customer_by_contact(
            lead.phone if lead.phone and lead.phone_valid else None,
            lead.email if lead.email and lead.email_valid else None)
        if match is not None:
            return await uow.customers.get(match.id, EVERYTHING, lock=True)
        if lead.company:
            same = await uow.customers.list(CustomerFilter(q=lead.company), EVERYTHING,
                                            PageRequest(limit=20))
            wanted = normalised_name(lead.company)
            named = next((c for c in same.items if normalised_name(c.name) == wanted), None)
            if named is not None:
                return await uow.customers.get(named.id, EVERYTHING, lock=True)
        return None

    async def _add_contact(self, uow: UnitOfWork, actor: Actor, customer: Customer,
                           lead: Lead) -> None:
        """The lead's person joins the customer's contacts unless already one of them."""
        contact = self._contact(lead, len(customer.contacts))
        if contact is None:
            return
        known = {x for c in customer.contacts for x in (c.mobile, c.landline, c.email) if x}
        if {x for x in (contact.mobile, contact.landline, contact.email) if x} & known:
            return
        before = masked_snapshot(customer)
        customer.update({"contacts": [*customer.contacts, contact]},
                        self.customers.tier_policy)
        await uow.customers.save(customer)
        await uow.audit.record(AuditEntry.of(actor, "customer.updated", "customer", customer.id,
                                             field_diff(before, masked_snapshot(customer))))
