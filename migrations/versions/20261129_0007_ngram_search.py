"""customer search by 2- and 3-grams (2-character Chinese words have no trigram in pg_trgm)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 00:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_GRAMS = """
CREATE FUNCTION search_grams(t text, n int) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(t, i, n)), '{}')
    FROM generate_series(1, greatest(length(t) - n + 1, 0)) AS i
$$
"""


def upgrade() -> None:
    op.execute(SEARCH_GRAMS)
    op.drop_index('ix_customers_search', table_name='customers')
    op.execute("CREATE INDEX ix_customers_search_bigrams ON customers "
               "USING gin (search_grams(search_text, 2))")
    op.execute("CREATE INDEX ix_customers_search_trigrams ON customers "
               "USING gin (search_grams(search_text, 3))")
    # a word's n-grams vary widely in frequency: finer statistics give the planner the truth
    op.execute("ALTER INDEX ix_customers_search_bigrams ALTER COLUMN 1 SET STATISTICS 1000")
    op.execute("ALTER INDEX ix_customers_search_trigrams ALTER COLUMN 1 SET STATISTICS 1000")


def downgrade() -> None:
    op.drop_index('ix_customers_search_trigrams', table_name='customers')
    op.drop_index('ix_customers_search_bigrams', table_name='customers')
    op.execute("CREATE INDEX ix_customers_search ON customers "
               "USING gin (search_text gin_trgm_ops)")
    op.execute("DROP FUNCTION search_grams(text, int)")
