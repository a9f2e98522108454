"""How leads are filtered and sorted in lists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from domain.shared.paging import Sort

SORTABLE = ("created_at", "updated_at", "score", "number", "name", "next_followup_at")


@dataclass(frozen=True)
class LeadFilter:
    status: str | None = None
    open_only: bool = False
    grade: str | None = None
    source: str | None = None
    campaign: str | None = None
    owner_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    flag: str | None = None
    routed_by: str | None = None  # how it was assigned, e.g. queue
    fallback_only: bool = False  # parked with a manager or the queue
    customer_id: uuid.UUID | None = None
    form_id: uuid.UUID | None = None
    q: str | None = None
    phone: str | None = None  # normalised
    email: str | None = None  # normalised
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_since: datetime | None = None  # delta sync, oldest first
    sort: Sort = field(default_factory=Sort)
