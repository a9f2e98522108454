"""The PostgreSQL schema as SQLAlchemy Core tables, one module per feature, all on one
`metadata`: importing this package defines every table, so Alembic's target_metadata
(migrations/env.py) sees the whole schema, and `tables.users` reads as before."""

from __future__ import annotations

from adapters.db.tables.audit import audit_log
from adapters.db.tables.base import metadata
from adapters.db.tables.contracts import contract_number_seq, contract_steps, contracts
from adapters.db.tables.customers import (
    contacts,
    customer_activity,
    customer_docs,
    customer_number_seq,
    customers,
    followups,
    picklists,
    tasks,
)
from adapters.db.tables.discipline import followup_lapses
from adapters.db.tables.exports import export_chunks, exports
from adapters.db.tables.fields_and_tags import custom_fields, list_settings, segments, tags
from adapters.db.tables.idempotency import idempotency_keys
from adapters.db.tables.identity import ROLES, api_keys, departments, refresh_tokens, users
from adapters.db.tables.imports import (
    import_errors,
    import_files,
    import_keys,
    import_rows,
    imports,
)
from adapters.db.tables.key_checks import key_checks
from adapters.db.tables.leads import (
    OPEN_LEAD,
    lead_activity,
    lead_forms,
    lead_number_seq,
    lead_rotation,
    leads,
    rep_availability,
    sales_settings,
)
from adapters.db.tables.notifications import (
    notification_deliveries,
    notification_preferences,
    notification_templates,
    notifications,
)
from adapters.db.tables.outbox import outbox, processed_events
from adapters.db.tables.pipeline import (
    NO_DEPARTMENT,
    opportunities,
    opportunity_number_seq,
    opportunity_stage_history,
    opportunity_totals,
    pipeline_stages,
    pipelines,
)
from adapters.db.tables.webhooks import webhook_deliveries, webhook_endpoints

__all__ = [
    "NO_DEPARTMENT",
    "OPEN_LEAD",
    "ROLES",
    "api_keys",
    "audit_log",
    "contacts",
    "contract_number_seq",
    "contract_steps",
    "contracts",
    "custom_fields",
    "customer_activity",
    "customer_docs",
    "customer_number_seq",
    "customers",
    "departments",
    "export_chunks",
    "exports",
    "followup_lapses",
    "followups",
    "idempotency_keys",
    "import_errors",
    "import_files",
    "import_keys",
    "import_rows",
    "imports",
    "key_checks",
    "lead_activity",
    "lead_forms",
    "lead_number_seq",
    "lead_rotation",
    "leads",
    "list_settings",
    "metadata",
    "notification_deliveries",
    "notification_preferences",
    "notification_templates",
    "notifications",
    "opportunities",
    "opportunity_number_seq",
    "opportunity_stage_history",
    "opportunity_totals",
    "outbox",
    "picklists",
    "pipeline_stages",
    "pipelines",
    "processed_events",
    "refresh_tokens",
    "rep_availability",
    "sales_settings",
    "segments",
    "tags",
    "tasks",
    "users",
    "webhook_deliveries",
    "webhook_endpoints",
]
