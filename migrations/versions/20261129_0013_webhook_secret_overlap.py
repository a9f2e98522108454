"""a rotated webhook secret keeps signing beside the new one for a while

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 05:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook_endpoints", sa.Column("previous_secret_enc", sa.Text()))
    op.add_column("webhook_endpoints",
                  sa.Column("previous_secret_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("webhook_endpoints", "previous_secret_until")
    op.drop_column("webhook_endpoints", "previous_secret_enc")
