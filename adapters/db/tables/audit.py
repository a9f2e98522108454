"""The audit log."""

from __future__ import annotations

import re

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from adapters.db.tables.base import metadata

# The partitions of audit_log: one per calendar month (UTC), named audit_log_y2026m12, and a
# catch-all for entries outside them, so that an insert never fails for want of a partition.
AUDIT_PARTITION_NAME = re.compile(r"^audit_log_(y(?P<year>\d{4})m(?P<month>\d{2})|default)$")
AUDIT_DEFAULT_PARTITION = "audit_log_default"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's schema comparison: the partitions are the retention job's to make and
    drop, not described by the models."""
    return not (type_ == "table" and name and AUDIT_PARTITION_NAME.match(name))


# Append-only: a trigger (see the migrations) refuses UPDATE, and DELETE outside retention.
# Partitioned by month on `at` (which the primary key must therefore include), so that
# retention drops a whole month instead of deleting rows.
audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", DateTime(timezone=True), primary_key=True, nullable=False,
           server_default=func.now()),
    Column("actor_type", Text, nullable=False),
    Column("actor_id", UUID(as_uuid=True)),
    Column("actor_label", Text, nullable=False),
    Column("ip", Text),
    Column("request_id", Text),
    Column("action", Text, nullable=False),
    Column("target_type", Text),
    Column("target_id", Text),
    Column("diff", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Read newest first by (at, id): each filter (who, which record, what action) with a time
    # range is one backward range scan of its index in the months the range touches.
    Index("ix_audit_log_actor_at", "actor_id", "at", "id"),
    Index("ix_audit_log_target_at", "target_type", "target_id", "at", "id"),
    Index("ix_audit_log_action_at", "action", "at", "id"),
    Index("ix_audit_log_at_id", "at", "id"),
    postgresql_partition_by="RANGE (at)",
)
