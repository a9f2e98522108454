"""The Opportunity aggregate (商机): a deal moving through the stages of its pipeline, with
the history of its moves."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.contracts.model import ContractStatus
from domain.customers.model import money
from domain.pipeline.commands import OpportunityChanges
from domain.pipeline.stages import Pipeline, Requirement, Stage, StageKind, weighted
from domain.shared.commands import given
from domain.shared.errors import FieldProblem, InvalidTransition, ValidationFailed
from domain.shared.events import DomainEvent

CONTRACT_READY = frozenset({ContractStatus.IN_APPROVAL, ContractStatus.APPROVED,
                            ContractStatus.SIGNED, ContractStatus.ACTIVE})


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


STATUS_OF_KIND = {StageKind.OPEN: OpportunityStatus.OPEN, StageKind.WON: OpportunityStatus.WON,
                  StageKind.LOST: OpportunityStatus.LOST}


class EventType:
    CREATED = "opportunity.created"
    STAGE_CHANGED = "opportunity.stage_changed"
    REASSIGNED = "opportunity.reassigned"


def opportunity_number(now: datetime, sequence: int) -> str:
    """O + yyyymm + a six-digit (or longer) sequence, e.g. O202611000042."""
    return f"O{now:%Y%m}{sequence:06d}"


@dataclass(frozen=True)
class StageMove:
    """One stage visit ending and the next beginning (the repository keeps the history)."""

    from_stage_id: uuid.UUID | None
    to_stage_id: uuid.UUID
    to_stage_name: str
    at: datetime
    by: uuid.UUID | None
    by_label: str


@dataclass(frozen=True)
class StageVisit:
    stage_id: uuid.UUID
    stage_name: str
    entered_at: datetime
    entered_by: uuid.UUID | None
    entered_by_label: str
    left_at: datetime | None = None
    left_by: uuid.UUID | None = None

    def duration_seconds(self, now: datetime) -> int:
        return int(((self.left_at or now) - self.entered_at).total_seconds())


def _opt_text(value: Any, name: str, limit: int) -> str | None:
    text = (str(value) if value is not None else "").strip() or None
    if text is not None and len(text) > limit:
        raise ValidationFailed.of(name, f"must be at most {limit} characters")
    return text


@dataclass
class Opportunity:
    id: uuid.UUID
    number: str
    name: str
    customer_id: uuid.UUID
    pipeline_id: uuid.UUID
    stage_id: uuid.UUID
    owner_id: uuid.UUID
    owner_department_id: uuid.UUID | None
    status: OpportunityStatus = OpportunityStatus.OPEN
    probability: int = 0
    amount: Decimal | None = None
    currency: str = "CNY"
    expected_close_date: date | None = None
    quote_reference: str | None = None
    contract_reference: str | None = None
    contract_status: ContractStatus | None = None
    lost_reason: str | None = None
    lead_id: uuid.UUID | None = None
    stage_entered_at: datetime | None = None
    last_activity_at: datetime | None = None
    closed_at: datetime | None = None
    created_by: uuid.UUID | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # The customer's name as read with the deal, for cards and lists (not stored with it).
    customer_name: str = field(default="", compare=False)
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)
    moves: list[StageMove] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def open(cls, *, number: str, name: str, customer_id: uuid.UUID, pipeline: Pipeline,
             stage: Stage | None, owner_id: uuid.UUID, owner_department_id: uuid.UUID | None,
             now: datetime, by: uuid.UUID | None, by_label: str,
             lead_id: uuid.UUID | None = None, amount: Decimal | str | None = None,
             currency: str | None = None, expected_close_date: date | None = None,
             quote_reference: str | None = None, contract_reference: str | None = None,
             contract_status: ContractStatus | str | None = None) -> Opportunity:
        if not pipeline.active:
            raise ValidationFailed.of("pipeline_id", "the pipeline is archived")
        stage = stage or pipeline.first_stage
        if stage.kind != StageKind.OPEN:
            raise ValidationFailed.of("stage_id", "a new opportunity starts in an open stage")
        o = cls(id=uuid.uuid4(), number=number, name=_opt_text(name, "name", 200) or "",
                customer_id=customer_id, pipeline_id=pipeline.id, stage_id=stage.id,
                owner_id=owner_id, owner_department_id=owner_department_id,
                probability=stage.probability, lead_id=lead_id, created_by=by,
                stage_entered_at=now, last_activity_at=now)
        if not o.name:
            raise ValidationFailed.of("name", "is required")
        o._apply({"amount": amount, "currency": currency,
                  "expected_close_date": expected_close_date,
                  "quote_reference": quote_reference, "contract_reference": contract_reference,
                  "contract_status": contract_status})
        o._require(pipeline.stages_entered(None, stage))
        o.moves.append(StageMove(None, stage.id, stage.name, now, by, by_label))
        o.events.append(DomainEvent(EventType.CREATED, "opportunity", str(o.id), {
            "opportunity_id": str(o.id), "number": number, "customer_id": str(customer_id),
            "owner_id": str(owner_id), "stage": stage.key}))
        return o

    def update(self, changes: OpportunityChanges) -> None:
        edits = given(changes)
        if "name" in edits and not _opt_text(edits["name"], "name", 200):
            raise ValidationFailed.of("name", "cannot be emptied")
        self._apply(edits)
        self.version += 1

    def _apply(self, f: Mapping[str, Any]) -> None:
        """Sets the fields given; a None currency or name is "not given"."""
        if "name" in f and f["name"] is not None:
            self.name = _opt_text(f["name"], "name", 200) or self.name
        if "amount" in f:
            self.amount = money(f["amount"], "amount")
        if "currency" in f and f["currency"] is not None:
            currency = str(f["currency"]).upper()
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise ValidationFailed.of("currency", "must be an ISO 4217 code such as CNY")
            self.currency = currency
        if "expected_close_date" in f:
            self.expected_close_date = f["expected_close_date"]
        for name in ("quote_reference", "contract_reference"):
            if name in f:
                setattr(self, name, _opt_text(f[name], name, 100))
        if "contract_status" in f:
            raw = f["contract_status"]
            self.contract_status = ContractStatus(raw) if raw else None

    def missing(self, stage: Stage) -> list[FieldProblem]:
        out = []
        for req in stage.requirements:
            if req == Requirement.AMOUNT and not self.amount:
                out.append(FieldProblem("amount", f"is required to enter {stage.name}"))
            elif req == Requirement.QUOTE_REFERENCE and not self.quote_reference:
                out.append(FieldProblem("quote_reference",
                                        f"a quote document is required to enter {stage.name}"))
            elif req == Requirement.EXPECTED_CLOSE_DATE and self.expected_close_date is None:
                out.append(FieldProblem("expected_close_date",
                                        f"is required to enter {stage.name}"))
            elif req == Requirement.CONTRACT and self.contract_status not in CONTRACT_READY:
                out.append(FieldProblem("contract_status",
                                        f"a contract in approval or approved is required to "
                                        f"enter {stage.name}"))
        return out

    def _require(self, stages: list[Stage]) -> None:
        problems: list[FieldProblem] = []
        for s in stages:
            for p in self.missing(s):
                if p.field not in {x.field for x in problems}:
                    problems.append(p)
        if problems:
            raise ValidationFailed(problems)

    def move(self, pipeline: Pipeline, to: Stage, now: datetime, by: uuid.UUID | None,
             by_label: str, lost_reason: str | None = None) -> bool:
        """Enters `to` if the opportunity meets its requirements; False when it is there."""
        if to.id == self.stage_id:
            return False
        current = pipeline.stage(self.stage_id)
        if to.kind == StageKind.LOST:
            reason = _opt_text(lost_reason, "lost_reason", 500)
            if reason is None:
                raise ValidationFailed.of("lost_reason", "is required to mark it lost")
            self.lost_reason = reason
        else:
            self._require(pipeline.stages_entered(current, to))
            self.lost_reason = None
        self._enter(current, to, now, by, by_label)
        return True

    def _enter(self, current: Stage, to: Stage, now: datetime, by: uuid.UUID | None,
               by_label: str) -> None:
        self.stage_id, self.probability = to.id, to.probability
        self.status = STATUS_OF_KIND[to.kind]
        self.closed_at = None if to.kind == StageKind.OPEN else now
        self.stage_entered_at = self.last_activity_at = now
        self.version += 1
        self.moves.append(StageMove(current.id, to.id, to.name, now, by, by_label))
        self.events.append(DomainEvent(EventType.STAGE_CHANGED, "opportunity", str(self.id), {
            "opportunity_id": str(self.id), "number": self.number,
            "customer_id": str(self.customer_id), "owner_id": str(self.owner_id),
            "from": current.key, "to": to.key, "status": self.status.value,
            "by": str(by) if by else None}))

    def reassign(self, owner_id: uuid.UUID, department_id: uuid.UUID | None,
                 by: uuid.UUID | None) -> None:
        if owner_id == self.owner_id:
            return
        previous = self.owner_id
        self.owner_id, self.owner_department_id = owner_id, department_id
        self.version += 1
        self.events.append(DomainEvent(EventType.REASSIGNED, "opportunity", str(self.id), {
            "opportunity_id": str(self.id), "number": self.number, "name": self.name,
            "from_owner_id": str(previous), "to_owner_id": str(owner_id),
            "by": str(by) if by else None}))

    def mirror_contract(self, number: str, status: ContractStatus) -> None:
        """Keeps the linked contract's number and state (the contract-signing requirement)."""
        if (self.contract_reference, self.contract_status) == (number, status):
            return
        self.contract_reference, self.contract_status = number, status
        self.version += 1

    def win_by_payment(self, pipeline: Pipeline, now: datetime, by: uuid.UUID | None,
                       by_label: str, amount: Decimal, currency: str) -> bool:
        """Payment received on its contract: the deal is won, whatever open stage it was in
        (the paid contract is the evidence the skipped stages asked for). False when closed."""
        if self.status != OpportunityStatus.OPEN:
            return False
        if self.amount is None:
            self.amount, self.currency = amount, currency
        self._enter(pipeline.stage(self.stage_id), pipeline.won_stage, now, by, by_label)
        return True

    def ensure_in(self, pipeline: Pipeline) -> None:
        if pipeline.id != self.pipeline_id:
            raise InvalidTransition("The opportunity belongs to another pipeline")

    @property
    def weighted_amount(self) -> Decimal | None:
        if self.amount is None:
            return None
        return weighted(self.amount, self.probability)
