"""Domain events: facts recorded by aggregates and written to the outbox with the change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class DomainEvent:
    type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def event_to_job(event: DomainEvent) -> dict[str, Any]:
    """The event as a job carries it (plain values, whatever the queue's serializer)."""
    return {"type": event.type, "aggregate_type": event.aggregate_type,
            "aggregate_id": event.aggregate_id, "payload": event.payload,
            "occurred_at": event.occurred_at.isoformat()}


def event_from_job(event_id: uuid.UUID, data: dict[str, Any]) -> DomainEvent:
    return DomainEvent(type=data["type"], aggregate_type=data["aggregate_type"],
                       aggregate_id=data["aggregate_id"], payload=data["payload"], id=event_id,
                       occurred_at=datetime.fromisoformat(data["occurred_at"]))


class EventType:
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DISABLED = "user.disabled"
