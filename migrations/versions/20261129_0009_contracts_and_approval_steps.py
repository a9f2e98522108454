"""contracts and approval steps

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 01:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE contract_number_seq")
    op.create_table('contracts',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('customer_id', sa.UUID(), nullable=False),
    sa.Column('opportunity_id', sa.UUID(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('currency', sa.Text(), server_default='CNY', nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('lines', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('payment_terms', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('round', sa.Integer(), server_default='0', nullable=False),
    sa.Column('owner_id', sa.UUID(), nullable=False),
    sa.Column('owner_department_id', sa.UUID(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('termination_reason', sa.Text(), nullable=True),
    sa.Column('renewal_task_id', sa.UUID(), nullable=True),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contracts_customer_id_customers')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_contracts_opportunity_id_opportunities')),
    sa.ForeignKeyConstraint(['owner_department_id'], ['departments.id'], name=op.f('fk_contracts_owner_department_id_departments')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_contracts_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('number', name=op.f('uq_contracts_number'))
    )
    op.create_index('ix_contracts_created', 'contracts', ['created_at', 'id'], unique=False)
    op.create_index('ix_contracts_customer_id', 'contracts', ['customer_id'], unique=False)
    op.create_index('ix_contracts_dept', 'contracts', ['owner_department_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_contracts_in_force_end', 'contracts', ['end_date'], unique=False, postgresql_where=sa.text("status IN ('signed', 'active') AND deleted_at IS NULL"))
    op.create_index('ix_contracts_opportunity_id', 'contracts', ['opportunity_id'], unique=False)
    op.create_index('ix_contracts_owner', 'contracts', ['owner_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_contracts_signed_start', 'contracts', ['start_date'], unique=False, postgresql_where=sa.text("status = 'signed' AND deleted_at IS NULL"))
    op.create_table('contract_steps',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('contract_id', sa.UUID(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('assignee_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_to', sa.UUID(), nullable=True),
    sa.Column('decided_by', sa.UUID(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_contract_steps_assignee_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_steps_contract_id_contracts')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_contract_steps_decided_by_users')),
    sa.ForeignKeyConstraint(['escalated_to'], ['users.id'], name=op.f('fk_contract_steps_escalated_to_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_steps'))
    )
    op.create_index('ix_contract_steps_decided_at', 'contract_steps', ['decided_at'], unique=False)
    op.create_index('ix_contract_steps_pending_assignee', 'contract_steps', ['assignee_id', 'started_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_contract_steps_pending_escalated', 'contract_steps', ['escalated_to', 'started_at'], unique=False, postgresql_where=sa.text("status = 'pending' AND escalated_to IS NOT NULL"))
    op.create_index('ux_contract_steps_round_step', 'contract_steps', ['contract_id', 'round', 'step'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_contract_steps_round_step', table_name='contract_steps')
    op.drop_index('ix_contract_steps_pending_escalated', table_name='contract_steps', postgresql_where=sa.text("status = 'pending' AND escalated_to IS NOT NULL"))
    op.drop_index('ix_contract_steps_pending_assignee', table_name='contract_steps', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_contract_steps_decided_at', table_name='contract_steps')
    op.drop_table('contract_steps')
    op.drop_index('ix_contracts_signed_start', table_name='contracts', postgresql_where=sa.text("status = 'signed' AND deleted_at IS NULL"))
    op.drop_index('ix_contracts_owner', table_name='contracts')
    op.drop_index('ix_contracts_opportunity_id', table_name='contracts')
    op.drop_index('ix_contracts_in_force_end', table_name='contracts', postgresql_where=sa.text("status IN ('signed', 'active') AND deleted_at IS NULL"))
    op.drop_index('ix_contracts_dept', table_name='contracts')
    op.drop_index('ix_contracts_customer_id', table_name='contracts')
    op.drop_index('ix_contracts_created', table_name='contracts')
    op.drop_table('contracts')
    op.execute("DROP SEQUENCE IF EXISTS contract_number_seq")
