"""Key check values, so that a wrong encryption key stops start-up

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 23:30:00

A process started with a CRM_FIELD_KEY or CRM_BLIND_INDEX_KEY other than the one the data was
written with used to start normally and fail at the first reveal (or find nothing by phone).
Each key's encryption (or HMAC) of a known constant is stored under its key id at the first
start with that key, and checked at every start after.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'key_checks',
        sa.Column('purpose', sa.Text(), nullable=False),
        sa.Column('key_id', sa.Text(), nullable=False),
        sa.Column('check_value', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('purpose', 'key_id'),
    )


def downgrade() -> None:
    op.drop_table('key_checks')
