"""Approval rounds: the chain of steps one submission of a contract goes through, and who may
decide each step."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.shared.errors import Conflict, PermissionDenied, ValidationFailed
from domain.shared.text import Label


class StepRole(StrEnum):
    MANAGER = "manager"
    FINANCE = "finance"
    EXECUTIVE = "executive"


def step_name(role: StepRole | str) -> Label:
    """A step as people call it (its approver's role), shown in the reader's language."""
    return Label("approval_step", StepRole(role).value)


class StepStatus(StrEnum):
    WAITING = "waiting"      # a later step; not yet anyone's to decide
    PENDING = "pending"      # in the approver's inbox
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # an earlier step rejected the round


DECIDED = frozenset({StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.CANCELLED})


@dataclass(frozen=True)
class StepPlan:
    """Who the policy put at a step when the contract was submitted."""

    role: StepRole
    assignee_id: uuid.UUID


@dataclass
class ApprovalStep:
    round: int
    step: int
    role: StepRole
    assignee_id: uuid.UUID
    status: StepStatus = StepStatus.WAITING
    started_at: datetime | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    escalated_to: uuid.UUID | None = None
    decided_by: uuid.UUID | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def name(self) -> Label:
        return step_name(self.role)

    def approvers(self) -> set[uuid.UUID]:
        return {self.assignee_id} | ({self.escalated_to} if self.escalated_to else set())

    def seconds_taken(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        return ((self.decided_at or now) - self.started_at).total_seconds()


@dataclass(frozen=True)
class ApprovalRound:
    """The steps of one submission, in order. The steps are the contract's own: deciding one
    here decides it on the contract."""

    number: int
    steps: list[ApprovalStep]

    @classmethod
    def open(cls, number: int, chain: Sequence[StepPlan], owner_id: uuid.UUID,
             now: datetime) -> ApprovalRound:
        """The first step waits in its approver's inbox; the others wait their turn. A chain
        has a different person at each step, none of them the owner."""
        if not chain:
            raise ValidationFailed.of("approval", "contract.no_approval_steps")
        people = [s.assignee_id for s in chain]
        if owner_id in people or len(set(people)) != len(people):
            raise ValidationFailed.of("approval", "contract.chain_people")
        return cls(number, [ApprovalStep(
            round=number, step=i, role=plan.role, assignee_id=plan.assignee_id,
            status=StepStatus.PENDING if i == 1 else StepStatus.WAITING,
            started_at=now if i == 1 else None) for i, plan in enumerate(chain, start=1)])

    def step(self, number: int) -> ApprovalStep:
        for s in self.steps:
            if s.step == number:
                return s
        raise ValidationFailed.of("step", "contract.no_such_step", step=number)

    def current(self) -> ApprovalStep | None:
        return next((s for s in self.steps if s.status == StepStatus.PENDING), None)

    def approved_by(self, user_id: uuid.UUID | None, but_step: int | None = None) -> bool:
        return any(s.decided_by == user_id and s.status == StepStatus.APPROVED
                   for s in self.steps if s.step != but_step)

    def check_decider(self, step: ApprovalStep, user_id: uuid.UUID,
                      owner_id: uuid.UUID) -> None:
        if step.status in DECIDED:
            raise Conflict("contract.step_decided", step=step.step, name=step.name)
        if step.status == StepStatus.WAITING:
            raise Conflict("contract.step_not_open", step=step.step, name=step.name)
        if user_id == owner_id:
            raise PermissionDenied("contract.own_contract")
        if self.approved_by(user_id, but_step=step.step):
            raise PermissionDenied("contract.approved_at_other_step")
        if user_id not in step.approvers():
            raise PermissionDenied("contract.step_not_yours", step=step.step, name=step.name)

    def approve(self, step: ApprovalStep, user_id: uuid.UUID, comment: str | None,
                now: datetime) -> ApprovalStep | None:
        """Decides the step; answers the step it opens, or None when it was the last."""
        step.status, step.decided_by, step.decided_at = StepStatus.APPROVED, user_id, now
        step.comment = comment
        following = next((s for s in self.steps if s.status == StepStatus.WAITING), None)
        if following is not None:
            following.status, following.started_at = StepStatus.PENDING, now
        return following

    def reject(self, step: ApprovalStep, user_id: uuid.UUID, reason: str,
               now: datetime) -> None:
        """Decides the step against; the steps after it will never open."""
        step.status, step.decided_by, step.decided_at = StepStatus.REJECTED, user_id, now
        step.comment = reason
        for s in self.steps:
            if s.status == StepStatus.WAITING:
                s.status = StepStatus.CANCELLED

    def escalation_target(self, to: uuid.UUID | None, owner_id: uuid.UUID
                          ) -> uuid.UUID | None:
        """`to`, unless they may not decide (the owner, or an approver of the round)."""
        if to == owner_id or self.approved_by(to):
            return None
        return to
