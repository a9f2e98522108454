"""A customer as the API's JSON document (CustomerOut, masked), written by PostgreSQL: the
customer lists read these instead of building an object per row.

A test holds DOC_FIELDS equal to what GET answers for the same customer, and crm_customer_doc
(migration 0016, which keeps it in customer_docs) equal to DOC_FIELDS: a change here needs a
migration that redefines crm_customer_doc and rewrites customer_docs."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Text, literal_column


def _ts(column: str) -> str:
    return f"crm_json_ts(customers.{column})"  # the API's timestamp format (migration 0014)


# The document's fields, in its field order, as SQL. Contacts come from their masked columns,
# in their order. Plain SQL text: the statement's cache key then costs one string, not a walk
# over some 120 expression objects on every request.
CONTACT_DOCS = (
    "(SELECT coalesce(json_agg(json_build_object('id', k.id, 'name', k.name, 'title', k.title, "
    "'mobile', k.mobile_masked, 'landline', k.landline_masked, 'email', k.email_masked, "
    "'is_primary', k.is_primary) ORDER BY k.position), '[]'::json) "
    "FROM contacts AS k WHERE k.customer_id = customers.id)")

DOC_FIELDS: list[tuple[str, str]] = [
    *((name, f"customers.{name}") for name in (
        "id", "number", "name", "kind", "industry", "region", "size", "source", "grade",
        "tier")),
    ("annual_purchase", "customers.annual_purchase::text"), ("currency", "customers.currency"),
    ("owner_id", "customers.owner_id"), ("owner_department_id", "customers.owner_department_id"),
    ("first_contact_date", "customers.first_contact_date"),
    ("last_followup_at", _ts("last_followup_at")), ("next_followup_at", _ts("next_followup_at")),
    ("next_followup_plan", "customers.next_followup_plan"), ("key_needs", "customers.key_needs"),
    ("tags", "customers.tags"), ("custom", "customers.custom"),
    ("id_card_number", "customers.id_card_masked"), ("contacts", CONTACT_DOCS),
    ("version", "customers.version"), ("created_at", _ts("created_at")),
    ("updated_at", _ts("updated_at")), ("deleted", "false"),
]
STORED_DOC = "(SELECT d.doc FROM customer_docs AS d WHERE d.customer_id = customers.id)"

# A deleted customer in a delta sync or the recycle bin (Tombstone).
TOMBSTONE_FIELDS: list[tuple[str, str]] = [
    ("id", "customers.id"), ("deleted", "true"), ("version", "customers.version"),
    ("updated_at", _ts("updated_at")), ("merged_into", "customers.merged_into_id"),
]


@functools.lru_cache(maxsize=64)
def customer_document(fields: frozenset[str] | None = None) -> Any:
    """The JSON text of a customer (or of its tombstone), trimmed to `fields` when given (only
    the names of the lists above ever reach the SQL)."""
    def build(spec: list[tuple[str, str]]) -> str:
        return "json_build_object(" + ", ".join(
            f"'{name}', {sql}" for name, sql in spec if fields is None or name in fields) + ")"

    # The whole document is kept by triggers (customer_docs, migration 0016) and read by key
    # for the page's rows only; a trimmed one is built here from the same fields.
    live = STORED_DOC if fields is None else f"{build(DOC_FIELDS)}::text"
    return literal_column(f"(CASE WHEN customers.deleted_at IS NOT NULL THEN "
                          f"{build(TOMBSTONE_FIELDS)}::text ELSE {live} END)", Text)
