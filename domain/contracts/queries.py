"""What the contract lists, the approval inbox and the approval-time report ask for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from domain.contracts.model import ContractStatus
from domain.contracts.rounds import StepRole
from domain.shared.paging import Sort

SORTABLE = ("created_at", "updated_at", "number", "amount", "end_date", "signed_at")


@dataclass(frozen=True)
class ContractFilter:
    status: ContractStatus | None = None
    customer_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    opportunity_id: uuid.UUID | None = None
    q: str | None = None  # number or title, case-insensitive prefix/substring
    # Delta sync: changed after this, oldest change first, deleted drafts as tombstones.
    updated_since: datetime | None = None
    sort: Sort = field(default_factory=Sort)


@dataclass(frozen=True)
class InboxItem:
    """A pending step someone may decide, with what the approver needs to see to decide it."""

    contract_id: uuid.UUID
    number: str
    title: str
    amount: Decimal
    currency: str
    customer_id: uuid.UUID
    customer_name: str
    owner_id: uuid.UUID
    round: int
    step: int
    role: StepRole
    assignee_id: uuid.UUID
    escalated_to: uuid.UUID | None
    started_at: datetime
    reminded_at: datetime | None
    escalated_at: datetime | None


@dataclass(frozen=True)
class PendingStep:
    """A step waiting for a decision, as the reminder scan sees it."""

    contract_id: uuid.UUID
    round: int
    step: int
    started_at: datetime
    reminded_at: datetime | None
    escalated_at: datetime | None


@dataclass(frozen=True)
class DecidedStep:
    contract_id: uuid.UUID
    round: int
    step: int
    role: StepRole
    status: str
    started_at: datetime
    decided_at: datetime
    reminded: bool
    escalated: bool


@dataclass(frozen=True)
class DecidedRound:
    contract_id: uuid.UUID
    round: int
    submitted_at: datetime
    decided_at: datetime
    outcome: str  # approved | rejected
