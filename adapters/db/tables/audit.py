"""The audit log."""

from __future__ import annotations

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

# Append-only: a trigger (see the migration) refuses UPDATE, and DELETE outside retention.
audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor_type", Text, nullable=False),
    Column("actor_id", UUID(as_uuid=True)),
    Column("actor_label", Text, nullable=False),
    Column("ip", Text),
    Column("request_id", Text),
    Column("action", Text, nullable=False),
    Column("target_type", Text),
    Column("target_id", Text),
    Column("diff", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Index("ix_audit_log_actor_id_id", "actor_id", "id"),
    Index("ix_audit_log_target", "target_type", "target_id", "id"),
    Index("ix_audit_log_action_id", "action", "id"),
    Index("ix_audit_log_at", "at"),
)
