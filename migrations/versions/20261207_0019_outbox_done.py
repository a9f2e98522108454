"""An outbox event is done when its reactions have run, not when it was queued

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 22:10:00

`published_at` used to be the end of an event's road: the relay set it in the transaction that
queued the job, and a Redis that lost its data (no persistence, a failover) lost the job, so
the event's consumers never ran and nothing noticed. Now `done_at` says the reactions ran: the
relay sets it at publish for events no consumer handles, and the sweep sets it once every
consumer registered for the type has its processed marker. `published_at` becomes when the
event last went to the queue: the sweep sends an event again when that is longer ago than the
grace period and it is not done. The partial index holds only the events the sweep looks at.

Events published before this revision are taken as done: under the old scheme nothing can tell
a handled one from a lost one cheaply, and re-running long-past reactions would do more harm.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('outbox', sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET done_at = published_at WHERE published_at IS NOT NULL")
    op.create_index('ix_outbox_not_done', 'outbox', ['published_at'], unique=False,
                    postgresql_where=sa.text('done_at IS NULL AND published_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_outbox_not_done', table_name='outbox',
                  postgresql_where=sa.text('done_at IS NULL AND published_at IS NOT NULL'))
    op.drop_column('outbox', 'done_at')
