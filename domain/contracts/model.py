"""The Contract aggregate (合同): line items, a status machine, and its approval rounds."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.customers.model import money
from domain.shared.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from domain.shared.events import DomainEvent

CENT = Decimal("0.01")
MAX_LINES = 200
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


class StepRole(StrEnum):
    MANAGER = "manager"
    FINANCE = "finance"
    EXECUTIVE = "executive"


STEP_NAMES = {StepRole.MANAGER: "Sales manager", StepRole.FINANCE: "Finance",
              StepRole.EXECUTIVE: "Executive"}


class StepStatus(StrEnum):
    WAITING = "waiting"      # a later step; not yet anyone's to decide
    PENDING = "pending"      # in the approver's inbox
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # an earlier step rejected the round


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


def contract_number(now: datetime, sequence: int) -> str:
    """HT (合同) + yyyymm + a six-digit (or longer) sequence, e.g. HT202611000042."""
    return f"HT{now:%Y%m}{sequence:06d}"


def _decimal(raw: Any, name: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValidationFailed.of(name, "must be a decimal number") from None
    if not value.is_finite():
        raise ValidationFailed.of(name, "must be a decimal number")
    return value


def _text(raw: Any, name: str, limit: int, required: bool = False) -> str | None:
    text = (str(raw) if raw is not None else "").strip() or None
    if text is None and required:
        raise ValidationFailed.of(name, "is required")
    if text is not None and len(text) > limit:
        raise ValidationFailed.of(name, f"must be at most {limit} characters")
    return text


@dataclass(frozen=True)
class LineItem:
    product: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal("0")  # per cent off the line

    @property
    def total(self) -> Decimal:
        gross = self.quantity * self.unit_price
        return (gross * (100 - self.discount) / 100).quantize(CENT, rounding=ROUND_HALF_UP)

    @classmethod
    def parse(cls, raw: Any, at: str) -> LineItem:
        if not isinstance(raw, dict):
            raise ValidationFailed.of(at, "must be an object with product, quantity and "
                                      "unit_price")
        product = _text(raw.get("product"), f"{at}.product", 200, required=True) or ""
        if raw.get("quantity") is None:
            raise ValidationFailed.of(f"{at}.quantity", "is required")
        quantity = _decimal(raw["quantity"], f"{at}.quantity")
        if quantity <= 0 or quantity > Decimal("1000000000"):
            raise ValidationFailed.of(f"{at}.quantity", "must be above 0 and at most 1e9")
        if quantity.as_tuple().exponent < -3:  # type: ignore[operator]
            raise ValidationFailed.of(f"{at}.quantity", "has more than three decimal places")
        if raw.get("unit_price") is None:
            raise ValidationFailed.of(f"{at}.unit_price", "is required")
        unit_price = money(raw["unit_price"], f"{at}.unit_price")
        assert unit_price is not None
        discount = _decimal(raw.get("discount") or 0, f"{at}.discount")
        if not Decimal(0) <= discount <= Decimal(100):
            raise ValidationFailed.of(f"{at}.discount", "is a percentage from 0 to 100")
        if discount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValidationFailed.of(f"{at}.discount", "has more than two decimal places")
        return cls(product=product, quantity=quantity, unit_price=unit_price, discount=discount)

    def to_doc(self) -> dict[str, str]:
        return {"product": self.product, "quantity": str(self.quantity),
                "unit_price": str(self.unit_price), "discount": str(self.discount)}

    @classmethod
    def from_doc(cls, doc: dict[str, str]) -> LineItem:
        return cls(product=doc["product"], quantity=Decimal(doc["quantity"]),
                   unit_price=Decimal(doc["unit_price"]), discount=Decimal(doc["discount"]))


def parse_lines(raw: Any) -> list[LineItem]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed.of("lines", "a contract has at least one line item")
    if len(raw) > MAX_LINES:
        raise ValidationFailed.of("lines", f"a contract has at most {MAX_LINES} line items")
    return [LineItem.parse(item, f"lines.{i}") for i, item in enumerate(raw)]


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
    def name(self) -> str:
        return STEP_NAMES[self.role]

    def approvers(self) -> set[uuid.UUID]:
        return {self.assignee_id} | ({self.escalated_to} if self.escalated_to else set())

    def seconds_taken(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        return ((self.decided_at or now) - self.started_at).total_seconds()


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
    def draft(cls, *, number: str, customer_id: uuid.UUID, customer_name: str,
              owner_id: uuid.UUID, owner_department_id: uuid.UUID | None,
              by: uuid.UUID | None, data: dict[str, Any]) -> Contract:
        c = cls(id=uuid.uuid4(), number=number, customer_id=customer_id, title="",
                owner_id=owner_id, owner_department_id=owner_department_id, lines=[],
                created_by=by, customer_name=customer_name)
        if "lines" not in data:
            raise ValidationFailed.of("lines", "a contract has at least one line item")
        c._apply(data)
        if not c.title:
            raise ValidationFailed.of("title", "is required")
        c._emit(EventType.CREATED)
        return c

    EDITABLE = frozenset({"title", "currency", "lines", "start_date", "end_date",
                          "payment_terms", "opportunity_id"})

    def revise(self, changes: dict[str, Any]) -> None:
        """Edits a draft; editing a rejected contract takes it back to draft for resubmission."""
        if self.status not in EDITABLE_STATUSES:
            raise InvalidTransition(f"Only a draft can be edited; this contract is "
                                    f"{self.status.value}")
        unknown = set(changes) - self.EDITABLE
        if unknown:
            raise ValidationFailed.of(sorted(unknown)[0], "cannot be changed here")
        self._apply(changes)
        self.status = ContractStatus.DRAFT
        self.version += 1
        self._emit(EventType.UPDATED, changed=sorted(changes))

    def _apply(self, f: dict[str, Any]) -> None:
        if "title" in f:
            self.title = _text(f["title"], "title", 200, required=True) or ""
        if "currency" in f and f["currency"] is not None:
            currency = str(f["currency"]).upper()
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise ValidationFailed.of("currency", "must be an ISO 4217 code such as CNY")
            self.currency = currency
        if "lines" in f:
            self.lines = parse_lines(f["lines"])
            if self.amount > MAX_AMOUNT:
                raise ValidationFailed.of("lines", "the total is too large")
        if "start_date" in f:
            self.start_date = f["start_date"]
        if "end_date" in f:
            self.end_date = f["end_date"]
        if "payment_terms" in f:
            self.payment_terms = _text(f["payment_terms"], "payment_terms", 2000)
        if "opportunity_id" in f:
            self.opportunity_id = f["opportunity_id"]
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationFailed.of("end_date", "must not be before start_date")

    @property
    def amount(self) -> Decimal:
        """Computed from the line items; never taken from the client."""
        return sum((line.total for line in self.lines), Decimal("0.00")).quantize(CENT)

    def delete(self, now: datetime) -> None:
        if self.status not in EDITABLE_STATUSES:
            raise InvalidTransition("Only a draft or rejected contract can be deleted; "
                                    "terminate a signed one instead")
        self.deleted_at = now
        self.version += 1
        self._emit(EventType.DELETED)

    # ---- approval -------------------------------------------------------------------------------

    def submit(self, chain: Sequence[StepPlan], now: datetime, by: uuid.UUID | None) -> None:
        if self.status != ContractStatus.DRAFT:
            raise InvalidTransition(f"Only a draft can be submitted; this contract is "
                                    f"{self.status.value}")
        self.check_complete()
        if not chain:
            raise ValidationFailed.of("approval", "the policy gave no approval steps")
        people = [s.assignee_id for s in chain]
        if self.owner_id in people or len(set(people)) != len(people):
            raise ValidationFailed.of("approval", "an approval chain needs a different person "
                                      "at each step, none of them the owner")
        self.round += 1
        for i, plan in enumerate(chain, start=1):
            self.steps.append(ApprovalStep(
                round=self.round, step=i, role=plan.role, assignee_id=plan.assignee_id,
                status=StepStatus.PENDING if i == 1 else StepStatus.WAITING,
                started_at=now if i == 1 else None))
        self.status = ContractStatus.IN_APPROVAL
        self.submitted_at, self.approved_at = now, None
        self.version += 1
        first = self.round_steps()[0]
        self._emit(EventType.SUBMITTED, by=str(by) if by else None,
                   steps=[{"step": s.step, "role": s.role.value,
                           "assignee_id": str(s.assignee_id)} for s in self.round_steps()],
                   **self._next(first))

    def check_complete(self) -> None:
        if not self.lines:
            raise ValidationFailed.of("lines", "a contract has at least one line item")
        if self.start_date is None:
            raise ValidationFailed.of("start_date", "is required to submit")
        if self.end_date is None:
            raise ValidationFailed.of("end_date", "is required to submit")

    def round_steps(self) -> list[ApprovalStep]:
        return sorted((s for s in self.steps if s.round == self.round), key=lambda s: s.step)

    def current_step(self) -> ApprovalStep | None:
        return next((s for s in self.round_steps() if s.status == StepStatus.PENDING), None)

    def _step(self, number: int) -> ApprovalStep:
        for s in self.round_steps():
            if s.step == number:
                return s
        raise ValidationFailed.of("step", f"this contract's approval has no step {number}")

    def _check_decider(self, step: ApprovalStep, user_id: uuid.UUID) -> None:
        if self.status != ContractStatus.IN_APPROVAL:
            raise Conflict(f"The contract is {self.status.value}; there is nothing to decide")
        if step.status in (StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.CANCELLED):
            raise Conflict(f"Step {step.step} ({step.name}) was already decided")
        if step.status == StepStatus.WAITING:
            raise Conflict(f"Step {step.step} ({step.name}) is not open yet")
        if user_id == self.owner_id:
            raise PermissionDenied("Nobody approves a contract they own")
        if any(s.decided_by == user_id and s.status == StepStatus.APPROVED
               for s in self.round_steps() if s.step != step.step):
            raise PermissionDenied("You already approved this contract at another step")
        if user_id not in step.approvers():
            raise PermissionDenied(f"Step {step.step} ({step.name}) is not yours to decide")

    def approve(self, number: int, user_id: uuid.UUID, comment: str | None,
                now: datetime) -> ApprovalStep | None:
        """Approves a step; answers the step that opens next, or None when it was the last."""
        step = self._step(number)
        self._check_decider(step, user_id)
        step.status, step.decided_by, step.decided_at = StepStatus.APPROVED, user_id, now
        step.comment = _text(comment, "comment", 2000)
        self.version += 1
        following = next((s for s in self.round_steps() if s.status == StepStatus.WAITING),
                         None)
        decided = {"step": step.step, "role": step.role.value, "decided_by": str(user_id),
                   "comment": step.comment}
        if following is not None:
            following.status, following.started_at = StepStatus.PENDING, now
            self._emit(EventType.STEP_APPROVED, **decided, **self._next(following))
            return following
        self.status, self.approved_at = ContractStatus.APPROVED, now
        self._emit(EventType.APPROVED, **decided)
        return None

    def reject(self, number: int, user_id: uuid.UUID, comment: str | None,
               now: datetime) -> None:
        step = self._step(number)
        self._check_decider(step, user_id)
        reason = _text(comment, "comment", 2000)
        if reason is None:
            raise ValidationFailed.of("comment", "say why the contract is rejected")
        step.status, step.decided_by, step.decided_at = StepStatus.REJECTED, user_id, now
        step.comment = reason
        for s in self.round_steps():
            if s.status == StepStatus.WAITING:
                s.status = StepStatus.CANCELLED
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
        escalation is recorded (and reported) without a second approver."""
        if step.escalated_at is not None or step.status != StepStatus.PENDING:
            return
        if to == self.owner_id or any(
                s.decided_by == to and s.status == StepStatus.APPROVED
                for s in self.round_steps()):
            to = None  # never escalate to someone who may not decide
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
            raise InvalidTransition(f"A {self.status.value} contract cannot be {verb}")
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
            raise InvalidTransition(f"A {self.status.value} contract cannot take a payment; "
                                    "sign it first")
        if self.paid_at is not None:
            raise Conflict("The payment of this contract is already recorded")
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
        text = _text(reason, "reason", 1000)
        if text is None:
            raise ValidationFailed.of("reason", "say why the contract is terminated")
        self._move(set(IN_FORCE), ContractStatus.TERMINATED, "terminated")
        self.ended_at, self.termination_reason = now, text
        self._emit(EventType.TERMINATED, reason=text)

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
