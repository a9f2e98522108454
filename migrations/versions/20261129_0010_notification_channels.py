"""notification channels: templates, preferences, deliveries; NOTIFY on new notifications

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 01:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The SSE stream's one LISTEN connection per API process hears every notification as it
# commits; the payload stays tiny (NOTIFY payloads are capped at 8000 bytes).
NOTIFICATION_NOTIFY = """
CREATE FUNCTION notification_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('crm_notifications',
                      json_build_object('id', NEW.id, 'user_id', NEW.user_id)::text);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    templates = op.create_table('notification_templates',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('locale', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("channel IN ('in_app','email','sms')", name=op.f('ck_notification_templates_channel_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_templates')),
    sa.UniqueConstraint('kind', 'channel', 'locale', 'builtin', name=op.f('uq_notification_templates_kind_channel_locale_builtin'))
    )
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('locale', sa.Text(), nullable=False),
    sa.Column('mobile_enc', sa.Text(), nullable=True),
    sa.Column('channels', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_preferences'))
    )
    op.create_table('notification_deliveries',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('notification_id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.Column('claim', sa.UUID(), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('pending','sent','failed')", name=op.f('ck_notification_deliveries_status_known')),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_notification_deliveries_notification_id_notifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_deliveries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
    sa.UniqueConstraint('notification_id', 'channel', name=op.f('uq_notification_deliveries_notification_id_channel'))
    )
    op.create_index('ix_notification_deliveries_due', 'notification_deliveries', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_notification_deliveries_user', 'notification_deliveries', ['user_id', 'created_at'], unique=False)
    op.execute(NOTIFICATION_NOTIFY)
    op.execute("CREATE TRIGGER notification_notify AFTER INSERT ON notifications "
               "FOR EACH ROW EXECUTE FUNCTION notification_notify()")

    # The shipped templates (zh-CN and en, every kind and channel).
    from domain.notifications.defaults import default_templates
    op.bulk_insert(templates, [
        {"id": x.id, "kind": x.kind, "channel": x.channel.value, "locale": x.locale,
         "subject": x.subject, "body": x.body, "builtin": True, "version": 1}
        for x in default_templates()])


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS notification_notify ON notifications")
    op.execute("DROP FUNCTION IF EXISTS notification_notify()")
    op.drop_index('ix_notification_deliveries_user', table_name='notification_deliveries')
    op.drop_index('ix_notification_deliveries_due', table_name='notification_deliveries', postgresql_where=sa.text("status = 'pending'"))
    op.drop_table('notification_deliveries')
    op.drop_table('notification_preferences')
    op.drop_table('notification_templates')
