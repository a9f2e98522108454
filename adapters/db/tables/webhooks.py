"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from adapters.db.tables.base import metadata, timestamps

webhook_endpoints = Table(
    "webhook_endpoints", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("url", Text, nullable=False),
    # The signing secret, encrypted like personal data (key id + AES-GCM).
    Column("secret_enc", Text, nullable=False),
    # After a rotation the old secret signs beside the new one until then (same encryption).
    Column("previous_secret_enc", Text),
    Column("previous_secret_until", DateTime(timezone=True)),
    Column("event_types", ARRAY(Text), nullable=False),
    Column("description", Text),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("allow_private", Boolean, nullable=False, server_default=text("false")),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("users.id")),
    Column("disabled_reason", Text),
    Column("disabled_at", DateTime(timezone=True)),
    # The outbox position when it was created: it receives events after this one only.
    Column("from_seq", BigInteger, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("endpoint_id", UUID(as_uuid=True),
           ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("aggregate_type", Text, nullable=False),
    Column("aggregate_id", Text, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("round_attempts", Integer, nullable=False, server_default="0"),
    Column("response_status", Integer),
    Column("latency_ms", Integer),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One delivery per endpoint and event: a fan-out run twice inserts nothing the second time.
    Index("uq_webhook_deliveries_endpoint_event", "endpoint_id", "event_id", unique=True),
    Index("ix_webhook_deliveries_endpoint_sequence", "endpoint_id", "sequence", "id"),
    Index("ix_webhook_deliveries_due", "next_attempt_at",
          postgresql_where=text("status = 'pending'")),
    # Order per record: an earlier pending delivery for the same record holds later ones.
    Index("ix_webhook_deliveries_record", "endpoint_id", "aggregate_type", "aggregate_id",
          "sequence", postgresql_where=text("status = 'pending'")),
    CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status_known"),
)
