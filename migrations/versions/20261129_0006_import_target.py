"""imports can target leads (trade-show lists)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 00:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('imports', sa.Column('target', sa.Text(), server_default='customers',
                                       nullable=False))


def downgrade() -> None:
    op.drop_column('imports', 'target')
