"""Pipelines with their stages, opportunities, their stage history and the board's sums."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Sequence,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from adapters.db.tables.base import metadata, timestamps

opportunity_number_seq = Sequence("opportunity_number_seq", metadata=metadata)

pipelines = Table(
    "pipelines", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    Column("stale_days", Integer, nullable=False, server_default="7"),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    Index("uq_pipelines_default", "is_default", unique=True, postgresql_where=text("is_default")),
)

pipeline_stages = Table(
    "pipeline_stages", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("pipeline_id", UUID(as_uuid=True), ForeignKey("pipelines.id"), nullable=False),
    Column("key", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("probability", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("requirements", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Index("ix_pipeline_stages_pipeline", "pipeline_id", "position"),
    CheckConstraint("probability BETWEEN 0 AND 100", name="probability_percent"),
)

opportunities = Table(
    "opportunities", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("lead_id", UUID(as_uuid=True), ForeignKey("leads.id")),
    Column("pipeline_id", UUID(as_uuid=True), ForeignKey("pipelines.id"), nullable=False),
    Column("stage_id", UUID(as_uuid=True), ForeignKey("pipeline_stages.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("probability", Integer, nullable=False),
    Column("amount", Numeric(18, 2)),
    Column("currency", Text, nullable=False, server_default="CNY"),
    Column("expected_close_date", Date),
    Column("quote_reference", Text),
    Column("contract_reference", Text),
    Column("contract_status", Text),
    Column("lost_reason", Text),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("owner_department_id", UUID(as_uuid=True), ForeignKey("departments.id")),
    Column("stage_entered_at", DateTime(timezone=True), nullable=False),
    Column("last_activity_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("created_by", UUID(as_uuid=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    # The board: sums per stage and currency from the index alone, then each column's cards.
    Index("ix_opportunities_board", "pipeline_id", "stage_id", "currency", "amount"),
    Index("ix_opportunities_cards", "pipeline_id", "stage_id", "updated_at", "id"),
    Index("ix_opportunities_owner", "owner_id", "pipeline_id", "stage_id"),
    Index("ix_opportunities_name", "name", "id"),
    # the list by amount, none given first (adapters/db/keyset.py NO_AMOUNT)
    Index("ix_opportunities_amount", text("coalesce(amount, '-1'::numeric)"), "id"),
    Index("ix_opportunities_dept", "owner_department_id", "pipeline_id", "stage_id"),
    Index("ix_opportunities_updated", "updated_at", "id"),
    Index("ix_opportunities_customer_id", "customer_id"),
    Index("ix_opportunities_lead_id", "lead_id"),
    Index("ix_opportunities_open_activity", "last_activity_at",
          postgresql_where=text("status = 'open'")),
    # Number and name with their pinyin, for the global search (adapters/db/ngrams.py).
    Column("search_text", Text, nullable=False, server_default=""),
    Index("ix_opportunities_search_bigrams", "owner_id", text("search_grams(search_text, 2)"),
          postgresql_using="gin"),
    Index("ix_opportunities_search_trigrams", "owner_id", text("search_grams(search_text, 3)"),
          postgresql_using="gin"),
)

# The board's sums, kept by a trigger on opportunities (see migration 0003): one row per
# pipeline, stage, owner, owner's department (a zero UUID for none) and currency, so the board
# adds up a few hundred rows however many deals there are.
NO_DEPARTMENT = "00000000-0000-0000-0000-000000000000"

opportunity_totals = Table(
    "opportunity_totals", metadata,
    Column("pipeline_id", UUID(as_uuid=True), nullable=False),
    Column("stage_id", UUID(as_uuid=True), nullable=False),
    Column("owner_id", UUID(as_uuid=True), nullable=False),
    Column("owner_department_id", UUID(as_uuid=True), nullable=False),
    Column("currency", Text, nullable=False),
    Column("n", BigInteger, nullable=False, server_default="0"),
    Column("amount", Numeric(20, 2), nullable=False, server_default="0"),
    PrimaryKeyConstraint("pipeline_id", "stage_id", "owner_id", "owner_department_id",
                         "currency"),
)

opportunity_stage_history = Table(
    "opportunity_stage_history", metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("opportunity_id", UUID(as_uuid=True), ForeignKey("opportunities.id"),
           nullable=False),
    Column("stage_id", UUID(as_uuid=True), nullable=False),
    Column("stage_name", Text, nullable=False),
    Column("entered_at", DateTime(timezone=True), nullable=False),
    Column("entered_by", UUID(as_uuid=True)),
    Column("entered_by_label", Text, nullable=False),
    Column("left_at", DateTime(timezone=True)),
    Column("left_by", UUID(as_uuid=True)),
    Index("ix_opportunity_stage_history_opportunity", "opportunity_id", "id"),
)
