"""The approval chain: who the policy puts at each step, submitting a draft into it, deciding
a step, the approvers' inbox, and the policy itself."""

from __future__ import annotations

import builtins
import uuid

from domain.audit.model import AuditEntry, field_diff
from domain.contracts.commands import PolicySettings
from domain.contracts.model import Contract
from domain.contracts.policy import ApprovalPolicy, build_policy
from domain.contracts.queries import InboxItem
from domain.contracts.rounds import ApprovalStep, StepPlan, StepRole
from domain.contracts.use_case import ContractUseCases
from domain.identity.ports import UserFilter
from domain.notifications.kinds import APPROVAL_WAITING_KINDS
from domain.shared.authz import Actor, Role, Scope, require
from domain.shared.errors import PermissionDenied, ValidationFailed, check_version
from domain.shared.ownership import manager_above
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork
from domain.shared.text import Label, Text, text

OVERSEERS = frozenset({Role.ADMIN, Role.EXECUTIVE})  # see every approver's queue


class Approving(ContractUseCases):
    # ---- who approves -------------------------------------------------------------------------

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
                raise ValidationFailed.of("approval", "contract.no_approver",
                                          role=Label("role", role.value))
            used.add(who)
            plans.append(StepPlan(role, who))
        return plans

    # ---- submitting and deciding --------------------------------------------------------------

    async def submit(self, actor: Actor, contract_id: uuid.UUID,
                     expected_version: int | None) -> Contract:
        p = require(actor, Scope.CONTRACTS_WRITE)
        async with self.uow() as uow:
            c = await self._load_to_change(uow, p, contract_id, expected_version)
            policy = await uow.contracts.policy()
            c.submit(await self.chain(uow, policy, c), self.clock.now(), p.user_id)
            await uow.contracts.save(c)
            await self._follow(uow, c)
            steps = c.round_steps()
            await self._timeline(uow, actor, c, "contract", text(
                "timeline.contract.submitted", number=c.number, chain=_chain(steps)))
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
            raise PermissionDenied("contract.people_decide")
        async with self.uow() as uow:
            c = await self._load(uow, p, contract_id, lock=True)
            now = self.clock.now()
            before = c.status.value
            if approve:
                c.approve(step, p.user_id, comment, now)
            else:
                c.reject(step, p.user_id, comment, now)
            await uow.contracts.save(c)
            await self._follow(uow, c)
            # Decided, by whoever: the notices asking its approver (and the one it was
            # escalated to) to decide it ask nothing more, so no inbox keeps them unread.
            await uow.notifications.resolve_step(APPROVAL_WAITING_KINDS, c.id, step, now)
            verb = "approved" if approve else "rejected"
            note = (comment or "").strip()[:200]
            await self._timeline(uow, actor, c, "contract", text(
                f"timeline.contract.step_{verb}" + ("_noted" if note else ""),
                number=c.number, step=step, **({"comment": note} if note else {})))
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
                and p.role not in OVERSEERS:
            raise PermissionDenied("contract.others_approvals_overseers")
        async with self.uow() as uow:
            return await uow.contracts.inbox(assignee, page)

    # ---- the policy ---------------------------------------------------------------------------

    async def policy(self, actor: Actor) -> ApprovalPolicy:
        require(actor, Scope.CONTRACTS_READ)
        async with self.uow() as uow:
            return await uow.contracts.policy()

    async def set_policy(self, actor: Actor, settings: PolicySettings,
                         expected_version: int | None) -> ApprovalPolicy:
        """Replaces the policy; a named approver must be an active user of the step's role
        (or an admin)."""
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            current = await uow.contracts.policy()
            check_version("approval policy", current.version, expected_version)
            policy = build_policy(settings, current.version)
            for name, role in (("finance_approver_id", Role.FINANCE),
                               ("executive_approver_id", Role.EXECUTIVE)):
                user_id = getattr(policy, name)
                if user_id is None:
                    continue
                user = await uow.users.get(user_id)
                if user is None or not user.is_active or user.role not in (role, Role.ADMIN):
                    raise ValidationFailed.of(name, "contract.approver_role",
                                              role=Label("role", role.value))
            saved = await uow.contracts.save_policy(policy)
            await uow.audit.record(AuditEntry.of(
                actor, "approval_policy.updated", "settings", "approval_policy",
                field_diff(current.to_doc(), saved.to_doc())))
            await uow.commit()
            return saved


def _chain(steps: builtins.list[ApprovalStep]) -> Text | Label:
    """The steps in order, each by its label: "Sales manager → Finance → Executive"."""
    first, *rest = steps
    if not rest:
        return first.name
    return text("timeline.contract.chain", step=first.name, rest=_chain(rest))
