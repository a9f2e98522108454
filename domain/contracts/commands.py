"""What the contract use cases are asked to do: draft and edit a contract, set the approval
policy."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.contracts.lines import LineSpec
from domain.shared.commands import UNSET, Unset

__all__ = ["CalendarSettings", "ContractChanges", "DraftContract", "LineSpec", "PolicySettings",
           "UpdateContract"]


@dataclass(frozen=True, kw_only=True)
class DraftContract:
    customer_id: uuid.UUID
    title: str
    lines: tuple[LineSpec, ...]
    currency: str = "CNY"
    opportunity_id: uuid.UUID | None = None  # the deal it closes
    start_date: date | None = None
    end_date: date | None = None
    payment_terms: str | None = None
    owner_id: uuid.UUID | None = None  # the caller


@dataclass(frozen=True, kw_only=True)
class ContractChanges:
    """Edits of a draft: UNSET leaves a field alone; None clears the ones that may be empty."""

    title: str | Unset = UNSET
    opportunity_id: uuid.UUID | Unset | None = UNSET
    currency: str | Unset = UNSET
    lines: tuple[LineSpec, ...] | Unset = UNSET
    start_date: date | Unset | None = UNSET
    end_date: date | Unset | None = UNSET
    payment_terms: str | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class UpdateContract:
    changes: ContractChanges = field(default_factory=ContractChanges)
    owner_id: uuid.UUID | None = None  # None: the owner stays


@dataclass(frozen=True, kw_only=True)
class CalendarSettings:
    timezone: str = "Asia/Shanghai"
    start: str = "09:00"
    end: str = "18:00"
    workdays: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO weekdays, 1 = Monday


@dataclass(frozen=True, kw_only=True)
class PolicySettings:
    """The whole approval policy as an admin sets it (and as it is stored)."""

    executive_thresholds: Mapping[str, Decimal] = field(
        default_factory=lambda: {"CNY": Decimal("1000000.00")})
    remind_after_hours: float = 4.0
    escalate_after_hours: float = 9.0
    finance_approver_id: uuid.UUID | None = None
    executive_approver_id: uuid.UUID | None = None
    renewal_days_before: int = 30
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
