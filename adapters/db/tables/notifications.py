"""In-app notifications and their channels: templates, preferences, deliveries."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from adapters.db.tables.base import metadata, timestamps

notifications = Table(
    "notifications", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("event_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("read_at", DateTime(timezone=True)),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Kept by a trigger on every update (a read): the delta sync of a phone's inbox reads it.
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
    # The unread notices about a contract: its approval notices are resolved when the step
    # is decided, without reading anyone's read ones.
    Index("ix_notifications_unread_contract", text("(data ->> 'contract_id')"),
          postgresql_where=text("read_at IS NULL")),
    # A user's unread ones (the bell's count, mark-all-read), without their read history.
    Index("ix_notifications_unread_user", "user_id", postgresql_where=text("read_at IS NULL")),
    Index("ix_notifications_user_updated", "user_id", "updated_at", "id"),
)
# Shipped templates (builtin) are seeded by `crm db upgrade`; a custom one overrides its triple.
notification_templates = Table(
    "notification_templates", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("locale", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("builtin", Boolean, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    UniqueConstraint("kind", "channel", "locale", "builtin"),
    CheckConstraint("channel IN ('in_app','email','sms')", name="channel_known"),
)

# Only users who changed something have a row; `channels` holds their per-kind choices.
notification_preferences = Table(
    "notification_preferences", metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), primary_key=True),
    Column("locale", Text, nullable=False),
    Column("mobile_enc", Text),
    Column("channels", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
)

notification_deliveries = Table(
    "notification_deliveries", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("notification_id", UUID(as_uuid=True),
           ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime(timezone=True), server_default=func.now()),
    Column("claim", UUID(as_uuid=True)),
    Column("claimed_until", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    *timestamps(),
    UniqueConstraint("notification_id", "channel"),
    CheckConstraint("status IN ('pending','sent','failed')", name="status_known"),
    Index("ix_notification_deliveries_due", "next_attempt_at",
          postgresql_where=text("status = 'pending'")),
    Index("ix_notification_deliveries_user", "user_id", "created_at"),
)
