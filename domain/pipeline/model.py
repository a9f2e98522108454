"""Pipelines with stages, and the Opportunity aggregate (商机) moving through them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from domain.contracts.model import ContractStatus
from domain.customers.model import money
from domain.shared.errors import FieldProblem, InvalidTransition, ValidationFailed
from domain.shared.events import DomainEvent


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Requirement(StrEnum):
    """What an opportunity must carry to enter a stage."""

    AMOUNT = "amount"
    QUOTE_REFERENCE = "quote_reference"
    CONTRACT = "contract"  # a contract in approval or approved
    EXPECTED_CLOSE_DATE = "expected_close_date"


CONTRACT_READY = frozenset({ContractStatus.IN_APPROVAL, ContractStatus.APPROVED,
                            ContractStatus.SIGNED, ContractStatus.ACTIVE})

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_STAGES = 20
CENT = Decimal("0.01")
PIPELINE_NAMESPACE = uuid.UUID("6f1d0c3e-3b7a-4d0e-9a53-5be3f2a1c001")
DEFAULT_PIPELINE_ID = uuid.uuid5(PIPELINE_NAMESPACE, "default")


def weighted(amount: Decimal, probability: int) -> Decimal:
    """amount x probability %, to the cent, halves rounded up as an accountant would."""
    return (amount * probability / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Stage:
    id: uuid.UUID
    key: str
    name: str
    probability: int
    kind: StageKind = StageKind.OPEN
    requirements: tuple[Requirement, ...] = ()
    position: int = 0

    def weighted(self, amount: Decimal) -> Decimal:
        return weighted(amount, self.probability)


@dataclass
class Pipeline:
    id: uuid.UUID
    name: str
    stages: list[Stage]
    is_default: bool = False
    stale_days: int = 7  # days without a follow-up before the owner is reminded
    active: bool = True
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def create(cls, *, name: str, stages: list[dict[str, Any]], stale_days: int = 7,
               is_default: bool = False, id: uuid.UUID | None = None) -> Pipeline:
        p = cls(id=id or uuid.uuid4(), name=_name(name), stages=[], is_default=is_default,
                stale_days=_stale_days(stale_days))
        p.stages = define_stages(p.id, stages, [])
        return p

    def update(self, changes: dict[str, Any], stages_in_use: Iterable[uuid.UUID] = ()) -> None:
        if changes.get("name") is not None:
            self.name = _name(changes["name"])
        if changes.get("stale_days") is not None:
            self.stale_days = _stale_days(changes["stale_days"])
        if changes.get("active") is not None:
            if not changes["active"] and self.is_default:
                raise ValidationFailed.of("active", "the default pipeline stays active")
            self.active = bool(changes["active"])
        if changes.get("stages") is not None:
            self.stages = define_stages(self.id, changes["stages"], self.stages,
                                        set(stages_in_use))
        self.version += 1

    def stage(self, stage_id: uuid.UUID) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise ValidationFailed.of("stage_id", f"is not a stage of the pipeline {self.name}")

    def stage_by_key(self, key: str) -> Stage:
        for s in self.stages:
            if s.key == key:
                return s
        raise ValidationFailed.of("stage", f"{key!r} is not a stage of the pipeline {self.name}")

    @property
    def first_stage(self) -> Stage:
        return next(s for s in self.stages if s.kind == StageKind.OPEN)

    @property
    def open_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.kind == StageKind.OPEN]

    def stages_entered(self, from_stage: Stage | None, to: Stage) -> list[Stage]:
        """The stages whose requirements a move must meet: the target, plus every open stage it
        jumps over on the way forward (skipping a stage does not skip its requirements)."""
        if to.kind == StageKind.LOST:
            return [to]
        start = from_stage.position if from_stage is not None else -1
        if from_stage is not None and from_stage.kind != StageKind.OPEN:
            start = to.position - 1 if to.kind == StageKind.OPEN else -1
        if to.position <= start:
            return [to]
        return [s for s in self.stages
                if start < s.position <= to.position and s.kind != StageKind.LOST]


def _name(raw: str) -> str:
    name = (raw or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed.of("name", "must be 1 to 100 characters")
    return name


def _stale_days(raw: Any) -> int:
    if not 1 <= int(raw) <= 365:
        raise ValidationFailed.of("stale_days", "must be between 1 and 365")
    return int(raw)


def define_stages(pipeline_id: uuid.UUID, specs: list[dict[str, Any]], current: list[Stage],
                  in_use: set[uuid.UUID] | None = None) -> list[Stage]:
    """Stages from their specs: open ones in the order given, then won, then lost.

    A spec with the id of a current stage keeps it (its opportunities stay in it); a current
    stage left out is removed, which is refused while opportunities sit in it.
    """
    if not 3 <= len(specs) <= MAX_STAGES:
        raise ValidationFailed.of("stages", f"a pipeline has 3 to {MAX_STAGES} stages")
    by_id = {s.id: s for s in current}
    stages: list[Stage] = []
    keys: set[str] = set()
    names: set[str] = set()
    for i, spec in enumerate(specs):
        at = f"stages.{i}"
        key = str(spec.get("key") or "")
        if not _KEY.match(key):
            raise ValidationFailed.of(f"{at}.key", "must be lower-case letters, digits and _")
        if key in keys:
            raise ValidationFailed.of(f"{at}.key", f"{key!r} is used twice")
        name = (spec.get("name") or "").strip()
        if not 1 <= len(name) <= 100:
            raise ValidationFailed.of(f"{at}.name", "must be 1 to 100 characters")
        if name.lower() in names:
            raise ValidationFailed.of(f"{at}.name", f"{name!r} is used twice")
        keys.add(key)
        names.add(name.lower())
        kind = StageKind(spec.get("kind") or StageKind.OPEN)
        probability = {StageKind.WON: 100, StageKind.LOST: 0}.get(
            kind, spec.get("probability"))
        if probability is None or not 0 <= int(probability) <= 100:
            raise ValidationFailed.of(f"{at}.probability", "must be between 0 and 100")
        try:
            requirements = tuple(dict.fromkeys(
                Requirement(r) for r in spec.get("requirements") or ()))
        except ValueError:
            raise ValidationFailed.of(
                f"{at}.requirements",
                f"each is one of {', '.join(r.value for r in Requirement)}") from None
        if kind == StageKind.LOST and requirements:
            raise ValidationFailed.of(f"{at}.requirements", "losing needs only a reason")
        stage_id = spec.get("id")
        if stage_id is not None and stage_id not in by_id:
            raise ValidationFailed.of(f"{at}.id", "is not a stage of this pipeline")
        stages.append(Stage(id=stage_id or uuid.uuid5(pipeline_id, key), key=key, name=name,
                            probability=int(probability), kind=kind,
                            requirements=requirements))
    for kind in (StageKind.WON, StageKind.LOST):
        if sum(1 for s in stages if s.kind == kind) != 1:
            raise ValidationFailed.of("stages", f"a pipeline has exactly one {kind.value} stage")
    if len({s.id for s in stages}) != len(stages):
        raise ValidationFailed.of("stages", "a stage id is used twice")
    order = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
    stages.sort(key=lambda s: order[s.kind])  # stable: open stages keep the order given
    removed = set(by_id) - {s.id for s in stages}
    busy = removed & (in_use or set())
    if busy:
        names_busy = ", ".join(sorted(by_id[s].name for s in busy))
        raise ValidationFailed.of("stages", f"move the opportunities out of {names_busy} "
                                  "before removing it")
    return [Stage(id=s.id, key=s.key, name=s.name, probability=s.probability, kind=s.kind,
                  requirements=s.requirements, position=i) for i, s in enumerate(stages)]


DEFAULT_STAGES: list[dict[str, Any]] = [
    {"key": "initial_contact", "name": "Initial contact", "probability": 10},
    {"key": "needs_analysis", "name": "Needs analysis", "probability": 20},
    {"key": "proposal", "name": "Proposal/quote", "probability": 50,
     "requirements": ["amount", "quote_reference"]},
    {"key": "contract_signing", "name": "Contract signing", "probability": 80,
     "requirements": ["contract"]},
    {"key": "won", "name": "Payment received (won)", "kind": "won",
     "requirements": ["amount"]},
    {"key": "lost", "name": "Lost", "kind": "lost"},
]


def default_pipeline() -> Pipeline:
    """The organisation's standard pipeline; its ids are fixed so racing creators agree."""
    return Pipeline.create(name="Sales pipeline", stages=DEFAULT_STAGES, is_default=True,
                           id=DEFAULT_PIPELINE_ID)


