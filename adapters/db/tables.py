"""The PostgreSQL schema as SQLAlchemy Core tables. Alembic's target_metadata points here."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Sequence,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


def _timestamps() -> list[Column]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


departments = Table(
    "departments", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("parent_id", UUID(as_uuid=True), ForeignKey("departments.id"), index=True),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
)

ROLES = ("admin", "manager", "sales_rep", "finance", "executive", "legal", "service_agent")

users = Table(
    "users", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("email", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("department_id", UUID(as_uuid=True), ForeignKey("departments.id"), index=True),
    Column("password_hash", Text, nullable=False),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("token_version", Integer, nullable=False, server_default="1"),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_login_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
    CheckConstraint("role IN ('" + "','".join(ROLES) + "')", name="role_known"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("prefix", Text, nullable=False, unique=True),
    Column("secret_hash", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("family_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False, index=True),
    Column("secret_hash", Text, nullable=False),
    Column("token_version", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

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

outbox = Table(
    "outbox", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("type", Text, nullable=False),
    Column("aggregate_type", Text, nullable=False),
    Column("aggregate_id", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index("ix_outbox_unpublished", "seq", postgresql_where=text("published_at IS NULL")),
)

processed_events = Table(
    "processed_events", metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id"),
)

notifications = Table(
    "notifications", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("event_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("read_at", DateTime(timezone=True)),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("caller", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("status", Integer),
    Column("headers", JSONB),
    Column("body", LargeBinary),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("caller", "key"),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)


# ---- customers (issue: Customer 360) ----------------------------------------------------------

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
    # Name, number and contact names, for q= (trigram index).
    Column("search_text", Text, nullable=False, server_default=""),
    Column("created_by", UUID(as_uuid=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
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
)

# Each customer's list document (the API's JSON, masked), kept by triggers on customers and
# contacts (migration 0016); a list reads the page's documents by key. A table of its own, so
# the customers' heap, which searches and filters scan, stays as small as it was.
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
    *_timestamps(),
    Index("ix_followups_customer_occurred", "customer_id", "occurred_at", "id"),
    Index("ix_followups_owner_occurred", "owner_id", "occurred_at", "id"),
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
    *_timestamps(),
    Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_at"),
    Index("ix_tasks_related", "related_id"),
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
    Index("ix_customer_activity_customer", "customer_id", "id"),
)

picklists = Table(
    "picklists", metadata,
    Column("list", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    PrimaryKeyConstraint("list", "value"),
)


# ---- catalogue, segments, bulk import and export (issue: customer data in bulk) -------------

custom_fields = Table(
    "custom_fields", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("entity", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("options", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("required", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("uq_custom_fields_entity_key", "entity", "key", unique=True),
)

tags = Table(
    "tags", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("category", Text, nullable=False),
    Column("colour", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

segments = Table(
    "segments", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("filter", JSONB, nullable=False),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False, index=True),
    Column("sharing", Text, nullable=False),
    Column("department_id", UUID(as_uuid=True), ForeignKey("departments.id"), index=True),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
)

imports = Table(
    "imports", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("filename", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("encoding", Text),
    Column("mapping", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("policy", Text, nullable=False),
    Column("target", Text, nullable=False, server_default="customers"),
    Column("dry_run", Boolean, nullable=False),
    Column("status", Text, nullable=False),
    Column("error", Text),
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("next_row", Integer, nullable=False, server_default="0"),
    Column("rows_read", Integer, nullable=False, server_default="0"),
    Column("created", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("merged", Integer, nullable=False, server_default="0"),
    Column("skipped", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("sha256", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
    Column("finished_at", DateTime(timezone=True)),
)

import_files = Table(
    "import_files", metadata,
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id", ondelete="CASCADE"),
           primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

# The file's rows, parsed once and staged, so the job reads them in resumable chunks.
import_rows = Table(
    "import_rows", metadata,
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id", ondelete="CASCADE"),
           nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("data", JSONB, nullable=False),
    PrimaryKeyConstraint("import_id", "row_number"),
)

import_errors = Table(
    "import_errors", metadata,
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id", ondelete="CASCADE"),
           nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("column", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Index("ix_import_errors_import_row", "import_id", "row_number"),
)

# Duplicate keys (phone blind index, normalised name) met so far in one file, so duplicates
# inside a file are found across chunks and after a restart.
import_keys = Table(
    "import_keys", metadata,
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id", ondelete="CASCADE"),
           nullable=False),
    Column("key", Text, nullable=False),
    Column("customer_id", UUID(as_uuid=True)),
    PrimaryKeyConstraint("import_id", "key"),
)

exports = Table(
    "exports", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("format", Text, nullable=False),
    Column("filter", JSONB, nullable=False),
    Column("reveal", Boolean, nullable=False),
    Column("status", Text, nullable=False),
    Column("error", Text),
    Column("rows_written", Integer, nullable=False, server_default="0"),
    Column("cursor", Text),
    Column("chunks", Integer, nullable=False, server_default="0"),
    Column("bytes", BigInteger, nullable=False, server_default="0"),
    *_timestamps(),
    Column("finished_at", DateTime(timezone=True)),
)

export_chunks = Table(
    "export_chunks", metadata,
    Column("export_id", UUID(as_uuid=True), ForeignKey("exports.id", ondelete="CASCADE"),
           nullable=False),
    Column("seq", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("export_id", "seq"),
)


# ---- leads and the sales pipeline (issue 5) ---------------------------------------------------

lead_number_seq = Sequence("lead_number_seq", metadata=metadata)
opportunity_number_seq = Sequence("opportunity_number_seq", metadata=metadata)

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
    *_timestamps(),
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
    *_timestamps(),
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
    Index("ix_leads_search", "search_text", postgresql_using="gin",
          postgresql_ops={"search_text": "gin_trgm_ops"}),
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

pipelines = Table(
    "pipelines", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    Column("stale_days", Integer, nullable=False, server_default="7"),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
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
    *_timestamps(),
    # The board: sums per stage and currency from the index alone, then each column's cards.
    Index("ix_opportunities_board", "pipeline_id", "stage_id", "currency", "amount"),
    Index("ix_opportunities_cards", "pipeline_id", "stage_id", "updated_at", "id"),
    Index("ix_opportunities_owner", "owner_id", "pipeline_id", "stage_id"),
    Index("ix_opportunities_dept", "owner_department_id", "pipeline_id", "stage_id"),
    Index("ix_opportunities_updated", "updated_at", "id"),
    Index("ix_opportunities_customer_id", "customer_id"),
    Index("ix_opportunities_lead_id", "lead_id"),
    Index("ix_opportunities_open_activity", "last_activity_at",
          postgresql_where=text("status = 'open'")),
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

# ---- contracts ----------------------------------------------------------------------------------

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
    *_timestamps(),
    Index("ix_contracts_owner", "owner_id", "created_at", "id"),
    Index("ix_contracts_dept", "owner_department_id", "created_at", "id"),
    Index("ix_contracts_created", "created_at", "id"),
    Index("ix_contracts_customer_id", "customer_id"),
    Index("ix_contracts_opportunity_id", "opportunity_id"),
    # the daily sweep: contracts in force by end date / signed ones by start date
    Index("ix_contracts_in_force_end", "end_date",
          postgresql_where=text("status IN ('signed', 'active') AND deleted_at IS NULL")),
    Index("ix_contracts_signed_start", "start_date",
          postgresql_where=text("status = 'signed' AND deleted_at IS NULL")),
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

# ---- notification channels (issue 6, item 5) ---------------------------------------------------

# Shipped templates (builtin) are seeded by `crm db upgrade`; a custom one overrides its triple.
notification_templates = Table(
    "notification_templates", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("locale", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("builtin", Boolean, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
    UniqueConstraint("kind", "channel", "locale", "builtin"),
    CheckConstraint("channel IN ('in_app','email','sms')", name="channel_known"),
)

# Only users who changed something have a row; `channels` holds their per-kind choices.
notification_preferences = Table(
    "notification_preferences", metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), primary_key=True),
    Column("locale", Text, nullable=False),
    Column("mobile_enc", Text),
    Column("channels", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
)

notification_deliveries = Table(
    "notification_deliveries", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("notification_id", UUID(as_uuid=True),
           ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime(timezone=True), server_default=func.now()),
    Column("claim", UUID(as_uuid=True)),
    Column("claimed_until", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    *_timestamps(),
    UniqueConstraint("notification_id", "channel"),
    CheckConstraint("status IN ('pending','sent','failed')", name="status_known"),
    Index("ix_notification_deliveries_due", "next_attempt_at",
          postgresql_where=text("status = 'pending'")),
    Index("ix_notification_deliveries_user", "user_id", "created_at"),
)

# ---- webhooks ------------------------------------------------------------------------------

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
    *_timestamps(),
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

# Webhook ordering looks for a record's earlier events that are not fanned out yet.
Index("ix_outbox_aggregate_seq", outbox.c.aggregate_type, outbox.c.aggregate_id, outbox.c.seq)
