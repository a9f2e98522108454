"""customers contacts followups tasks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 22:49:48.523667
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDUSTRIES = [
    ("manufacturing", "制造业 Manufacturing"), ("retail", "零售 Retail"),
    ("ecommerce", "电子商务 E-commerce"), ("finance", "金融 Finance"),
    ("healthcare", "医疗 Healthcare"), ("education", "教育 Education"),
    ("software", "软件与信息技术 Software & IT"), ("logistics", "物流 Logistics"),
    ("energy", "能源 Energy"), ("construction", "建筑 Construction"),
    ("food", "食品饮料 Food & beverage"), ("other", "其他 Other"),
]
REGIONS = [
    ("east", "华东 East China"), ("north", "华北 North China"), ("south", "华南 South China"),
    ("central", "华中 Central China"), ("southwest", "西南 Southwest"),
    ("northwest", "西北 Northwest"), ("northeast", "东北 Northeast"),
    ("overseas", "海外 Overseas"),
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE SEQUENCE customer_number_seq")
    op.create_table('picklists',
    sa.Column('list', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.PrimaryKeyConstraint('list', 'value', name=op.f('pk_picklists'))
    )
    op.create_table('customers',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_normalised', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('industry', sa.Text(), nullable=True),
    sa.Column('region', sa.Text(), nullable=True),
    sa.Column('size', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('grade', sa.Text(), nullable=False),
    sa.Column('tier', sa.Text(), nullable=False),
    sa.Column('annual_purchase', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('currency', sa.Text(), server_default='CNY', nullable=False),
    sa.Column('owner_id', sa.UUID(), nullable=False),
    sa.Column('owner_department_id', sa.UUID(), nullable=True),
    sa.Column('first_contact_date', sa.Date(), nullable=True),
    sa.Column('last_followup_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_followup_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_followup_plan', sa.Text(), nullable=True),
    sa.Column('key_needs', sa.Text(), nullable=True),
    sa.Column('tags', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
    sa.Column('custom', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('id_card_enc', sa.Text(), nullable=True),
    sa.Column('id_card_bidx', sa.Text(), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_department_id'], ['departments.id'], name=op.f('fk_customers_owner_department_id_departments')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_customers_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('number', name=op.f('uq_customers_number'))
    )
    op.create_index('ix_customers_created', 'customers', ['created_at', 'id'], unique=False)
    op.create_index('ix_customers_custom', 'customers', ['custom'], unique=False, postgresql_using='gin', postgresql_ops={'custom': 'jsonb_path_ops'})
    op.create_index('ix_customers_dept_created', 'customers', ['owner_department_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_customers_id_card_bidx', 'customers', ['id_card_bidx'], unique=False)
    op.create_index('ix_customers_industry_region_created', 'customers', ['industry', 'region', 'created_at'], unique=False)
    op.create_index('ix_customers_last_followup', 'customers', ['last_followup_at'], unique=False)
    op.create_index('ix_customers_name_normalised', 'customers', ['name_normalised'], unique=False)
    op.create_index('ix_customers_owner_created', 'customers', ['owner_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_customers_region_created', 'customers', ['region', 'created_at'], unique=False)
    op.create_index('ix_customers_search', 'customers', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_index('ix_customers_tags', 'customers', ['tags'], unique=False, postgresql_using='gin')
    op.create_index('ix_customers_updated', 'customers', ['updated_at', 'id'], unique=False)
    op.create_table('tasks',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('assignee_id', sa.UUID(), nullable=False),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('related_type', sa.Text(), nullable=True),
    sa.Column('related_id', sa.UUID(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tasks_assignee_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    op.create_index('ix_tasks_assignee_status_due', 'tasks', ['assignee_id', 'status', 'due_at'], unique=False)
    op.create_index('ix_tasks_related', 'tasks', ['related_id'], unique=False)
    op.create_table('contacts',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('customer_id', sa.UUID(), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('mobile_enc', sa.Text(), nullable=True),
    sa.Column('mobile_bidx', sa.Text(), nullable=True),
    sa.Column('landline_enc', sa.Text(), nullable=True),
    sa.Column('landline_bidx', sa.Text(), nullable=True),
    sa.Column('email_enc', sa.Text(), nullable=True),
    sa.Column('email_bidx', sa.Text(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contacts_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    op.create_index(op.f('ix_contacts_customer_id'), 'contacts', ['customer_id'], unique=False)
    op.create_index(op.f('ix_contacts_email_bidx'), 'contacts', ['email_bidx'], unique=False)
    op.create_index(op.f('ix_contacts_landline_bidx'), 'contacts', ['landline_bidx'], unique=False)
    op.create_index(op.f('ix_contacts_mobile_bidx'), 'contacts', ['mobile_bidx'], unique=False)
    op.create_table('customer_activity',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('customer_id', sa.UUID(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.UUID(), nullable=True),
    sa.Column('actor_label', sa.Text(), nullable=False),
    sa.Column('ref_type', sa.Text(), nullable=True),
    sa.Column('ref_id', sa.UUID(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_activity_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_activity'))
    )
    op.create_index('ix_customer_activity_customer', 'customer_activity', ['customer_id', 'id'], unique=False)
    op.create_table('followups',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('customer_id', sa.UUID(), nullable=False),
    sa.Column('owner_id', sa.UUID(), nullable=False),
    sa.Column('method', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('next_action', sa.Text(), nullable=True),
    sa.Column('next_followup_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_followups_customer_id_customers')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_followups_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followups'))
    )
    op.create_index('ix_followups_customer_occurred', 'followups', ['customer_id', 'occurred_at', 'id'], unique=False)
    op.create_index('ix_followups_owner_occurred', 'followups', ['owner_id', 'occurred_at', 'id'], unique=False)
    picklists = sa.table("picklists", sa.column("list"), sa.column("value"), sa.column("label"))
    op.bulk_insert(picklists, [{"list": "industry", "value": v, "label": label}
                               for v, label in INDUSTRIES]
                   + [{"list": "region", "value": v, "label": label} for v, label in REGIONS])


def downgrade() -> None:
    op.drop_index('ix_followups_owner_occurred', table_name='followups')
    op.drop_index('ix_followups_customer_occurred', table_name='followups')
    op.drop_table('followups')
    op.drop_index('ix_customer_activity_customer', table_name='customer_activity')
    op.drop_table('customer_activity')
    op.drop_index(op.f('ix_contacts_mobile_bidx'), table_name='contacts')
    op.drop_index(op.f('ix_contacts_landline_bidx'), table_name='contacts')
    op.drop_index(op.f('ix_contacts_email_bidx'), table_name='contacts')
    op.drop_index(op.f('ix_contacts_customer_id'), table_name='contacts')
    op.drop_table('contacts')
    op.drop_index('ix_tasks_related', table_name='tasks')
    op.drop_index('ix_tasks_assignee_status_due', table_name='tasks')
    op.drop_table('tasks')
    op.drop_index('ix_customers_updated', table_name='customers')
    op.drop_index('ix_customers_tags', table_name='customers', postgresql_using='gin')
    op.drop_index('ix_customers_search', table_name='customers', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index('ix_customers_region_created', table_name='customers')
    op.drop_index('ix_customers_owner_created', table_name='customers')
    op.drop_index('ix_customers_name_normalised', table_name='customers')
    op.drop_index('ix_customers_last_followup', table_name='customers')
    op.drop_index('ix_customers_industry_region_created', table_name='customers')
    op.drop_index('ix_customers_id_card_bidx', table_name='customers')
    op.drop_index('ix_customers_dept_created', table_name='customers')
    op.drop_index('ix_customers_custom', table_name='customers', postgresql_using='gin', postgresql_ops={'custom': 'jsonb_path_ops'})
    op.drop_index('ix_customers_created', table_name='customers')
    op.drop_table('customers')
    op.drop_table('picklists')
    op.execute("DROP SEQUENCE IF EXISTS customer_number_seq")
