"""Request and response shapes of pipelines, opportunities and the board; a request body
builds the use case's command."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas import CURRENCY, Bool, Date, DateTime, Input, omittable, sent
from api.v1.schemas.customers import Money
from domain.contracts.model import ContractStatus
from domain.pipeline.commands import (
    CreatePipeline,
    OpenOpportunity,
    OpportunityChanges,
    UpdateOpportunity,
    UpdatePipeline,
)
from domain.pipeline.model import Opportunity, OpportunityStatus, StageVisit
from domain.pipeline.queries import BoardColumn
from domain.pipeline.stages import Pipeline, Requirement, Stage, StageKind, StageSpec
from domain.shared.commands import UNSET

# ---- pipelines ------------------------------------------------------------------------------


class StageIn(Input):
    id: uuid.UUID | None = Field(None, description="An existing stage's id keeps it (and its "
                                 "opportunities); leave out for a new stage")
    key: str = Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$",
                     examples=["proposal"])
    name: str = Field(min_length=1, max_length=100, examples=["Proposal/quote"])
    probability: int | None = Field(None, ge=0, le=100, description="Win probability in %; "
                                    "won is 100 and lost 0 whatever is sent")
    kind: StageKind = StageKind.OPEN
    requirements: list[Requirement] = Field(default_factory=list, max_length=4,
                                            examples=[["amount", "quote_reference"]])

    def spec(self) -> StageSpec:
        return StageSpec(id=self.id, key=self.key, name=self.name, probability=self.probability,
                         kind=self.kind, requirements=tuple(self.requirements))


class PipelineCreate(Input):
    name: str = Field(min_length=1, max_length=100, examples=["Key accounts"])
    stages: list[StageIn] = Field(min_length=3, max_length=20, description="Open stages in "
                                  "order, one won stage and one lost stage")
    stale_days: int = Field(7, ge=1, le=365, description="Days without a follow-up before "
                            "the owner is reminded (2x: their manager)")
    is_default: Bool = False

    def command(self) -> CreatePipeline:
        return CreatePipeline(name=self.name, stages=tuple(s.spec() for s in self.stages),
                              stale_days=self.stale_days, is_default=self.is_default)


class PipelineUpdate(Input):
    name: str | None = omittable(min_length=1, max_length=100)
    stages: list[StageIn] | None = omittable(min_length=3, max_length=20,
                                         description="Replaces the stages")
    stale_days: int | None = omittable(ge=1, le=365)
    is_default: Bool | None = omittable()
    active: Bool | None = omittable()

    def command(self) -> UpdatePipeline:
        name = sent(self, "name", required=True)
        stale_days = sent(self, "stale_days", required=True)
        stages = sent(self, "stages", required=True)
        active = sent(self, "active", required=True)
        is_default = sent(self, "is_default", required=True)
        return UpdatePipeline(
            name=name, stale_days=stale_days, active=active, is_default=is_default,
            stages=stages if stages is UNSET else tuple(s.spec() for s in stages))


class StageOut(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    position: int
    probability: int
    kind: StageKind
    requirements: list[Requirement]

    @classmethod
    def of(cls, s: Stage) -> StageOut:
        return cls(id=s.id, key=s.key, name=s.name, position=s.position,
                   probability=s.probability, kind=s.kind, requirements=list(s.requirements))


class PipelineOut(BaseModel):
    id: uuid.UUID
    name: str
    is_default: Bool
    stale_days: int
    active: Bool
    stages: list[StageOut]
    version: int
    created_at: DateTime | None

    @classmethod
    def of(cls, p: Pipeline) -> PipelineOut:
        return cls(id=p.id, name=p.name, is_default=p.is_default, stale_days=p.stale_days,
                   active=p.active, stages=[StageOut.of(s) for s in p.stages],
                   version=p.version, created_at=p.created_at)


# ---- opportunities --------------------------------------------------------------------------


class OpportunityCreate(Input):
    customer_id: uuid.UUID
    name: str | None = Field(None, max_length=200, examples=["二期产线改造"],
                             description="Defaults to the customer's name")
    pipeline_id: uuid.UUID | None = Field(None, description="Defaults to the default pipeline")
    stage_id: uuid.UUID | None = Field(None, description="Defaults to the first stage")
    amount: Money | None = None
    currency: str = Field("CNY", min_length=3, max_length=3, pattern=CURRENCY)
    expected_close_date: Date | None = None
    quote_reference: str | None = Field(None, max_length=100, examples=["Q-2026-118"])
    contract_reference: str | None = Field(None, max_length=100)
    contract_status: ContractStatus | None = None
    owner_id: uuid.UUID | None = Field(None, description="Defaults to you")

    def command(self) -> OpenOpportunity:
        return OpenOpportunity(
            customer_id=self.customer_id, name=self.name, pipeline_id=self.pipeline_id,
            stage_id=self.stage_id, owner_id=self.owner_id, amount=self.amount,
            currency=self.currency, expected_close_date=self.expected_close_date,
            quote_reference=self.quote_reference, contract_reference=self.contract_reference,
            contract_status=self.contract_status)


class OpportunityUpdate(Input):
    name: str | None = omittable(min_length=1, max_length=200)
    amount: Money | None = None
    currency: str | None = omittable(min_length=3, max_length=3, pattern=CURRENCY)
    expected_close_date: Date | None = None
    quote_reference: str | None = Field(None, max_length=100)
    contract_reference: str | None = Field(None, max_length=100)
    contract_status: ContractStatus | None = Field(None, description="Kept by a linked "
                                                   "contract (/contracts) when there is one")
    stage_id: uuid.UUID | None = Field(None, description="Move to this stage (after the field "
                                       "edits of the same request)")
    lost_reason: str | None = Field(None, max_length=500, description="With the lost stage")
    owner_id: uuid.UUID | None = Field(None, description="Reassign (managers and admins)")

    def command(self) -> UpdateOpportunity:
        changes = OpportunityChanges(
            name=sent(self, "name", required=True),
            currency=sent(self, "currency", required=True),
            amount=sent(self, "amount"), expected_close_date=sent(self, "expected_close_date"),
            quote_reference=sent(self, "quote_reference"),
            contract_reference=sent(self, "contract_reference"),
            contract_status=sent(self, "contract_status"))
        return UpdateOpportunity(changes=changes, stage_id=self.stage_id,
                                 lost_reason=self.lost_reason, owner_id=self.owner_id)


class OpportunityOut(BaseModel):
    id: uuid.UUID
    number: str = Field(examples=["O202611000042"])
    name: str
    customer_id: uuid.UUID
    customer_name: str = Field(examples=["上海明远精密机械有限公司"])
    lead_id: uuid.UUID | None
    pipeline_id: uuid.UUID
    stage_id: uuid.UUID
    status: OpportunityStatus
    probability: int
    amount: Money | None
    weighted_amount: Money | None = Field(description="amount × the stage's probability")
    currency: str
    expected_close_date: Date | None
    quote_reference: str | None
    contract_reference: str | None
    contract_status: ContractStatus | None
    lost_reason: str | None
    owner_id: uuid.UUID
    owner_department_id: uuid.UUID | None
    stage_entered_at: DateTime | None
    last_activity_at: DateTime | None
    closed_at: DateTime | None
    version: int
    created_at: DateTime | None
    updated_at: DateTime | None

    @classmethod
    def of(cls, o: Opportunity) -> OpportunityOut:
        return cls(
            id=o.id, number=o.number, name=o.name, customer_id=o.customer_id,
            customer_name=o.customer_name, lead_id=o.lead_id,
            pipeline_id=o.pipeline_id, stage_id=o.stage_id, status=o.status,
            probability=o.probability, amount=o.amount, weighted_amount=o.weighted_amount,
            currency=o.currency, expected_close_date=o.expected_close_date,
            quote_reference=o.quote_reference, contract_reference=o.contract_reference,
            contract_status=o.contract_status, lost_reason=o.lost_reason, owner_id=o.owner_id,
            owner_department_id=o.owner_department_id, stage_entered_at=o.stage_entered_at,
            last_activity_at=o.last_activity_at, closed_at=o.closed_at, version=o.version,
            created_at=o.created_at, updated_at=o.updated_at)


class StageVisitOut(BaseModel):
    stage_id: uuid.UUID
    stage_name: str
    entered_at: DateTime
    entered_by: uuid.UUID | None
    entered_by_label: str
    left_at: DateTime | None
    left_by: uuid.UUID | None
    seconds_in_stage: int = Field(description="Until it left, or until now")

    @classmethod
    def of(cls, v: StageVisit, now: datetime) -> StageVisitOut:
        return cls(stage_id=v.stage_id, stage_name=v.stage_name, entered_at=v.entered_at,
                   entered_by=v.entered_by, entered_by_label=v.entered_by_label,
                   left_at=v.left_at, left_by=v.left_by,
                   seconds_in_stage=v.duration_seconds(now))


class MoneyTotalOut(BaseModel):
    currency: str
    amount: Money
    weighted: Money


class BoardColumnOut(BaseModel):
    stage: StageOut
    count: int
    totals: list[MoneyTotalOut] = Field(description="Per currency: the sum and the weighted "
                                        "sum (× the stage's probability)")
    cards: list[OpportunityOut]
    next_cursor: str | None = Field(description="More cards: GET /opportunities?pipeline_id=…"
                                    "&stage_id=…&cursor=…")

    @classmethod
    def of(cls, stage: Stage, c: BoardColumn[Opportunity]) -> BoardColumnOut:
        return cls(stage=StageOut.of(stage), count=c.count,
                   totals=[MoneyTotalOut(currency=m.currency, amount=m.amount,
                                         weighted=m.weighted) for m in c.totals],
                   cards=[OpportunityOut.of(o) for o in c.cards], next_cursor=c.next_cursor)


class BoardOut(BaseModel):
    view: str = Field("board", examples=["board"])
    pipeline: PipelineOut
    columns: list[BoardColumnOut]
