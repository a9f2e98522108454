"""q= for a rep: the n-gram GIN indexes lead with the owner

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 08:00:00

A rep's search is "owner_id = me AND the n-grams of q". With the n-grams alone in the index,
PostgreSQL ANDed a popular 2-character name's bitmap (~10,000 rows at 1,000,000 customers)
with the rep's ~20,000 rows from the owner btree: 5-7 ms a search. With the owner as a
column of the same GIN index (btree_gin) one index scan intersects the two posting lists:
~1 ms. Searches by others (managers, admins) use the n-gram column alone, as before.
Rebuilding the two indexes locks writes to customers for about a minute per million rows.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMES = {2: "bigrams", 3: "trigrams"}


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")  # two GIN builds over the table
    for n, name in NAMES.items():
        op.execute(f"DROP INDEX ix_customers_search_{name}")
        op.execute(f"CREATE INDEX ix_customers_search_{name} ON customers "
                   f"USING gin (owner_id, search_grams(search_text, {n}))")
        op.execute(f"ALTER INDEX ix_customers_search_{name} ALTER COLUMN 2 SET STATISTICS 1000")


def downgrade() -> None:
    for n, name in NAMES.items():
        op.execute(f"DROP INDEX ix_customers_search_{name}")
        op.execute(f"CREATE INDEX ix_customers_search_{name} ON customers "
                   f"USING gin (search_grams(search_text, {n}))")
        op.execute(f"ALTER INDEX ix_customers_search_{name} ALTER COLUMN 1 SET STATISTICS 1000")
