"""indexes for segment and export filters on annual purchase

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 23:20:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_customers_industry_purchase', 'customers',
                    ['industry', 'annual_purchase'], unique=False)
    op.create_index('ix_customers_purchase', 'customers', ['annual_purchase'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_customers_purchase', table_name='customers')
    op.drop_index('ix_customers_industry_purchase', table_name='customers')
