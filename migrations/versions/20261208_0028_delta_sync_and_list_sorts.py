"""Delta sync for tasks, follow-ups, contracts and notifications; indexes for list sorts;
exports of any list in the requester's language; segments as saved views of any list, and
each user's default columns and sort per list

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08 01:45:00

A phone keeps these lists offline and asks for what changed since its last sync
(`updated_since`), so each list needs an index on its change time; a notification changes
when it is read, so it gets an `updated_at` that a trigger keeps (every writer of the read state
bumps it, whichever code path marks it). Sorts a user expects on the lists (a contract's
amount, a lead's name) get an index each, so that a sorted first page stops after its rows.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOUCH = ["""
CREATE FUNCTION crm_touch_notification() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := greatest(now(), OLD.updated_at);
    RETURN NEW;
END $$
""", """
CREATE TRIGGER notifications_touch BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION crm_touch_notification()
"""]

INDEXES = [
    ('ix_notifications_user_updated', 'notifications', ['user_id', 'updated_at', 'id']),
    ('ix_tasks_updated', 'tasks', ['updated_at', 'id']),
    ('ix_followups_updated', 'followups', ['updated_at', 'id']),
    ('ix_contracts_updated', 'contracts', ['updated_at', 'id']),
    ('ix_contracts_amount', 'contracts', ['amount', 'id']),
    ('ix_opportunities_name', 'opportunities', ['name', 'id']),
]
NEVER = "'9999-12-31 00:00:00+00'::timestamp with time zone"  # what a missing time sorts as
EXPRESSION_INDEXES = [
    ('ix_customers_next_followup', 'customers', f'coalesce(next_followup_at, {NEVER}), id'),
    ('ix_leads_next_followup', 'leads', f'coalesce(next_followup_at, {NEVER}), id'),
    ('ix_leads_name', 'leads', "coalesce(name, ''::text), id"),
    ('ix_opportunities_amount', 'opportunities', "coalesce(amount, '-1'::numeric), id"),
]


def upgrade() -> None:
    # Each user's default columns and sort per list.
    op.create_table(
        'list_settings',
        sa.Column('user_id', sa.UUID(), nullable=False),
        sa.Column('object', sa.Text(), nullable=False),
        sa.Column('columns', postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"),
                  nullable=False),
        sa.Column('sort', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name='fk_list_settings_user_id_users'),
        sa.PrimaryKeyConstraint('user_id', 'object', name='pk_list_settings'),
    )
    # A segment becomes a saved view of any of the lists, with its sort and columns.
    op.add_column('segments', sa.Column('object', sa.Text(), server_default='customer',
                                        nullable=False))
    op.add_column('segments', sa.Column('sort', sa.Text(), nullable=True))
    op.add_column('segments', sa.Column('columns', postgresql.JSONB(), nullable=False,
                                        server_default=sa.text("'[]'::jsonb")))
    # An export writes any list (not only customers) in the language of whoever asked for it.
    op.add_column('exports', sa.Column('object', sa.Text(), server_default='customer',
                                       nullable=False))
    op.add_column('exports', sa.Column('locale', sa.Text(), server_default='zh-CN',
                                       nullable=False))
    op.add_column('notifications', sa.Column(
        'updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
        nullable=True))
    op.execute("UPDATE notifications SET updated_at = coalesce(read_at, created_at)")
    op.alter_column('notifications', 'updated_at', nullable=False)
    for statement in TOUCH:
        op.execute(statement)
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    for name, table, expression in EXPRESSION_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} ({expression})")


def downgrade() -> None:
    for name, table, _ in reversed(EXPRESSION_INDEXES):
        op.drop_index(name, table_name=table)
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.execute("DROP TRIGGER notifications_touch ON notifications")
    op.execute("DROP FUNCTION crm_touch_notification()")
    op.drop_column('notifications', 'updated_at')
    op.drop_column('exports', 'locale')
    op.drop_column('exports', 'object')
    op.drop_column('segments', 'columns')
    op.drop_column('segments', 'sort')
    op.drop_column('segments', 'object')
    op.drop_table('list_settings')
