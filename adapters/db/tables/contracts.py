"""Contracts and their approval steps."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Sequence,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from adapters.db.tables.base import metadata, timestamps

contract_number_seq = Sequence("contract_number_seq", metadata=metadata)

contracts = Table(
    "contracts", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("opportunity_id", UUID(as_uuid=True), ForeignKey("opportunities.id")),
    Column("title", Text, nullable=False),
    Column("currency", Text, nullable=False, server_default="CNY"),
    # The sum of the line items, kept with them by the aggregate (lists and reports read it).
    Column("amount", Numeric(18, 2), nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("payment_terms", Text),
    Column("status", Text, nullable=False),
    Column("round", Integer, nullable=False, server_default="0"),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("owner_department_id", UUID(as_uuid=True), ForeignKey("departments.id")),
    Column("submitted_at", DateTime(timezone=True)),
    Column("approved_at", DateTime(timezone=True)),
    Column("signed_at", DateTime(timezone=True)),
    Column("activated_at", DateTime(timezone=True)),
    Column("paid_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("termination_reason", Text),
    Column("renewal_task_id", UUID(as_uuid=True)),
    Column("created_by", UUID(as_uuid=True)),
    Column("deleted_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    Index("ix_contracts_owner", "owner_id", "created_at", "id"),
    Index("ix_contracts_dept", "owner_department_id", "created_at", "id"),
    Index("ix_contracts_created", "created_at", "id"),
    Index("ix_contracts_updated", "updated_at", "id"),
    Index("ix_contracts_amount", "amount", "id"),
    Index("ix_contracts_customer_id", "customer_id"),
    Index("ix_contracts_opportunity_id", "opportunity_id"),
    # the daily sweep: contracts in force by end date / signed ones by start date
    Index("ix_contracts_in_force_end", "end_date",
          postgresql_where=text("status IN ('signed', 'active') AND deleted_at IS NULL")),
    Index("ix_contracts_signed_start", "start_date",
          postgresql_where=text("status = 'signed' AND deleted_at IS NULL")),
    # Number and title with their pinyin, for the global search (adapters/db/ngrams.py).
    Column("search_text", Text, nullable=False, server_default=""),
    Index("ix_contracts_search_bigrams", "owner_id", text("search_grams(search_text, 2)"),
          postgresql_using="gin"),
    Index("ix_contracts_search_trigrams", "owner_id", text("search_grams(search_text, 3)"),
          postgresql_using="gin"),
)

contract_steps = Table(
    "contract_steps", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("contract_id", UUID(as_uuid=True), ForeignKey("contracts.id"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("step", Integer, nullable=False),
    Column("role", Text, nullable=False),
    Column("assignee_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("reminded_at", DateTime(timezone=True)),
    Column("escalated_at", DateTime(timezone=True)),
    Column("escalated_to", UUID(as_uuid=True), ForeignKey("users.id")),
    Column("decided_by", UUID(as_uuid=True), ForeignKey("users.id")),
    Column("decided_at", DateTime(timezone=True)),
    Column("comment", Text),
    Index("ux_contract_steps_round_step", "contract_id", "round", "step", unique=True),
    # inboxes and the load count: open steps by assignee, and by escalation target
    Index("ix_contract_steps_pending_assignee", "assignee_id", "started_at",
          postgresql_where=text("status = 'pending'")),
    Index("ix_contract_steps_pending_escalated", "escalated_to", "started_at",
          postgresql_where=text("status = 'pending' AND escalated_to IS NOT NULL")),
    Index("ix_contract_steps_decided_at", "decided_at"),
)
