"""Leads with their timeline, website forms, the sales settings and routing state."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Sequence,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from adapters.db.tables.base import NEVER_SQL, metadata, timestamps

lead_number_seq = Sequence("lead_number_seq", metadata=metadata)

OPEN_LEAD = text("status IN ('new', 'contacted', 'qualified')")

# Admin-edited documents (the lead scoring model, the routing rules), versioned.
sales_settings = Table(
    "sales_settings", metadata,
    Column("key", Text, primary_key=True),
    Column("doc", JSONB, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

lead_forms = Table(
    "lead_forms", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("key", Text, nullable=False, unique=True),
    Column("site_origin", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("campaign", Text),
    Column("honeypot_field", Text, nullable=False),
    Column("per_ip_per_hour", Integer, nullable=False),
    Column("per_form_per_minute", Integer, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_by", UUID(as_uuid=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
)

leads = Table(
    "leads", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("status", Text, nullable=False),
    Column("name", Text),
    Column("company", Text),
    Column("title", Text),
    # Personal data: ciphertext with a key id, plus a keyed blind index for duplicate lookups.
    Column("phone_enc", Text),
    Column("phone_bidx", Text),
    Column("phone_valid", Boolean, nullable=False, server_default=text("true")),
    Column("email_enc", Text),
    Column("email_bidx", Text),
    Column("email_valid", Boolean, nullable=False, server_default=text("true")),
    Column("industry", Text),
    Column("region", Text),
    Column("company_size", Text),
    Column("budget", Numeric(18, 2)),
    Column("currency", Text, nullable=False, server_default="CNY"),
    Column("message", Text),
    Column("source", Text, nullable=False),
    Column("campaign", Text),
    Column("attribution", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("engagement", Integer, nullable=False, server_default="0"),
    Column("score", Integer, nullable=False, server_default="0"),
    Column("grade", Text, nullable=False),
    Column("score_breakdown", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("flags", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("owner_department_id", UUID(as_uuid=True), ForeignKey("departments.id")),
    Column("assignment", JSONB),
    Column("assigned_by", Text),
    Column("assigned_at", DateTime(timezone=True)),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id")),
    Column("opportunity_id", UUID(as_uuid=True)),
    Column("duplicate_of_id", UUID(as_uuid=True)),
    Column("disqualify_reason", Text),
    Column("form_id", UUID(as_uuid=True), ForeignKey("lead_forms.id")),
    Column("converted_at", DateTime(timezone=True)),
    Column("last_followup_at", DateTime(timezone=True)),
    Column("next_followup_at", DateTime(timezone=True)),
    Column("touched_at", DateTime(timezone=True), nullable=False),
    Column("search_text", Text, nullable=False, server_default=""),
    Column("created_by", UUID(as_uuid=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    Index("ix_leads_owner_created", "owner_id", "created_at", "id"),
    Index("ix_leads_dept_created", "owner_department_id", "created_at", "id"),
    Index("ix_leads_created", "created_at", "id"),
    Index("ix_leads_updated", "updated_at", "id"),
    Index("ix_leads_phone_bidx", "phone_bidx"),
    Index("ix_leads_email_bidx", "email_bidx"),
    Index("ix_leads_customer_id", "customer_id"),
    # Routing counts each rep's open leads; the follow-up scan looks for the untouched ones.
    Index("ix_leads_open_owner", "owner_id", postgresql_where=OPEN_LEAD),
    Index("ix_leads_open_touched", "touched_at", postgresql_where=OPEN_LEAD),
    # q= and the global search: number, name and company with their pinyin, by n-grams
    # (adapters/db/ngrams.py); the owner leads, as on customers (migration 0021).
    Index("ix_leads_search_bigrams", "owner_id", text("search_grams(search_text, 2)"),
          postgresql_using="gin"),
    Index("ix_leads_search_trigrams", "owner_id", text("search_grams(search_text, 3)"),
          postgresql_using="gin"),
    # the list's sorts on nullable fields, by the sentinel they sort as (adapters/db/keyset.py)
    Index("ix_leads_next_followup", text(f"coalesce(next_followup_at, {NEVER_SQL})"), "id"),
    Index("ix_leads_name", text("coalesce(name, ''::text)"), "id"),
)

lead_activity = Table(
    "lead_activity", metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("lead_id", UUID(as_uuid=True), ForeignKey("leads.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("actor_id", UUID(as_uuid=True)),
    Column("actor_label", Text, nullable=False),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # The words as a code with parameters, rendered in the reader's language; `summary`
    # keeps them in English.
    Column("summary_text", JSONB),
    Index("ix_lead_activity_lead", "lead_id", "id"),
)

# A department's least-loaded turn pointer (the last rep served, for ties); its row lock
# serialises least-loaded captures. Round-robin draws from lead_turn_<department> instead.
lead_rotation = Table(
    "lead_rotation", metadata,
    Column("department_id", UUID(as_uuid=True), ForeignKey("departments.id"), primary_key=True),
    Column("last_user_id", UUID(as_uuid=True)),
    Column("turns", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

rep_availability = Table(
    "rep_availability", metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), primary_key=True),
    Column("away", Boolean, nullable=False, server_default=text("false")),
    Column("away_until", DateTime(timezone=True)),
    Column("capacity", Integer),
    Column("in_rotation", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
