"""The approval policy admins configure: who approves, from which amount, how fast."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.contracts.calendar import DEFAULT_TIMEZONE, WorkingCalendar
from domain.contracts.commands import CalendarSettings, PolicySettings
from domain.contracts.rounds import StepRole
from domain.customers.model import money
from domain.shared.errors import ValidationFailed

DEFAULT_THRESHOLDS = {"CNY": Decimal("1000000.00")}


@dataclass(frozen=True)
class ApprovalPolicy:
    # The executive step is added at or above this amount, per currency; a currency with no
    # threshold always gets the executive step (nothing large slips through unconverted).
    executive_thresholds: dict[str, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    remind_after_hours: float = 4.0      # working hours a step may wait before a reminder
    escalate_after_hours: float = 9.0    # working hours after the reminder (one working day)
    finance_approver_id: uuid.UUID | None = None    # else the least-loaded finance user
    executive_approver_id: uuid.UUID | None = None  # else the least-loaded executive
    renewal_days_before: int = 30
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    version: int = 0

    def needs_executive(self, amount: Decimal, currency: str) -> bool:
        threshold = self.executive_thresholds.get(currency)
        return threshold is None or amount >= threshold

    def roles_for(self, amount: Decimal, currency: str) -> list[StepRole]:
        roles = [StepRole.MANAGER, StepRole.FINANCE]
        if self.needs_executive(amount, currency):
            roles.append(StepRole.EXECUTIVE)
        return roles

    @property
    def remind_after_seconds(self) -> float:
        return self.remind_after_hours * 3600

    @property
    def escalate_after_seconds(self) -> float:
        """Counted from when the step opened: the reminder's wait plus the escalation's."""
        return (self.remind_after_hours + self.escalate_after_hours) * 3600

    def to_doc(self) -> dict[str, Any]:
        return {
            "executive_thresholds": {k: str(v) for k, v in self.executive_thresholds.items()},
            "remind_after_hours": self.remind_after_hours,
            "escalate_after_hours": self.escalate_after_hours,
            "finance_approver_id": str(self.finance_approver_id)
            if self.finance_approver_id else None,
            "executive_approver_id": str(self.executive_approver_id)
            if self.executive_approver_id else None,
            "renewal_days_before": self.renewal_days_before,
            "calendar": self.calendar.to_doc(),
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None, version: int = 0) -> ApprovalPolicy:
        if not doc:
            return cls(version=version)
        return parse_policy(doc, version)


def _hours(raw: Any, name: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValidationFailed.of(name, "contract.hours_not_number") from None
    if not 0.01 <= value <= 24 * 30:
        raise ValidationFailed.of(name, "contract.hours_range")
    return value


def _user(raw: Any, name: str) -> uuid.UUID | None:
    if raw in (None, ""):
        return None
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError:
        raise ValidationFailed.of(name, "contract.not_a_user_id") from None


def parse_policy(doc: dict[str, Any], version: int = 0) -> ApprovalPolicy:
    """The policy from its stored document; each part is checked as when an admin sets it."""
    calendar = doc.get("calendar") or {}
    return build_policy(PolicySettings(
        executive_thresholds=doc.get("executive_thresholds",
                                     {k: str(v) for k, v in DEFAULT_THRESHOLDS.items()}),
        remind_after_hours=doc.get("remind_after_hours", 4),
        escalate_after_hours=doc.get("escalate_after_hours", 9),
        finance_approver_id=doc.get("finance_approver_id"),
        executive_approver_id=doc.get("executive_approver_id"),
        renewal_days_before=doc.get("renewal_days_before", 30),
        calendar=CalendarSettings(timezone=calendar.get("timezone") or DEFAULT_TIMEZONE,
                                  start=calendar.get("start", "09:00"),
                                  end=calendar.get("end", "18:00"),
                                  workdays=calendar.get("workdays", (1, 2, 3, 4, 5)))),
        version)


def build_policy(settings: PolicySettings, version: int = 0) -> ApprovalPolicy:
    """Checks every setting, naming the one that is wrong."""
    thresholds_raw = settings.executive_thresholds
    if not isinstance(thresholds_raw, Mapping):
        raise ValidationFailed.of("executive_thresholds", "contract.thresholds_map")
    thresholds: dict[str, Decimal] = {}
    for code, raw in thresholds_raw.items():
        name = f"executive_thresholds.{code}"
        if not isinstance(code, str) or len(code) != 3 or not code.isalpha() \
                or not code.isupper():
            raise ValidationFailed.of(name, "contract.threshold_currency")
        value = money(raw, name)
        if value is None:
            raise ValidationFailed.of(name, "required")
        thresholds[code] = value
    days = settings.renewal_days_before
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        raise ValidationFailed.of("renewal_days_before", "contract.renewal_days_range")
    cal = settings.calendar
    return ApprovalPolicy(
        executive_thresholds=thresholds,
        remind_after_hours=_hours(settings.remind_after_hours, "remind_after_hours"),
        escalate_after_hours=_hours(settings.escalate_after_hours, "escalate_after_hours"),
        finance_approver_id=_user(settings.finance_approver_id, "finance_approver_id"),
        executive_approver_id=_user(settings.executive_approver_id, "executive_approver_id"),
        renewal_days_before=days,
        calendar=WorkingCalendar.build(cal.timezone, cal.start, cal.end, cal.workdays),
        version=version,
    )
