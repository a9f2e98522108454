"""Custom-field definitions, the tag catalogue and saved segments."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from adapters.db.tables.base import metadata, timestamps

custom_fields = Table(
    "custom_fields", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("entity", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("options", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("required", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("uq_custom_fields_entity_key", "entity", "key", unique=True),
)

tags = Table(
    "tags", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("category", Text, nullable=False),
    Column("colour", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

segments = Table(
    "segments", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("filter", JSONB, nullable=False),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False, index=True),
    Column("sharing", Text, nullable=False),
    Column("department_id", UUID(as_uuid=True), ForeignKey("departments.id"), index=True),
    Column("version", Integer, nullable=False, server_default="1"),
    # a saved view of a list: which list, its sort and the columns shown
    Column("object", Text, nullable=False, server_default="customer"),
    Column("sort", Text),
    Column("columns", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    *timestamps(),
)


# One user's default columns and sort per list (the phone and the web show the same).
list_settings = Table(
    "list_settings", metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), primary_key=True),
    Column("object", Text, primary_key=True),
    Column("columns", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("sort", Text),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
