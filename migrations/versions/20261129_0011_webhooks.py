"""signed webhooks: endpoints and their deliveries

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 01:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'webhook_endpoints',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('secret_enc', sa.Text(), nullable=False),
        sa.Column('event_types', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('allow_private', sa.Boolean(), server_default=sa.text('false'),
                  nullable=False),
        sa.Column('owner_id', sa.UUID(), nullable=True),
        sa.Column('disabled_reason', sa.Text(), nullable=True),
        sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('from_seq', sa.BigInteger(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'],
                                name=op.f('fk_webhook_endpoints_owner_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints')),
    )
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('endpoint_id', sa.UUID(), nullable=False),
        sa.Column('event_id', sa.UUID(), nullable=False),
        sa.Column('event_type', sa.Text(), nullable=False),
        sa.Column('aggregate_type', sa.Text(), nullable=False),
        sa.Column('aggregate_id', sa.Text(), nullable=False),
        sa.Column('sequence', sa.BigInteger(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('round_attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('latency_ms', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')",
                           name=op.f('ck_webhook_deliveries_status_known')),
        sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], ondelete='CASCADE',
                                name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    )
    op.create_index('uq_webhook_deliveries_endpoint_event', 'webhook_deliveries',
                    ['endpoint_id', 'event_id'], unique=True)
    op.create_index('ix_webhook_deliveries_endpoint_sequence', 'webhook_deliveries',
                    ['endpoint_id', 'sequence', 'id'])
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['next_attempt_at'],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_webhook_deliveries_record', 'webhook_deliveries',
                    ['endpoint_id', 'aggregate_type', 'aggregate_id', 'sequence'],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_outbox_aggregate_seq', 'outbox', ['aggregate_type', 'aggregate_id', 'seq'])
    # New deliveries wake the delivery loop when they commit (no NOTIFY round trip per fan-out).
    op.execute("""CREATE FUNCTION webhook_deliveries_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('crm_webhooks', ''); RETURN NULL; END $$""")
    op.execute("""CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON webhook_deliveries
        FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_notify()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS webhook_deliveries_notify ON webhook_deliveries")
    op.execute("DROP FUNCTION IF EXISTS webhook_deliveries_notify()")
    op.drop_index('ix_outbox_aggregate_seq', table_name='outbox')
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')
