"""search keys with pinyin on every sales record; contacts' phone tails; leads' q= by n-grams

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 01:00:00

Customers, contacts, leads, opportunities and contracts are found by name, number and
company and by the pinyin of their Chinese (上海明远精密机械: `mingyuan`, `shmyjm`): the keys
are spelled in Python (pypinyin) when a record is written (domain/search/keys.py) and indexed
by their 2- and 3-grams, as the customers' already were (0007, 0015). The rows already there
are spelled here, in batches. A contact's phone tails (the last four digits, which its
masked forms show) come from the masked forms, in SQL.

The n-gram indexes are built after the keys are written, not kept up to date row by row, and
the triggers that rebuild list documents and board totals are off while only the keys
change (neither reads them). About 4 minutes a million customers, writes to these tables
locked meanwhile.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
NAMES = {2: "bigrams", 3: "trigrams"}

# (table, the columns a key is spelled from (SQL), triggers to hold off while keys change)
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "customers": ("ARRAY[name, number] || ARRAY(SELECT c.name FROM contacts AS c "
                  "WHERE c.customer_id = t.id ORDER BY c.position)", ("customer_doc",)),
    "contacts": ("ARRAY[name]", ("contacts_doc_changed",)),
    "leads": ("ARRAY[number, name, company]", ()),
    "opportunities": ("ARRAY[number, name]", ("opportunity_totals_update",)),
    "contracts": ("ARRAY[number, title]", ()),
}
# Who leads each table's n-gram indexes: a rep's search intersects its own rows in the index.
OWNER = {"customers": "owner_id, ", "leads": "owner_id, ", "opportunities": "owner_id, ",
         "contracts": "owner_id, ", "contacts": ""}

PHONE_TAILS = """
UPDATE contacts SET phone_tails = array_remove(ARRAY[
    right(mobile_masked, 4),
    right(CASE WHEN landline_masked LIKE '0%-%' THEN split_part(landline_masked, '-', 2)
               ELSE landline_masked END, 4)], NULL)
WHERE mobile_masked IS NOT NULL OR landline_masked IS NOT NULL
"""


def upgrade() -> None:
    for table in ("contacts", "opportunities", "contracts"):
        op.add_column(table, sa.Column("search_text", sa.Text(), server_default="",
                                       nullable=False))
    op.add_column("contacts", sa.Column("phone_tails", sa.ARRAY(sa.Text()),
                                        server_default=sa.text("'{}'::text[]"), nullable=False))
    for name in NAMES.values():
        op.execute(f"DROP INDEX ix_customers_search_{name}")
    op.execute("DROP INDEX ix_leads_search")
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")  # ten GIN builds
    for table, (parts, triggers) in SOURCES.items():
        _spell(table, parts, triggers)
    op.execute("ALTER TABLE contacts DISABLE TRIGGER contacts_doc_changed")
    op.execute(PHONE_TAILS)
    op.execute("ALTER TABLE contacts ENABLE TRIGGER contacts_doc_changed")
    op.execute("CREATE INDEX ix_contacts_phone_tails ON contacts USING gin (phone_tails)")
    for table in SOURCES:
        for n, name in NAMES.items():
            op.execute(f"CREATE INDEX ix_{table}_search_{name} ON {table} "
                       f"USING gin ({OWNER[table]}search_grams(search_text, {n}))")
            column = 2 if OWNER[table] else 1
            op.execute(f"ALTER INDEX ix_{table}_search_{name} "
                       f"ALTER COLUMN {column} SET STATISTICS 1000")


def _spell(table: str, parts: str, triggers: tuple[str, ...]) -> None:
    """Each row's key, BATCH rows at a time in id order, written by one UPDATE a batch."""
    from domain.search.keys import search_key

    bind = op.get_bind()
    if not bind.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar():  # noqa: S608
        return
    for trigger in triggers:
        op.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    last = None
    while True:
        rows = bind.execute(sa.text(
            f"SELECT t.id, {parts} AS parts FROM {table} AS t "  # noqa: S608 (constants)
            + ("WHERE t.id > :last " if last is not None else "")
            + "ORDER BY t.id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            break
        bind.execute(sa.text(
            f"UPDATE {table} SET search_text = v.key "  # noqa: S608 (constants)
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:keys AS text[])) AS v(id, key) "
            f"WHERE {table}.id = v.id"),
            {"ids": [r.id for r in rows], "keys": [search_key(*r.parts) for r in rows]})
        last = rows[-1].id
    for trigger in triggers:
        op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def downgrade() -> None:
    for table in SOURCES:
        for name in NAMES.values():
            op.execute(f"DROP INDEX ix_{table}_search_{name}")
    op.execute("DROP INDEX ix_contacts_phone_tails")
    op.drop_column("contacts", "phone_tails")
    for table in ("contacts", "opportunities", "contracts"):
        op.drop_column(table, "search_text")
    op.execute("UPDATE customers SET search_text = lower(concat_ws(' ', name, number, "
               "(SELECT string_agg(c.name, ' ' ORDER BY c.position) FROM contacts AS c "
               "WHERE c.customer_id = customers.id)))")
    op.execute("UPDATE leads SET search_text = lower(concat_ws(' ', number, name, company))")
    op.execute("CREATE INDEX ix_leads_search ON leads USING gin (search_text gin_trgm_ops)")
    for n, name in NAMES.items():
        op.execute(f"CREATE INDEX ix_customers_search_{name} ON customers "
                   f"USING gin (owner_id, search_grams(search_text, {n}))")
        op.execute(f"ALTER INDEX ix_customers_search_{name} ALTER COLUMN 2 SET STATISTICS 1000")
