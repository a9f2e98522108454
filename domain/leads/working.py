"""Working a lead: edits and status moves, follow-ups, and a manager's reassignment."""

from __future__ import annotations

import uuid

from domain.audit.model import AuditEntry, field_diff
from domain.customers.activity import TaskOrigin
from domain.customers.ports import TaskFilter
from domain.leads.base import LeadUseCases, flag_duplicates, lead_snapshot
from domain.leads.commands import LogFollowUp, UpdateLead
from domain.leads.model import Lead, LeadStatus
from domain.leads.routing import AssignedBy, Assignment
from domain.shared.authz import Actor, Scope, require
from domain.shared.commands import given
from domain.shared.errors import PermissionDenied, ValidationFailed, check_version
from domain.shared.ownership import check_owner, is_team_lead
from domain.shared.paging import PageRequest
from domain.shared.text import Label, text


class LeadWork(LeadUseCases):
    async def update(self, actor: Actor, lead_id: uuid.UUID, command: UpdateLead,
                     expected_version: int | None) -> Lead:
        p = require(actor, Scope.LEADS_WRITE)
        changes = given(command)
        status = changes.pop("status", None)
        reason = changes.pop("disqualify_reason", None)
        async with self.uow() as uow:
            lead = await self._load(uow, p, lead_id, lock=True)
            check_version("lead", lead.version, expected_version)
            before = lead_snapshot(lead)
            if reason is not None and status != LeadStatus.DISQUALIFIED:
                raise ValidationFailed.of("disqualify_reason", "lead.disqualify_reason_with_status")
            await self._refuse_unlisted(uow, industry=changes.get("industry"),
                                        region=changes.get("region"))
            if changes:
                lead.update(changes)
                if {"phone", "email"} & set(changes):
                    await flag_duplicates(uow, lead, exclude=lead.id)
                lead.rescore(await uow.sales_settings.scoring())
            if status is not None and LeadStatus(status) != lead.status:
                lead.move(LeadStatus(status), self.clock.now(), reason=reason)
                await self._close_rule_tasks(uow, actor, lead)
                moved = {"from_status": Label("lead_status", before["status"].value),
                         "to_status": Label("lead_status", lead.status.value)}
                await self._note(uow, actor, lead, "status_changed",
                                 text("lead.disqualified", reason=lead.disqualify_reason, **moved)
                                 if lead.status == LeadStatus.DISQUALIFIED
                                 else text("lead.status_changed", **moved))
            elif changes:
                await self._note(uow, actor, lead, "edited", text(
                    "lead.edited", fields=[Label("lead_field", name) for name in sorted(changes)]))
            await uow.leads.save(lead)
            await uow.audit.record(AuditEntry.of(actor, "lead.updated", "lead", lead.id,
                                                 field_diff(before, lead_snapshot(lead))))
            shown = await self.seen_by(uow, p, [lead])
            await uow.commit()
            return shown[0]

    async def log_followup(self, actor: Actor, lead_id: uuid.UUID, command: LogFollowUp
                           ) -> Lead:
        p = require(actor, Scope.LEADS_WRITE)
        async with self.uow() as uow:
            lead = await self._load(uow, p, lead_id, lock=True)
            before = lead_snapshot(lead)
            occurred = command.occurred_at or self.clock.now()
            lead.record_followup(occurred, command.next_followup_at)
            await self._close_rule_tasks(uow, actor, lead)
            await uow.leads.save(lead)
            method = str(command.method)
            summary = (command.summary or "").strip()
            await self._note(uow, actor, lead, "followup",
                             text("lead.followup_with_summary",
                                  method=Label("lead_contact_method", method), summary=summary)
                             if summary else text("lead.followup",
                                                  method=Label("lead_contact_method", method)),
                             method=method, occurred_at=occurred.isoformat())
            diff = field_diff(before, lead_snapshot(lead))
            diff["followup"] = [None, method]
            await uow.audit.record(AuditEntry.of(actor, "lead.followup_logged", "lead",
                                                 lead.id, diff))
            shown = await self.seen_by(uow, p, [lead])
            await uow.commit()
            return shown[0]

    async def assign(self, actor: Actor, lead_id: uuid.UUID, owner_ref: uuid.UUID | None
                     ) -> Lead:
        """A manager's override (owner named), or the routing rules run again (no owner)."""
        p = require(actor, Scope.LEADS_WRITE)
        if not is_team_lead(p):
            raise PermissionDenied("lead.reassign_managers_only")
        async with self.uow() as uow:
            lead = await self._load(uow, p, lead_id, lock=True)
            previous = lead.owner_id
            if owner_ref is not None:
                owner, dept = await check_owner(uow, p, owner_ref, "leads")
                assignment = Assignment(AssignedBy.MANUAL, text("lead.assignment.reassigned",
                                                                     by=actor.shown_name),
                                        assigned_by_user=p.user_id)
            else:
                owner, dept, assignment = await self.router.route(
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
            shown = await self.seen_by(uow, p, [lead])
            await uow.commit()
            return shown[0]
