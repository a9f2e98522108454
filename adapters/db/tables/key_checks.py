"""Key check values: what each encryption key makes of a known constant, written at first
start, so that a process started with the wrong key refuses to start instead of failing at the
first personal-data value it reads."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, PrimaryKeyConstraint, Table, Text, func

from adapters.db.tables.base import metadata

key_checks = Table(
    "key_checks", metadata,
    Column("purpose", Text, nullable=False),
    Column("key_id", Text, nullable=False),
    Column("check_value", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("purpose", "key_id"),
)
