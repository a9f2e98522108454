"""Follow-up discipline: nothing open sits untouched for N days without someone being told.

A lapse is one stretch of silence, identified by the record and the last touch it runs from;
each level (the owner at N days, the owner's manager at 2N) is raised once per lapse.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.shared.events import DomainEvent


class LapseLevel(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"

    @property
    def factor(self) -> int:
        """The owner hears after N days of silence, the manager after 2N."""
        return 1 if self == LapseLevel.OWNER else 2


class EventType:
    LAPSED = "followup.lapsed"
    ESCALATED = "followup.escalated"


@dataclass(frozen=True)
class StaleRecord:
    """An open lead or opportunity whose last touch is older than its limit."""

    record_type: str  # "lead" or "opportunity"
    record_id: uuid.UUID
    label: str
    owner_id: uuid.UUID
    owner_department_id: uuid.UUID | None
    since: datetime
    days: int  # the limit N for this record


@dataclass
class FollowUpLapse:
    record_type: str
    record_id: uuid.UUID
    since: datetime
    level: LapseLevel
    recipient_id: uuid.UUID
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def raise_for(cls, record: StaleRecord, level: LapseLevel, recipient_id: uuid.UUID,
                  now: datetime, task_id: uuid.UUID | None = None) -> FollowUpLapse:
        lapse = cls(record.record_type, record.record_id, record.since, level, recipient_id)
        idle_days = int((now - record.since).total_seconds() // 86400)
        lapse.events.append(DomainEvent(
            EventType.LAPSED if level == LapseLevel.OWNER else EventType.ESCALATED,
            record.record_type, str(record.record_id), {
                "record_type": record.record_type, "record_id": str(record.record_id),
                "label": record.label, "owner_id": str(record.owner_id),
                "recipient_id": str(recipient_id), "idle_days": idle_days,
                "limit_days": record.days, "since": record.since.isoformat(),
                "task_id": str(task_id) if task_id else None}))
        return lapse