# ---- opportunities ------------------------------------------------------------------------------


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


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
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)
    moves: list[StageMove] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def open(cls, *, number: str, name: str, customer_id: uuid.UUID, pipeline: Pipeline,
             stage: Stage | None, owner_id: uuid.UUID, owner_department_id: uuid.UUID | None,
             now: datetime, by: uuid.UUID | None, by_label: str,
             lead_id: uuid.UUID | None = None, **fields: Any) -> Opportunity:
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
        o._apply(fields)
        o._require(pipeline.stages_entered(None, stage))
        o.moves.append(StageMove(None, stage.id, stage.name, now, by, by_label))
        o.events.append(DomainEvent(EventType.CREATED, "opportunity", str(o.id), {
            "opportunity_id": str(o.id), "number": number, "customer_id": str(customer_id),
            "owner_id": str(owner_id), "stage": stage.key}))
        return o

    EDITABLE = frozenset({"name", "amount", "currency", "expected_close_date",
                          "quote_reference", "contract_reference", "contract_status"})

    def update(self, changes: dict[str, Any]) -> None:
        unknown = set(changes) - self.EDITABLE
        if unknown:
            raise ValidationFailed.of(sorted(unknown)[0], "cannot be changed here")
        if "name" in changes and not _opt_text(changes["name"], "name", 200):
            raise ValidationFailed.of("name", "cannot be emptied")
        self._apply(changes)
        self.version += 1

    def _apply(self, f: dict[str, Any]) -> None:
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
        self.stage_id, self.probability = to.id, to.probability
        self.status = {StageKind.OPEN: OpportunityStatus.OPEN, StageKind.WON:
                       OpportunityStatus.WON, StageKind.LOST: OpportunityStatus.LOST}[to.kind]
        self.closed_at = None if to.kind == StageKind.OPEN else now
        self.stage_entered_at = self.last_activity_at = now
        self.version += 1
        self._entered(current, to, now, by, by_label)
        return True

    def _entered(self, current: Stage, to: Stage, now: datetime, by: uuid.UUID | None,
                 by_label: str) -> None:
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
        won = next(s for s in pipeline.stages if s.kind == StageKind.WON)
        current = pipeline.stage(self.stage_id)
        self.stage_id, self.probability = won.id, won.probability
        self.status, self.closed_at = OpportunityStatus.WON, now
        self.stage_entered_at = self.last_activity_at = now
        self.version += 1
        self._entered(current, won, now, by, by_label)
        return True

    def ensure_in(self, pipeline: Pipeline) -> None:
        if pipeline.id != self.pipeline_id:
            raise InvalidTransition("The opportunity belongs to another pipeline")

    @property
    def weighted_amount(self) -> Decimal | None:
        if self.amount is None:
            return None
        return weighted(self.amount, self.probability)
