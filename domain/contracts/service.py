"""Contract use cases: drafts, the approval chain, life after approval, and the clocks that
remind, escalate, renew and expire."""

from __future__ import annotations

import builtins
import statistics
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.audit.model import SYSTEM, Actor, AuditEntry, field_diff
from domain.contracts.model import (
    ApprovalStep,
    Contract,
    StepPlan,
    StepRole,
    contract_number,
)
from domain.contracts.policy import ApprovalPolicy, parse_policy
from domain.contracts.queries import ContractFilter, InboxItem
from domain.customers.activity import ActivityEntry, Task, TaskOrigin
from domain.customers.queries import Visibility
from domain.customers.service import CustomerService
from domain.identity.model import Principal, Role, Scope
from domain.identity.ports import UserFilter
from domain.identity.service import check_version, require
from domain.pipeline.service import OpportunityService
from domain.shared.errors import HiddenRecord, NotFound, PermissionDenied, ValidationFailed
from domain.shared.ownership import check_owner, manager_above
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory

EVERYTHING = Visibility(everything=True)
SCAN_LIMIT = 500


def contract_snapshot(c: Contract) -> dict[str, Any]:
    return {
        "title": c.title, "customer_id": c.customer_id, "opportunity_id": c.opportunity_id,
        "owner_id": c.owner_id, "status": c.status, "amount": str(c.amount),
        "currency": c.currency, "lines": [line.to_doc() for line in c.lines],
        "start_date": str(c.start_date) if c.start_date else None,
        "end_date": str(c.end_date) if c.end_date else None,
        "payment_terms": c.payment_terms, "termination_reason": c.termination_reason,
    }


@dataclass(frozen=True)
class ScanResult:
    reminded: int = 0
    escalated: int = 0


@dataclass(frozen=True)
class SweepResult:
    activated: int = 0
    renewals: int = 0
    expired: int = 0


@dataclass(frozen=True)
class Durations:
    count: int
    avg_hours: float | None
    median_hours: float | None
    p95_hours: float | None
    max_hours: float | None
    avg_working_hours: float | None


@dataclass(frozen=True)
class StepTimes:
    role: StepRole
    durations: Durations
    approved: int
    rejected: int
    reminded: int
    escalated: int


@dataclass(frozen=True)
class ApprovalTimes:
    since: datetime
    until: datetime
    steps: builtins.list[StepTimes]
    rounds: Durations
    rounds_within_one_day: float | None  # share of decided rounds decided in under 24 h
    pending: dict[str, int] = field(default_factory=dict)


def _durations(seconds: builtins.list[float], working: builtins.list[float]) -> Durations:
    if not seconds:
        return Durations(0, None, None, None, None, None)
    hours = sorted(s / 3600 for s in seconds)
    p95 = hours[min(len(hours) - 1, max(0, round(0.95 * len(hours)) - 1))]
    return Durations(len(hours), round(statistics.fmean(hours), 2),
                     round(statistics.median(hours), 2), round(p95, 2), round(hours[-1], 2),
                     round(statistics.fmean(working) / 3600, 2) if working else None)


