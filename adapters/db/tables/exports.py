"""Exports: the record and the file's chunks."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from adapters.db.tables.base import metadata, timestamps

exports = Table(
    "exports", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("format", Text, nullable=False),
    Column("filter", JSONB, nullable=False),
    Column("reveal", Boolean, nullable=False),
    Column("object", Text, nullable=False, server_default="customer"),
    Column("locale", Text, nullable=False, server_default="zh-CN"),
    Column("status", Text, nullable=False),
    Column("error", Text),
    Column("rows_written", Integer, nullable=False, server_default="0"),
    Column("cursor", Text),
    Column("chunks", Integer, nullable=False, server_default="0"),
    Column("bytes", BigInteger, nullable=False, server_default="0"),
    *timestamps(),
    Column("finished_at", DateTime(timezone=True)),
)

export_chunks = Table(
    "export_chunks", metadata,
    Column("export_id", UUID(as_uuid=True), ForeignKey("exports.id", ondelete="CASCADE"),
           nullable=False),
    Column("seq", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("export_id", "seq"),
)
