"""The Contract aggregate (合同): its line items, its status from draft to its end, and the
approval rounds it goes through (their steps live in `rounds`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.contracts.commands import ContractChanges, DraftContract
from domain.contracts.lines import LineItem, LineSpec, clean_text, parse_lines, total
from domain.contracts.rounds import (
    ApprovalRound,
    ApprovalStep,
    StepPlan,
    StepRole,
    StepStatus,
    step_name,
)
from domain.shared.commands import given
from domain.shared.errors import Conflict, FieldProblem, InvalidTransition, ValidationFailed
from domain.shared.events import DomainEvent
from domain.shared.text import Label

# The approval and line types belong with the contract for its readers (adapters, reactions).
__all__ = ["EDITABLE_STATUSES", "IN_FORCE", "MAX_AMOUNT", "ApprovalStep",
           "Contract", "ContractStatus", "EventType", "LineItem", "LineSpec", "StepPlan",
           "StepRole", "StepStatus", "contract_number", "step_name"]

MAX_AMOUNT = Decimal("9999999999999999.99")


class ContractStatus(StrEnum):
    DRAFT = "draft"
    IN_APPROVAL = "in_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    SIGNED = "signed"
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    EXPIRED = "expired"


EDITABLE_STATUSES = frozenset({ContractStatus.DRAFT, ContractStatus.REJECTED})
# Signed or running: payment, renewal reminders and expiry apply.
IN_FORCE = frozenset({ContractStatus.SIGNED, ContractStatus.ACTIVE})


class EventType:
    CREATED = "contract.created"
    UPDATED = "contract.updated"
    DELETED = "contract.deleted"
    SUBMITTED = "contract.submitted"
    STEP_APPROVED = "contract.step_approved"
    APPROVED = "contract.approved"
    REJECTED = "contract.rejected"
    SIGNED = "contract.signed"
    ACTIVATED = "contract.activated"
    PAYMENT_RECEIVED = "contract.payment_received"
    COMPLETED = "contract.completed"
    TERMINATED = "contract.terminated"
    EXPIRED = "contract.expired"
    APPROVAL_REMINDED = "contract.approval_reminded"
    APPROVAL_ESCALATED = "contract.approval_escalated"
    RENEWAL_DUE = "contract.renewal_due"


# The code (and text, see `texts`) of a field that drafting may leave empty but submitting needs.
REQUIRED_TO_SUBMIT = "required_to_submit"


@dataclass(frozen=True)
class MissingField:
    """A field a draft lacks for submitting; `code` is stable for clients."""

    field: str
    code: str


def contract_number(now: datetime, sequence: int) -> str:
    """HT (合同) + yyyymm + a six-digit (or longer) sequence, e.g. HT202611000042."""
    return f"HT{now:%Y%m}{sequence:06d}"


@dataclass
class Contract:
    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    title: str
    owner_id: uuid.UUID
    owner_department_id: uuid.UUID | None
    lines: list[LineItem]
    currency: str = "CNY"
    opportunity_id: uuid.UUID | None = None
    start_date: date | None = None
    end_date: date | None = None
    payment_terms: str | None = None
    status: ContractStatus = ContractStatus.DRAFT
    round: int = 0
    steps: list[ApprovalStep] = field(default_factory=list)
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    signed_at: datetime | None = None
    activated_at: datetime | None = None
    paid_at: datetime | None = None
    ended_at: datetime | None = None
    termination_reason: str | None = None
    renewal_task_id: uuid.UUID | None = None
    created_by: uuid.UUID | None = None
    deleted_at: datetime | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Read along for messages and responses; not part of the aggregate's state.
    customer_name: str = field(default="", compare=False)
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    # ---- creation and editing -----------------------------------------------------------------

    @classmethod
    def draft(cls, *, number: str, customer_name: str, owner_id: uuid.UUID,
              owner_department_id: uuid.UUID | None, by: uuid.UUID | None,
              details: DraftContract) -> Contract:
        c = cls(id=uuid.uuid4(), number=number, customer_id=details.customer_id, title="",
                owner_id=owner_id, owner_department_id=owner_department_id, lines=[],
                created_by=by, customer_name=customer_name)
        c._apply({"title": details.title, "currency": details.currency,
                  "lines": details.lines, "start_date": details.start_date,
                  "end_date": details.end_date, "payment_terms": details.payment_terms,
                  "opportunity_id": details.opportunity_id})
        if not c.title:
            raise ValidationFailed.of("title", "required")
        c._emit(EventType.CREATED)
        return c

    def revise(self, changes: ContractChanges) -> None:
        """Edits a draft; editing a rejected contract takes it back to draft for resubmission."""
        if self.status not in EDITABLE_STATUSES:
            raise InvalidTransition("contract.only_draft_edited", status=self.status_label)
        edits = given(changes)
        self._apply(edits)
        self.status = ContractStatus.DRAFT
        self.version += 1
        self._emit(EventType.UPDATED, changed=sorted(edits))

    def _apply(self, f: Mapping[str, Any]) -> None:
        """Sets the fields given; a None currency is "not given"."""
        if "title" in f:
            self.title = clean_text(f["title"], "title", 200, required=True) or ""
        if "currency" in f and f["currency"] is not None:
            currency = str(f["currency"]).upper()
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise ValidationFailed.of("currency", "contract.bad_currency")
            self.currency = currency
        if "lines" in f:
            self.lines = parse_lines(f["lines"])
            if self.amount > MAX_AMOUNT:
                raise ValidationFailed.of("lines", "contract.total_too_large")
        if "start_date" in f:
            self.start_date = f["start_date"]
        if "end_date" in f:
            self.end_date = f["end_date"]
        if "payment_terms" in f:
            self.payment_terms = clean_text(f["payment_terms"], "payment_terms", 2000)
        if "opportunity_id" in f:
            self.opportunity_id = f["opportunity_id"]
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationFailed.of("end_date", "contract.end_before_start")

    def reassign(self, owner_id: uuid.UUID, department_id: uuid.UUID | None) -> None:
        if owner_id == self.owner_id:
            return
        self.owner_id, self.owner_department_id = owner_id, department_id
        self.version += 1

    @property
    def status_label(self) -> Label:
        """The status as readers see it, in their language."""
        return Label("contract_status", self.status.value)

    @property
    def amount(self) -> Decimal:
        """Computed from the line items; never taken from the client."""
        return total(self.lines)

    def delete(self, now: datetime) -> None:
        if self.status not in EDITABLE_STATUSES:
            raise InvalidTransition("contract.only_draft_deleted")
        self.deleted_at = now
        self.version += 1
        self._emit(EventType.DELETED)

    # ---- approval -------------------------------------------------------------------------------

    def submit(self, chain: Sequence[StepPlan], now: datetime, by: uuid.UUID | None) -> None:
        if self.status != ContractStatus.DRAFT:
            raise InvalidTransition("contract.only_draft_submitted",
                                    status=self.status_label)
        self.check_complete()
        opened = ApprovalRound.open(self.round + 1, chain, self.owner_id, now)
        self.round = opened.number
        self.steps.extend(opened.steps)
        self.status = ContractStatus.IN_APPROVAL
        self.submitted_at, self.approved_at = now, None
        self.version += 1
        self._emit(EventType.SUBMITTED, by=str(by) if by else None,
                   steps=[{"step": s.step, "role": s.role.value,
                           "assignee_id": str(s.assignee_id)} for s in opened.steps],
                   **self._next(opened.steps[0]))

    def missing_for_submit(self) -> list[MissingField]:
        """What a draft still lacks before it may be submitted, so that a form can ask for it
        up front; nothing for a contract that is past drafting."""
        if self.status not in EDITABLE_STATUSES:
            return []
        needed = {"lines": bool(self.lines), "start_date": self.start_date is not None,
                  "end_date": self.end_date is not None}
        return [MissingField(name, REQUIRED_TO_SUBMIT) for name, given in needed.items()
                if not given]

    def check_complete(self) -> None:
        """Every missing field at once: the submitter fixes them in one go."""
        missing = self.missing_for_submit()
        if missing:
            raise ValidationFailed([FieldProblem(m.field, m.code) for m in missing])

    def current_round(self) -> ApprovalRound:
        return ApprovalRound(self.round, self.round_steps())

    def round_steps(self) -> list[ApprovalStep]:
        return sorted((s for s in self.steps if s.round == self.round), key=lambda s: s.step)

    def current_step(self) -> ApprovalStep | None:
        return self.current_round().current()

    def _deciding(self, number: int, user_id: uuid.UUID) -> tuple[ApprovalRound, ApprovalStep]:
        rnd = self.current_round()
        step = rnd.step(number)
        if self.status != ContractStatus.IN_APPROVAL:
            raise Conflict("contract.nothing_to_decide", status=self.status_label)
        rnd.check_decider(step, user_id, self.owner_id)
        return rnd, step

    def approve(self, number: int, user_id: uuid.UUID, comment: str | None,
                now: datetime) -> ApprovalStep | None:
        """Approves a step; answers the step that opens next, or None when it was the last."""
        rnd, step = self._deciding(number, user_id)
        following = rnd.approve(step, user_id, clean_text(comment, "comment", 2000), now)
        self.version += 1
        decided = {"step": step.step, "role": step.role.value, "decided_by": str(user_id),
                   "comment": step.comment}
        if following is not None:
            self._emit(EventType.STEP_APPROVED, **decided, **self._next(following))
            return following
        self.status, self.approved_at = ContractStatus.APPROVED, now
        self._emit(EventType.APPROVED, **decided)
        return None

    def reject(self, number: int, user_id: uuid.UUID, comment: str | None,
               now: datetime) -> None:
        rnd, step = self._deciding(number, user_id)
        reason = clean_text(comment, "comment", 2000)
        if reason is None:
            raise ValidationFailed.of("comment", "contract.rejection_reason_needed")
        rnd.reject(step, user_id, reason, now)
        self.status = ContractStatus.REJECTED
        self.version += 1
        self._emit(EventType.REJECTED, step=step.step, role=step.role.value,
                   decided_by=str(user_id), comment=reason)

    def remind(self, step: ApprovalStep, now: datetime, waited_seconds: float) -> None:
        if step.reminded_at is not None or step.status != StepStatus.PENDING:
            return
        step.reminded_at = now
        self.version += 1
        self._emit(EventType.APPROVAL_REMINDED, step=step.step, role=step.role.value,
                   assignee_id=str(step.assignee_id),
                   waiting_hours=round(waited_seconds / 3600, 1))

    def escalate(self, step: ApprovalStep, to: uuid.UUID | None, now: datetime,
                 waited_seconds: float) -> None:
        """Hands the step to the approver's manager as well; `to` None: nobody above, so the
        escalation is recorded (and reported) without a second approver. Never to someone
        who may not decide."""
        if step.escalated_at is not None or step.status != StepStatus.PENDING:
            return
        to = self.current_round().escalation_target(to, self.owner_id)
        step.escalated_at, step.escalated_to = now, to
        self.version += 1
        self._emit(EventType.APPROVAL_ESCALATED, step=step.step, role=step.role.value,
                   assignee_id=str(step.assignee_id),
                   escalated_to=str(to) if to else None,
                   waiting_hours=round(waited_seconds / 3600, 1))

    def _next(self, step: ApprovalStep) -> dict[str, Any]:
        return {"next_step": step.step, "next_role": step.role.value,
                "next_assignee_id": str(step.assignee_id)}

    # ---- after approval -------------------------------------------------------------------------

    def _move(self, allowed: frozenset[ContractStatus] | set[ContractStatus],
              to: ContractStatus, verb: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition("contract.cannot_move", status=self.status_label,
                                    move=Label("contract_move", verb))
        self.status = to
        self.version += 1

    def sign(self, now: datetime, by: uuid.UUID | None) -> None:
        self._move({ContractStatus.APPROVED}, ContractStatus.SIGNED, "signed")
        self.signed_at = now
        self._emit(EventType.SIGNED, by=str(by) if by else None)

    def activate(self, now: datetime) -> None:
        self._move({ContractStatus.SIGNED}, ContractStatus.ACTIVE, "activated")
        self.activated_at = now
        self._emit(EventType.ACTIVATED)

    def record_payment(self, now: datetime) -> None:
        if self.status not in IN_FORCE:
            raise InvalidTransition("contract.payment_before_signing",
                                    status=self.status_label)
        if self.paid_at is not None:
            raise Conflict("contract.payment_recorded")
        if self.status == ContractStatus.SIGNED:
            self.status, self.activated_at = ContractStatus.ACTIVE, now
        self.paid_at = now
        self.version += 1
        self._emit(EventType.PAYMENT_RECEIVED)

    def complete(self, now: datetime) -> None:
        self._move({ContractStatus.ACTIVE}, ContractStatus.COMPLETED, "completed")
        self.ended_at = now
        self._emit(EventType.COMPLETED)

    def terminate(self, reason: str | None, now: datetime) -> None:
        text = clean_text(reason, "reason", 1000)
        if text is None:
            raise ValidationFailed.of("reason", "contract.termination_reason_needed")
        self._move(set(IN_FORCE), ContractStatus.TERMINATED, "terminated")
        self.ended_at, self.termination_reason = now, text
        self._emit(EventType.TERMINATED, reason=text)

    def starts_by(self, today: date) -> bool:
        """Signed, and its start date has come: the daily sweep puts it in force."""
        return (self.status == ContractStatus.SIGNED and self.start_date is not None
                and self.start_date <= today)

    def expire(self, today: date, now: datetime) -> bool:
        if self.status not in IN_FORCE or self.end_date is None or self.end_date >= today:
            return False
        self.status, self.ended_at = ContractStatus.EXPIRED, now
        self.version += 1
        self._emit(EventType.EXPIRED, end_date=self.end_date.isoformat())
        return True

    def renewal_due(self, today: date, days_before: int) -> bool:
        return (self.status in IN_FORCE and self.end_date is not None
                and self.renewal_task_id is None
                and (self.end_date - today).days <= days_before)

    def mark_renewal(self, task_id: uuid.UUID) -> None:
        self.renewal_task_id = task_id
        self.version += 1
        self._emit(EventType.RENEWAL_DUE, task_id=str(task_id),
                   end_date=self.end_date.isoformat() if self.end_date else None)

    # ---- events ---------------------------------------------------------------------------------

    def _emit(self, kind: str, **extra: Any) -> None:
        self.events.append(DomainEvent(kind, "contract", str(self.id), {
            "contract_id": str(self.id), "number": self.number, "title": self.title,
            "amount": str(self.amount), "currency": self.currency,
            "customer_id": str(self.customer_id), "customer_name": self.customer_name,
            "opportunity_id": str(self.opportunity_id) if self.opportunity_id else None,
            "owner_id": str(self.owner_id), "status": self.status.value, "round": self.round,
            **extra}))
