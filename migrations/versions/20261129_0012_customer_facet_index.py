"""the filtered list (industry + region + tag) by GIN keys of who sees it and the exact combination

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 01:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keys of the exact (who may see it, industry, region, tag) combinations: per tag, one for
# everybody ("*"), one for its owner ("o" + id) and one for its department ("d" + id), each
# joined with industry, region and the tag by a unit separator. The list's "visibility AND
# industry = … AND region = … AND tags @> …" then reads the posting lists of exactly the rows
# the caller may see (tens to hundreds at 1,000,000 customers) instead of ANDing the bitmap of
# a popular tag (up to 140,000 rows) with the industry/region range and the owner's rows. The
# visibility, industry and region conditions stay in the query, so the keys only ever narrow
# the candidates; they never decide who sees what.
CUSTOMER_FACETS = """
CREATE FUNCTION customer_facets(owner_id uuid, department_id uuid, industry text, region text,
                                tags text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT who || chr(31) || industry || chr(31) || region
                              || chr(31) || tag), '{}')
    FROM unnest(tags) AS tag,
         unnest(ARRAY['*', 'o' || owner_id::text, 'd' || department_id::text]) AS who
    WHERE industry IS NOT NULL AND region IS NOT NULL AND who IS NOT NULL
$$
"""


def upgrade() -> None:
    op.execute(CUSTOMER_FACETS)
    op.execute("CREATE INDEX ix_customers_facets ON customers USING gin "
               "(customer_facets(owner_id, owner_department_id, industry, region, tags))")
    op.execute("ALTER INDEX ix_customers_facets ALTER COLUMN 1 SET STATISTICS 1000")


def downgrade() -> None:
    op.drop_index('ix_customers_facets', table_name='customers')
    op.execute("DROP FUNCTION customer_facets(uuid, uuid, text, text, text[])")
