"""In-app notifications: what a user finds in the inbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


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

    @classmethod
    def for_event(cls, user_id: uuid.UUID, kind: str, title: str, body: str,
                  event_id: uuid.UUID) -> Notification:
        return cls(id=uuid.uuid4(), user_id=user_id, kind=kind, title=title, body=body,
                   event_id=event_id)
