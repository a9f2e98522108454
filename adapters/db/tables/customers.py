"""Customers with their contacts and list documents, follow-ups, tasks, the timeline and
the picklists."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Sequence,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from adapters.db.tables.base import NEVER_SQL, metadata, timestamps

customer_number_seq = Sequence("customer_number_seq", metadata=metadata)

customers = Table(
    "customers", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("name_normalised", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("industry", Text),
    Column("region", Text),
    Column("size", Text),
    Column("source", Text),
    Column("grade", Text, nullable=False),
    Column("tier", Text, nullable=False),
    Column("annual_purchase", Numeric(18, 2)),
    Column("currency", Text, nullable=False, server_default="CNY"),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("owner_department_id", UUID(as_uuid=True), ForeignKey("departments.id")),
    Column("first_contact_date", Date),
    Column("last_followup_at", DateTime(timezone=True)),
    Column("next_followup_at", DateTime(timezone=True)),
    Column("next_followup_plan", Text),
    Column("key_needs", Text),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("custom", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Personal data: ciphertext with a key id, plus a keyed blind index for exact lookups.
    Column("id_card_enc", Text),
    Column("id_card_bidx", Text),
    # The masked form every response shows (110105********1234), for the lists' JSON (0014).
    Column("id_card_masked", Text),
    # Name, number and contact names with their pinyin (domain/search/keys.py), for q= and
    # the global search (the n-gram indexes below).
    Column("search_text", Text, nullable=False, server_default=""),
    Column("created_by", UUID(as_uuid=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    Column("deleted_at", DateTime(timezone=True)),
    # Set on the records a merge folded into another: they stay as tombstones pointing at it.
    Column("merged_into_id", UUID(as_uuid=True)),
    Index("ix_customers_owner_created", "owner_id", "created_at", "id"),
    Index("ix_customers_dept_created", "owner_department_id", "created_at", "id"),
    Index("ix_customers_created", "created_at", "id"),
    Index("ix_customers_updated", "updated_at", "id"),
    Index("ix_customers_industry_region_created", "industry", "region", "created_at"),
    Index("ix_customers_region_created", "region", "created_at"),
    # Segments and exports filter by industry and a purchase range (value tiers).
    Index("ix_customers_industry_purchase", "industry", "annual_purchase"),
    Index("ix_customers_purchase", "annual_purchase"),
    Index("ix_customers_last_followup", "last_followup_at"),
    # the list sorted by next follow-up, none planned last (adapters/db/keyset.py NEVER)
    Index("ix_customers_next_followup", text(f"coalesce(next_followup_at, {NEVER_SQL})"), "id"),
    Index("ix_customers_name_normalised", "name_normalised"),
    Index("ix_customers_id_card_bidx", "id_card_bidx"),
    Index("ix_customers_tags", "tags", postgresql_using="gin"),
    Index("ix_customers_custom", "custom", postgresql_using="gin",
          postgresql_ops={"custom": "jsonb_path_ops"}),
    # q= matches the n-grams of name, number and contact names (see search_grams in the
    # migration): pg_trgm has no trigram for a 2-character word, the usual Chinese name. The
    # owner leads (btree_gin, 0015): a rep's search intersects its own rows inside the index.
    Index("ix_customers_search_bigrams", "owner_id", text("search_grams(search_text, 2)"),
          postgresql_using="gin"),
    Index("ix_customers_search_trigrams", "owner_id", text("search_grams(search_text, 3)"),
          postgresql_using="gin"),
    # industry + region + tag lists read the posting lists of the exact combinations the
    # caller may see (customer_facets in migration 0012), not a popular tag's whole bitmap.
    Index("ix_customers_facets",
          text("customer_facets(owner_id, owner_department_id, industry, region, tags)"),
          postgresql_using="gin"),
)

contacts = Table(
    "contacts", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False,
           index=True),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("name", Text, nullable=False),
    Column("title", Text),
    Column("mobile_enc", Text),
    Column("mobile_bidx", Text, index=True),
    Column("landline_enc", Text),
    Column("landline_bidx", Text, index=True),
    Column("email_enc", Text),
    Column("email_bidx", Text, index=True),
    Column("is_primary", Boolean, nullable=False, server_default=text("false")),
    # The masked forms every response shows (138****5678, z***@example.com): the customer
    # list's JSON is built by PostgreSQL from these, without the key (migration 0014).
    Column("mobile_masked", Text),
    Column("landline_masked", Text),
    Column("email_masked", Text),
    # The name with its pinyin, for the global search (domain/search/keys.py).
    Column("search_text", Text, nullable=False, server_default=""),
    # The last four digits of the mobile and the landline, which their masked forms show:
    # the global search's look-up by the end of a number (migration 0021).
    Column("phone_tails", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Index("ix_contacts_search_bigrams", text("search_grams(search_text, 2)"),
          postgresql_using="gin"),
    Index("ix_contacts_search_trigrams", text("search_grams(search_text, 3)"),
          postgresql_using="gin"),
    Index("ix_contacts_phone_tails", "phone_tails", postgresql_using="gin"),
)

# Each customer's list document (the API's JSON, masked), kept by triggers on customers and
# contacts (migration 0016); a list reads the page's documents by key. A table of its own, so
# the customers' heap, which searches and filters scan, stays small.
customer_docs = Table(
    "customer_docs", metadata,
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id", ondelete="CASCADE"),
           primary_key=True),
    Column("doc", Text, nullable=False),
)

followups = Table(
    "followups", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("method", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("summary", Text, nullable=False),
    Column("feedback", Text),
    Column("next_action", Text),
    Column("next_followup_at", DateTime(timezone=True)),
    Column("status", Text, nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("accuracy_m", Float),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    Index("ix_followups_customer_occurred", "customer_id", "occurred_at", "id"),
    Index("ix_followups_owner_occurred", "owner_id", "occurred_at", "id"),
    Index("ix_followups_updated", "updated_at", "id"),
)

tasks = Table(
    "tasks", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("title", Text, nullable=False),
    Column("assignee_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("created_by", UUID(as_uuid=True)),
    Column("due_at", DateTime(timezone=True)),
    Column("related_type", Text),
    Column("related_id", UUID(as_uuid=True)),
    Column("status", Text, nullable=False),
    Column("origin", Text, nullable=False),
    Column("notes", Text),
    Column("completed_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_at"),
    Index("ix_tasks_related", "related_id"),
    Index("ix_tasks_updated", "updated_at", "id"),
)

customer_activity = Table(
    "customer_activity", metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("actor_id", UUID(as_uuid=True)),
    Column("actor_label", Text, nullable=False),
    Column("ref_type", Text),
    Column("ref_id", UUID(as_uuid=True)),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # The words as a code with parameters, rendered in the reader's language; `summary`
    # keeps them in English.
    Column("summary_text", JSONB),
    Index("ix_customer_activity_customer", "customer_id", "id"),
)

picklists = Table(
    "picklists", metadata,
    Column("list", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("label", Text, nullable=False),  # the words when `labels` has none in a language
    Column("labels", JSONB, nullable=False, server_default=text("'{}'::jsonb")),  # locale → words
    Column("active", Boolean, nullable=False, server_default=text("true")),
    PrimaryKeyConstraint("list", "value"),
)
