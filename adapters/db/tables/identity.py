"""Who works here: departments, users, API keys and refresh tokens."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from adapters.db.tables.base import metadata, timestamps

departments = Table(
    "departments", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("parent_id", UUID(as_uuid=True), ForeignKey("departments.id"), index=True),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
)

ROLES = ("admin", "manager", "sales_rep", "finance", "executive", "legal", "service_agent")

users = Table(
    "users", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("email", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("department_id", UUID(as_uuid=True), ForeignKey("departments.id"), index=True),
    Column("password_hash", Text, nullable=False),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("token_version", Integer, nullable=False, server_default="1"),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_login_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    CheckConstraint("role IN ('" + "','".join(ROLES) + "')", name="role_known"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("prefix", Text, nullable=False, unique=True),
    Column("secret_hash", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("family_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False, index=True),
    Column("secret_hash", Text, nullable=False),
    Column("token_version", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
