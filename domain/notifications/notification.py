"""In-app notifications: what a user finds in the inbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Notification:
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    title: str
    body: str
    event_id: uuid.UUID | None = None
    created_at: datetime | None = None
    read_at: datetime | None = None
    # The variables the message was made from (record ids, names, amounts): templates for
    # other channels and languages render from these, and a client links to the record.
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_event(cls, user_id: uuid.UUID, kind: str, title: str, body: str,
                  event_id: uuid.UUID, data: dict[str, Any] | None = None) -> Notification:
        return cls(id=uuid.uuid4(), user_id=user_id, kind=kind, title=title, body=body,
                   event_id=event_id, data=dict(data or {}))
