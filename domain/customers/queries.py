"""What a caller may see, and how customers are filtered: one language for lists (and later
segments, exports and rules)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.customers.model import Grade, Tier
from domain.errors import ValidationFailed


@dataclass(frozen=True)
class Visibility:
    """Record-level permission as data, turned into WHERE clauses by the repository."""

    everything: bool = False
    owner_id: uuid.UUID | None = None
    department_ids: Sequence[uuid.UUID] | None = None

    def allows(self, owner_id: uuid.UUID, owner_department_id: uuid.UUID | None) -> bool:
        if self.everything:
            return True
        if self.owner_id is not None and owner_id == self.owner_id:
            return True
        return self.department_ids is not None and owner_department_id in self.department_ids


NOTHING = Visibility()

SORTABLE = ("created_at", "updated_at", "name", "number", "last_followup_at")


@dataclass(frozen=True)
class Sort:
    field: str = "created_at"
    descending: bool = True

    @classmethod
    def parse(cls, raw: str | None) -> Sort:
        if not raw:
            return cls()
        desc = raw.startswith("-")
        name = raw.lstrip("-+")
        if name not in SORTABLE:
            raise ValidationFailed.of("sort", f"must be one of {', '.join(SORTABLE)} "
                                      "(prefix - for descending)")
        return cls(name, desc)


@dataclass(frozen=True)
class CustomerFilter:
    industry: str | None = None
    region: str | None = None
    grade: Grade | None = None
    tier: Tier | None = None
    kind: str | None = None
    owner_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    tags_all: Sequence[str] = ()
    tags_any: Sequence[str] = ()
    last_followup_before: datetime | None = None
    last_followup_after: datetime | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # custom field key → the values that count as equal ("12" and 12 for a number typed as text)
    custom: dict[str, list[Any]] = field(default_factory=dict)
    q: str | None = None
    phone: str | None = None  # normalised
    email: str | None = None  # normalised
    updated_since: datetime | None = None  # delta sync: includes tombstones, oldest first
    deleted: bool = False  # the recycle bin
    sort: Sort = Sort()
