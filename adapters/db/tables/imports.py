"""Imports: the record, the uploaded file, staged rows, errors and seen keys."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from adapters.db.tables.base import metadata, timestamps

imports = Table(
    "imports", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("filename", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("encoding", Text),
    Column("mapping", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("policy", Text, nullable=False),
    Column("target", Text, nullable=False, server_default="customers"),
    Column("dry_run", Boolean, nullable=False),
    Column("status", Text, nullable=False),
    Column("error", Text),
    Column("locale", Text, nullable=False, server_default="zh-CN"),
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("next_row", Integer, nullable=False, server_default="0"),
    Column("rows_read", Integer, nullable=False, server_default="0"),
    Column("created", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("merged", Integer, nullable=False, server_default="0"),
    Column("skipped", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("sha256", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    Column("finished_at", DateTime(timezone=True)),
)

import_files = Table(
    "import_files", metadata,
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id", ondelete="CASCADE"),
           primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

# The file's rows, parsed once and staged, so the job reads them in resumable chunks.
import_rows = Table(
    "import_rows", metadata,
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id", ondelete="CASCADE"),
           nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("data", JSONB, nullable=False),
    PrimaryKeyConstraint("import_id", "row_number"),
)

import_errors = Table(
    "import_errors", metadata,
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id", ondelete="CASCADE"),
           nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("column", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Index("ix_import_errors_import_row", "import_id", "row_number"),
)

# Duplicate keys (phone blind index, normalised name) met so far in one file, so duplicates
# inside a file are found across chunks and after a restart.
import_keys = Table(
    "import_keys", metadata,
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id", ondelete="CASCADE"),
           nullable=False),
    Column("key", Text, nullable=False),
    Column("customer_id", UUID(as_uuid=True)),
    PrimaryKeyConstraint("import_id", "key"),
)
