"""Follow-up use cases: recording a contact with a customer (which moves the customer's
follow-up dates and timeline), reading and editing follow-ups."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.audit.model import AuditEntry, field_diff
from domain.customers.access import CustomerAccess
from domain.customers.activity import FollowUp, FollowUpStatus
from domain.customers.commands import FollowUpChanges, NewFollowUp
from domain.customers.ports import FollowUpFilter
from domain.shared.authz import Actor, Scope, require
from domain.shared.commands import given
from domain.shared.errors import NotFound, PermissionDenied, check_version
from domain.shared.ownership import is_team_lead
from domain.shared.paging import Page, PageRequest
from domain.shared.text import Label, text


@dataclass
class FollowUpService:
    access: CustomerAccess

    async def add(self, actor: Actor, customer_id: uuid.UUID, command: NewFollowUp
                  ) -> FollowUp:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        access = self.access
        async with access.uow() as uow:
            c = await access.load(uow, await access.visibility(uow, p), customer_id, lock=True)
            f = FollowUp.create(
                customer_id=c.id, owner_id=p.user_id or c.owner_id, method=command.method,
                occurred_at=command.occurred_at or access.clock.now(), summary=command.summary,
                feedback=command.feedback, next_action=command.next_action,
                next_followup_at=command.next_followup_at, status=command.status,
                check_in=command.check_in)
            if f.status == FollowUpStatus.DONE:
                c.record_followup(f.occurred_at, f.next_followup_at, f.next_action)
                await uow.customers.save(c)
            await uow.followups.add(f)
            await access.note(uow, actor, c.id, "followup", text("customer.line.followup",
                              method=Label("followup_method", f.method.value),
                              summary=f.summary[:480]),
                              "followup", f.id, method=f.method.value, status=f.status.value)
            await uow.audit.record(AuditEntry.of(actor, "followup.created", "followup", f.id,
                                                 {"customer_id": [None, str(c.id)],
                                                  "method": [None, f.method.value]}))
            await uow.commit()
            return f

    async def get(self, actor: Actor, followup_id: uuid.UUID) -> FollowUp:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.access.uow() as uow:
            f = await uow.followups.get(followup_id, await self.access.visibility(uow, p))
        if f is None:
            raise NotFound("follow-up", followup_id)
        return f

    async def list(self, actor: Actor, flt: FollowUpFilter, page: PageRequest
                   ) -> Page[FollowUp]:
        """Newest first; one customer's list is a 404 when the customer is out of sight."""
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.access.uow() as uow:
            vis = await self.access.visibility(uow, p)
            if flt.customer_id is not None:
                await self.access.load(uow, vis, flt.customer_id)
            return await uow.followups.list(flt, vis, page)

    async def update(self, actor: Actor, followup_id: uuid.UUID, command: FollowUpChanges,
                     expected_version: int | None) -> FollowUp:
        """Its author or a team lead edits a follow-up."""
        p = require(actor, Scope.CUSTOMERS_WRITE)
        changes = given(command)
        async with self.access.uow() as uow:
            f = await uow.followups.get(followup_id, await self.access.visibility(uow, p))
            if f is None:
                raise NotFound("follow-up", followup_id)
            if not is_team_lead(p) and f.owner_id != p.id:
                raise PermissionDenied("customer.followup_edit_forbidden")
            check_version("follow-up", f.version, expected_version)
            before = {k: getattr(f, k) for k in changes}
            f.update(changes)
            await uow.followups.save(f)
            await uow.audit.record(AuditEntry.of(
                actor, "followup.updated", "followup", f.id,
                field_diff(before, {k: getattr(f, k) for k in changes})))
            await uow.commit()
            return f
