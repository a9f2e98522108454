"""The clocks the worker runs: chasing approvals that wait too long (a reminder, then an
escalation, counted in working hours) and the daily sweep that puts signed contracts in force,
asks for renewals and expires ended ones. Each fires once per occurrence, whatever the reruns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.audit.model import AuditEntry
from domain.contracts.model import Contract
from domain.contracts.policy import ApprovalPolicy
from domain.contracts.queries import PendingStep
from domain.contracts.rounds import ApprovalStep, StepStatus
from domain.contracts.use_case import EVERYTHING, ContractUseCases
from domain.customers.activity import Task, TaskOrigin
from domain.shared.authz import SYSTEM
from domain.shared.catalogue import render
from domain.shared.ownership import manager_above
from domain.shared.ports import UnitOfWork
from domain.shared.text import Money, text

SCAN_LIMIT = 500

# The customer's timeline line of each thing the daily sweep does to a contract.
_SWEPT = {"contract.activated": "timeline.contract.activated_on_start",
          "contract.expired": "timeline.contract.expired",
          "contract.renewal_due": "timeline.contract.renewal_due"}


@dataclass(frozen=True)
class ScanResult:
    reminded: int = 0
    escalated: int = 0


@dataclass(frozen=True)
class SweepResult:
    activated: int = 0
    renewals: int = 0
    expired: int = 0


def today_in(policy: ApprovalPolicy, now: datetime) -> date:
    return now.astimezone(ZoneInfo(policy.calendar.timezone)).date()


def _open_step(c: Contract | None, ps: PendingStep) -> ApprovalStep | None:
    """The step the scan saw, if it still waits for a decision."""
    if c is None or c.round != ps.round:
        return None
    step = next((s for s in c.round_steps() if s.step == ps.step), None)
    return step if step is not None and step.status == StepStatus.PENDING else None


class Clocks(ContractUseCases):
    async def scan_approvals(self) -> ScanResult:
        """Reminds the approver of a step waiting past the policy's time, then escalates to
        their manager. Each step is reminded once and escalated once, whatever the reruns."""
        now = self.clock.now()
        async with self.uow() as uow:
            policy = await uow.contracts.policy()
            pending = await uow.contracts.pending_steps(SCAN_LIMIT)
        reminded = escalated = 0
        for ps in pending:
            waited = policy.calendar.working_seconds(ps.started_at, now)
            remind = ps.reminded_at is None and waited >= policy.remind_after_seconds
            escalate = ps.escalated_at is None and waited >= policy.escalate_after_seconds
            if not (remind or escalate):
                continue
            async with self.uow() as uow:
                c = await uow.contracts.get(ps.contract_id, EVERYTHING, lock=True)
                step = _open_step(c, ps)
                if c is None or step is None:
                    continue
                if remind and step.reminded_at is None:
                    c.remind(step, now, waited)
                    reminded += 1
                if escalate and step.escalated_at is None:
                    c.escalate(step, await self._escalation_target(uow, step), now, waited)
                    escalated += 1
                await uow.contracts.save(c)
                await uow.audit.record(AuditEntry.of(
                    SYSTEM, "contract.approval_chased", "contract", c.id,
                    {"step": [None, step.step],
                     "reminded_at": [None, step.reminded_at.isoformat()
                                     if step.reminded_at else None],
                     "escalated_to": [None, str(step.escalated_to)
                                      if step.escalated_to else None]}))
                await uow.commit()
        return ScanResult(reminded, escalated)

    async def _escalation_target(self, uow: UnitOfWork, step: ApprovalStep
                                 ) -> uuid.UUID | None:
        """The approver's nearest manager above, else an admin; None when that is the
        approver themself."""
        assignee = await uow.users.get(step.assignee_id)
        to = await manager_above(uow, assignee.department_id if assignee else None,
                                 exclude=step.assignee_id)
        to = to or await uow.reps.any_admin()
        return None if to == step.assignee_id else to

    async def sweep(self) -> SweepResult:
        """Daily: signed contracts whose start date came become active, contracts ending within
        the policy's days give their owner a repurchase task, ended ones expire."""
        now = self.clock.now()
        async with self.uow() as uow:
            policy = await uow.contracts.policy()
            today = today_in(policy, now)
            starting = await uow.contracts.signed_starting_by(today, SCAN_LIMIT)
            ending = await uow.contracts.in_force_ending_by(
                today + timedelta(days=policy.renewal_days_before), today, SCAN_LIMIT)
        activated = renewals = expired = 0
        for contract_id in starting:
            async with self.uow() as uow:
                c = await uow.contracts.get(contract_id, EVERYTHING, lock=True)
                if c is None or not c.starts_by(today):
                    continue
                c.activate(now)
                await self._system_save(uow, c, "contract.activated")
                activated += 1
        for contract_id in ending:
            async with self.uow() as uow:
                c = await uow.contracts.get(contract_id, EVERYTHING, lock=True)
                if c is None:
                    continue
                if c.expire(today, now):
                    await self._system_save(uow, c, "contract.expired")
                    expired += 1
                elif c.renewal_due(today, policy.renewal_days_before):
                    await self._renewal_task(uow, c, policy)
                    await self._system_save(uow, c, "contract.renewal_due")
                    renewals += 1
        return SweepResult(activated, renewals, expired)

    async def _renewal_task(self, uow: UnitOfWork, c: Contract, policy: ApprovalPolicy
                            ) -> None:
        """A repurchase to-do for the owner, due a week before the end (in office hours)."""
        assert c.end_date is not None
        tz = ZoneInfo(policy.calendar.timezone)
        due = datetime.combine(c.end_date - timedelta(days=7), policy.calendar.start, tz)
        # A task's words are the owner's to edit, so they are written once, in their language.
        language = (await uow.notification_preferences.get(c.owner_id)).locale
        title = render(text("contract.renewal_task_title", number=c.number,
                            end_date=c.end_date), language)
        notes = render(text("contract.renewal_task_notes", title=c.title,
                            amount=Money(c.amount, c.currency), customer=c.customer_name),
                       language)
        task = Task.create(
            title=title[:200], assignee_id=c.owner_id, created_by=None,
            due_at=max(due, self.clock.now()), related_type="customer",
            related_id=c.customer_id, origin=TaskOrigin.RULE, notes=notes)
        await uow.tasks.add(task)
        c.mark_renewal(task.id)

    async def _system_save(self, uow: UnitOfWork, c: Contract, action: str) -> None:
        await uow.contracts.save(c)
        await self._follow(uow, c)
        await self._timeline(uow, SYSTEM, c, "contract", text(_SWEPT[action], number=c.number))
        await uow.audit.record(AuditEntry.of(SYSTEM, action, "contract", c.id,
                                             {"status": [None, c.status.value]}))
        await uow.commit()
