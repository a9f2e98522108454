"""Follow-up lapses raised by the discipline scan."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from adapters.db.tables.base import metadata

# One row per lapse and level raised: the scan's memory, so nobody is reminded twice.
followup_lapses = Table(
    "followup_lapses", metadata,
    Column("record_type", Text, nullable=False),
    Column("record_id", UUID(as_uuid=True), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("level", Text, nullable=False),
    Column("recipient_id", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("record_type", "record_id", "since", "level"),
)
