"""notifications keep the variables they were made from

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 01:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('notifications', sa.Column('data', postgresql.JSONB(astext_type=sa.Text()),
                                             server_default=sa.text("'{}'::jsonb"),
                                             nullable=False))


def downgrade() -> None:
    op.drop_column('notifications', 'data')
