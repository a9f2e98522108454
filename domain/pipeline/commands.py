"""What the pipeline use cases are asked to do: define pipelines, open, edit, move and
reassign opportunities."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.contracts.model import ContractStatus
from domain.pipeline.stages import StageSpec
from domain.shared.commands import UNSET, Unset


@dataclass(frozen=True, kw_only=True)
class CreatePipeline:
    name: str
    stages: tuple[StageSpec, ...]
    stale_days: int = 7
    is_default: bool = False


@dataclass(frozen=True, kw_only=True)
class UpdatePipeline:
    """A partial update: a field left UNSET stays as it is. `stages` replaces the stages."""

    name: str | Unset = UNSET
    stages: tuple[StageSpec, ...] | Unset = UNSET
    stale_days: int | Unset = UNSET
    active: bool | Unset = UNSET
    is_default: bool | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class NewOpportunity:
    """An opportunity for a customer already in hand (a conversion has just made it).
    None is "not given": the default pipeline, its first stage, the caller as owner."""

    name: str | None = None  # the customer's name
    pipeline_id: uuid.UUID | None = None
    stage_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    amount: Decimal | None = None
    currency: str | None = None
    expected_close_date: date | None = None
    quote_reference: str | None = None
    contract_reference: str | None = None
    contract_status: ContractStatus | None = None


@dataclass(frozen=True, kw_only=True)
class OpenOpportunity(NewOpportunity):
    customer_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class OpportunityChanges:
    """Field edits: UNSET leaves a field alone; None clears the ones that may be empty."""

    name: str | Unset = UNSET
    amount: Decimal | Unset | None = UNSET
    currency: str | Unset = UNSET
    expected_close_date: date | Unset | None = UNSET
    quote_reference: str | Unset | None = UNSET
    contract_reference: str | Unset | None = UNSET
    contract_status: ContractStatus | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class UpdateOpportunity:
    """Edits first, then the stage move (one call can add the quote and enter Proposal), then
    the reassignment. A None move, reason or owner is "no change"."""

    changes: OpportunityChanges = field(default_factory=OpportunityChanges)
    stage_id: uuid.UUID | None = None
    lost_reason: str | None = None  # only with a move to the lost stage
    owner_id: uuid.UUID | None = None
