"""Timeline lines keep their words as a code with parameters

Revision ID: 0024
Revises: 0020
Create Date: 2026-12-08 02:10:00

A timeline line was written once, in English, and shown as written. Now the line keeps a text
code with its parameters (`summary_text`), rendered in the reader's language when read, so a
reader who switches language sees old lines in the new one too. `summary` keeps the English
words for lines written before, and for anything that reads the table directly.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = '0024'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('customer_activity', sa.Column('summary_text', JSONB, nullable=True))
    op.add_column('lead_activity', sa.Column('summary_text', JSONB, nullable=True))


def downgrade() -> None:
    op.drop_column('lead_activity', 'summary_text')
    op.drop_column('customer_activity', 'summary_text')
