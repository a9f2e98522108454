"""How opportunities are filtered, sorted, and summed up for the board."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

from domain.shared.paging import Sort

SORTABLE = ("updated_at", "created_at", "amount", "expected_close_date", "stage_entered_at",
            "name", "number")
DEFAULT_SORT = "updated_at"
RECENTLY_UPDATED = Sort(DEFAULT_SORT)  # the deals touched last come first
T = TypeVar("T")


@dataclass(frozen=True)
class OpportunityFilter:
    pipeline_id: uuid.UUID | None = None
    stage_id: uuid.UUID | None = None
    status: str | None = None
    owner_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    close_from: date | None = None
    close_to: date | None = None
    updated_since: datetime | None = None
    sort: Sort = RECENTLY_UPDATED


@dataclass(frozen=True)
class MoneyTotal:
    currency: str
    amount: Decimal
    weighted: Decimal


@dataclass(frozen=True)
class StageTotals:
    """What the repository sums per stage; amounts stay apart per currency."""

    stage_id: uuid.UUID
    count: int
    totals: list[MoneyTotal] = field(default_factory=list)


@dataclass(frozen=True)
class BoardColumn(Generic[T]):
    stage_id: uuid.UUID
    count: int
    totals: list[MoneyTotal]
    cards: list[T]
    next_cursor: str | None
