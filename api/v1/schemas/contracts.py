"""Request and response shapes of contracts, approvals, the policy and the approval-time
report; a request body builds the use case's command."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer

from api.schemas import CURRENCY, Date, DateTime, Input, decimal_text, omittable, sent
from api.v1.schemas.customers import Money
from domain.contracts.commands import (
    CalendarSettings,
    ContractChanges,
    DraftContract,
    PolicySettings,
    UpdateContract,
)
from domain.contracts.lines import LineItem, LineSpec
from domain.contracts.model import Contract, ContractStatus
from domain.contracts.policy import ApprovalPolicy
from domain.contracts.queries import InboxItem
from domain.contracts.report import ApprovalTimes, Durations, StepTimes
from domain.contracts.rounds import ApprovalStep, StepRole, StepStatus
from domain.shared.catalogue import label
from domain.shared.commands import UNSET

Quantity = Annotated[Decimal, PlainSerializer(lambda v: str(v), return_type=str,
                                              when_used="json"),
                     # more than 0, at most 1,000,000,000, three places
                     *decimal_text(r"^([1-9]\d{0,8}(\.\d{1,3})?|1000000000(\.0{1,3})?"
                                   r"|0\.([1-9]\d{0,2}|0[1-9]\d?|00[1-9]))$"),
                     Field(gt=0, le=1_000_000_000, decimal_places=3, examples=["12"])]
Percent = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str,
                                             when_used="json"),
                    *decimal_text(r"^(\d{1,2}(\.\d{1,2})?|100(\.0{1,2})?)$"),  # 0 to 100
                    Field(ge=0, le=100, decimal_places=2, examples=["5"])]



class LineIn(Input):
    product: str = Field(min_length=1, max_length=200, examples=["工业网关 GW-200"])
    quantity: Quantity
    unit_price: Money
    discount: Percent = Field(Decimal("0"), description="Per cent off this line")

    def spec(self) -> LineSpec:
        return LineSpec(product=self.product, quantity=self.quantity,
                        unit_price=self.unit_price, discount=self.discount)


class ContractCreate(Input):
    customer_id: uuid.UUID
    opportunity_id: uuid.UUID | None = Field(None, description="The deal it closes; its "
                                             "contract state follows this contract's")
    title: str = Field(min_length=1, max_length=200, examples=["2027 年度网关采购合同"])
    currency: str = Field("CNY", min_length=3, max_length=3, pattern=CURRENCY)
    lines: list[LineIn] = Field(min_length=1, max_length=200, description="The amount is "
                                "their sum, computed by the server")
    start_date: Date | None = None
    end_date: Date | None = None
    payment_terms: str | None = Field(None, max_length=2000, examples=["30% 预付，70% 验收后"])
    owner_id: uuid.UUID | None = Field(None, description="Defaults to you")

    def command(self) -> DraftContract:
        return DraftContract(
            customer_id=self.customer_id, title=self.title, currency=self.currency,
            lines=tuple(line.spec() for line in self.lines),
            opportunity_id=self.opportunity_id, start_date=self.start_date,
            end_date=self.end_date, payment_terms=self.payment_terms, owner_id=self.owner_id)


class ContractUpdate(Input):
    title: str | None = omittable(min_length=1, max_length=200)
    opportunity_id: uuid.UUID | None = None
    currency: str | None = omittable(min_length=3, max_length=3, pattern=CURRENCY)
    lines: list[LineIn] | None = omittable(min_length=1, max_length=200)
    start_date: Date | None = None
    end_date: Date | None = None
    payment_terms: str | None = Field(None, max_length=2000)
    owner_id: uuid.UUID | None = omittable()

    def command(self) -> UpdateContract:
        title = sent(self, "title", required=True)
        lines = sent(self, "lines", required=True)
        currency = sent(self, "currency", required=True)
        owner_id = sent(self, "owner_id", required=True)
        return UpdateContract(
            changes=ContractChanges(
                title=title, currency=currency,
                lines=lines if lines is UNSET else tuple(line.spec() for line in lines),
                opportunity_id=sent(self, "opportunity_id"),
                start_date=sent(self, "start_date"), end_date=sent(self, "end_date"),
                payment_terms=sent(self, "payment_terms")),
            owner_id=None if owner_id is UNSET else owner_id)


class Decision(Input):
    comment: str | None = Field(None, max_length=2000, description="Required to reject")


class Termination(Input):
    reason: str = Field(min_length=1, max_length=1000)


class LineOut(BaseModel):
    product: str
    quantity: Quantity
    unit_price: Money
    discount: Percent
    total: Money

    @classmethod
    def of(cls, line: LineItem) -> LineOut:
        return cls(product=line.product, quantity=line.quantity, unit_price=line.unit_price,
                   discount=line.discount, total=line.total)


class StepOut(BaseModel):
    round: int
    step: int
    role: StepRole
    name: str = Field(description="The step as people call it, in the reader's language")
    assignee_id: uuid.UUID
    status: StepStatus
    started_at: DateTime | None
    reminded_at: DateTime | None
    escalated_at: DateTime | None
    escalated_to: uuid.UUID | None
    decided_by: uuid.UUID | None
    decided_at: DateTime | None
    comment: str | None
    seconds_taken: float | None = Field(description="From the step opening to its decision "
                                        "(or to now while it waits)")

    @classmethod
    def of(cls, s: ApprovalStep, now: datetime) -> StepOut:
        return cls(round=s.round, step=s.step, role=s.role, name=label(s.name.kind, s.name.value),
                   assignee_id=s.assignee_id, status=s.status, started_at=s.started_at,
                   reminded_at=s.reminded_at, escalated_at=s.escalated_at,
                   escalated_to=s.escalated_to, decided_by=s.decided_by,
                   decided_at=s.decided_at, comment=s.comment,
                   seconds_taken=s.seconds_taken(now))


class MissingFieldOut(BaseModel):
    field: str = Field(examples=["start_date"])
    code: str = Field(examples=["required_to_submit"], description="Stable for clients; "
                      "`required_to_submit`: drafting may leave it empty, submitting may not")


class ContractOut(BaseModel):
    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    customer_name: str
    opportunity_id: uuid.UUID | None
    title: str
    amount: Money
    currency: str
    lines: list[LineOut]
    start_date: Date | None
    end_date: Date | None
    payment_terms: str | None
    owner_id: uuid.UUID
    status: ContractStatus
    round: int
    steps: list[StepOut] = Field(description="The current round's approval steps")
    submitted_at: DateTime | None
    approved_at: DateTime | None
    signed_at: DateTime | None
    activated_at: DateTime | None
    paid_at: DateTime | None
    ended_at: DateTime | None
    termination_reason: str | None
    missing_for_submit: list[MissingFieldOut] = Field(
        description="What a draft still lacks before it can be submitted (empty when it is "
        "complete, and past drafting); a form asks for these before it submits")
    version: int
    created_at: DateTime | None
    updated_at: DateTime | None
    deleted: Literal[False] = Field(False, description="Tells it from a delta sync's tombstone")

    @classmethod
    def of(cls, c: Contract, now: datetime) -> ContractOut:
        return cls(
            id=c.id, number=c.number, customer_id=c.customer_id, customer_name=c.customer_name,
            opportunity_id=c.opportunity_id, title=c.title, amount=c.amount,
            currency=c.currency, lines=[LineOut.of(x) for x in c.lines],
            start_date=c.start_date, end_date=c.end_date, payment_terms=c.payment_terms,
            owner_id=c.owner_id, status=c.status, round=c.round,
            steps=[StepOut.of(s, now) for s in c.round_steps()],
            submitted_at=c.submitted_at, approved_at=c.approved_at, signed_at=c.signed_at,
            activated_at=c.activated_at, paid_at=c.paid_at, ended_at=c.ended_at,
            termination_reason=c.termination_reason,
            missing_for_submit=[MissingFieldOut(field=m.field, code=m.code)
                                for m in c.missing_for_submit()],
            version=c.version,
            created_at=c.created_at, updated_at=c.updated_at)


class RoundOut(BaseModel):
    round: int
    outcome: str = Field(description="pending, approved or rejected")
    steps: list[StepOut]


class ApprovalHistoryOut(BaseModel):
    contract_id: uuid.UUID
    status: ContractStatus
    rounds: list[RoundOut] = Field(description="Every submission, newest first")

    @classmethod
    def of(cls, c: Contract, now: datetime) -> ApprovalHistoryOut:
        rounds = []
        for r in range(c.round, 0, -1):
            steps = sorted((s for s in c.steps if s.round == r), key=lambda s: s.step)
            outcome = ("rejected" if any(s.status == StepStatus.REJECTED for s in steps)
                       else "approved" if steps and all(s.status == StepStatus.APPROVED
                                                        for s in steps) else "pending")
            rounds.append(RoundOut(round=r, outcome=outcome,
                                   steps=[StepOut.of(s, now) for s in steps]))
        return cls(contract_id=c.id, status=c.status, rounds=rounds)


class InboxItemOut(BaseModel):
    contract_id: uuid.UUID
    number: str
    title: str
    amount: Money
    currency: str
    customer_id: uuid.UUID
    customer_name: str
    owner_id: uuid.UUID
    round: int
    step: int
    role: StepRole
    assignee_id: uuid.UUID
    escalated_to: uuid.UUID | None
    started_at: DateTime
    reminded_at: DateTime | None
    escalated_at: DateTime | None

    @classmethod
    def of(cls, i: InboxItem) -> InboxItemOut:
        return cls(**{name: getattr(i, name) for name in cls.model_fields})


class CalendarIn(Input):
    timezone: str = Field("Asia/Shanghai", max_length=64)
    start: str = Field("09:00", pattern=r"^\d{2}:\d{2}$")
    end: str = Field("18:00", pattern=r"^\d{2}:\d{2}$")
    workdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5], min_length=1,
                                max_length=7, description="ISO weekdays, 1 = Monday")


class PolicyIn(Input):
    executive_thresholds: dict[str, Money] = Field(
        default_factory=lambda: {"CNY": Decimal("1000000.00")},
        description="The executive step is added at or above this amount, per currency; a "
        "currency not listed always gets the executive step")
    remind_after_hours: float = Field(4, gt=0, le=720, description="Working hours")
    escalate_after_hours: float = Field(9, gt=0, le=720, description="Working hours after "
                                        "the reminder (one working day by default)")
    finance_approver_id: uuid.UUID | None = Field(None, description="Else the finance user "
                                                  "with the fewest waiting steps")
    executive_approver_id: uuid.UUID | None = None
    renewal_days_before: int = Field(30, ge=1, le=365)
    calendar: CalendarIn = Field(default_factory=CalendarIn)

    def settings(self) -> PolicySettings:
        cal = self.calendar
        return PolicySettings(
            # to the cent, as the body's JSON form states each amount
            executive_thresholds={code: Decimal(f"{amount:.2f}")
                                  for code, amount in self.executive_thresholds.items()},
            remind_after_hours=self.remind_after_hours,
            escalate_after_hours=self.escalate_after_hours,
            finance_approver_id=self.finance_approver_id,
            executive_approver_id=self.executive_approver_id,
            renewal_days_before=self.renewal_days_before,
            calendar=CalendarSettings(timezone=cal.timezone, start=cal.start, end=cal.end,
                                      workdays=tuple(cal.workdays)))


class PolicyOut(PolicyIn):
    version: int

    @classmethod
    def of(cls, p: ApprovalPolicy) -> PolicyOut:
        doc = p.to_doc()
        return cls(**{**doc, "calendar": CalendarIn(**doc["calendar"])}, version=p.version)


class DurationsOut(BaseModel):
    count: int
    avg_hours: float | None
    median_hours: float | None
    p95_hours: float | None
    max_hours: float | None
    avg_working_hours: float | None

    @classmethod
    def of(cls, d: Durations) -> DurationsOut:
        return cls(**d.__dict__)


class StepTimesOut(BaseModel):
    role: StepRole
    durations: DurationsOut
    approved: int
    rejected: int
    reminded: int
    escalated: int

    @classmethod
    def of(cls, s: StepTimes) -> StepTimesOut:
        return cls(role=s.role, durations=DurationsOut.of(s.durations), approved=s.approved,
                   rejected=s.rejected, reminded=s.reminded, escalated=s.escalated)


class ApprovalTimesOut(BaseModel):
    since: DateTime
    until: DateTime
    steps: list[StepTimesOut] = Field(description="Per step role: time from the step "
                                      "opening to its decision")
    rounds: DurationsOut = Field(description="Submission to final decision")
    rounds_within_one_day: float | None = Field(description="Share of rounds decided within "
                                                "24 hours (the target)")
    pending: dict[str, int] = Field(description="Steps waiting now, per role")

    @classmethod
    def of(cls, r: ApprovalTimes) -> ApprovalTimesOut:
        return cls(since=r.since, until=r.until, steps=[StepTimesOut.of(s) for s in r.steps],
                   rounds=DurationsOut.of(r.rounds),
                   rounds_within_one_day=r.rounds_within_one_day, pending=r.pending)
