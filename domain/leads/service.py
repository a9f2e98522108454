"""Lead use cases. Capture (validate, score, de-duplicate, assign) and reads live here; working
a lead (working.py) and converting it (conversion.py) join them in LeadService."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from domain.audit.model import AuditEntry, field_diff
from domain.customers.activity import ActivityEntry, Task, TaskOrigin
from domain.customers.model import Source
from domain.customers.personal import mask_email, mask_phone
from domain.leads.base import EVERYTHING, FIRST_CONTACT, flag_duplicates, lead_snapshot
from domain.leads.commands import CaptureLead
from domain.leads.conversion import LeadConversion
from domain.leads.forms import LeadForm
from domain.leads.model import Lead, LeadActivity, lead_number, matchable_contact
from domain.leads.queries import LeadFilter
from domain.leads.scoring import ScoringModel
from domain.leads.working import LeadWork
from domain.shared.authz import Actor, Principal, Scope, require
from domain.shared.catalogue import render
from domain.shared.errors import ValidationFailed
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork
from domain.shared.text import Label, text


class LeadService(LeadWork, LeadConversion):
    """Every lead use case, over the ports LeadUseCases takes."""

    # ---- capture ----------------------------------------------------------------------------

    async def capture(self, actor: Actor, command: CaptureLead) -> Lead:
        """A lead from a signed-in user or an integration (leads:write)."""
        p = require(actor, Scope.LEADS_WRITE)
        if p.kind == "user" and not any(
                (value or "").strip() for value in (command.name, command.company,
                                                    command.phone, command.email)):
            # Someone typing a lead can say who it is; a wholly empty one is a slip, not an
            # inquiry. Integrations and forms keep theirs, flagged (there is nobody to ask).
            raise ValidationFailed.of("name", "lead.nothing_to_identify")
        async with self.uow() as uow:
            lead = await self._capture(uow, actor, p, command, form=None)
            shown = await self.seen_by(uow, p, [lead])
            await uow.commit()
            return shown[0]

    async def capture_from_form(self, actor: Actor, form: LeadForm, command: CaptureLead
                                ) -> Lead:
        """A public website form's submission (the form acts as the principal)."""
        p = require(actor, Scope.LEADS_WRITE)
        async with self.uow() as uow:
            lead = await self._capture(uow, actor, p, command, form=form)
            await uow.commit()
            return lead

    async def capture_in(self, uow: UnitOfWork, actor: Actor, command: CaptureLead) -> Lead:
        """A lead captured inside the caller's transaction (an import's chunk of rows)."""
        p = require(actor, Scope.LEADS_WRITE)
        return await self._capture(uow, actor, p, command, form=None)

    async def _capture(self, uow: UnitOfWork, actor: Actor, p: Principal,
                       command: CaptureLead, form: LeadForm | None) -> Lead:
        now = self.clock.now()
        auto = command.auto_assign or p.kind != "user"
        source = command.source or (
            form.source if form else Source.API if p.kind == "api_key" else Source.OTHER)
        if form is None:
            await self._refuse_unlisted(uow, industry=command.industry, region=command.region)
        else:
            command = await self._form_fields(uow, form, command)
        # A simultaneous capture of the same person waits here until this one commits, so
        # the duplicate check below sees it.
        contact = matchable_contact(command.phone, command.email)
        lead = Lead.capture(number=lead_number(now, await uow.leads.next_sequence(contact)),
                            source=Source(source), now=now, created_by=p.id,
                            form_id=form.id if form else None, **command.lead_fields())
        original, customer = await flag_duplicates(uow, lead)
        scoring, routing = await uow.sales_settings.both()
        lead.rescore(scoring)
        lead.set_aside_if_spam()
        if original is not None:
            await self._engage(uow, actor, original, lead, scoring)
        if customer is not None:
            await uow.activity.add(ActivityEntry(
                customer_id=customer.id, kind="lead",
                summary=text("lead.new_inquiry", number=lead.number,
                             source=Label("lead_source", lead.source.value)),
                actor_id=p.id, actor_label=actor.shown_name, ref_type="lead", ref_id=lead.id))

        # Routing may lock until the commit (least-loaded: the department; a rep with a
        # capacity: the rep): only what needs the owner comes after it, in few round trips.
        owner, dept, assignment = await self.router.first_owner(
            uow, actor, p, lead, routing, command.owner_id, auto, original, customer)
        lead.assign(owner, dept, assignment, now)
        await uow.leads.add(lead)
        if lead.is_open:
            await uow.tasks.add(Task.create(
                # a task's title is the owner's to edit, so it is written out as words, in the
                # language of whoever captured the lead (a form: the organisation's)
                title=render(text("lead.first_contact_task", hours=routing.first_contact_hours,
                                  lead=lead.label))[:200], assignee_id=owner, created_by=None,
                due_at=now + timedelta(hours=routing.first_contact_hours),
                related_type="lead", related_id=lead.id, origin=TaskOrigin.RULE,
                notes=FIRST_CONTACT))
        # Codes only: a reason may name a record that a later reader of the timeline may not
        # see; the lead's own flags are shown to each reader as they may see them.
        came_from = Label("lead_source", lead.source.value)
        flags = [Label("lead_flag", f.code.value) for f in lead.flags]
        await uow.lead_activity.add_many([
            self._entry(actor, lead.id, "created",
                        text("lead.captured_flagged", source=came_from, flags=flags) if flags
                        else text("lead.captured", source=came_from),
                        score=lead.score, grade=lead.grade.value),
            self._entry(actor, lead.id, "assigned", assignment.reason, owner_id=str(owner),
                        by=assignment.by.value)])
        await uow.audit.record(AuditEntry.of(actor, "lead.created", "lead", lead.id,
                                             field_diff(None, lead_snapshot(lead))))
        return lead

    async def _form_fields(self, uow: UnitOfWork, form: LeadForm, command: CaptureLead
                           ) -> CaptureLead:
        """A public form's inquiry with the form's campaign, and what a visitor typed in the
        industry or region that is not in its list moved to the attribution (kept, not
        refused)."""
        unlisted = await self._unlisted(uow, industry=command.industry, region=command.region)
        attribution = dict(command.attribution)
        for name, value in unlisted.items():
            attribution[f"form_{name}"] = str(value)[:200]
        return replace(
            command, campaign=command.campaign or form.campaign,
            industry=None if "industry" in unlisted else command.industry,
            region=None if "region" in unlisted else command.region,
            attribution=attribution if unlisted else command.attribution)

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
                         text("lead.inquired_again", number=new.number,
                              source=Label("lead_source", new.source.value)),
                         duplicate_id=str(new.id))

    # ---- reading ----------------------------------------------------------------------------

    async def get(self, actor: Actor, lead_id: uuid.UUID) -> Lead:
        p = require(actor, Scope.LEADS_READ)
        async with self.uow() as uow:
            return (await self.seen_by(uow, p, [await self._load(uow, p, lead_id)]))[0]

    async def list(self, actor: Actor, flt: LeadFilter, page: PageRequest) -> Page[Lead]:
        p = require(actor, Scope.LEADS_READ)
        if not (flt.phone or flt.email):
            async with self.uow() as uow:
                page_ = await uow.leads.list(flt, await self.visibility(uow, p), page)
                return replace(page_, items=await self.seen_by(uow, p, page_.items))
        await self.lookup.admit(actor)
        async with self.uow() as uow:
            vis = self.lookup.narrow(p, await self.visibility(uow, p))
            found = await uow.leads.list(flt, vis, page)
            found = replace(found, items=await self.seen_by(uow, p, found.items))
            # Written like a reveal, found or not: a walk through numbers shows in the log.
            await uow.audit.record(AuditEntry.of(actor, "lead.looked_up", "lead", None, {
                "phone": mask_phone(flt.phone) if flt.phone else None,
                "email": mask_email(flt.email) if flt.email else None,
                "found": [str(lead.id) for lead in found.items]}))
            await uow.commit()
            return found

    async def reveal(self, actor: Actor, lead_id: uuid.UUID) -> Lead:
        """Cleartext phone and e-mail, for those who may see them, always audited."""
        p = require(actor, Scope.LEADS_READ)
        async with self.uow() as uow:
            lead = await self._load(uow, p, lead_id)
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
            await self._load(uow, p, lead_id)
            return await uow.lead_activity.list(lead_id, page)
