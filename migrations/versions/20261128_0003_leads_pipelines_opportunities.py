"""leads pipelines opportunities

Leads with their timeline, website forms, routing state, scoring/routing settings, pipelines
with stages, opportunities with stage history, follow-up lapses; and a NOTIFY on outbox inserts
so the relay wakes the moment events commit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 23:10:16.511657
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OUTBOX_NOTIFY = """
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('crm_outbox', '');
    RETURN NULL;
END $$
"""
# The board's per-stage sums, kept in step with every insert, move, edit and deletion. The
# triggers run once per statement over its transition table, so a bulk load (COPY, an import)
# touches each totals row once, not once per deal.


def _key(alias: str) -> str:
    """The totals row a deal counts in (a zero UUID stands for no department)."""
    return (f"{alias}.pipeline_id, {alias}.stage_id, {alias}.owner_id, "
            f"coalesce({alias}.owner_department_id, "
            "'00000000-0000-0000-0000-000000000000'::uuid), "
            f"{alias}.currency")


_ADD = """
    INSERT INTO opportunity_totals AS t
           (pipeline_id, stage_id, owner_id, owner_department_id, currency, n, amount)
    SELECT {key}, count(*), coalesce(sum({alias}.amount), 0)
      FROM {source} GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (pipeline_id, stage_id, owner_id, owner_department_id, currency)
    DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount;"""
_REMOVE = """
    UPDATE opportunity_totals AS t SET n = t.n - d.n, amount = t.amount - d.amount
      FROM (SELECT {key}, count(*), coalesce(sum({alias}.amount), 0)
              FROM {source} GROUP BY 1, 2, 3, 4, 5)
           AS d(pipeline_id, stage_id, owner_id, owner_department_id, currency, n, amount)
     WHERE (t.pipeline_id, t.stage_id, t.owner_id, t.owner_department_id, t.currency)
         = (d.pipeline_id, d.stage_id, d.owner_id, d.owner_department_id, d.currency);"""
# An update moves only the deals whose row key or amount changed.
_CHANGED = """before_rows b JOIN after_rows a ON a.id = b.id
             WHERE (b.pipeline_id, b.stage_id, b.owner_id, b.currency, b.owner_department_id,
                    b.amount)
                   IS DISTINCT FROM (a.pipeline_id, a.stage_id, a.owner_id, a.currency,
                                     a.owner_department_id, a.amount)"""


def _function(name: str, body: str) -> str:
    return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN{body}\n    RETURN NULL;\nEND $$")


OPPORTUNITY_TOTALS = [
    _function("opportunity_totals_add",
              _ADD.format(key=_key("c"), alias="c", source="changed c")),
    _function("opportunity_totals_remove",
              _REMOVE.format(key=_key("c"), alias="c", source="changed c")),
    _function("opportunity_totals_move",
              _REMOVE.format(key=_key("b"), alias="b", source=_CHANGED)
              + _ADD.format(key=_key("a"), alias="a", source=_CHANGED)),
    """CREATE TRIGGER opportunity_totals_insert AFTER INSERT ON opportunities
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION opportunity_totals_add()""",
    """CREATE TRIGGER opportunity_totals_delete AFTER DELETE ON opportunities
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION opportunity_totals_remove()""",
    """CREATE TRIGGER opportunity_totals_update AFTER UPDATE ON opportunities
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT
    EXECUTE FUNCTION opportunity_totals_move()""",
]
OUTBOX_TRIGGER = """
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()
"""


def upgrade() -> None:
    op.execute("CREATE SEQUENCE lead_number_seq")
    op.execute("CREATE SEQUENCE opportunity_number_seq")
    op.execute(OUTBOX_NOTIFY)
    op.execute(OUTBOX_TRIGGER)
    op.create_table('followup_lapses',
    sa.Column('record_type', sa.Text(), nullable=False),
    sa.Column('record_id', sa.UUID(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('level', sa.Text(), nullable=False),
    sa.Column('recipient_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('record_type', 'record_id', 'since', 'level', name=op.f('pk_followup_lapses'))
    )
    op.create_table('lead_forms',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('site_origin', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('campaign', sa.Text(), nullable=True),
    sa.Column('honeypot_field', sa.Text(), nullable=False),
    sa.Column('per_ip_per_hour', sa.Integer(), nullable=False),
    sa.Column('per_form_per_minute', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_forms')),
    sa.UniqueConstraint('key', name=op.f('uq_lead_forms_key'))
    )
    op.create_table('pipelines',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('stale_days', sa.Integer(), server_default='7', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipelines'))
    )
    op.create_index('uq_pipelines_default', 'pipelines', ['is_default'], unique=True, postgresql_where=sa.text('is_default'))
    op.create_table('sales_settings',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sales_settings'))
    )
    op.create_table('lead_rotation',
    sa.Column('department_id', sa.UUID(), nullable=False),
    sa.Column('last_user_id', sa.UUID(), nullable=True),
    sa.Column('turns', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_lead_rotation_department_id_departments')),
    sa.PrimaryKeyConstraint('department_id', name=op.f('pk_lead_rotation'))
    )
    op.create_table('pipeline_stages',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('pipeline_id', sa.UUID(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('requirements', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
    sa.CheckConstraint('probability BETWEEN 0 AND 100', name=op.f('ck_pipeline_stages_probability_percent')),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], name=op.f('fk_pipeline_stages_pipeline_id_pipelines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_stages'))
    )
    op.create_index('ix_pipeline_stages_pipeline', 'pipeline_stages', ['pipeline_id', 'position'], unique=False)
    op.create_table('rep_availability',
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('away', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('away_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('in_rotation', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rep_availability_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_rep_availability'))
    )
    op.create_table('leads',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('company', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('phone_enc', sa.Text(), nullable=True),
    sa.Column('phone_bidx', sa.Text(), nullable=True),
    sa.Column('phone_valid', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('email_enc', sa.Text(), nullable=True),
    sa.Column('email_bidx', sa.Text(), nullable=True),
    sa.Column('email_valid', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('industry', sa.Text(), nullable=True),
    sa.Column('region', sa.Text(), nullable=True),
    sa.Column('company_size', sa.Text(), nullable=True),
    sa.Column('budget', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('currency', sa.Text(), server_default='CNY', nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('campaign', sa.Text(), nullable=True),
    sa.Column('attribution', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('engagement', sa.Integer(), server_default='0', nullable=False),
    sa.Column('score', sa.Integer(), server_default='0', nullable=False),
    sa.Column('grade', sa.Text(), nullable=False),
    sa.Column('score_breakdown', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('flags', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('owner_id', sa.UUID(), nullable=False),
    sa.Column('owner_department_id', sa.UUID(), nullable=True),
    sa.Column('assignment', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('assigned_by', sa.Text(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('customer_id', sa.UUID(), nullable=True),
    sa.Column('opportunity_id', sa.UUID(), nullable=True),
    sa.Column('duplicate_of_id', sa.UUID(), nullable=True),
    sa.Column('disqualify_reason', sa.Text(), nullable=True),
    sa.Column('form_id', sa.UUID(), nullable=True),
    sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_followup_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_followup_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('touched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_leads_customer_id_customers')),
    sa.ForeignKeyConstraint(['form_id'], ['lead_forms.id'], name=op.f('fk_leads_form_id_lead_forms')),
    sa.ForeignKeyConstraint(['owner_department_id'], ['departments.id'], name=op.f('fk_leads_owner_department_id_departments')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_leads_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('number', name=op.f('uq_leads_number'))
    )
    op.create_index('ix_leads_created', 'leads', ['created_at', 'id'], unique=False)
    op.create_index('ix_leads_customer_id', 'leads', ['customer_id'], unique=False)
    op.create_index('ix_leads_dept_created', 'leads', ['owner_department_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_leads_email_bidx', 'leads', ['email_bidx'], unique=False)
    op.create_index('ix_leads_open_owner', 'leads', ['owner_id'], unique=False, postgresql_where=sa.text("status IN ('new', 'contacted', 'qualified')"))
    op.create_index('ix_leads_open_touched', 'leads', ['touched_at'], unique=False, postgresql_where=sa.text("status IN ('new', 'contacted', 'qualified')"))
    op.create_index('ix_leads_owner_created', 'leads', ['owner_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_leads_phone_bidx', 'leads', ['phone_bidx'], unique=False)
    op.create_index('ix_leads_search', 'leads', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_index('ix_leads_updated', 'leads', ['updated_at', 'id'], unique=False)
    op.create_table('lead_activity',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('lead_id', sa.UUID(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.UUID(), nullable=True),
    sa.Column('actor_label', sa.Text(), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_activity_lead_id_leads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_activity'))
    )
    op.create_index('ix_lead_activity_lead', 'lead_activity', ['lead_id', 'id'], unique=False)
    op.create_table('opportunities',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('customer_id', sa.UUID(), nullable=False),
    sa.Column('lead_id', sa.UUID(), nullable=True),
    sa.Column('pipeline_id', sa.UUID(), nullable=False),
    sa.Column('stage_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('currency', sa.Text(), server_default='CNY', nullable=False),
    sa.Column('expected_close_date', sa.Date(), nullable=True),
    sa.Column('quote_reference', sa.Text(), nullable=True),
    sa.Column('contract_reference', sa.Text(), nullable=True),
    sa.Column('contract_status', sa.Text(), nullable=True),
    sa.Column('lost_reason', sa.Text(), nullable=True),
    sa.Column('owner_id', sa.UUID(), nullable=False),
    sa.Column('owner_department_id', sa.UUID(), nullable=True),
    sa.Column('stage_entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_opportunities_customer_id_customers')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_opportunities_lead_id_leads')),
    sa.ForeignKeyConstraint(['owner_department_id'], ['departments.id'], name=op.f('fk_opportunities_owner_department_id_departments')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_opportunities_owner_id_users')),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], name=op.f('fk_opportunities_pipeline_id_pipelines')),
    sa.ForeignKeyConstraint(['stage_id'], ['pipeline_stages.id'], name=op.f('fk_opportunities_stage_id_pipeline_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunities')),
    sa.UniqueConstraint('number', name=op.f('uq_opportunities_number'))
    )
    op.create_index('ix_opportunities_board', 'opportunities', ['pipeline_id', 'stage_id', 'currency', 'amount'], unique=False)
    op.create_index('ix_opportunities_cards', 'opportunities', ['pipeline_id', 'stage_id', 'updated_at', 'id'], unique=False)
    op.create_index('ix_opportunities_customer_id', 'opportunities', ['customer_id'], unique=False)
    op.create_index('ix_opportunities_dept', 'opportunities', ['owner_department_id', 'pipeline_id', 'stage_id'], unique=False)
    op.create_index('ix_opportunities_lead_id', 'opportunities', ['lead_id'], unique=False)
    op.create_index('ix_opportunities_open_activity', 'opportunities', ['last_activity_at'], unique=False, postgresql_where=sa.text("status = 'open'"))
    op.create_index('ix_opportunities_owner', 'opportunities', ['owner_id', 'pipeline_id', 'stage_id'], unique=False)
    op.create_index('ix_opportunities_updated', 'opportunities', ['updated_at', 'id'], unique=False)
    op.create_table('opportunity_stage_history',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('opportunity_id', sa.UUID(), nullable=False),
    sa.Column('stage_id', sa.UUID(), nullable=False),
    sa.Column('stage_name', sa.Text(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entered_by', sa.UUID(), nullable=True),
    sa.Column('entered_by_label', sa.Text(), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('left_by', sa.UUID(), nullable=True),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_opportunity_stage_history_opportunity_id_opportunities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_stage_history'))
    )
    op.create_index('ix_opportunity_stage_history_opportunity', 'opportunity_stage_history', ['opportunity_id', 'id'], unique=False)
    op.create_table('opportunity_totals',
    sa.Column('pipeline_id', sa.UUID(), nullable=False),
    sa.Column('stage_id', sa.UUID(), nullable=False),
    sa.Column('owner_id', sa.UUID(), nullable=False),
    sa.Column('owner_department_id', sa.UUID(), nullable=False),
    sa.Column('currency', sa.Text(), nullable=False),
    sa.Column('n', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=2), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('pipeline_id', 'stage_id', 'owner_id', 'owner_department_id', 'currency', name=op.f('pk_opportunity_totals'))
    )
    # Hot rows updated in place: room on each page keeps the updates HOT (no index churn).
    op.execute("ALTER TABLE opportunity_totals SET (fillfactor = 50)")
    for statement in OPPORTUNITY_TOTALS:
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS opportunity_totals_{trigger} ON opportunities")
    for function in ("add", "remove", "move"):
        op.execute(f"DROP FUNCTION IF EXISTS opportunity_totals_{function}()")
    op.drop_table('opportunity_totals')
    op.drop_index('ix_opportunity_stage_history_opportunity', table_name='opportunity_stage_history')
    op.drop_table('opportunity_stage_history')
    op.drop_index('ix_opportunities_updated', table_name='opportunities')
    op.drop_index('ix_opportunities_owner', table_name='opportunities')
    op.drop_index('ix_opportunities_open_activity', table_name='opportunities', postgresql_where=sa.text("status = 'open'"))
    op.drop_index('ix_opportunities_lead_id', table_name='opportunities')
    op.drop_index('ix_opportunities_dept', table_name='opportunities')
    op.drop_index('ix_opportunities_customer_id', table_name='opportunities')
    op.drop_index('ix_opportunities_cards', table_name='opportunities')
    op.drop_index('ix_opportunities_board', table_name='opportunities')
    op.drop_table('opportunities')
    op.drop_index('ix_lead_activity_lead', table_name='lead_activity')
    op.drop_table('lead_activity')
    op.drop_index('ix_leads_updated', table_name='leads')
    op.drop_index('ix_leads_search', table_name='leads', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index('ix_leads_phone_bidx', table_name='leads')
    op.drop_index('ix_leads_owner_created', table_name='leads')
    op.drop_index('ix_leads_open_touched', table_name='leads', postgresql_where=sa.text("status IN ('new', 'contacted', 'qualified')"))
    op.drop_index('ix_leads_open_owner', table_name='leads', postgresql_where=sa.text("status IN ('new', 'contacted', 'qualified')"))
    op.drop_index('ix_leads_email_bidx', table_name='leads')
    op.drop_index('ix_leads_dept_created', table_name='leads')
    op.drop_index('ix_leads_customer_id', table_name='leads')
    op.drop_index('ix_leads_created', table_name='leads')
    op.drop_table('leads')
    op.drop_table('rep_availability')
    op.drop_index('ix_pipeline_stages_pipeline', table_name='pipeline_stages')
    op.drop_table('pipeline_stages')
    op.drop_table('lead_rotation')
    op.drop_table('sales_settings')
    op.drop_index('uq_pipelines_default', table_name='pipelines', postgresql_where=sa.text('is_default'))
    op.drop_table('pipelines')
    op.drop_table('lead_forms')
    op.drop_table('followup_lapses')
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
    op.execute("DROP SEQUENCE IF EXISTS opportunity_number_seq")
    op.execute("DROP SEQUENCE IF EXISTS lead_number_seq")