@dataclass
class ContractService:
    uow: UnitOfWorkFactory
    clock: Clock
    customers: CustomerService
    opportunities: OpportunityService

    # ---- loading ------------------------------------------------------------------------------

    async def _load(self, uow: UnitOfWork, p: Principal, contract_id: uuid.UUID,
                    lock: bool = False) -> Contract:
        vis = await self.customers.visibility(uow, p)
        c = await uow.contracts.get(contract_id, vis, approver=p.user_id, lock=lock)
        if c is not None:
            return c
        if await uow.contracts.exists(contract_id):
            raise HiddenRecord("contract", contract_id)
        raise NotFound("contract", contract_id)

    async def _audit(self, uow: UnitOfWork, actor: Actor, action: str, c: Contract,
                     diff: dict[str, Any] | None = None) -> None:
        await uow.audit.record(AuditEntry.of(actor, action, "contract", c.id, diff or {}))

    async def _timeline(self, uow: UnitOfWork, actor: Actor, c: Contract, kind: str,
                        summary: str, **data: Any) -> None:
        p = actor.principal
        await uow.activity.add(ActivityEntry(
            customer_id=c.customer_id, kind=kind, summary=summary[:500],
            actor_id=p.id if p else None, actor_label=actor.label, ref_type="contract",
            ref_id=c.id, data=data))

    async def _check_opportunity(self, uow: UnitOfWork, p: Principal, c: Contract) -> None:
        if c.opportunity_id is None:
            return
        vis = await self.customers.visibility(uow, p)
        o = await uow.opportunities.get(c.opportunity_id, vis)
        if o is None or o.customer_id != c.customer_id:
            raise ValidationFailed.of("opportunity_id", "is not an opportunity of this customer "
                                      "that you can see")

    async def _mirror(self, uow: UnitOfWork, c: Contract) -> None:
        """The linked opportunity carries the contract's number and state (its signing stage
        asks for a contract in approval or approved)."""
        if c.opportunity_id is None:
            return
        o = await uow.opportunities.get(c.opportunity_id, EVERYTHING, lock=True)
        if o is None:
            return
        version = o.version
        o.mirror_contract(c.number, c.status)
        if o.version != version:
            await uow.opportunities.save(o)

    # ---- drafts -------------------------------------------------------------------------------

    async def create(self, actor: Actor, data: dict[str, Any]) -> Contract:
        p = require(actor, Scope.CONTRACTS_WRITE)
        data = dict(data)
        async with self.uow() as uow:
            customer = await self.customers.referenced(uow, p, data.pop("customer_id"))
            owner_ref = data.pop("owner_id", None) or p.user_id or customer.owner_id
            owner_id, department_id = await check_owner(uow, p, owner_ref, "contracts")
            c = Contract.draft(
                number=contract_number(self.clock.now(), await uow.contracts.next_sequence()),
                customer_id=customer.id, customer_name=customer.name, owner_id=owner_id,
                owner_department_id=department_id, by=p.user_id, data=data)
            await self._check_opportunity(uow, p, c)
            await uow.contracts.add(c)
            await self._mirror(uow, c)
            await self._timeline(uow, actor, c, "contract",
                                 f"Contract {c.number} drafted: {c.title} "
                                 f"({c.amount} {c.currency})")
            await self._audit(uow, actor, "contract.created", c,
                              field_diff(None, contract_snapshot(c)))
            await uow.commit()
            return c

    async def get(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        p = require(actor, Scope.CONTRACTS_READ)
        async with self.uow() as uow:
            return await self._load(uow, p, contract_id)

    async def list(self, actor: Actor, flt: ContractFilter, page: PageRequest
                   ) -> Page[Contract]:
        p = require(actor, Scope.CONTRACTS_READ)
        async with self.uow() as uow:
            return await uow.contracts.list(flt, await self.customers.visibility(uow, p),
                                            p.user_id, page)

    async def update(self, actor: Actor, contract_id: uuid.UUID, changes: dict[str, Any],
                     expected_version: int | None) -> Contract:
        p = require(actor, Scope.CONTRACTS_WRITE)
        changes = dict(changes)
        async with self.uow() as uow:
            c = await self._load(uow, p, contract_id, lock=True)
            check_version("contract", c.version, expected_version)
            before = contract_snapshot(c)
            owner_ref = changes.pop("owner_id", None)
            if changes:
                c.revise(changes)
                if "opportunity_id" in changes:
                    await self._check_opportunity(uow, p, c)
            if owner_ref is not None and owner_ref != c.owner_id:
                c.owner_id, c.owner_department_id = await check_owner(uow, p, owner_ref,
                                                                      "contracts")
                c.version += 1
            await uow.contracts.save(c)
            await self._mirror(uow, c)
            await self._audit(uow, actor, "contract.updated", c,
                              field_diff(before, contract_snapshot(c)))
            await uow.commit()
            return c

    async def delete(self, actor: Actor, contract_id: uuid.UUID,
                     expected_version: int | None) -> None:
        p = require(actor, Scope.CONTRACTS_WRITE)
        async with self.uow() as uow:
            c = await self._load(uow, p, contract_id, lock=True)
            check_version("contract", c.version, expected_version)
            c.delete(self.clock.now())
            await uow.contracts.save(c)
            await self._audit(uow, actor, "contract.deleted", c)
            await uow.commit()

    # ---- approval -----------------------------------------------------------------------------

    async def _pool_member(self, uow: UnitOfWork, role: Role, exclude: set[uuid.UUID]
                           ) -> uuid.UUID | None:
        """The active user of the role with the fewest steps waiting on them."""
        users = (await uow.users.list(UserFilter(role=role, is_active=True),
                                      PageRequest(limit=200))).items
        candidates = [u.id for u in users if u.id not in exclude]
        if not candidates:
            return None
        load = await uow.contracts.pending_counts(candidates)
        return min(candidates, key=lambda u: (load.get(u, 0), str(u)))

    async def _named(self, uow: UnitOfWork, user_id: uuid.UUID | None,
                     exclude: set[uuid.UUID]) -> uuid.UUID | None:
        if user_id is None or user_id in exclude:
            return None
        user = await uow.users.get(user_id)
        return user.id if user is not None and user.is_active else None

    async def _approver(self, uow: UnitOfWork, policy: ApprovalPolicy, role: StepRole,
                        c: Contract, used: set[uuid.UUID]) -> uuid.UUID | None:
        if role == StepRole.MANAGER:
            found = await manager_above(uow, c.owner_department_id, exclude=c.owner_id)
            if found is None or found in used:
                found = await uow.reps.any_admin()
            return found if found not in used else None
        named = policy.finance_approver_id if role == StepRole.FINANCE \
            else policy.executive_approver_id
        return (await self._named(uow, named, used)
                or await self._pool_member(uow, Role(role.value), used))

    async def chain(self, uow: UnitOfWork, policy: ApprovalPolicy, c: Contract
                    ) -> builtins.list[StepPlan]:
        """The owner's manager, then finance, then (at or above the threshold) an executive;
        a different person at each step and never the owner."""
        used = {c.owner_id}
        plans: builtins.list[StepPlan] = []
        for role in policy.roles_for(c.amount, c.currency):
            who = await self._approver(uow, policy, role, c, used)
            if who is None:
                raise ValidationFailed.of(
                    "approval", f"no active {role.value} other than the owner and the earlier "
                    "approvers can approve this contract")
            used.add(who)
            plans.append(StepPlan(role, who))
        return plans

    async def submit(self, actor: Actor, contract_id: uuid.UUID,
                     expected_version: int | None) -> Contract:
        p = require(actor, Scope.CONTRACTS_WRITE)
        async with self.uow() as uow:
            c = await self._load(uow, p, contract_id, lock=True)
            check_version("contract", c.version, expected_version)
            policy = await uow.contracts.policy()
            c.submit(await self.chain(uow, policy, c), self.clock.now(), p.user_id)
            await uow.contracts.save(c)
            await self._mirror(uow, c)
            steps = c.round_steps()
            await self._timeline(uow, actor, c, "contract",
                                 f"Contract {c.number} submitted for approval "
                                 f"({' → '.join(s.name for s in steps)})")
            await self._audit(uow, actor, "contract.submitted", c, {
                "status": ["draft", c.status.value], "round": [c.round - 1, c.round],
                "chain": [None, [f"{s.role.value}:{s.assignee_id}" for s in steps]]})
            await uow.commit()
            return c

    async def decide(self, actor: Actor, contract_id: uuid.UUID, step: int, approve: bool,
                     comment: str | None) -> Contract:
        """One decision per step: the contract row is locked, so of two approvers acting at
        once the second finds the step decided (409)."""
        p = require(actor, Scope.CONTRACTS_APPROVE)
        if p.user_id is None:
            raise PermissionDenied("Approvals are decided by people, not integrations")
        async with self.uow() as uow:
            c = await self._load(uow, p, contract_id, lock=True)
            now = self.clock.now()
            before = c.status.value
            if approve:
                c.approve(step, p.user_id, comment, now)
            else:
                c.reject(step, p.user_id, comment, now)
            await uow.contracts.save(c)
            await self._mirror(uow, c)
            verb = "approved" if approve else "rejected"
            await self._timeline(uow, actor, c, "contract",
                                 f"Contract {c.number}: step {step} {verb}"
                                 + (f" ({comment.strip()[:200]})" if comment and comment.strip()
                                    else ""))
            await self._audit(uow, actor, f"contract.step_{verb}", c, {
                "step": [None, step], "status": [before, c.status.value],
                "comment": [None, (comment or "").strip() or None]})
            await uow.commit()
            return c

    async def inbox(self, actor: Actor, assignee: uuid.UUID | None, page: PageRequest
                    ) -> Page[InboxItem]:
        """`assignee` None: every pending step (admins and executives oversee the queue)."""
        p = require(actor, Scope.CONTRACTS_READ)
        if (assignee is None or assignee != p.user_id) and p.kind == "user" \
                and p.role not in (Role.ADMIN, Role.EXECUTIVE):
            raise PermissionDenied("Only admins and executives see others' approvals")
        async with self.uow() as uow:
            return await uow.contracts.inbox(assignee, page)

    # ---- after approval ---------------------------------------------------------------------

    async def _transition(self, actor: Actor, scope: Scope, contract_id: uuid.UUID,
                          action: str, apply: Any) -> Contract:
        p = require(actor, scope)
        async with self.uow() as uow:
            c = await self._load(uow, p, contract_id, lock=True)
            before = contract_snapshot(c)
            await apply(uow, p, c)
            await uow.contracts.save(c)
            await self._mirror(uow, c)
            await self._timeline(uow, actor, c, "contract",
                                 f"Contract {c.number} {c.status.value.replace('_', ' ')}")
            await self._audit(uow, actor, action, c, field_diff(before, contract_snapshot(c)))
            await uow.commit()
            return c

    async def sign(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            c.sign(self.clock.now(), p.user_id)
        return await self._transition(actor, Scope.CONTRACTS_WRITE, contract_id,
                                      "contract.signed", apply)

    async def activate(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            c.activate(self.clock.now())
        return await self._transition(actor, Scope.CONTRACTS_WRITE, contract_id,
                                      "contract.activated", apply)

    async def complete(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            c.complete(self.clock.now())
        return await self._transition(actor, Scope.CONTRACTS_WRITE, contract_id,
                                      "contract.completed", apply)

    async def terminate(self, actor: Actor, contract_id: uuid.UUID,
                        reason: str | None) -> Contract:
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            c.terminate(reason, self.clock.now())
        return await self._transition(actor, Scope.CONTRACTS_WRITE, contract_id,
                                      "contract.terminated", apply)

    async def payment_received(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        """Finance confirms the money arrived: the linked deal is won and the customer closed,
        in the same transaction."""
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            now = self.clock.now()
            c.record_payment(now)
            if c.opportunity_id is not None:
                await self.opportunities.win_by_payment(uow, actor, c.opportunity_id,
                                                        c.amount, c.currency)
            await self.customers.close_deal(uow, actor, c.customer_id)
        return await self._transition(actor, Scope.CONTRACTS_PAYMENTS, contract_id,
                                      "contract.payment_received", apply)

    # ---- policy -------------------------------------------------------------------------------

    async def policy(self, actor: Actor) -> ApprovalPolicy:
        require(actor, Scope.CONTRACTS_READ)
        async with self.uow() as uow:
            return await uow.contracts.policy()

    async def set_policy(self, actor: Actor, doc: dict[str, Any],
                         expected_version: int | None) -> ApprovalPolicy:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            current = await uow.contracts.policy()
            check_version("approval policy", current.version, expected_version)
            policy = parse_policy(doc, current.version)
            for name, role in (("finance_approver_id", Role.FINANCE),
                               ("executive_approver_id", Role.EXECUTIVE)):
                user_id = getattr(policy, name)
                if user_id is None:
                    continue
                user = await uow.users.get(user_id)
                if user is None or not user.is_active or user.role not in (role, Role.ADMIN):
                    raise ValidationFailed.of(name, f"must be an active {role.value} user "
                                              "(or an admin)")
            saved = await uow.contracts.save_policy(policy)
            await uow.audit.record(AuditEntry.of(
                actor, "approval_policy.updated", "settings", "approval_policy",
                field_diff(current.to_doc(), saved.to_doc())))
            await uow.commit()
            return saved

    # ---- clocks (run by the worker) ------------------------------------------------------------

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
                step = _open_step(c, ps.round, ps.step)
                if c is None or step is None:
                    continue
                if remind and step.reminded_at is None:
                    c.remind(step, now, waited)
                    reminded += 1
                if escalate and step.escalated_at is None:
                    assignee = await uow.users.get(step.assignee_id)
                    to = await manager_above(uow, assignee.department_id if assignee else None,
                                             exclude=step.assignee_id)
                    to = to or await uow.reps.any_admin()
                    c.escalate(step, None if to == step.assignee_id else to, now, waited)
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
                if c is None or c.status.value != "signed" or not c.start_date \
                        or c.start_date > today:
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
        assert c.end_date is not None
        tz = ZoneInfo(policy.calendar.timezone)
        due = datetime.combine(c.end_date - timedelta(days=7), policy.calendar.start, tz)
        task = Task.create(
            title=f"Repurchase reminder: contract {c.number} ends on {c.end_date}",
            assignee_id=c.owner_id, created_by=None, due_at=max(due, self.clock.now()),
            related_type="customer", related_id=c.customer_id, origin=TaskOrigin.RULE,
            notes=f"{c.title} ({c.amount} {c.currency}) with {c.customer_name}: "
                  "talk about renewal or the next order.")
        await uow.tasks.add(task)
        c.mark_renewal(task.id)

    async def _system_save(self, uow: UnitOfWork, c: Contract, action: str) -> None:
        await uow.contracts.save(c)
        await self._mirror(uow, c)
        await self._timeline(uow, SYSTEM, c, "contract",
                             f"Contract {c.number}: {action.split('.')[1].replace('_', ' ')}")
        await uow.audit.record(AuditEntry.of(SYSTEM, action, "contract", c.id,
                                             {"status": [None, c.status.value]}))
        await uow.commit()

    # ---- report -------------------------------------------------------------------------------

    async def approval_times(self, actor: Actor, since: datetime | None,
                             until: datetime | None) -> ApprovalTimes:
        require(actor, Scope.REPORTS_READ)
        until = until or self.clock.now()
        since = since or until - timedelta(days=30)
        if since >= until:
            raise ValidationFailed.of("since", "must be before until")
        async with self.uow() as uow:
            policy = await uow.contracts.policy()
            steps = await uow.contracts.decided_steps(since, until, 100_000)
            rounds = await uow.contracts.decided_rounds(since, until, 100_000)
            pending = await uow.contracts.inbox(None, PageRequest(limit=1000, max_limit=1000))
        cal = policy.calendar
        out = []
        for role in StepRole:
            mine = [s for s in steps if s.role == role]
            if not mine:
                continue
            wall = [(s.decided_at - s.started_at).total_seconds() for s in mine]
            work = [cal.working_seconds(s.started_at, s.decided_at) for s in mine]
            out.append(StepTimes(
                role=role, durations=_durations(wall, work),
                approved=sum(1 for s in mine if s.status == "approved"),
                rejected=sum(1 for s in mine if s.status == "rejected"),
                reminded=sum(1 for s in mine if s.reminded),
                escalated=sum(1 for s in mine if s.escalated)))
        round_wall = [(r.decided_at - r.submitted_at).total_seconds() for r in rounds]
        round_work = [cal.working_seconds(r.submitted_at, r.decided_at) for r in rounds]
        waiting: dict[str, int] = {}
        for item in pending.items:
            waiting[item.role.value] = waiting.get(item.role.value, 0) + 1
        return ApprovalTimes(
            since=since, until=until, steps=out, rounds=_durations(round_wall, round_work),
            rounds_within_one_day=round(sum(1 for s in round_wall if s < 86400)
                                        / len(round_wall), 3) if round_wall else None,
            pending=waiting)


def _open_step(c: Contract | None, round_: int, number: int) -> ApprovalStep | None:
    if c is None or c.round != round_:
        return None
    step = next((s for s in c.round_steps() if s.step == number), None)
    return step if step is not None and step.status.value == "pending" else None


def today_in(policy: ApprovalPolicy, now: datetime) -> date:
    return now.astimezone(ZoneInfo(policy.calendar.timezone)).date()
