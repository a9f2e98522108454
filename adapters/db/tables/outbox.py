"""The transactional outbox and the consumers' processed markers."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from adapters.db.tables.base import metadata

outbox = Table(
    "outbox", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("type", Text, nullable=False),
    Column("aggregate_type", Text, nullable=False),
    Column("aggregate_id", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    # When the event last went to the queue (the sweep sends one that is not done again).
    Column("published_at", DateTime(timezone=True)),
    # When its reactions had all run (every consumer's processed marker exists), or its
    # publish when it has no consumer.
    Column("done_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index("ix_outbox_unpublished", "seq", postgresql_where=text("published_at IS NULL")),
    Index("ix_outbox_not_done", "published_at",
          postgresql_where=text("done_at IS NULL AND published_at IS NOT NULL")),
    # Webhook ordering looks for a record's earlier events that are not fanned out yet.
    Index("ix_outbox_aggregate_seq", "aggregate_type", "aggregate_id", "seq"),
)

processed_events = Table(
    "processed_events", metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id"),
)
